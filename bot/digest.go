package bot

import (
	"fmt"
	"strings"

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

var weekdaysZh = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

func digestText(l lang, d consult.Digest) string {
	var s strings.Builder
	fmt.Fprintf(&s, l.pick("☀️ <b>%s 农技坐诊日报 · %s</b>\n\n", "☀️ <b>%s clinic report · %s</b>\n\n"), esc(d.County.Name),
		l.pick(d.Day.Format("2006-01-02 ")+weekdaysZh[d.Day.Weekday()], d.Day.Format("Mon 2006-01-02")))
	row := func(r consult.DigestRow) string {
		return fmt.Sprintf(l.pick("新增 %d · 已答 %d · 未答 %d · 超时 %d", "new %d · answered %d · waiting %d · overdue %d"),
			r.Asked, r.Answered, r.Waiting, r.Overdue)
	}
	if len(d.Rows) == 0 {
		s.WriteString(l.pick("昨天没有新问题，也没有待解答的问题。\n", "No questions yesterday, and none waiting.\n"))
	}
	for _, r := range d.Rows {
		fmt.Fprintf(&s, l.pick("%s：%s\n", "%s: %s\n"), categoryLabel(l, r.Category), row(r))
	}
	fmt.Fprintf(&s, l.pick("<b>合计：%s</b>\n\n", "<b>Total: %s</b>\n\n"), row(d.Total))
	fmt.Fprintf(&s, l.pick("“新增”“已答”为昨天的数字；“未答”为目前仍待解答的问题（待认领或已认领未答），“超时”为其中提问已超过 %s 的。\n",
		"New and answered are yesterday's; waiting is what still needs an answer now (open or claimed), overdue those of them asked more than %s ago.\n"),
		waitedText(l, d.Overdue))
	if d.Oldest.Question.ID == 0 {
		s.WriteString(l.pick("目前没有待解答的问题。👍", "Nothing is waiting for an answer now. 👍"))
		return s.String()
	}
	q := d.Oldest.Question
	holder := l.pick("无人认领", "unclaimed")
	if d.OldestHolder.UserID != 0 {
		holder = fmt.Sprintf(l.pick("%s 已认领", "claimed by %s"), esc(expertName(d.OldestHolder)))
	}
	fmt.Fprintf(&s, l.pick("最久未答：<b>#%d</b> · %s · %s · 已等待 %s · %s\n%s", "Oldest waiting: <b>#%d</b> · %s · %s · waiting %s · %s\n%s"),
		q.ID, esc(q.Township), categoryLabel(l, d.Oldest.Category), waitedText(l, d.OldestWaited), holder, esc(snippet(q.Text, 80)))
	return s.String()
}
