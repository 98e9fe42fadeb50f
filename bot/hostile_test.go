package bot_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot"
	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// hostileRig is a clinic that receives its updates one way, long polling or its webhook,
// with the people and messages the bad input is aimed at.
type hostileRig struct {
	*clinic
	webhook bool
	hookURL string // the webhook's address, for what only a proxy could post
	english tgbotapi.User
	// question (#1) was asked by the clinic's farmer; ack is its acknowledgement in the
	// group, notice its card in the rice expert's private chat.
	question, ack, notice tgbotapi.Message
	// englishHelp is a bot message in the English farmer's private chat, to press on.
	englishHelp tgbotapi.Message
	// nulGroup is a group whose title holds a NUL, made by a row and used by the next.
	nulGroup tgbotapi.Chat
	// marked is the last row's marks.
	marked map[int64]int
}

const hostileSecret = "hostile-secret_1"

// newHostileRig starts a clinic on one transport: the group bound, an approved rice
// expert, question #1 asked and acknowledged, an English-speaking farmer.
func newHostileRig(t *testing.T, webhook bool) *hostileRig {
	t.Helper()
	r := &hostileRig{webhook: webhook}
	if webhook {
		r.clinic = newClinicWithoutPolling(t)
		srv := httptest.NewServer(bot.NewWebhook(hostileSecret, r.guard.Handle, quietLog()))
		t.Cleanup(srv.Close)
		r.hookURL = srv.URL + "/telegram"
		if err := r.client.SetWebhook(context.Background(), r.hookURL, hostileSecret); err != nil {
			t.Fatal(err)
		}
	} else {
		r.clinic = newClinic(t)
	}
	tg := r.tg
	r.bindGroup(t)
	r.approveExpert(t, r.experts[0], "水稻")
	r.question = tg.SendText(r.group, r.farmer, "/ask 水稻卷叶")
	r.ack = tg.WaitMessage(t, r.group.ID, repliesTo(r.question, "#1"))
	r.notice = tg.WaitMessage(t, r.experts[0].ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:1") })
	r.english = tg.NewUser("Anna", "Smith", "en")
	r.englishHelp = r.helpIn(t, telegramtest.PrivateChat(r.english), r.english)
	return r
}

// delivered is what a row sent and where its answer would be.
type delivered struct {
	// chat is where an answer to the input goes; from sends the marker (/help) there.
	chat tgbotapi.Chat
	from tgbotapi.User
	// msg is the input when it is in the chat's history, so that an answer quotes it.
	msg *tgbotapi.Message
	// query is the callback query id of a press; its answer is the row's answer.
	query string
	// updates are the ids of the updates the input made; each must be confirmed.
	updates []int
	// since, when set, is the last message of chat before the input, for an input that
	// needed the bot to answer something first.
	since int
}

// say sends text as from in chat, as Telegram delivers it.
func (r *hostileRig) say(chat tgbotapi.Chat, from tgbotapi.User, text string) delivered {
	m := r.tg.SendText(chat, from, text)
	return delivered{chat: chat, from: from, msg: &m, updates: []int{r.tg.LastUpdateID()}}
}

// post posts p as from in chat.
func (r *hostileRig) post(chat tgbotapi.Chat, from tgbotapi.User, p telegramtest.Post) delivered {
	m := r.tg.Post(chat, from, p)
	return delivered{chat: chat, from: from, msg: &m, updates: []int{r.tg.LastUpdateID()}}
}

// postMessage posts a message of a kind Post cannot make.
func (r *hostileRig) postMessage(chat tgbotapi.Chat, from tgbotapi.User, m tgbotapi.Message) delivered {
	sent := r.tg.PostMessage(chat, from, m)
	return delivered{chat: chat, from: from, msg: &sent, updates: []int{r.tg.LastUpdateID()}}
}

// pressForged presses data on msg in from's private chat.
func (r *hostileRig) pressForged(from tgbotapi.User, msg tgbotapi.Message, data string) delivered {
	chat := telegramtest.PrivateChat(from)
	id := r.tg.PressForged(chat, from, msg, data)
	return delivered{chat: chat, from: from, query: id, updates: []int{r.tg.LastUpdateID()}}
}

// deliveredAgain waits until update id has been delivered a second time: Telegram sends
// an update again when the bot's confirmation was lost.
func (r *hostileRig) deliveredAgain(t *testing.T, id int) {
	t.Helper()
	if r.webhook {
		first := r.tg.WaitDelivery(t, func(d telegramtest.Delivery) bool { return d.UpdateID == id })
		r.tg.WaitDelivery(t, func(d telegramtest.Delivery) bool { return d.UpdateID == id && d.At.After(first.At) })
		return
	}
	// The update was confirmed, so the getUpdates that carries it again is the one that
	// confirmed it, which was waiting when it was pushed again.
	r.tg.WaitCall(t, "getUpdates", func(c telegramtest.Call) bool {
		if c.Status != http.StatusOK || c.Params["offset"] != strconv.Itoa(id+1) {
			return false
		}
		var us []struct {
			UpdateID int `json:"update_id"`
		}
		_ = json.Unmarshal(c.Result, &us)
		for _, u := range us {
			if u.UpdateID == id {
				return true
			}
		}
		return false
	})
}

// count runs a query that counts something.
func (r *hostileRig) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := r.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// questionAt is the archived question asked by message msgID of chat.
func (r *hostileRig) questionAt(t *testing.T, chatID int64, msgID int) (id int64, text, farmer string) {
	t.Helper()
	err := r.pool.QueryRow(context.Background(), `SELECT id, text, farmer_name FROM questions WHERE chat_id = $1 AND message_id = $2`,
		chatID, msgID).Scan(&id, &text, &farmer)
	if err != nil {
		t.Fatalf("question of message %d in chat %d: %v", msgID, chatID, err)
	}
	return id, text, farmer
}

// cleaned fails the test unless s is text Postgres and Telegram take, with the
// replacement character where the unreadable part was.
func cleaned(t *testing.T, what, s string) {
	t.Helper()
	if strings.ContainsRune(s, 0) || !utf8.ValidString(s) || !strings.ContainsRune(s, utf8.RuneError) {
		t.Errorf("%s = %q, want it valid UTF-8 without NUL, with U+FFFD for what was unreadable", what, s)
	}
}

// botMessagesWith lists the bot's messages in chat that contain sub.
func (r *hostileRig) botMessagesWith(chatID int64, sub string) []tgbotapi.Message {
	var out []tgbotapi.Message
	for _, m := range r.tg.Messages(chatID) {
		if telegramtest.IsBot(m) && strings.Contains(m.Text, sub) {
			out = append(out, m)
		}
	}
	return out
}

// marks is the newest message of each chat a row may use, so that what the bot says
// after it is told apart. Each chat is read from the row before's mark on.
func (r *hostileRig) marks() map[int64]int {
	out := map[int64]int{}
	for _, chat := range []int64{r.group.ID, r.nulGroup.ID, r.farmer.ID, r.english.ID, r.experts[0].ID, r.admin.ID} {
		out[chat] = newestAfter(r.tg, chat, r.marked[chat])
	}
	r.marked = out
	return out
}

// hostileRow is one kind of bad input and what must come of it.
type hostileRow struct {
	name string
	send func(t *testing.T, r *hostileRig) delivered
	// want is in the one answer to the input: the reply quoting it, or for a press the
	// callback answer. "" means silence is right.
	want string
	// answered finds the answer that cannot quote the input (sent to the chat, or the input is
	// not in the chat's history); when set, exactly one of the bot's messages matches it.
	answered func(r *hostileRig) func(tgbotapi.Message) bool
	// setAside is how many updates the input is meant to set aside.
	setAside int
	// changes says the input is meant to change the archive.
	changes bool
	// check looks at what else must hold once the input was handled.
	check func(t *testing.T, r *hostileRig, d delivered)
	// skip says why the row cannot run on a transport, "" when it can.
	skip func(webhook bool) string
}

// run sends the row's input and checks that it got its answer (or none) once, that its
// updates were all confirmed, and that nothing was set aside that should not be.
func (row hostileRow) run(t *testing.T, r *hostileRig) {
	t.Helper()
	before := r.snapshot(t)
	deadBefore := r.count(t, `SELECT count(*) FROM dead_updates`)
	setAsideBefore := r.count(t, `SELECT count(*) FROM dead_updates WHERE set_aside_at IS NOT NULL`)

	marks := r.marks()
	d := row.send(t, r)
	since := marks[d.chat.ID]
	if d.since != 0 {
		since = d.since
	}
	var answer tgbotapi.Message
	switch {
	case d.query != "":
		// Every press is answered, or the person's app keeps spinning.
		if a := r.tg.WaitCallbackAnswer(t, d.query); row.want == "" || !strings.Contains(a.Text, row.want) {
			t.Errorf("the press was answered %q, want %q", a.Text, row.want)
		}
	case row.answered != nil:
		match := row.answered(r)
		answer = waitAfter(t, r.tg, d.chat.ID, since, match)
	case row.want != "":
		// A reply comes after the message it quotes, and a new one after the marks.
		answer = waitAfter(t, r.tg, d.chat.ID, min(since, d.msg.MessageID), repliesTo(*d.msg, row.want))
	}
	// The chat's updates are handled in order: once the marker is answered, anything the
	// input was going to cause in this chat is there.
	marker := r.helpIn(t, d.chat, d.from)
	for _, id := range d.updates {
		r.tg.WaitConfirmed(t, id)
	}

	// Nothing lost: every delivery of the input's updates was taken at once.
	if r.webhook {
		for _, del := range r.tg.WebhookDeliveries() {
			for _, id := range d.updates {
				if del.UpdateID == id && del.Status != http.StatusOK {
					t.Errorf("update %d was answered %d %s by the webhook", id, del.Status, del.Err)
				}
			}
		}
	}
	// Nothing answered twice, nothing answered that should be silent.
	switch {
	case d.query != "":
		n := 0
		for _, c := range r.tg.Calls("answerCallbackQuery") {
			if c.Params["callback_query_id"] == d.query {
				n++
			}
		}
		if n != 1 {
			t.Errorf("the press was answered %d times, want once", n)
		}
	case row.answered != nil:
		var n int
		match := row.answered(r)
		for _, m := range r.tg.MessagesAfter(d.chat.ID, since) {
			if telegramtest.IsBot(m) && match(m) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d answers like %q, want one", n, answer.Text)
		}
	case d.msg != nil:
		var replies []string
		for _, m := range r.tg.MessagesAfter(d.chat.ID, d.msg.MessageID) {
			if telegramtest.IsBot(m) && m.ReplyToMessage != nil && m.ReplyToMessage.MessageID == d.msg.MessageID {
				replies = append(replies, m.Text)
			}
		}
		want := 1
		if row.want == silent {
			want = 0
		}
		if len(replies) != want {
			t.Errorf("the bot replied %d times %q, want %d", len(replies), replies, want)
		}
	}
	// Nor did the bot say anything else there.
	for _, m := range r.tg.MessagesAfter(d.chat.ID, since) {
		quotes := d.msg != nil && m.ReplyToMessage != nil && m.ReplyToMessage.MessageID == d.msg.MessageID
		guide := row.want == "已绑定" && strings.HasPrefix(m.Text, "📌") // a binding posts the group's guide
		if telegramtest.IsBot(m) && m.MessageID > since && m.MessageID != marker.MessageID && m.MessageID != answer.MessageID && !quotes && !guide {
			t.Errorf("the bot also said %q", m.Text)
		}
	}
	// Only what is meant to be is set aside, and nothing failed on the way.
	if got := r.count(t, `SELECT count(*) FROM dead_updates WHERE set_aside_at IS NOT NULL`) - setAsideBefore; got != row.setAside {
		t.Errorf("%d updates set aside, want %d", got, row.setAside)
	}
	if got := r.count(t, `SELECT count(*) FROM dead_updates`) - deadBefore; got != row.setAside {
		t.Errorf("%d updates failed, want %d", got, row.setAside)
	}
	if after := r.snapshot(t); !row.changes && after != before {
		t.Errorf("archive changed:\nbefore %s\nafter  %s", before, after)
	}
	if row.check != nil {
		row.check(t, r, d)
	}
}

// TestHostileInputGetsAClearAnswerOnceAndHoldsNothingUp drives every kind of broken or
// hostile input we know of through the fake Bot API, once over long polling and once
// over the webhook: NUL and invalid UTF-8 in each kind of field, texts and captions past
// Telegram's limits, forged and oversized button data, update kinds the bot does not
// know, updates delivered twice, edits and replies of messages that are gone, files
// that are pages or programs, message kinds that are no question, messages sent on
// behalf of a chat. Each gets a clear answer in its sender's language or, where that is
// right, silence; its updates are confirmed; it is answered once; and nothing is set
// aside but the one update no try can read.
func TestHostileInputGetsAClearAnswerOnceAndHoldsNothingUp(t *testing.T) {
	t.Parallel()
	for _, transport := range []string{"polling", "webhook"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			r := newHostileRig(t, transport == "webhook")
			for _, row := range hostileRows() {
				t.Run(row.name, func(t *testing.T) {
					if row.skip != nil {
						if why := row.skip(r.webhook); why != "" {
							t.Skip(why)
						}
					}
					row.run(t, r)
				})
			}
		})
	}
}

