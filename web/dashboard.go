package web

import (
	"context"
	"embed"
	"encoding/csv"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

//go:embed templates/*.html
var templateFiles embed.FS

// sessionCookie names the dashboard's session cookie.
const sessionCookie = "agriclinic_session"

// Dashboard is the county bureau's web view of its archive. Every page is for one
// signed-in person of one county, and every query is scoped to that county here on the
// server: an id of another county's question in the URL finds nothing.
type Dashboard struct {
	Svc *consult.Service
	DB  *store.DB
	// Secure marks the cookie Secure (PUBLIC_URL is https).
	Secure bool
	Log    *slog.Logger
	// SLA is the time to answer the statistics count against (SLA_ESCALATE).
	SLA time.Duration
	Now func() time.Time
	// Files fetches photos from Telegram; CacheDir keeps copies ("": none).
	Files    Files
	CacheDir string
	pages    map[string]*template.Template
}

// Register adds the dashboard's pages to a mux.
func (d *Dashboard) Register(mux *http.ServeMux) {
	d.pages = map[string]*template.Template{}
	for _, name := range []string{"archive", "question", "message", "stats", "experts", "groups", "categories", "visits"} {
		d.pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html"))
	}
	mux.HandleFunc("GET /login", d.login)
	mux.HandleFunc("POST /logout", d.signedIn(d.logout))
	mux.HandleFunc("GET /archive", d.signedIn(d.archive))
	mux.HandleFunc("GET /questions/{id}", d.signedIn(d.question))
	mux.HandleFunc("GET /export.csv", d.signedIn(d.exportCSV))
	mux.HandleFunc("GET /export.xlsx", d.signedIn(d.exportXLSX))
	mux.HandleFunc("GET /stats.csv", d.signedIn(d.exportStatsCSV))
	mux.HandleFunc("GET /stats", d.signedIn(d.stats))
	mux.HandleFunc("GET /media/{id}/{n}", d.signedIn(d.media))
	mux.HandleFunc("GET /experts", d.signedIn(d.experts))
	mux.HandleFunc("POST /experts/{id}", d.signedIn(d.editExpert))
	mux.HandleFunc("POST /experts/{id}/remove", d.signedIn(d.removeExpert))
	mux.HandleFunc("POST /requests/{id}", d.signedIn(d.decideRequest))
	mux.HandleFunc("GET /groups", d.signedIn(d.groups))
	mux.HandleFunc("GET /categories", d.signedIn(d.categories))
	mux.HandleFunc("POST /categories/{id}/keywords", d.signedIn(d.addKeyword))
	mux.HandleFunc("GET /visits", d.signedIn(d.visits))
	mux.HandleFunc("POST /visits/{id}/approve", d.signedIn(d.approveVisit))
}

// page is what every template gets.
type page struct {
	Lang    string
	Title   string
	Session *consult.Session
	Message string
}

func langOf(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh" {
		return l
	}
	if c, err := r.Cookie("lang"); err == nil && c.Value == "en" {
		return "en"
	}
	return "zh"
}

func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh" {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'")
	w.WriteHeader(status)
	if err := d.pages[name].ExecuteTemplate(w, name+".html", data); err != nil && d.Log != nil {
		d.Log.Warn("dashboard page failed", "page", name, "err", err)
	}
}

func (d *Dashboard) message(w http.ResponseWriter, r *http.Request, status int, s *consult.Session, title, msg string) {
	d.render(w, r, status, "message", page{Lang: langOf(r), Title: title, Session: s, Message: msg})
}

// login spends a one-time link from /dashboard and sets the session cookie.
func (d *Dashboard) login(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	sess, err := d.Svc.SignIn(r.Context(), r.URL.Query().Get("token"))
	if errors.Is(err, consult.ErrSignIn) {
		d.message(w, r, http.StatusForbidden, nil, tr(lang, "signin"), tr(lang, "badlink"))
		return
	}
	if err != nil {
		d.message(w, r, http.StatusServiceUnavailable, nil, tr(lang, "signin"), tr(lang, "down"))
		return
	}
	// The cookie lasts as long as the session, counted from now (Max-Age) rather than as a
	// date (Expires): a phone whose clock is hours off would otherwise drop it at once or
	// keep it too long. The server checks the session's age itself either way.
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess.Token, Path: "/",
		MaxAge:   max(1, int(sess.ExpiresAt.Sub(d.now()).Seconds())),
		HttpOnly: true, Secure: d.Secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/archive", http.StatusSeeOther)
}

