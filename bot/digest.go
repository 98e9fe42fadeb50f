package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// MorningDigestMessages sends a county's morning digest to each of its admins, in their language.
func MorningDigestMessages(d consult.Digest) []store.Message {
	var msgs []store.Message
	for _, a := range d.Admins {
		msgs = append(msgs, sendTo(a.UserID, digestText(langFromCode(a.Language), d), nil)...)
	}
	return msgs
}

// dayName is a day with its weekday, in the language's order: "2026-07-03 周五" or
// "Fri 2026-07-03"; layout is the date's (time.Format).
func dayName(l lang, d time.Time, layout string) string {
	return l.F("date.day", d.Format(layout), l.T(fmt.Sprintf("date.weekday.%d", d.Weekday())))
}

func digestText(l lang, d consult.Digest) string {
	var s strings.Builder
	fmt.Fprintf(&s, l.T("digest.clinic_report"), esc(d.County.Name),
		dayName(l, d.Day, "2006-01-02"))
	row := func(r consult.DigestRow) string {
		return l.F("digest.new_answered_waiting_overdue", r.Asked, r.Answered, r.Waiting, r.Overdue)
	}
	if len(d.Rows) == 0 {
		s.WriteString(l.T("digest.no_questions_yesterday_none"))
	}
	for _, r := range d.Rows {
		fmt.Fprintf(&s, l.T("digest.category_line"), categoryLabel(l, r.Category), row(r))
	}
	fmt.Fprintf(&s, l.T("digest.total"), row(d.Total))
	fmt.Fprintf(&s, l.T("digest.new_answered_are_yesterday"),
		waitedText(l, d.Overdue))
	if d.Oldest.Question.ID == 0 {
		s.WriteString(l.T("digest.nothing_waiting_answer_now"))
		return s.String()
	}
	q := d.Oldest.Question
	holder := l.T("digest.unclaimed")
	if d.OldestHolder.UserID != 0 {
		holder = l.F("digest.claimed_by", esc(expertName(d.OldestHolder)))
	}
	fmt.Fprintf(&s, l.T("digest.oldest_waiting_waiting"),
		q.ID, esc(q.Township), categoryLabel(l, d.Oldest.Category), waitedText(l, d.OldestWaited), holder, esc(snippet(q.Text, 80)))
	return s.String()
}
