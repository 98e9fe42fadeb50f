// Package web serves AgriClinic over HTTP beside the bot: for now the visit calendars
// that put door-to-door visits into phone calendars.
package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/agriclinic/agriclinic/i18n"
	"github.com/agriclinic/agriclinic/store"
)

// Calendars serves iCalendar feeds of approved visits: one per county and one per
// expert. A feed's link carries a token made from a secret, so a link can be handed to a
// phone's calendar app (which cannot sign in) without opening the feed to anyone else.
type Calendars struct {
	DB     *store.DB
	Secret []byte
	// Names gives a county's display name (the calendar's title).
	Names func(countyID string) string
	Now   func() time.Time
}

// calendarLang is the calendars' language: a phone's calendar app fetches them without
// signing in, so they are in the bureau's.
const calendarLang = i18n.Default

// visitLength is how long a visit is shown in the calendar.
const visitLength = 2 * time.Hour

// Token is the secret part of a feed's link.
func (c *Calendars) Token(kind, id string) string {
	m := hmac.New(sha256.New, c.Secret)
	m.Write([]byte("calendar:" + kind + ":" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:22]
}

// Link is a feed's address under base (PUBLIC_URL): kind is "county" or "expert".
func (c *Calendars) Link(base, kind, id string) string {
	return strings.TrimRight(base, "/") + "/calendar/" + kind + "/" + url.PathEscape(id) + ".ics?token=" + c.Token(kind, id)
}

// Register adds the feeds to a mux.
func (c *Calendars) Register(mux *http.ServeMux) {
	mux.Handle("GET /calendar/{kind}/{file}", c)
}

func (c *Calendars) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind, file := r.PathValue("kind"), r.PathValue("file")
	id, ok := strings.CutSuffix(file, ".ics")
	if !ok || (kind != "county" && kind != "expert") {
		http.NotFound(w, r)
		return
	}
	if !hmac.Equal([]byte(r.URL.Query().Get("token")), []byte(c.Token(kind, id))) {
		// The same answer as for a feed that does not exist: a guess learns nothing.
		http.NotFound(w, r)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	var visits []store.CalendarVisit
	var err error
	name := ""
	since := c.now().AddDate(0, 0, -60)
	switch kind {
	case "county":
		visits, err = c.DB.CountyCalendar(ctx, id, since)
		if c.Names != nil {
			name = c.Names(id)
		}
		name = calendarLang.F("web.cal.county", name)
	case "expert":
		expert, perr := strconv.ParseInt(id, 10, 64)
		if perr != nil {
			http.NotFound(w, r)
			return
		}
		visits, err = c.DB.ExpertCalendar(ctx, expert, since)
		name = calendarLang.T("web.cal.mine")
	}
	if err != nil {
		http.Error(w, "the archive cannot be reached; try again", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, _ = w.Write([]byte(ICS(name, visits, c.now())))
}

func (c *Calendars) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// ICS writes visits as an iCalendar (RFC 5545) calendar.
func ICS(name string, visits []store.CalendarVisit, now time.Time) string {
	var b strings.Builder
	line := func(s string) { b.WriteString(fold(s)) }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//AgriClinic//Visits//ZH")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	line("X-WR-CALNAME:" + escapeText(name))
	stamp := now.UTC().Format("20060102T150405Z")
	for _, v := range visits {
		line("BEGIN:VEVENT")
		line(fmt.Sprintf("UID:visit-%d@agriclinic", v.ID))
		line("DTSTAMP:" + stamp)
		line("DTSTART:" + v.ScheduledAt.UTC().Format("20060102T150405Z"))
		line("DTEND:" + v.ScheduledAt.Add(visitLength).UTC().Format("20060102T150405Z"))
		line("SUMMARY:" + escapeText(calendarLang.F("web.cal.summary", v.ID, v.Township, v.Topic)))
		if v.Place != "" {
			line("LOCATION:" + escapeText(v.Township+" "+v.Place))
		} else {
			line("LOCATION:" + escapeText(v.Township))
		}
		desc := v.Problem
		if v.Experts != "" {
			desc += "\n" + calendarLang.F("web.cal.experts", v.Experts)
		}
		line("DESCRIPTION:" + escapeText(strings.TrimSpace(desc)))
		status := "CONFIRMED"
		if v.Status == "cancelled" {
			status = "CANCELLED"
		}
		line("STATUS:" + status)
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	return b.String()
}

// escapeText escapes a TEXT value: backslash, semicolon, comma and line breaks.
func escapeText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)
	return r.Replace(s)
}

// fold ends a content line with CRLF, folding it at 75 octets without splitting a
// UTF-8 character (continuation lines start with a space).
func fold(s string) string {
	var b strings.Builder
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
	return b.String()
}
