package web

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

//go:embed static/play.js static/play.css
var playFiles embed.FS

// PlayChats is the local Telegram the playground shows and acts in: the demo's fake Bot
// API server, which the real bot talks to over HTTP (an adapter in cmd/agriclinic).
type PlayChats interface {
	// Messages is a chat's history as Telegram shows it now: edits applied, deleted
	// messages gone, the replied-to message included.
	Messages(chatID int64) []tgbotapi.Message
	// Post makes from write in a chat: text, or a photo with text as its caption,
	// replying to message replyTo (0: none). An impossible post is an error.
	Post(chatID, from int64, text string, photo []byte, replyTo int) error
	// Press presses an inline button of a message and returns what the bot answered to
	// show (its callback answer's text, "" when it said nothing within a few seconds).
	Press(ctx context.Context, chatID, from int64, messageID int, data string) (string, error)
	// File is a file's bytes by file id.
	File(fileID string) ([]byte, bool)
	// Changed is closed at the next change of any chat.
	Changed() <-chan struct{}
}

// PlayPerson is someone the playground lets you be.
type PlayPerson struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"` // farmer, expert or admin
}

// Play is the demo's playground: the village group as a farmer sees it, an expert's and
// an admin's private chats with the bot, side by side, on a local Telegram. It exists only
// in `agriclinic demo`.
type Play struct {
	Chats      PlayChats
	GroupID    int64
	GroupTitle string
	People     []PlayPerson
	// DashboardLink returns a one-time sign-in token of the dashboard for the admin.
	DashboardLink func(ctx context.Context, adminID int64) (string, error)
	Log           *slog.Logger
	page          *template.Template
}

// pollWait is how long a state request waits for a change before answering the same.
const pollWait = 25 * time.Second

// maxPhoto bounds an uploaded photo (Telegram takes 10 MB photos).
const maxPhoto = 10 << 20

// Register adds the playground's routes under /play.
func (p *Play) Register(mux *http.ServeMux) {
	p.page = template.Must(template.New("play").Funcs(funcs).ParseFS(templateFiles, "templates/play.html"))
	handle := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, secured(playPolicy, h)) }
	handle("GET /play", p.index)
	handle("GET /play/static/{name}", p.static)
	handle("GET /play/state", p.state)
	handle("POST /play/send", p.send)
	handle("POST /play/press", p.press)
	handle("GET /play/file/{id}", p.file)
	handle("GET /play/dashboard", p.dashboard)
}

// playPolicy is the playground's Content-Security-Policy: its one script is
// static/play.js (the config beside it is a JSON data block, which never runs), photos
// come from here or from the file the visitor picked (blob:), and no one frames it.
const playPolicy = "default-src 'self'; img-src 'self' blob:; object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

type playPage struct {
	Lang   string
	Title  string
	Config template.JS
}

func (p *Play) index(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh" {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
	}
	cfg, err := json.Marshal(map[string]any{"lang": lang, "group": p.GroupTitle, "people": p.People})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// json.Marshal escapes <, > and & so the config cannot end its script element.
	if err := p.page.ExecuteTemplate(w, "play.html", playPage{Lang: lang, Title: tr(lang, "play"), Config: template.JS(cfg)}); err != nil && p.Log != nil {
		p.Log.Warn("playground page failed", "err", err)
	}
}

func (p *Play) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	data, err := playFiles.ReadFile("static/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	switch {
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(data)
}

// playMessage is a message as the page draws it.
type playMessage struct {
	ID       int                `json:"id"`
	From     string             `json:"from"`
	FromID   int64              `json:"fromId"`
	Bot      bool               `json:"bot"`
	Text     string             `json:"text"`
	Entities []playEntity       `json:"entities,omitempty"`
	Photo    string             `json:"photo,omitempty"`
	Media    string             `json:"media,omitempty"` // another kind of media, by name
	Reply    *playReply         `json:"reply,omitempty"`
	Buttons  [][]playButton     `json:"buttons,omitempty"`
	Edited   bool               `json:"edited,omitempty"`
	Time     string             `json:"time"`
	Location *tgbotapi.Location `json:"location,omitempty"`
}

type playEntity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"` // in UTF-16 code units, as JavaScript's strings count
	Length int    `json:"length"`
	URL    string `json:"url,omitempty"`
}

type playReply struct {
	ID   int    `json:"id"`
	From string `json:"from"`
	Text string `json:"text"`
}