// signedIn runs h for a live session; anyone else is told how to sign in.
func (d *Dashboard) signedIn(h func(http.ResponseWriter, *http.Request, *consult.Session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang := langOf(r)
		c, err := r.Cookie(sessionCookie)
		if err != nil {
			d.message(w, r, http.StatusUnauthorized, nil, tr(lang, "signin"), tr(lang, "howto"))
			return
		}
		sess, err := d.Svc.SessionFor(r.Context(), c.Value)
		if errors.Is(err, consult.ErrSignIn) {
			d.message(w, r, http.StatusUnauthorized, nil, tr(lang, "signin"), tr(lang, "howto"))
			return
		}
		if err != nil {
			d.message(w, r, http.StatusServiceUnavailable, nil, tr(lang, "signin"), tr(lang, "down"))
			return
		}
		sess.Token = c.Value
		h(w, r, &sess)
	}
}

// logout ends the session; its form carries the session's CSRF token.
func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	if r.PostFormValue("csrf") != s.CSRF {
		d.message(w, r, http.StatusForbidden, s, tr(langOf(r), "signout"), tr(langOf(r), "csrf"))
		return
	}
	if err := d.Svc.SignOut(r.Context(), s.Token); err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(langOf(r), "signout"), tr(langOf(r), "down"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: d.Secure, SameSite: http.SameSiteLaxMode})
	d.message(w, r, http.StatusOK, nil, tr(langOf(r), "signout"), tr(langOf(r), "signedout"))
}

// archiveFilter reads the archive's filters from a query string.
func archiveFilter(q url.Values, county *consult.County) (consult.SearchInput, int) {
	in := consult.SearchInput{Text: q.Get("q"), Township: q.Get("township"), Category: q.Get("category"),
		Status: q.Get("status"), Crop: q.Get("crop"), Feedback: q.Get("feedback")}
	if id, err := strconv.ParseInt(q.Get("expert"), 10, 64); err == nil {
		in.ExpertID = id
	}
	loc := time.UTC
	if county.Location != nil {
		loc = county.Location
	}
	if t, err := time.ParseInLocation("2006-01-02", q.Get("from"), loc); err == nil {
		in.From = t
	}
	if t, err := time.ParseInLocation("2006-01-02", q.Get("to"), loc); err == nil {
		in.To = t.AddDate(0, 0, 1) // the whole last day
	}
	pg, err := strconv.Atoi(q.Get("page"))
	if err != nil || pg < 1 {
		pg = 1
	}
	return in, pg
}

const pageSize = 25

type archivePage struct {
	page
	Filter     consult.SearchInput
	From, To   string
	Townships  []string
	Categories []consult.Category
	Statuses   []string
	Feedbacks  []string
	Experts    []store.ExpertLoadRow
	Names      map[int64]string
	Hits       []consult.QuestionView
	More       bool
	Page       int
	Prev, Next int
	Query      template.URL
}

func (d *Dashboard) archive(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	lang := langOf(r)
	q := r.URL.Query()
	in, pg := archiveFilter(q, s.County)
	in.Limit, in.Offset = pageSize, (pg-1)*pageSize
	res, err := d.Svc.Search(r.Context(), []string{s.County.ID}, in)
	if err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "archive"), tr(lang, "down"))
		return
	}
	experts, err := d.DB.CountyExpertLoad(r.Context(), s.County.ID, d.now())
	if err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "archive"), tr(lang, "down"))
		return
	}
	names := map[int64]string{}
	for _, e := range experts {
		names[e.UserID] = e.Name
	}
	q.Del("page")
	q.Del("lang")
	d.render(w, r, http.StatusOK, "archive", archivePage{
		Feedbacks: []string{store.FeedbackSolved, store.FeedbackUnsolved, store.FeedbackArchive, store.FeedbackNone},
		Experts:   experts, Names: names,
		page:   page{Lang: lang, Title: tr(lang, "archive"), Session: s},
		Filter: in, From: q.Get("from"), To: q.Get("to"),
		Townships: s.County.Townships, Categories: s.County.Categories,
		Statuses: []string{store.StatusOpen, store.StatusClaimed, store.StatusAnswered, store.StatusClosed},
		Hits:     res.Hits, More: res.More, Page: pg, Prev: pg - 1, Next: pg + 1, Query: template.URL(q.Encode()),
	})
}

