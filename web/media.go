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
	if d.CacheDir != "" && safeName.MatchString(item.FileUniqueID) && privateDir(d.CacheDir) {
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
		if cached != "" {
			_ = os.WriteFile(cached, data, 0o600)
		}
	}
	serveFile(w, data, "agriclinic-"+strconv.FormatInt(id, 10)+"-"+strconv.Itoa(n))
}

// mediaPolicy confines whatever a farmer's file is: nothing in it may run, load or
// navigate, even if a browser were to render it as a page.
const mediaPolicy = "default-src 'none'; img-src 'self'; sandbox"

// inlineImages are the only types a farmer's file is shown as, judged by its bytes
// (http.DetectContentType), never by its name or the type Telegram was told.
var inlineImages = map[string]bool{"image/jpeg": true, "image/png": true, "image/webp": true, "image/gif": true}

// serveFile answers a file that came from a farmer or an expert. Its bytes are anyone's:
// an HTML or SVG file served as what it sniffs like would run its script on the
// dashboard's origin, with the session of whoever opened it. So only a recognised image
// is shown inline; everything else is a download of unknown type, named name.
func serveFile(w http.ResponseWriter, data []byte, name string) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", mediaPolicy)
	h.Set("Cache-Control", "private, max-age=86400")
	if ct := http.DetectContentType(data); inlineImages[ct] {
		h.Set("Content-Type", ct)
	} else {
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}
	_, _ = w.Write(data)
}

// privateDir makes dir (mode 0700) when it is missing and reports whether it is a
// directory of this user that no one else may write to: in a cache someone else can
// write to, a file planted under a photo's name would be served as that photo.
func privateDir(dir string) bool {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false
	}
	st, err := os.Lstat(dir)
	return err == nil && st.IsDir() && st.Mode().Perm()&0o022 == 0 && ownedByMe(st)
}

// NewCacheDir makes a directory for the dashboard's copies of photos (Dashboard.CacheDir)
// that belongs to this process alone: new, randomly named and mode 0700, so no other user
// of the machine can read farmers' photos there or plant a file in it, and no other
// process shares it. remove deletes it with what it holds, when the process ends.
func NewCacheDir() (dir string, remove func(), err error) {
	dir, err = os.MkdirTemp("", "agriclinic-media-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}