type playButton struct {
	Text string `json:"text"`
	Data string `json:"data,omitempty"`
	URL  string `json:"url,omitempty"`
}

func senderName(u *tgbotapi.User) string {
	if u == nil {
		return ""
	}
	if u.IsBot {
		return u.FirstName
	}
	// Chinese names: family name first, no space.
	return u.LastName + u.FirstName
}

func toPlay(m tgbotapi.Message, loc *time.Location) playMessage {
	out := playMessage{ID: m.MessageID, From: senderName(m.From), Text: m.Text, Edited: m.EditDate != 0,
		Time: time.Unix(int64(m.Date), 0).In(loc).Format("15:04"), Location: m.Location}
	if m.From != nil {
		out.FromID, out.Bot = m.From.ID, m.From.IsBot
	}
	ents := m.Entities
	if out.Text == "" {
		out.Text, ents = m.Caption, m.CaptionEntities
	}
	for _, e := range ents {
		out.Entities = append(out.Entities, playEntity{Type: e.Type, Offset: e.Offset, Length: e.Length, URL: e.URL})
	}
	switch {
	case len(m.Photo) > 0:
		out.Photo = m.Photo[len(m.Photo)-1].FileID
	case m.Voice != nil:
		out.Media = "voice"
	case m.Video != nil:
		out.Media = "video"
	case m.Document != nil:
		out.Media = "document"
	case m.Audio != nil:
		out.Media = "audio"
	}
	if r := m.ReplyToMessage; r != nil {
		text := r.Text
		if text == "" {
			text = r.Caption
		}
		if text == "" && len(r.Photo) > 0 {
			text = "📷"
		}
		if rs := []rune(text); len(rs) > 80 {
			text = string(rs[:80]) + "…"
		}
		out.Reply = &playReply{ID: r.MessageID, From: senderName(r.From), Text: text}
	}
	if m.ReplyMarkup != nil {
		for _, row := range m.ReplyMarkup.InlineKeyboard {
			var bs []playButton
			for _, b := range row {
				pb := playButton{Text: b.Text}
				if b.CallbackData != nil {
					pb.Data = *b.CallbackData
				}
				if b.URL != nil {
					pb.URL = *b.URL
				}
				bs = append(bs, pb)
			}
			out.Buttons = append(out.Buttons, bs)
		}
	}
	return out
}

// china is the clinic's time zone, for the times under the messages.
var china = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// pane is one of the three chats the page shows.
type pane struct {
	Chat     int64         `json:"chat"`
	Messages []playMessage `json:"messages"`
}

// person finds someone of the playground by id and role.
func (p *Play) person(id int64, role string) (PlayPerson, bool) {
	for _, x := range p.People {
		if x.ID == id && x.Role == role {
			return x, true
		}
	}
	return PlayPerson{}, false
}

// who reads which person of which pane the visitor acts as, and the chat they act in;
// when it names nobody there, the visitor is told so and ok is false.
func (p *Play) who(w http.ResponseWriter, r *http.Request, lang string) (as, chatID int64, ok bool) {
	as, _ = strconv.ParseInt(r.FormValue("as"), 10, 64)
	if chatID, ok = p.chatOf(r.FormValue("pane"), as); !ok {
		p.fail(w, http.StatusBadRequest, tr(lang, "play:nobody"))
	}
	return as, chatID, ok
}

// chatOf resolves a pane name and the person acting in it to the chat: the group for
// a farmer, the private chat with the bot for an expert or an admin.
func (p *Play) chatOf(paneName string, as int64) (int64, bool) {
	role := map[string]string{"group": "farmer", "expert": "expert", "admin": "admin"}[paneName]
	if _, ok := p.person(as, role); !ok {
		return 0, false
	}
	if paneName == "group" {
		return p.GroupID, true
	}
	return as, true
}

