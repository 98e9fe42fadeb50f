package web

import (
	"context"
	"crypto/subtle"
	"embed"
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
	"github.com/agriclinic/agriclinic/i18n"
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
	// Retry hands an update set aside back to the bot; nil: no Retry buttons work.
	Retry Retrier
	// Standing tells the groups page how farmers can ask in each group; nil: unknown.
	Standing Standing
	pages    map[string]*template.Template
}

// Register adds the dashboard's pages to a mux.
func (d *Dashboard) Register(mux *http.ServeMux) {
	d.pages = map[string]*template.Template{}
	for _, name := range []string{"archive", "question", "message", "stats", "experts", "groups", "categories", "visits"} {
		d.pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html"))
	}
	handle := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, secured(pagePolicy, h)) }
	handle("GET /login", d.login)
	handle("POST /logout", d.signedIn(d.logout))
	handle("GET /archive", d.signedIn(d.archive))
	handle("GET /questions/{id}", d.signedIn(d.question))
	handle("GET /export.csv", d.signedIn(d.exportCSV))
	handle("GET /export.xlsx", d.signedIn(d.exportXLSX))
	handle("GET /stats.csv", d.signedIn(d.exportStatsCSV))
	handle("GET /stats", d.signedIn(d.stats))
	handle("GET /media/{id}/{n}", d.signedIn(d.media))
	handle("GET /experts", d.signedIn(d.experts))
	handle("POST /experts/{id}", d.signedIn(d.editExpert))
	handle("POST /experts/{id}/remove", d.signedIn(d.removeExpert))
	handle("POST /requests/{id}", d.signedIn(d.decideRequest))
	handle("GET /groups", d.signedIn(d.groups))
	handle("POST /dead/{id}/retry", d.signedIn(d.retryDead))
	handle("GET /categories", d.signedIn(d.categories))
	handle("POST /categories/{id}/keywords", d.signedIn(d.addKeyword))
	handle("GET /visits", d.signedIn(d.visits))
	handle("POST /visits/{id}/approve", d.signedIn(d.approveVisit))
}

// pagePolicy is the dashboard's Content-Security-Policy: its pages run no script at all
// (a farmer's words that slipped past escaping would still not run), load images and
// styles from here only, post forms here only and are framed by no one.
const pagePolicy = "default-src 'none'; img-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secured sets the headers every response of ours carries, before h writes any: the
// Content-Security-Policy, no MIME sniffing, no framing (also for browsers that predate
// frame-ancestors) and no sign-in token in a Referer. A handler serving a farmer's file
// replaces the policy with a stricter one (serveFile).
func secured(policy string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", policy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// maxFormBytes bounds a request body to the dashboard: its forms are a few fields.
const maxFormBytes = 64 << 10

// page is what every template gets.
type page struct {
	Lang    string
	Title   string
	Session *consult.Session
	Message string
}

// langOf is the page's language: ?lang= when it names a language of the catalog, else
// the one chosen before (a cookie), else the default.
func langOf(r *http.Request) string {
	if l, ok := chosenLang(r); ok {
		return l
	}
	if c, err := r.Cookie("lang"); err == nil {
		if l, ok := i18n.Find(c.Value); ok && l.Code() == c.Value {
			return l.Code()
		}
	}
	return i18n.Default.Code()
}

// chosenLang is the language a ?lang= link asks for.
func chosenLang(r *http.Request) (string, bool) {
	q := r.URL.Query().Get("lang")
	if l, ok := i18n.Find(q); ok && l.Code() == q {
		return q, true
	}
	return "", false
}

func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	if l, ok := chosenLang(r); ok {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
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
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
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
	if !d.postedBy(w, r, s, "signout") {
		return
	}
	if err := d.Svc.SignOut(r.Context(), s.Token); err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(langOf(r), "signout"), tr(langOf(r), "down"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: d.Secure, SameSite: http.SameSiteLaxMode})
	d.message(w, r, http.StatusOK, nil, tr(langOf(r), "signout"), tr(langOf(r), "signedout"))
}

// postedBy reads a posted form (at most maxFormBytes, as signedIn limits the body) and
// checks that it carries the session's CSRF token; if not, the visitor is told why (the
// page titled title) and it is false. The token is compared in constant time, so how long
// a wrong guess takes to refuse says nothing about how much of it was right.
func (d *Dashboard) postedBy(w http.ResponseWriter, r *http.Request, s *consult.Session, title string) bool {
	lang := langOf(r)
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			d.message(w, r, http.StatusRequestEntityTooLarge, s, tr(lang, title), tr(lang, "toobig"))
		} else {
			d.message(w, r, http.StatusBadRequest, s, tr(lang, title), tr(lang, "csrf"))
		}
		return false
	}
	if len(s.CSRF) == 0 || subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(s.CSRF)) != 1 {
		d.message(w, r, http.StatusForbidden, s, tr(lang, title), tr(lang, "csrf"))
		return false
	}
	return true
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

// revisionRow is one text of a corrected answer on the question page; Current is the
// one the answer now reads (the last).
type revisionRow struct {
	store.AnswerRevision
	Current bool
}

type questionPage struct {
	page
	View      consult.QuestionView
	Media     []store.Media
	Followups []store.Followup
	Answers   []store.Answer
	// Revisions are each answer's texts in order, by answer id (none until corrected).
	Revisions map[int64][]revisionRow
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
	revisions, err := d.DB.Revisions(ctx, id)
	if err != nil {
		return err
	}
	p.Revisions = map[int64][]revisionRow{}
	for i, r := range revisions {
		current := i == len(revisions)-1 || revisions[i+1].AnswerID != r.AnswerID
		p.Revisions[r.AnswerID] = append(p.Revisions[r.AnswerID], revisionRow{r, current})
	}
	if p.Events, err = d.DB.Events(ctx, id); err != nil {
		return err
	}
	p.Visits, err = d.DB.QuestionVisits(ctx, id)
	return err
}

// exportCSV writes the filtered archive as CSV (newCSV: for Excel, every cell text).
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
	out := newCSV(w)
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
	_ = out.Flush()
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"t":     tr,
	"langs": i18n.Langs,
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
