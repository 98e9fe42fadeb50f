package web

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/agriclinic/agriclinic/consult"
)

// Files fetches a file Telegram keeps, by file id (bot.Client.Download).
type Files interface {
	Download(ctx context.Context, fileID string) ([]byte, error)
}

// safeName is what a file_unique_id looks like; only such names become cache files.
var safeName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// media serves a question's photo (or other file) to a signed-in person of its county.
// The bot fetches it from Telegram, so the browser never sees the bot token, and keeps a
// copy on disk, so a page of photos does not go to Telegram again.
func (d *Dashboard) media(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	lang := langOf(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	n, nerr := strconv.Atoi(r.PathValue("n"))
	v, qerr := d.Svc.Question(r.Context(), id)
	if err != nil || nerr != nil || qerr != nil || v.County.ID != s.County.ID || d.Files == nil {
		d.message(w, r, http.StatusNotFound, s, tr(lang, "question"), tr(lang, "nosuch"))
		return
	}
	items, err := d.DB.QuestionMedia(r.Context(), id)
	if err != nil || n < 0 || n >= len(items) || items[n].FileID == "" {
		d.message(w, r, http.StatusNotFound, s, tr(lang, "question"), tr(lang, "nosuch"))
		return
	}
	item := items[n]
	var data []byte
	cached := ""
	if d.CacheDir != "" && safeName.MatchString(item.FileUniqueID) {
		cached = filepath.Join(d.CacheDir, item.FileUniqueID)
		data, _ = os.ReadFile(cached)
	}
	if data == nil {
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		if data, err = d.Files.Download(ctx, item.FileID); err != nil {
			if d.Log != nil {
				d.Log.Warn("photo not fetched from Telegram", "question", id, "err", err)
			}
			d.message(w, r, http.StatusBadGateway, s, tr(lang, "question"), tr(lang, "down"))
			return
		}
		if cached != "" && os.MkdirAll(d.CacheDir, 0o700) == nil {
			_ = os.WriteFile(cached, data, 0o600)
		}
	}
	w.Header().Set("Content-Type", http.DetectContentType(data))
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(data)
}