type questionPage struct {
	page
	View      consult.QuestionView
	Media     []store.Media
	Followups []store.Followup
	Answers   []store.Answer
	Events    []store.Event
	Visits    []store.Visit
}

func (d *Dashboard) question(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	lang := langOf(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	v, qerr := d.Svc.Question(r.Context(), id)
	if err != nil || errors.Is(qerr, consult.ErrNoSuchQuestion) || (qerr == nil && v.County.ID != s.County.ID) {
		// Another county's question is as absent as one that does not exist.
		d.message(w, r, http.StatusNotFound, s, tr(lang, "question"), tr(lang, "nosuch"))
		return
	}
	if qerr != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "question"), tr(lang, "down"))
		return
	}
	p := questionPage{page: page{Lang: lang, Title: "#" + strconv.FormatInt(id, 10), Session: s}, View: v}
	ctx := r.Context()
	if err := d.load(ctx, id, &p); err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "question"), tr(lang, "down"))
		return
	}
	d.render(w, r, http.StatusOK, "question", p)
}

func (d *Dashboard) load(ctx context.Context, id int64, p *questionPage) error {
	var err error
	if p.Media, err = d.DB.QuestionMedia(ctx, id); err != nil {
		return err
	}
	if p.Followups, err = d.DB.Followups(ctx, id); err != nil {
		return err
	}
	if p.Answers, err = d.DB.Answers(ctx, id); err != nil {
		return err
	}
	if p.Events, err = d.DB.Events(ctx, id); err != nil {
		return err
	}
	p.Visits, err = d.DB.QuestionVisits(ctx, id)
	return err
}

// exportCSV writes the filtered archive as CSV, UTF-8 with a byte-order mark so that
// Excel reads the Chinese right.
func (d *Dashboard) exportCSV(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	lang := langOf(r)
	in, _ := archiveFilter(r.URL.Query(), s.County)
	in.Newest = true
	names, err := d.expertNames(r.Context(), s.County.ID)
	if err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "archive"), tr(lang, "down"))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="archive.csv"`)
	_, _ = w.Write([]byte("\ufeff"))
	out := csv.NewWriter(w)
	_ = out.Write(strings.Split(tr(lang, "csvhead"), ","))
	for offset := 0; ; offset += 200 {
		in.Limit, in.Offset = 200, offset
		res, err := d.Svc.Search(r.Context(), []string{s.County.ID}, in)
		if err != nil {
			return // the download ends short; the status is already sent
		}
		for _, v := range res.Hits {
			q := v.Question
			_ = out.Write([]string{strconv.FormatInt(q.ID, 10), when(s.County, q.AskedAt), q.Township, v.Category.Label(lang),
				q.Crop, q.FarmerName, q.Text, tr(lang, q.Status), feedbackText(lang, q.Feedback), names[q.ExpertID], when(s.County, q.AnsweredAt)})
		}
		if !res.More {
			break
		}
	}
	out.Flush()
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"t":     tr,
	"label": func(lang string, c *consult.Category) string { return c.Label(lang) },
	"when":  when,
	"day":   func(t time.Time) string { return t.Format("2006-01-02") },
	"mins":  minutes,
	"percent": func(part, whole int) string {
		if whole == 0 {
			return "–"
		}
		return strconv.Itoa(part*100/whole) + "%"
	},
	"has": func(list []string, s string) bool { return slices.Contains(list, s) },
	"catname": func(c *consult.County, lang, id string) string {
		if cat, ok := c.Category(id); ok {
			return cat.Label(lang)
		}
		return id
	},
	"firstline": func(s string) string {
		line, _, _ := strings.Cut(s, "\n")
		if r := []rune(line); len(r) > 60 {
			return string(r[:60]) + "…"
		}
		return line
	},
}

func when(c *consult.County, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if c != nil && c.Location != nil {
		t = t.In(c.Location)
	}
	return t.Format("2006-01-02 15:04")
}

func feedbackText(lang, fb string) string {
	if fb == "" {
		return ""
	}
	return tr(lang, "fb:"+fb)
}

// expertNames maps a county's experts' ids to their names.
func (d *Dashboard) expertNames(ctx context.Context, county string) (map[int64]string, error) {
	experts, err := d.DB.CountyExpertLoad(ctx, county, d.now())
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, e := range experts {
		names[e.UserID] = e.Name
	}
	return names, nil
}