// state answers the three chats as they stand; with since (the version the page has)
// it waits until they differ from it, or pollWait passes.
func (p *Play) state(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	q := r.URL.Query()
	expert, _ := strconv.ParseInt(q.Get("expert"), 10, 64)
	admin, _ := strconv.ParseInt(q.Get("admin"), 10, 64)
	if _, ok := p.person(expert, "expert"); !ok {
		p.fail(w, http.StatusBadRequest, tr(lang, "play:nobody"))
		return
	}
	if _, ok := p.person(admin, "admin"); !ok {
		p.fail(w, http.StatusBadRequest, tr(lang, "play:nobody"))
		return
	}
	since := q.Get("since")
	timer := time.NewTimer(pollWait)
	defer timer.Stop()
	for {
		changed := p.Chats.Changed()
		panes := map[string]pane{"group": p.pane(p.GroupID), "expert": p.pane(expert), "admin": p.pane(admin)}
		body, err := json.Marshal(panes)
		if err != nil {
			p.fail(w, http.StatusInternalServerError, tr(lang, "down"))
			return
		}
		sum := sha256.Sum256(body)
		version := hex.EncodeToString(sum[:8])
		if version != since {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			_, _ = io.WriteString(w, `{"version":"`+version+`","panes":`)
			_, _ = w.Write(body)
			_, _ = io.WriteString(w, "}")
			return
		}
		select {
		case <-changed:
		case <-timer.C:
			w.WriteHeader(http.StatusNoContent)
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (p *Play) pane(chatID int64) pane {
	out := pane{Chat: chatID, Messages: []playMessage{}}
	for _, m := range p.Chats.Messages(chatID) {
		out.Messages = append(out.Messages, toPlay(m, china))
	}
	return out
}

// fail answers an error the page shows as it is, in the page's language.
func (p *Play) fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// send posts what was typed (and a photo, if chosen) into a pane's chat.
func (p *Play) send(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	r.Body = http.MaxBytesReader(w, r.Body, maxPhoto+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			p.fail(w, http.StatusRequestEntityTooLarge, tr(lang, "play:toobig"))
			return
		}
		p.fail(w, http.StatusBadRequest, tr(lang, "play:bad"))
		return
	}
	as, chatID, ok := p.who(w, r, lang)
	if !ok {
		return
	}
	replyTo, _ := strconv.Atoi(r.FormValue("reply_to"))
	text := strings.TrimSpace(r.FormValue("text"))
	var photo []byte
	if f, _, err := r.FormFile("photo"); err == nil {
		defer f.Close()
		if photo, err = io.ReadAll(f); err != nil {
			p.fail(w, http.StatusBadRequest, tr(lang, "play:bad"))
			return
		}
		if ct := http.DetectContentType(photo); ct != "image/jpeg" && ct != "image/png" {
			p.fail(w, http.StatusBadRequest, tr(lang, "play:notphoto"))
			return
		}
	}
	if text == "" && photo == nil {
		p.fail(w, http.StatusBadRequest, tr(lang, "play:empty"))
		return
	}
	if n := len([]rune(text)); n > 4096 {
		p.fail(w, http.StatusBadRequest, tr(lang, "play:long"))
		return
	}
	if err := p.Chats.Post(chatID, as, text, photo, replyTo); err != nil {
		if p.Log != nil {
			p.Log.Info("playground post refused", "err", err)
		}
		p.fail(w, http.StatusBadRequest, tr(lang, "play:refused"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// press presses a button of a message in a pane's chat and answers what the bot said.
func (p *Play) press(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		p.fail(w, http.StatusBadRequest, tr(lang, "play:bad"))
		return
	}
	as, chatID, ok := p.who(w, r, lang)
	if !ok {
		return
	}
	msg, err := strconv.Atoi(r.FormValue("message"))
	if err != nil {
		p.fail(w, http.StatusBadRequest, tr(lang, "play:bad"))
		return
	}
	toast, err := p.Chats.Press(r.Context(), chatID, as, msg, r.FormValue("data"))
	if err != nil {
		p.fail(w, http.StatusBadRequest, tr(lang, "play:stale"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"toast": toast})
}

// file serves a photo of the chats by its file id, as the dashboard serves a farmer's
// file (serveFile): only images inline.
func (p *Play) file(w http.ResponseWriter, r *http.Request) {
	data, ok := p.Chats.File(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	serveFile(w, data, "file")
}

// dashboard signs the demo admin in to the dashboard, as the link /dashboard sends would.
func (p *Play) dashboard(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	var admin int64
	for _, x := range p.People {
		if x.Role == "admin" {
			admin = x.ID
			break
		}
	}
	token, err := p.DashboardLink(r.Context(), admin)
	if err != nil {
		if p.Log != nil {
			p.Log.Warn("playground: no dashboard link", "err", err)
		}
		http.Error(w, tr(lang, "down"), http.StatusServiceUnavailable)
		return
	}
	http.Redirect(w, r, "/login?token="+token, http.StatusSeeOther)
}