// silent is a row's want when silence is right.
const silent = ""

func hostileRows() []hostileRow {
	group := func(r *hostileRig) tgbotapi.Chat { return r.group }
	private := telegramtest.PrivateChat
	// asked checks that the input became a question whose text is clean.
	asked := func(t *testing.T, r *hostileRig, d delivered) {
		t.Helper()
		_, text, _ := r.questionAt(t, d.chat.ID, d.msg.MessageID)
		cleaned(t, "the archived question", text)
	}
	// shownAs checks that the rice expert's card of the question shows the farmer's name
	// as the archive has it.
	shownAs := func(t *testing.T, r *hostileRig, d delivered) string {
		t.Helper()
		id, _, farmer := r.questionAt(t, d.chat.ID, d.msg.MessageID)
		r.tg.WaitMessage(t, r.experts[0].ID, func(m tgbotapi.Message) bool {
			return hasButton(m, "claim:"+strconv.FormatInt(id, 10)) && strings.Contains(m.Text, farmer)
		})
		return farmer
	}
	// askedBy checks too that the farmer's name is clean.
	askedBy := func(t *testing.T, r *hostileRig, d delivered) {
		t.Helper()
		cleaned(t, "the farmer's archived name", shownAs(t, r, d))
	}
	// named checks only that the card shows the name, which has nothing to clean.
	named := func(t *testing.T, r *hostileRig, d delivered) { t.Helper(); shownAs(t, r, d) }
	// withMedia checks that the input became a question with one file of its kind.
	withMedia := func(kind string) func(t *testing.T, r *hostileRig, d delivered) {
		return func(t *testing.T, r *hostileRig, d delivered) {
			t.Helper()
			id, _, _ := r.questionAt(t, d.chat.ID, d.msg.MessageID)
			if n := r.count(t, `SELECT count(*) FROM question_media WHERE question_id = $1 AND kind = $2`, id, kind); n != 1 {
				t.Errorf("question #%d has %d files of kind %s, want 1", id, n, kind)
			}
		}
	}
	both := func(a, b func(t *testing.T, r *hostileRig, d delivered)) func(t *testing.T, r *hostileRig, d delivered) {
		return func(t *testing.T, r *hostileRig, d delivered) { t.Helper(); a(t, r, d); b(t, r, d) }
	}
	bot := func(r *hostileRig) tgbotapi.User { return r.tg.Bot() }
	user := func(r *hostileRig, first, last, code string) tgbotapi.User {
		u := r.tg.NewUser(first, last, code)
		r.tg.Start(u)
		return u
	}
	command := func(text string) []tgbotapi.MessageEntity {
		name, _, _ := strings.Cut(text, " ")
		return []tgbotapi.MessageEntity{{Type: "bot_command", Offset: 0, Length: len(name)}}
	}

	return []hostileRow{
		// NUL and invalid UTF-8, field by field. The fake sends JSON as Telegram does: a NUL
		// as \u0000, invalid UTF-8 already as U+FFFD (encoding/json writes it so); raw
		// bytes reach only the webhook, from a proxy (a row below).
		{name: "NUL in a question", want: "已收到问题", changes: true, check: asked,
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.say(group(r), r.farmer, "/ask 水稻\x00叶尖发黄怎么办")
			}},
		{name: "invalid UTF-8 in a question", want: "已收到问题", changes: true, check: asked,
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.say(group(r), r.farmer, "/ask 水稻\xff\xfe叶片有褐斑")
			}},
		{name: "a truncated multi-byte character in a question", want: "已收到问题", changes: true, check: asked,
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.say(group(r), r.farmer, "/ask 茶树叶子\xe6\xb0")
			}},
		{name: "NUL in a photo's caption", want: "已收到问题", changes: true, check: both(asked, withMedia("photo")),
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.post(group(r), r.farmer, telegramtest.Post{Photo: true, Caption: "/ask 水稻\x00稻瘟病？"})
			}},
		{name: "invalid UTF-8 in a photo's caption", want: "已收到问题", changes: true, check: asked,
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.post(group(r), r.farmer, telegramtest.Post{Photo: true, Caption: "/ask 茶叶\xff\xfe发红"})
			}},
		{name: "NUL in a farmer's first name", want: "已收到问题", changes: true, check: askedBy,
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.say(group(r), user(r, "张\x00", "伯", "zh-hans"), "/ask 水稻叶子发白")
			}},
		{name: "invalid UTF-8 in a farmer's last name", want: "已收到问题", changes: true, check: askedBy,
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.say(group(r), user(r, "李", "\xff\xfe", "zh-hans"), "/ask 水稻秧苗发黄")
			}},
		{name: "NUL and invalid UTF-8 in a username", want: "已收到问题", changes: true, check: askedBy,
			send: func(t *testing.T, r *hostileRig) delivered {
				u := user(r, "", "", "zh-hans")
				u.UserName = "nul\x00\xffuser"
				return r.say(group(r), u, "/ask 水稻根部发黑")
			}},
		{name: "NUL in a command's arguments", want: "没有“龙溪\uFFFD镇”这个乡镇",
			send: func(t *testing.T, r *hostileRig) delivered { return r.say(group(r), r.admin, "/bind 龙溪\x00镇") }},
		{name: "invalid UTF-8 in an English farmer's /answer", want: "Usage: /answer",
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.say(private(r.english), r.english, "/answer 1\xff spray")
			}},
		{name: "NUL in /lang", want: "Usage: /lang",
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.say(private(r.english), r.english, "/lang en\x00")
			}},
		{name: "NUL in callback data", want: "这个按钮已失效",
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.pressForged(r.experts[0], r.notice, "claim:\x001")
			}},
		{name: "invalid UTF-8 in an English farmer's callback data", want: "This button no longer works",
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.pressForged(r.english, r.englishHelp, "solved:\xff\xfe")
			}},
		{name: "NUL in a document's file name", want: "已收到问题", changes: true, check: withMedia("document"),
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.post(group(r), r.farmer, telegramtest.Post{Document: true, FileName: "病叶\x00.pdf", Caption: "/ask 水稻病叶照片"})
			}},
		{name: "NUL in the title of a group that adds the bot",
			answered: func(r *hostileRig) func(tgbotapi.Message) bool {
				return contains("大家好，我是农技坐诊机器人")
			},
			send: func(t *testing.T, r *hostileRig) delivered {
				r.nulGroup = r.tg.NewGroup("龙溪\x00镇农户群")
				member := func(status string) tgbotapi.ChatMember { return tgbotapi.ChatMember{User: ptr(bot(r)), Status: status} }
				id := r.tg.PushUpdate(tgbotapi.Update{MyChatMember: &tgbotapi.ChatMemberUpdated{
					Chat: r.nulGroup, From: r.admin, Date: int(time.Now().Unix()), OldChatMember: member("left"), NewChatMember: member("member")}})
				return delivered{chat: r.nulGroup, from: r.admin, updates: []int{id}}
			}},
		{name: "NUL in the title of a group being bound", want: "已绑定", changes: true,
			send: func(t *testing.T, r *hostileRig) delivered { return r.say(r.nulGroup, r.admin, "/bind 龙溪镇") },
			check: func(t *testing.T, r *hostileRig, d delivered) {
				var title string
				if err := r.pool.QueryRow(context.Background(), `SELECT title FROM groups WHERE chat_id = $1`, d.chat.ID).Scan(&title); err != nil {
					t.Fatal(err)
				}
				cleaned(t, "the group's archived title", title)
			}},
		{name: "invalid UTF-8 in the title of a group not bound", want: "还没有绑定乡镇",
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.say(r.tg.NewGroup("\xff\xfe村群"), r.farmer, "/ask 水稻要不要晒田")
			}},

		{name: "NUL in a follow-up", want: "#1 已补充到问题中",
			send: func(t *testing.T, r *hostileRig) delivered {
				m := r.tg.ReplyText(group(r), r.farmer, r.ack, "还是\x00不行")
				return delivered{chat: group(r), from: r.farmer, msg: &m, updates: []int{r.tg.LastUpdateID()}}
			},
			check: func(t *testing.T, r *hostileRig, d delivered) {
				var text string
				if err := r.pool.QueryRow(context.Background(), `SELECT text FROM followups WHERE message_id = $1`, d.msg.MessageID).Scan(&text); err != nil {
					t.Fatal(err)
				}
				cleaned(t, "the archived follow-up", text)
			}},
		{name: "an edit of a question adding a NUL", want: silent, changes: true,
			send: func(t *testing.T, r *hostileRig) delivered {
				r.tg.EditText(group(r), r.farmer, r.question, "/ask 水稻卷叶\x00越来越严重")
				return delivered{chat: group(r), from: r.farmer, updates: []int{r.tg.LastUpdateID()}}
			},
			check: func(t *testing.T, r *hostileRig, d delivered) {
				_, text, _ := r.questionAt(t, d.chat.ID, r.question.MessageID)
				cleaned(t, "the edited question", text)
			}},
		{name: "NUL in an expert's answer", want: "已发到", changes: true,
			send: func(t *testing.T, r *hostileRig) delivered {
				e, dm := r.experts[0], private(r.experts[0])
				q := r.tg.SendText(group(r), r.farmer, "/ask 水稻叶鞘腐烂")
				r.tg.WaitMessage(t, r.group.ID, repliesTo(q, "已收到问题"))
				id, _, _ := r.questionAt(t, r.group.ID, q.MessageID)
				card := r.claimNotice(t, e, strconv.FormatInt(id, 10))
				since := r.marks()[e.ID]
				m := r.tg.ReplyText(dm, e, card, "喷施\x00三环唑")
				return delivered{chat: dm, from: e, msg: &m, updates: []int{r.tg.LastUpdateID()}, since: since}
			},
			check: func(t *testing.T, r *hostileRig, d delivered) {
				var text string
				if err := r.pool.QueryRow(context.Background(), `SELECT text FROM answers ORDER BY id DESC LIMIT 1`).Scan(&text); err != nil {
					t.Fatal(err)
				}
				cleaned(t, "the archived answer", text)
				r.tg.WaitMessage(t, r.group.ID, func(m tgbotapi.Message) bool {
					return strings.Contains(m.Text, "专家解答") && strings.Contains(m.Text, "喷施\uFFFD三环唑")
				})
			}},

		{name: "raw invalid bytes posted straight to the webhook", changes: true,
			skip: func(webhook bool) string {
				if !webhook {
					return "only a proxy in front of the webhook can send bytes that are not UTF-8: Telegram's JSON, and the fake's, holds none"
				}
				return ""
			},
			answered: func(r *hostileRig) func(tgbotapi.Message) bool {
				return func(m tgbotapi.Message) bool {
					return strings.Contains(m.Text, "已收到问题") && m.ReplyToMessage == nil
				}
			},
			send: func(t *testing.T, r *hostileRig) delivered {
				// Go strings, so that \xff is a byte and \\u0000 the JSON escape of a NUL.
				body := "{\"update_id\":1000001,\"message\":{\"message_id\":910001,\"date\":1," +
					"\"chat\":{\"id\":" + strconv.FormatInt(r.group.ID, 10) + ",\"type\":\"supergroup\",\"title\":\"白泥\xff镇\"}," +
					"\"from\":{\"id\":" + strconv.FormatInt(r.farmer.ID, 10) + ",\"first_name\":\"张\xe6\xb0\",\"username\":\"zh\\u0000ang\",\"language_code\":\"zh-hans\"}," +
					"\"text\":\"/ask 水稻\xff\xfe叶子\\u0000发黄\",\"entities\":[{\"type\":\"bot_command\",\"offset\":0,\"length\":4}]}}"
				req, err := http.NewRequest(http.MethodPost, r.hookURL, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", hostileSecret)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("the webhook answered %d, want 200", resp.StatusCode)
				}
				return delivered{chat: r.group, from: r.farmer}
			},
			check: func(t *testing.T, r *hostileRig, d delivered) {
				_, text, farmer := r.questionAt(t, r.group.ID, 910001)
				cleaned(t, "the archived question", text)
				cleaned(t, "the farmer's archived name", farmer)
			}},

		// Too long for Telegram, which a client cannot send but a forged one can.
		{name: "a question of 5,000 characters", want: "问题太长了",
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.say(group(r), r.farmer, "/ask "+strings.Repeat("稻", 5000))
			}},
		{name: "a caption of 5,000 characters", want: "问题太长了",
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.post(group(r), r.farmer, telegramtest.Post{Photo: true, Caption: "/ask " + strings.Repeat("茶", 5000)})
			}},
		{name: "a follow-up of 5,000 characters", want: "补充内容太长了",
			send: func(t *testing.T, r *hostileRig) delivered {
				m := r.tg.ReplyText(group(r), r.farmer, r.ack, strings.Repeat("稻", 5000))
				return delivered{chat: group(r), from: r.farmer, msg: &m, updates: []int{r.tg.LastUpdateID()}}
			}},
		{name: "a township name of 5,000 characters", want: "这个乡镇",
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.say(group(r), r.admin, "/bind "+strings.Repeat("镇", 5000))
			}},
		{name: "an English farmer's /expert with 5,000 characters", want: "Unknown category",
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.say(private(r.english), r.english, "/expert "+strings.Repeat("x", 5000))
			}},
		{name: "an English farmer's private text of 5,000 characters", want: "in your township's group",
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.say(private(r.english), r.english, strings.Repeat("a", 5000))
			}},

		// Buttons no client shows.
		{name: "callback data over 64 bytes", want: "这个按钮已失效",
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.pressForged(r.experts[0], r.notice, "claim:"+strings.Repeat("9", 70))
			}},
		{name: "a forged Solved from someone who did not ask", want: "Only the farmer who asked",
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.pressForged(r.english, r.englishHelp, "solved:1")
			}},

		// Update kinds the bot does not handle: silence, and confirmed.
		{name: "a chat_join_request", want: silent,
			send: func(t *testing.T, r *hostileRig) delivered {
				id := r.tg.PushRaw(`{"chat_join_request":{"chat":{"id":` + strconv.FormatInt(r.group.ID, 10) + `,"type":"supergroup","title":"群"},` +
					`"from":{"id":` + strconv.FormatInt(r.farmer.ID, 10) + `,"first_name":"张\u0000"},"user_chat_id":` + strconv.FormatInt(r.farmer.ID, 10) + `,"date":1}}`)
				return delivered{chat: r.group, from: r.farmer, updates: []int{id}}
			}},
		{name: "a message_reaction", want: silent,
			send: func(t *testing.T, r *hostileRig) delivered {
				id := r.tg.PushRaw(`{"message_reaction":{"chat":{"id":` + strconv.FormatInt(r.group.ID, 10) + `,"type":"supergroup","title":"群"},` +
					`"message_id":` + strconv.Itoa(r.ack.MessageID) + `,"user":{"id":` + strconv.FormatInt(r.farmer.ID, 10) + `,"first_name":"张"},` +
					`"date":1,"old_reaction":[],"new_reaction":[{"type":"emoji","emoji":"👍"}]}}`)
				return delivered{chat: r.group, from: r.farmer, updates: []int{id}}
			}},
		{name: "a poll's new state", want: silent,
			send: func(t *testing.T, r *hostileRig) delivered {
				id := r.tg.PushRaw(`{"poll":{"id":"5","question":"水稻\u0000？","options":[{"text":"是","voter_count":1}],"total_voter_count":1,` +
					`"is_closed":true,"is_anonymous":true,"type":"regular","allows_multiple_answers":false}}`)
				return delivered{chat: r.group, from: r.farmer, updates: []int{id}}
			}},
		{name: "a channel post", want: silent,
			send: func(t *testing.T, r *hostileRig) delivered {
				id := r.tg.PushRaw(`{"channel_post":{"message_id":3,"date":1,"chat":{"id":-1009999,"type":"channel","title":"县农业频道"},"text":"/ask 水稻"}}`)
				return delivered{chat: r.group, from: r.farmer, updates: []int{id}}
			}},
		{name: "an update with nothing in it", want: silent,
			send: func(t *testing.T, r *hostileRig) delivered {
				return delivered{chat: r.group, from: r.farmer, updates: []int{r.tg.PushRaw(`{}`)}}
			}},
		{name: "a message without a sender", want: silent,
			send: func(t *testing.T, r *hostileRig) delivered {
				id := r.tg.PushRaw(`{"message":{"message_id":900001,"date":1,"chat":{"id":` + strconv.FormatInt(r.group.ID, 10) +
					`,"type":"supergroup"},"text":"/ask 水稻","entities":[{"type":"bot_command","offset":0,"length":4}]}}`)
				return delivered{chat: r.group, from: r.farmer, updates: []int{id}}
			}},

		// The same update twice, as when a confirmation is lost.
		{name: "the same question delivered twice", want: "已收到问题", changes: true,
			send: func(t *testing.T, r *hostileRig) delivered {
				d := r.say(group(r), r.farmer, "/ask 茶树新梢枯萎是什么病")
				id := d.updates[0]
				r.tg.WaitConfirmed(t, id)
				r.tg.PushUpdate(tgbotapi.Update{UpdateID: id, Message: d.msg})
				r.deliveredAgain(t, id)
				return d
			},
			check: func(t *testing.T, r *hostileRig, d delivered) {
				if n := r.count(t, `SELECT count(*) FROM questions WHERE message_id = $1 AND chat_id = $2`, d.msg.MessageID, d.chat.ID); n != 1 {
					t.Errorf("%d questions, want 1", n)
				}
			}},
		{name: "the same press delivered twice", want: "Only the farmer who asked",
			send: func(t *testing.T, r *hostileRig) delivered {
				d := r.pressForged(r.english, r.englishHelp, "unsolved:1")
				id := d.updates[0]
				r.tg.WaitConfirmed(t, id)
				on := r.englishHelp
				r.tg.PushUpdate(tgbotapi.Update{UpdateID: id, CallbackQuery: &tgbotapi.CallbackQuery{
					ID: d.query, From: &r.english, Message: &on, ChatInstance: "1", Data: "unsolved:1"}})
				r.deliveredAgain(t, id)
				return d
			}},

		// Messages that are gone, or never were.
		{name: "an edit of a question that does not exist", want: silent,
			send: func(t *testing.T, r *hostileRig) delivered {
				g := r.group
				id := r.tg.PushUpdate(tgbotapi.Update{EditedMessage: &tgbotapi.Message{MessageID: 900002, From: &r.farmer, Chat: &g,
					Date: int(time.Now().Unix()), EditDate: int(time.Now().Unix()), Text: "/ask 改成茶叶了", Entities: command("/ask")}})
				return delivered{chat: g, from: r.farmer, updates: []int{id}}
			}},
		{name: "an edit in a private chat", want: silent,
			send: func(t *testing.T, r *hostileRig) delivered {
				dm := private(r.english)
				m := r.tg.SendText(dm, r.english, "hello")
				hint := r.tg.WaitMessage(t, dm.ID, repliesTo(m, "in your township's group"))
				r.tg.EditText(dm, r.english, m, "hello\x00again")
				return delivered{chat: dm, from: r.english, updates: []int{r.tg.LastUpdateID()}, since: hint.MessageID}
			}},
		{name: "a question its farmer deleted before the bot answered", changes: true,
			answered: func(r *hostileRig) func(tgbotapi.Message) bool {
				return func(m tgbotapi.Message) bool {
					return strings.Contains(m.Text, "已收到问题") && m.ReplyToMessage == nil
				}
			},
			send: func(t *testing.T, r *hostileRig) delivered {
				g := r.group
				// Its message is no longer in the chat: the acknowledgement quotes nothing.
				id := r.tg.PushUpdate(tgbotapi.Update{Message: &tgbotapi.Message{MessageID: 900003, From: &r.farmer, Chat: &g,
					Date: int(time.Now().Unix()), Text: "/ask 玉米叶子有白条", Entities: command("/ask")}})
				return delivered{chat: g, from: r.farmer, updates: []int{id}}
			}},
		{name: "a reply to a bot message the bot has no record of", changes: true,
			answered: func(r *hostileRig) func(tgbotapi.Message) bool { return contains("已收到问题") },
			send: func(t *testing.T, r *hostileRig) delivered {
				g := r.group
				b := bot(r)
				gone := tgbotapi.Message{MessageID: 900004, From: &b, Chat: &g, Date: 1, Text: "已收到问题 #99"}
				id := r.tg.PushUpdate(tgbotapi.Update{Message: &tgbotapi.Message{MessageID: 900005, From: &r.farmer, Chat: &g,
					Date: int(time.Now().Unix()), Text: "还是不行，叶子全黄了", ReplyToMessage: &gone}})
				return delivered{chat: g, from: r.farmer, updates: []int{id}}
			}},

		// Files that are pages or programs: an attachment like any other, never opened.
		{name: "an HTML file with /ask", want: "已收到问题", changes: true, check: withMedia("document"),
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.post(group(r), r.farmer, telegramtest.Post{Document: true, FileName: "病害.html",
					Data: []byte(`<html><script>alert(document.cookie)</script></html>`), Caption: "/ask 这个水稻文件打不开"})
			}},
		{name: "an SVG file with /ask", want: "已收到问题", changes: true, check: withMedia("document"),
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.post(group(r), r.farmer, telegramtest.Post{Document: true, FileName: "叶片.svg",
					Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), Caption: "/ask 茶叶病斑图"})
			}},
		{name: "an EXE file with /ask", want: "已收到问题", changes: true, check: withMedia("document"),
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.post(group(r), r.farmer, telegramtest.Post{Document: true, FileName: "用药表.exe",
					Data: []byte("MZ\x90\x00\x03\x00\x00\x00"), Caption: "/ask 水稻用药表"})
			}},

		// What is no question.
		{name: "an album item without any media", want: silent,
			send: func(t *testing.T, r *hostileRig) delivered {
				g := r.group
				id := r.tg.PushUpdate(tgbotapi.Update{Message: &tgbotapi.Message{MessageID: 900006, From: &r.farmer, Chat: &g,
					Date: int(time.Now().Unix()), MediaGroupID: "13600000000009999", Caption: "/ask 水稻相册", CaptionEntities: command("/ask")}})
				return delivered{chat: g, from: r.farmer, updates: []int{id}}
			}},
		{name: "a sticker replying to the acknowledgement", want: "请用文字写下你的问题",
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.postMessage(group(r), r.farmer, tgbotapi.Message{Sticker: &tgbotapi.Sticker{FileID: "s1", FileUniqueID: "su1", Emoji: "👍"}, ReplyToMessage: &r.ack})
			}},
		{name: "an English farmer's poll replying to the acknowledgement", want: "Please write your question",
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.postMessage(group(r), r.english, tgbotapi.Message{Poll: &tgbotapi.Poll{ID: "p1", Question: "Rice?",
					Options: []tgbotapi.PollOption{{Text: "yes"}, {Text: "no"}}, Type: "regular", IsAnonymous: true}, ReplyToMessage: &r.ack})
			}},
		{name: "a dice in the group", want: silent,
			send: func(t *testing.T, r *hostileRig) delivered {
				// Privacy mode keeps it from the bot; delivered anyway, as to a bot that is an admin.
				d := r.postMessage(group(r), r.farmer, tgbotapi.Message{Dice: &tgbotapi.Dice{Emoji: "🎲", Value: 6}})
				d.updates = []int{r.tg.PushUpdate(tgbotapi.Update{Message: d.msg})}
				return d
			}},
		{name: "a dice in an English farmer's private chat", want: "in your township's group",
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.postMessage(private(r.english), r.english, tgbotapi.Message{Dice: &tgbotapi.Dice{Emoji: "🎯", Value: 1}})
			}},
		{name: "a contact in private", want: "乡镇的群里发送",
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.postMessage(private(r.farmer), r.farmer, tgbotapi.Message{Contact: &tgbotapi.Contact{PhoneNumber: "+86 138\x000000", FirstName: "王\x00"}})
			}},
		{name: "a channel's post forwarded with /ask", want: "已收到问题", changes: true,
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.postMessage(group(r), r.farmer, tgbotapi.Message{Text: "/ask 水稻烂秧怎么防", ForwardFromChat: &tgbotapi.Chat{ID: -1009999, Type: "channel", Title: "县农业\x00频道"},
					ForwardFromMessageID: 12, ForwardDate: int(time.Now().Unix())})
			}},
		{name: "an anonymous admin's /bind", want: "以个人身份发送",
			send: func(t *testing.T, r *hostileRig) delivered {
				g := r.tg.NewGroup("敖溪村群")
				anon := tgbotapi.User{ID: 1087968824, IsBot: true, FirstName: "Group", UserName: "GroupAnonymousBot"}
				d := r.postMessage(g, anon, tgbotapi.Message{Text: "/bind 龙溪镇", SenderChat: &g})
				d.from = r.admin
				return d
			}},
		{name: "a channel posting /ask in the group (answered in the group's language)", want: "以个人身份发送",
			send: func(t *testing.T, r *hostileRig) delivered {
				channelBot := tgbotapi.User{ID: 136817688, IsBot: true, FirstName: "Channel", UserName: "Channel_Bot"}
				d := r.postMessage(group(r), channelBot, tgbotapi.Message{Text: "/ask 水稻种植技术", SenderChat: &tgbotapi.Chat{ID: -1009999, Type: "channel", Title: "县农业频道"}})
				d.from = r.farmer
				return d
			}},
		{name: "a farmer with no username and an emoji-only name", want: "已收到问题", changes: true, check: named,
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.say(group(r), user(r, "🌾🌾", "", "zh-hans"), "/ask 水稻抽穗不齐")
			}},
		{name: "/start in the group from an emoji-only name", want: "你好，🌾！",
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.say(group(r), user(r, "🌾", "", "zh-hans"), "/start")
			},
			check: func(t *testing.T, r *hostileRig, d delivered) {
				for _, m := range r.botMessagesWith(d.chat.ID, "你好，🌾！") {
					if strings.Contains(m.Text, strconv.FormatInt(d.from.ID, 10)) {
						t.Errorf("the greeting in the group shows the farmer's id: %q", m.Text)
					}
				}
			}},
		{name: "a name with markup and a right-to-left override", want: "已收到问题", changes: true, check: named,
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.say(group(r), user(r, "<b>Wang</b>\u202e", "&amp;", "en"), "/ask rice leaves curl")
			}},
		{name: "a bot_command entity longer than the text", want: "已收到问题", changes: true,
			send: func(t *testing.T, r *hostileRig) delivered {
				return r.postMessage(group(r), r.farmer, tgbotapi.Message{Text: "/ask 水稻烂根",
					Entities: []tgbotapi.MessageEntity{{Type: "bot_command", Offset: 0, Length: 200}}})
			}},
		{name: "/ask with only a NUL", want: "请把问题写在 /ask 后面",
			send: func(t *testing.T, r *hostileRig) delivered { return r.say(group(r), r.farmer, "/ask \x00") }},

		// The one update no try can read is set aside at once, and the others go on.
		{name: "an update that does not decode", want: silent, setAside: 1,
			send: func(t *testing.T, r *hostileRig) delivered {
				id := r.tg.PushRaw(`{"message":{"message_id":"seven","date":1,"chat":{"id":` + strconv.FormatInt(r.group.ID, 10) +
					`,"type":"supergroup"},"from":{"id":` + strconv.FormatInt(r.farmer.ID, 10) + `,"first_name":"张"},"text":"/help"}}`)
				return delivered{chat: r.group, from: r.farmer, updates: []int{id}}
			}},
	}
}

func ptr[T any](v T) *T { return &v }
