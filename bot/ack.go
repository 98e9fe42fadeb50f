package bot

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// AskMessages acknowledges a question in its group and pushes it, with its photos, to
// the on-duty experts of its category. A question in a quiet group gets an
// acknowledgement of its own, a reply to the farmer's message that says how many
// questions are ahead of it and how many experts are on duty (or when the next clinic
// session opens). A question of a burst (consult/burst.go) joins the group's shared
// acknowledgement instead, which the sender renders when it sends it (groupAckTexts).
// Every question also gets a 👀 reaction where the group allows reactions: it costs no
// message.
func AskMessages(res consult.AskResult) []store.Message {
	gl := langFromCode(res.GroupLanguage)
	v := consult.QuestionView{Question: res.Question, County: res.County, Category: res.Category}
	msgs := []store.Message{reaction(res.Question, reactionReceived)}
	if res.Shared == nil {
		experts := len(res.Experts) + len(res.Bundled)
		text, markup := ackText(gl, v, experts)+placeText(gl, res, experts), any(nil)
		if len(res.Similar) > 0 {
			text += similarLines(gl, res.Similar)
			markup = similarKeyboard(gl, res.Question.ID, res.Similar)
		}
		msgs = append(msgs, remembered(toQuestion(res.Question, text, markup), store.MessageAck, res.Question.ID, 0, gl)...)
	}
	for _, e := range res.Experts {
		msgs = append(msgs, questionNotice(e, v, res.Media, nil, "")...)
	}
	return msgs
}

// placeText is a question's place in the queue: how many are ahead and how many experts
// of its category are on duty; with nobody on duty (ackText says so), when the next
// clinic session opens, if one is planned.
func placeText(l lang, res consult.AskResult, experts int) string {
	if experts > 0 {
		return l.F("ack.ahead_on_duty", res.Ahead, experts)
	}
	s := l.F("ack.ahead", res.Ahead)
	if !res.NextOpen.IsZero() {
		s += l.F("ack.next_clinic", localTime(res.NextOpen, res.County))
	}
	return s
}

// sharedAck renders a group's shared acknowledgement: every question it lists with the
// farmer's name and its place when it arrived, then for each category the experts on
// duty as the latest of its questions found them. Its length is bounded by
// store.BurstRule.Max lines; truncate keeps an edit to one message in any case.
func sharedAck(l lang, county *consult.County, a *store.GroupAck) store.Message {
	text := l.F("ack.burst_head", len(a.Items))
	type duty struct {
		label    string
		onDuty   int
		nextOpen string
	}
	var order []string
	latest := map[string]duty{}
	for _, it := range a.Items {
		label := esc(it.CategoryID)
		if c, ok := county.Category(it.CategoryID); ok {
			label = categoryLabel(l, c)
		}
		text += l.F("ack.burst_line", it.QuestionID, listName(it.FarmerName), label, it.Ahead)
		if _, ok := latest[it.CategoryID]; !ok {
			order = append(order, it.CategoryID)
		}
		d := duty{label: label, onDuty: it.OnDuty}
		if !it.NextOpen.IsZero() {
			d.nextOpen = localTime(it.NextOpen, county)
		}
		latest[it.CategoryID] = d
	}
	for _, id := range order {
		d := latest[id]
		switch {
		case d.onDuty > 0:
			text += l.F("ack.burst_on_duty", d.label, d.onDuty)
		case d.nextOpen != "":
			text += l.F("ack.burst_next_clinic", d.label, d.nextOpen)
		default:
			text += l.F("ack.burst_nobody", d.label)
		}
	}
	return store.Message{ChatID: a.ChatID, ThreadID: a.ThreadID, Method: store.MethodSend, Text: truncate(text),
		Remember: store.BotMessage{Kind: store.MessageGroupAck, RefID: a.ID, Language: l.Code()}}
}

// groupAckTexts puts together the text of each shared acknowledgement among msgs, just
// taken from the outbox: the list as it stands now (store.GroupAcksToSend), in the
// language its version was written for. The asking transactions write no text (a batch
// of a burst joins dozens of lists, and rewriting each whole was most of its time), and
// one that adds to a list while its version waits holds that version back until it
// commits, so what is read here has every question that version is to show. A list
// written by an earlier release keeps the text it was written with.
func (s *Sender) groupAckTexts(ctx context.Context, msgs []store.Message) error {
	var ids []int64
	for _, m := range msgs {
		if m.Remember.Kind == store.MessageGroupAck && m.Text == "" {
			ids = append(ids, m.Remember.RefID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	acks, err := s.db.GroupAcksToSend(ctx, ids)
	if err != nil {
		return err
	}
	for i, m := range msgs {
		a := acks[m.Remember.RefID]
		if m.Remember.Kind != store.MessageGroupAck || m.Text != "" || a == nil {
			continue
		}
		county := &consult.County{Timezone: a.Timezone}
		if loc, err := time.LoadLocation(a.Timezone); err == nil {
			county.Location = loc
		}
		for _, c := range a.Categories {
			county.Categories = append(county.Categories, consult.Category{ID: c.ID, Name: c.Name, NameEn: c.NameEn})
		}
		msgs[i].Text = sharedAck(langFromCode(m.Remember.Language), county, &a.GroupAck).Text
	}
	return nil
}

// listName is a farmer's name as one line of a list the whole group reads: at most 20
// characters, escaped, without the bidirectional controls (U+202A–U+202E, U+2066–U+2069,
// U+200E, U+200F, U+061C) that would let one name reverse the rest of its line, the
// number and place of that farmer's question included.
func listName(name string) string {
	return esc(snippet(strings.Map(func(r rune) rune {
		switch {
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069', r == '\u200e', r == '\u200f', r == '\u061c':
			return -1
		}
		return r
	}, name), 20))
}

// The reactions the bot sets on a farmer's question: received, and answered. Both are
// among the emoji Telegram allows as reactions.
const (
	reactionReceived = "👀"
	reactionAnswered = "👍"
)

// reactionMethod is the Bot API method of a reaction. The sender gives it no slot of the
// chat's message allowance (sender_reaction.go), and a group that does not allow the
// emoji answers REACTION_INVALID, which the sender takes as done.
const reactionMethod = "setMessageReaction"

// reaction sets the bot's reaction on a question's message (replacing the one before).
func reaction(q store.Question, emoji string) store.Message {
	data, _ := json.Marshal([]map[string]string{{"type": "emoji", "emoji": emoji}})
	return store.Message{ChatID: q.ChatID, Method: store.MethodCall, API: reactionMethod,
		Params: map[string]string{"message_id": strconv.FormatInt(q.MessageID, 10), "reaction": string(data)}}
}
