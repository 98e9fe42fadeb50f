package telegramtest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// newAPI connects the real client to the fake. Its HTTP timeout is far below the long
// polls the tests make, so a long poll that does not return early fails the test.
func newAPI(t *testing.T, s *telegramtest.Server) *tgbotapi.BotAPI {
	t.Helper()
	api, err := tgbotapi.NewBotAPIWithClient(s.Token(), s.Endpoint(), &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("NewBotAPIWithClient: %v", err)
	}
	return api
}

// apiErr returns the Bot API error inside err, failing the test if there is none.
func apiErr(t *testing.T, err error) *tgbotapi.Error {
	t.Helper()
	var e *tgbotapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want a *tgbotapi.Error", err, err)
	}
	return e
}

func wantAPIErr(t *testing.T, err error, code int, description string) {
	t.Helper()
	e := apiErr(t, err)
	if e.Code != code || !strings.Contains(e.Message, description) {
		t.Fatalf("error = %d %q, want %d containing %q", e.Code, e.Message, code, description)
	}
}

// fatalRecorder stands in for a test that is expected to fail: Fatalf records the message
// and ends the goroutine, as testing.T's does.
type fatalRecorder struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.msg = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

// fatalOf runs f in its own goroutine, as the test would, and returns what it failed with
// ("" if it did not fail).
func fatalOf(rec *fatalRecorder, f func()) string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.msg
}

func TestGetMe(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	want := s.Bot()
	if api.Self.ID != 1000001 || !api.Self.IsBot || api.Self.UserName != "agriclinic_test_bot" || api.Self.FirstName != "AgriClinic" {
		t.Errorf("Self = %+v, want the test bot", api.Self)
	}
	if api.Self != want {
		t.Errorf("Self = %+v, Bot() = %+v", api.Self, want)
	}
	if !strings.HasPrefix(s.Endpoint(), s.URL()) {
		t.Errorf("Endpoint %q does not start with URL %q", s.Endpoint(), s.URL())
	}

	_, err := tgbotapi.NewBotAPIWithClient("1000001:wrong", s.Endpoint(), &http.Client{Timeout: 5 * time.Second})
	wantAPIErr(t, err, 401, "Unauthorized")
	if calls := s.Calls("GETME"); len(calls) != 2 || calls[1].Status != 401 {
		t.Errorf("getMe calls = %+v, want two, the second refused with 401", calls)
	}
}

func TestSendTextMakesCommandUpdate(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	farmer := s.NewUser("张", "大伯", "zh-hans")
	dm := telegramtest.PrivateChat(farmer)

	sent := s.SendText(dm, farmer, "/ask@agriclinic_test_bot 🌾 稻叶发黄 @li_ming_expert 看看")
	if sent.MessageID != 1 || sent.Chat.ID != farmer.ID || sent.Chat.Type != "private" || sent.From.ID != farmer.ID {
		t.Fatalf("sent = %+v", sent)
	}
	updates, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if len(updates) != 1 || updates[0].UpdateID != 1 || updates[0].Message == nil {
		t.Fatalf("updates = %+v, want the one message", updates)
	}
	m := updates[0].Message
	if !m.IsCommand() || m.Command() != "ask" || m.CommandArguments() != "🌾 稻叶发黄 @li_ming_expert 看看" {
		t.Errorf("command = %v %q %q", m.IsCommand(), m.Command(), m.CommandArguments())
	}
	// 🌾 is two UTF-16 code units: the mention starts at 24+1+2+1+4+1 = 33.
	want := []tgbotapi.MessageEntity{
		{Type: "bot_command", Offset: 0, Length: 24},
		{Type: "mention", Offset: 33, Length: 15},
	}
	if fmt.Sprint(m.Entities) != fmt.Sprint(want) {
		t.Errorf("entities = %+v, want %+v", m.Entities, want)
	}
	if got := s.Messages(farmer.ID); len(got) != 1 || got[0].Text != sent.Text {
		t.Errorf("Messages = %+v, want the sent message", got)
	}
}

func TestOffsetsConfirmUpdates(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	u := s.NewUser("Li", "Ming", "en")
	dm := telegramtest.PrivateChat(u)
	s.SendText(dm, u, "one")
	s.SendText(dm, u, "two")

	all, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(all) != 2 {
		t.Fatalf("updates = %+v, %v; want two", all, err)
	}
	// Unconfirmed updates come again.
	again, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(again) != 2 {
		t.Fatalf("updates again = %+v, %v; want the same two", again, err)
	}
	first := all[0].UpdateID
	rest, err := api.GetUpdates(tgbotapi.UpdateConfig{Offset: first + 1})
	if err != nil || len(rest) != 1 || rest[0].UpdateID != first+1 || rest[0].Message.Text != "two" {
		t.Fatalf("updates after offset = %+v, %v; want only the second", rest, err)
	}
	s.WaitConfirmed(t, first)
	// Confirmed updates are gone even for offset 0.
	later, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(later) != 1 || later[0].UpdateID != first+1 {
		t.Fatalf("updates = %+v, %v; want only the unconfirmed one", later, err)
	}
	limited, err := api.GetUpdates(tgbotapi.UpdateConfig{Offset: first + 2})
	if err != nil || len(limited) != 0 {
		t.Fatalf("updates = %+v, %v; want none", limited, err)
	}
	s.WaitConfirmed(t, first+1)
	if calls := s.Calls("getUpdates"); calls[len(calls)-1].Params["offset"] != strconv.Itoa(first+2) {
		t.Errorf("last getUpdates params = %v, want the offset recorded", calls[len(calls)-1].Params)
	}
}

func TestLongPollReturnsWhenUpdateArrives(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	u := s.NewUser("Li", "Ming", "en")

	type result struct {
		updates []tgbotapi.Update
		err     error
	}
	done := make(chan result, 1)
	go func() {
		updates, err := api.GetUpdates(tgbotapi.UpdateConfig{Timeout: 30})
		done <- result{updates, err}
	}()
	// The poll is in flight once it is recorded without an answer.
	s.WaitCall(t, "getUpdates", func(c telegramtest.Call) bool { return c.Params["timeout"] == "30" && c.Status == 0 })
	s.SendText(telegramtest.PrivateChat(u), u, "hello")

	// The client gives up after 5 s, far below the poll's 30: an answer means it came early.
	r := <-done
	if r.err != nil || len(r.updates) != 1 || r.updates[0].Message.Text != "hello" {
		t.Fatalf("long poll = %+v, %v; want the new message", r.updates, r.err)
	}
}

func TestLongPollTimesOutEmpty(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	start := time.Now()
	updates, err := api.GetUpdates(tgbotapi.UpdateConfig{Timeout: 1})
	if err != nil || len(updates) != 0 {
		t.Fatalf("updates = %+v, %v; want none", updates, err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("long poll returned after %v, want the 1 s timeout", d)
	}
}

func TestNewerPollTerminatesOlder(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	done := make(chan error, 1)
	go func() {
		_, err := api.GetUpdates(tgbotapi.UpdateConfig{Timeout: 30})
		done <- err
	}()
	s.WaitCall(t, "getUpdates", func(c telegramtest.Call) bool { return c.Status == 0 })
	if _, err := api.GetUpdates(tgbotapi.UpdateConfig{}); err != nil {
		t.Fatalf("newer getUpdates: %v", err)
	}
	wantAPIErr(t, <-done, 409, "terminated by other getUpdates request")
}

func TestInlineButtonPressAndAnswer(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	expert := s.NewUser("李", "明", "zh-hans")
	s.Start(expert)

	msg := tgbotapi.NewMessage(expert.ID, "问题 #1")
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("认领", "claim:1"),
		tgbotapi.NewInlineKeyboardButtonURL("帮助", "https://example.org/help"),
	))
	sent, err := api.Send(msg)
	if err != nil {
		t.Fatal(err)
	}
	if sent.From.ID != s.Bot().ID || sent.Chat.ID != expert.ID || sent.MessageID != 1 || sent.ReplyMarkup == nil {
		t.Fatalf("sent = %+v", sent)
	}

	id := s.Press(telegramtest.PrivateChat(expert), expert, sent, "claim:1")
	updates, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(updates) != 1 || updates[0].CallbackQuery == nil {
		t.Fatalf("updates = %+v, %v; want the callback query", updates, err)
	}
	q := updates[0].CallbackQuery
	if q.ID != id || q.Data != "claim:1" || q.From.ID != expert.ID || q.Message.MessageID != sent.MessageID || q.ChatInstance == "" {
		t.Errorf("callback query = %+v", q)
	}
	if _, ok := s.CallbackAnswer(id); ok {
		t.Errorf("answered before the bot answered")
	}

	answer := tgbotapi.NewCallback(id, "已认领 #1")
	answer.ShowAlert = true
	if _, err := api.Request(answer); err != nil {
		t.Fatal(err)
	}
	if a := s.WaitCallbackAnswer(t, id); a.Text != "已认领 #1" || !a.ShowAlert {
		t.Errorf("answer = %+v", a)
	}
	_, err = api.Request(answer)
	wantAPIErr(t, err, 400, "query is too old and response timeout expired or query ID is invalid")
	_, err = api.Request(tgbotapi.NewCallback("12345", "x"))
	wantAPIErr(t, err, 400, "query ID is invalid")

	// A button that is not on the message fails the test.
	rec := &fatalRecorder{TB: t}
	s2 := telegramtest.NewServer(rec)
	u := s2.NewUser("A", "B", "en")
	m := s2.SendText(telegramtest.PrivateChat(u), u, "hi")
	msgText := fatalOf(rec, func() { s2.Press(telegramtest.PrivateChat(u), u, m, "claim:1") })
	if !strings.Contains(msgText, `"claim:1"`) || !strings.Contains(msgText, "no such button") {
		t.Errorf("Press on a message without the button failed with %q", msgText)
	}
}

func TestButtonDataLimits(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("群")
	for _, data := range []string{strings.Repeat("x", 65), ""} {
		msg := tgbotapi.NewMessage(g.ID, "q")
		msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("b", data)))
		_, err := api.Send(msg)
		wantAPIErr(t, err, 400, "BUTTON_DATA_INVALID")
	}
	msg := tgbotapi.NewMessage(g.ID, "q")
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("b", strings.Repeat("x", 64))))
	if _, err := api.Send(msg); err != nil {
		t.Errorf("64 bytes of callback data: %v", err)
	}
}

func TestHTMLValidation(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("白泥镇农户群")
	send := func(text string) (tgbotapi.Message, error) {
		m := tgbotapi.NewMessage(g.ID, text)
		m.ParseMode = tgbotapi.ModeHTML
		return api.Send(m)
	}

	_, err := send("a < b")
	wantAPIErr(t, err, 400, `Bad Request: can't parse entities: Unsupported start tag "" at byte offset 2`)
	_, err = send("<b>bold")
	wantAPIErr(t, err, 400, "can't parse entities: Can't find end tag corresponding to start tag b")
	_, err = send("<div>x</div>")
	wantAPIErr(t, err, 400, `Unsupported start tag "div"`)
	_, err = send("<b>x</i>")
	wantAPIErr(t, err, 400, `Unmatched end tag at byte offset 4, expected "</b>", found "</i>"`)

	sent, err := send("a &lt; b <b>x</b> &amp; &quot;q&quot; &#128512;")
	if err != nil {
		t.Fatal(err)
	}
	if sent.Text != `a < b x & "q" 😀` {
		t.Errorf("text = %q, want tags stripped and entities decoded", sent.Text)
	}
	if len(sent.Entities) != 1 || sent.Entities[0] != (tgbotapi.MessageEntity{Type: "bold", Offset: 6, Length: 1}) {
		t.Errorf("entities = %+v, want bold x", sent.Entities)
	}
	if got, _ := s.Message(g.ID, sent.MessageID); got.Text != sent.Text {
		t.Errorf("stored text = %q, want %q", got.Text, sent.Text)
	}

	_, err = send("<b> </b>")
	wantAPIErr(t, err, 400, "message text is empty")
	_, err = send(strings.Repeat("🌾", 2049))
	wantAPIErr(t, err, 400, "message is too long")
	if _, err := send(strings.Repeat("🌾", 2048)); err != nil {
		t.Errorf("4096 UTF-16 code units: %v", err)
	}
}

func TestPrivateChatNeedsStart(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	u := s.NewUser("Chen", "Wei", "en")

	_, err := api.Send(tgbotapi.NewMessage(u.ID, "hello"))
	wantAPIErr(t, err, 403, "Forbidden: bot can't initiate conversation with a user")
	_, err = api.Send(tgbotapi.NewMessage(987654321, "hello"))
	wantAPIErr(t, err, 400, "Bad Request: chat not found")
	_, err = api.Send(tgbotapi.NewMessage(-1009999, "hello"))
	wantAPIErr(t, err, 400, "chat not found")

	s.SendText(telegramtest.PrivateChat(u), u, "/start")
	if _, err := api.Send(tgbotapi.NewMessage(u.ID, "hello")); err != nil {
		t.Fatalf("after /start: %v", err)
	}
	s.Block(u)
	_, err = api.Send(tgbotapi.NewMessage(u.ID, "hello again"))
	wantAPIErr(t, err, 403, "bot was blocked by the user")

	v := s.NewUser("Wang", "", "en")
	s.Start(v)
	if _, err := api.Send(tgbotapi.NewMessage(v.ID, "hello")); err != nil {
		t.Fatalf("after Start: %v", err)
	}
	if calls := s.Calls("sendMessage"); len(calls) != 6 || calls[0].Status != 403 || calls[3].Status != 200 {
		t.Errorf("sendMessage calls = %+v, want all six recorded with their status", calls)
	}
}

func TestFailNext(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("群")
	s.FailNext("sendMessage", 429, "Too Many Requests: retry after 7", 7)
	s.FailNext("SENDMESSAGE", 502, "Bad Gateway", 0)

	_, err := api.Send(tgbotapi.NewMessage(g.ID, "one"))
	e := apiErr(t, err)
	if e.Code != 429 || e.RetryAfter != 7 || e.Message != "Too Many Requests: retry after 7" {
		t.Errorf("first error = %+v", e)
	}
	_, err = api.Send(tgbotapi.NewMessage(g.ID, "two"))
	if e := apiErr(t, err); e.Code != 502 || e.RetryAfter != 0 {
		t.Errorf("second error = %+v", e)
	}
	sent, err := api.Send(tgbotapi.NewMessage(g.ID, "three"))
	if err != nil || sent.MessageID != 1 {
		t.Fatalf("third send = %+v, %v; want message 1 (failed calls send nothing)", sent, err)
	}
	if msgs := s.Messages(g.ID); len(msgs) != 1 {
		t.Errorf("messages = %+v, want only the third", msgs)
	}
}

func TestEditMessageText(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("群")
	farmer := s.NewUser("张", "", "zh-hans")
	question := s.SendText(g, farmer, "/ask 水稻")

	msg := tgbotapi.NewMessage(g.ID, "#1 待认领")
	msg.ReplyToMessageID = question.MessageID
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("认领", "claim:1")))
	sent, err := api.Send(msg)
	if err != nil {
		t.Fatal(err)
	}
	if sent.MessageID != 2 || sent.ReplyToMessage == nil || sent.ReplyToMessage.MessageID != question.MessageID {
		t.Fatalf("sent = %+v, want message 2 replying to the question", sent)
	}

	errc := make(chan error, 1)
	go func() {
		edit := tgbotapi.NewEditMessageText(g.ID, sent.MessageID, "#1 已被 <b>李明</b> 认领")
		edit.ParseMode = tgbotapi.ModeHTML
		_, err := api.Request(edit)
		errc <- err
	}()
	edited := s.WaitMessage(t, g.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "李明") })
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if edited.MessageID != sent.MessageID || edited.Text != "#1 已被 李明 认领" || edited.ReplyMarkup != nil || edited.EditDate == 0 {
		t.Errorf("edited = %+v, want the new text, no buttons (no reply_markup removes them)", edited)
	}
	if msgs := s.Messages(g.ID); len(msgs) != 2 || msgs[1].Text != edited.Text {
		t.Errorf("Messages = %+v, want the edit applied", msgs)
	}

	same := tgbotapi.NewEditMessageText(g.ID, sent.MessageID, "#1 已被 <b>李明</b> 认领")
	same.ParseMode = tgbotapi.ModeHTML
	_, err = api.Request(same)
	wantAPIErr(t, err, 400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")

	_, err = api.Request(tgbotapi.NewEditMessageText(g.ID, question.MessageID, "mine now"))
	wantAPIErr(t, err, 400, "message can't be edited")
	_, err = api.Request(tgbotapi.NewEditMessageText(g.ID, 99, "x"))
	wantAPIErr(t, err, 400, "message to edit not found")

	markup := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("回答", "answer:1")))
	if _, err := api.Request(tgbotapi.NewEditMessageReplyMarkup(g.ID, sent.MessageID, markup)); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Message(g.ID, sent.MessageID); m.ReplyMarkup == nil || *m.ReplyMarkup.InlineKeyboard[0][0].CallbackData != "answer:1" {
		t.Errorf("markup after editMessageReplyMarkup = %+v", m.ReplyMarkup)
	}

	// A reply carries the message replied to as it stands now.
	reply := s.ReplyText(g, farmer, sent, "谢谢")
	if reply.ReplyToMessage == nil || reply.ReplyToMessage.Text != edited.Text || reply.ReplyToMessage.ReplyMarkup == nil {
		t.Errorf("reply's ReplyToMessage = %+v, want the edited message", reply.ReplyToMessage)
	}

	if _, err := api.Request(tgbotapi.NewDeleteMessage(g.ID, sent.MessageID)); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Message(g.ID, sent.MessageID); ok {
		t.Errorf("deleted message still there")
	}
	_, err = api.Request(tgbotapi.NewDeleteMessage(g.ID, sent.MessageID))
	wantAPIErr(t, err, 400, "message to delete not found")
}

func TestReplyToMissingMessage(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("群")
	msg := tgbotapi.NewMessage(g.ID, "answer")
	msg.ReplyToMessageID = 42
	_, err := api.Send(msg)
	wantAPIErr(t, err, 400, "Bad Request: message to reply not found")
	msg.AllowSendingWithoutReply = true
	sent, err := api.Send(msg)
	if err != nil || sent.ReplyToMessage != nil {
		t.Fatalf("with allow_sending_without_reply: %+v, %v; want an unquoted message", sent, err)
	}
}

func TestPrivacyModeInGroups(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	if api.Self.CanReadAllGroupMessages {
		t.Errorf("getMe says the bot reads all group messages with privacy mode on")
	}
	g := s.NewGroup("群")
	u := s.NewUser("张", "", "zh-hans")
	sent, err := api.Send(tgbotapi.NewMessage(g.ID, "bot says"))
	if err != nil {
		t.Fatal(err)
	}

	s.SendText(g, u, "just chatting")
	s.SendText(g, u, "/help@other_bot")
	s.SendText(g, u, "/help")
	s.SendText(g, u, "hey @agriclinic_test_bot look")
	s.ReplyText(g, u, sent, "a reply")
	updates, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, up := range updates {
		got = append(got, up.Message.Text)
	}
	// A plain mention is not in Telegram's list of what privacy mode lets through.
	if want := []string{"/help", "a reply"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("updates = %q, want %q", got, want)
	}
	if n := len(s.Messages(g.ID)); n != 6 {
		t.Errorf("history has %d messages, want all 6", n)
	}

	// Privacy off applies to a group the bot joins afterwards (see
	// TestAPrivacyChangeReachesAGroupOnlyWhenTheBotJoinsItAgain for one it is in).
	s.SetPrivacyMode(false)
	open := s.NewGroup("新群")
	s.SendText(open, u, "just chatting")
	updates, err = api.GetUpdates(tgbotapi.UpdateConfig{Offset: updates[len(updates)-1].UpdateID + 1})
	if err != nil || len(updates) != 1 || updates[0].Message.Chat.ID != open.ID {
		t.Fatalf("updates = %+v, %v; want the plain message in a group joined with privacy mode off", updates, err)
	}
}

func TestWebhookDeliveryAndRetry(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	u := s.NewUser("Li", "Ming", "en")

	var (
		mu       sync.Mutex
		attempts int
	)
	got := make(chan tgbotapi.Update, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Telegram-Bot-Api-Secret-Token") != "s3cret_Token-1" {
			http.Error(w, "bad secret", http.StatusForbidden)
			return
		}
		mu.Lock()
		attempts++
		first := attempts == 1
		mu.Unlock()
		if first {
			http.Error(w, "not yet", http.StatusInternalServerError)
			return
		}
		var up tgbotapi.Update
		if err := json.NewDecoder(r.Body).Decode(&up); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got <- up
	}))
	defer hook.Close()

	if _, err := api.MakeRequest("setWebhook", tgbotapi.Params{
		"url": hook.URL + "/tg", "secret_token": "s3cret_Token-1", "allowed_updates": `["message","callback_query"]`,
	}); err != nil {
		t.Fatal(err)
	}
	_, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	wantAPIErr(t, err, 409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")

	sent := s.SendText(telegramtest.PrivateChat(u), u, "hello")
	up := <-got
	if up.Message == nil || up.Message.Text != "hello" || up.Message.MessageID != sent.MessageID {
		t.Fatalf("delivered = %+v, want the message", up)
	}
	s.WaitConfirmed(t, up.UpdateID)
	ds := s.WebhookDeliveries()
	if len(ds) != 2 || ds[0].Status != 500 || ds[1].Status != 200 || ds[0].UpdateID != up.UpdateID || ds[1].URL != hook.URL+"/tg" {
		t.Errorf("deliveries = %+v, want a 500 then a 200 for update %d", ds, up.UpdateID)
	}
	info, err := api.GetWebhookInfo()
	if err != nil || info.URL != hook.URL+"/tg" || info.PendingUpdateCount != 0 || info.LastErrorMessage == "" {
		t.Errorf("webhook info = %+v, %v", info, err)
	}

	if _, err := api.Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
		t.Fatal(err)
	}
	s.SendText(telegramtest.PrivateChat(u), u, "polling again")
	updates, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(updates) != 1 || updates[0].Message.Text != "polling again" {
		t.Fatalf("after deleteWebhook: %+v, %v", updates, err)
	}
}

func TestWebhookBadSecretKeepsRetrying(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	u := s.NewUser("Li", "Ming", "en")
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	defer hook.Close()
	if _, err := api.MakeRequest("setWebhook", tgbotapi.Params{"url": hook.URL}); err != nil {
		t.Fatal(err)
	}
	s.SendText(telegramtest.PrivateChat(u), u, "hi")
	// The match looks at all attempts so far: it holds once there have been three.
	s.WaitDelivery(t, func(telegramtest.Delivery) bool { return len(s.WebhookDeliveries()) >= 3 })
	for _, d := range s.WebhookDeliveries() {
		if d.Status != 403 || d.UpdateID != 1 {
			t.Errorf("delivery = %+v, want update 1 refused with 403", d)
		}
	}
	if info, _ := api.GetWebhookInfo(); info.PendingUpdateCount != 1 || !strings.Contains(info.LastErrorMessage, "403") {
		t.Errorf("webhook info = %+v, want the update still pending and the 403 as last error", info)
	}
	// An empty URL removes the webhook, as in Telegram.
	resp, err := api.MakeRequest("setWebhook", tgbotapi.Params{"url": ""})
	if err != nil || resp.Description != "Webhook was deleted" {
		t.Fatalf("setWebhook with no URL = %+v, %v", resp, err)
	}
}

func TestRequestEncodings(t *testing.T) {
	s := telegramtest.NewServer(t)
	g := s.NewForumGroup("群")
	topic := s.NewTopic(g, "水稻")
	post := func(method, contentType string, body []byte) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(s.URL()+"/bot"+s.Token()+"/"+method, contentType, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		raw, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s answered %q, not JSON", method, raw)
		}
		return resp.StatusCode, out
	}

	status, out := post("sendMessage", "application/json", fmt.Appendf(nil,
		`{"chat_id": %d, "text": "hi", "disable_notification": true, "message_thread_id": %d, "reply_markup": {"inline_keyboard": [[{"text": "b", "callback_data": "d"}]]}}`, g.ID, topic))
	if status != 200 || out["ok"] != true {
		t.Fatalf("JSON sendMessage = %d %v", status, out)
	}
	c := s.Calls("sendMessage")[0]
	if c.Params["chat_id"] != strconv.FormatInt(g.ID, 10) || c.Params["disable_notification"] != "true" || c.Params["message_thread_id"] != strconv.Itoa(topic) ||
		!strings.Contains(c.Params["reply_markup"], `"callback_data": "d"`) {
		t.Errorf("params = %v", c.Params)
	}
	result := out["result"].(map[string]any)
	if _, ok := result["reply_markup"]; !ok {
		t.Errorf("result = %v, want the reply markup", result)
	}
	for k, v := range result {
		if v == nil {
			t.Errorf("result has %s: null; Telegram leaves absent fields out", k)
		}
	}

	resp, err := http.Get(s.URL() + "/bot" + s.Token() + "/getMe?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || s.Calls("getme")[0].Params["x"] != "1" {
		t.Errorf("GET getMe = %d, params %v", resp.StatusCode, s.Calls("getme")[0].Params)
	}

	status, out = post("sendDice", "application/json", []byte(`{}`))
	if status != 404 || out["ok"] != false || out["error_code"] != float64(404) || out["description"] != "Not Found" {
		t.Errorf("unknown method = %d %v", status, out)
	}
	resp, err = http.Post(s.URL()+"/bot1:nope/getMe", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || string(raw) != `{"ok":false,"error_code":401,"description":"Unauthorized"}` {
		t.Errorf("wrong token = %d %s", resp.StatusCode, raw)
	}
}

func TestMultipartParams(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("群")
	// tgbotapi sends multipart when a file is uploaded: the parameters are read, and the
	// file is kept under a new file id.
	doc := tgbotapi.NewDocument(g.ID, tgbotapi.FileBytes{Name: "report.csv", Bytes: []byte("a,b\n")})
	doc.Caption = "周报"
	sent, err := api.Send(doc)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Calls("sendDocument")[0]
	if c.Status != 200 || c.Params["caption"] != "周报" || c.Params["document"] != "report.csv" {
		t.Errorf("call = %+v", c)
	}
	if sent.Document == nil || sent.Document.FileName != "report.csv" || sent.Document.MimeType != "text/csv" || sent.Document.FileSize != 4 || sent.Caption != "周报" {
		t.Fatalf("sent = %+v, document %+v", sent, sent.Document)
	}
	if data, ok := s.FileBytes(sent.Document.FileID); !ok || string(data) != "a,b\n" {
		t.Errorf("FileBytes = %q, %v; want the uploaded bytes", data, ok)
	}
}

func TestMyCommands(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	cmds := []tgbotapi.BotCommand{{Command: "ask", Description: "提问"}, {Command: "queue", Description: "待认领的问题"}}
	if _, err := api.Request(tgbotapi.NewSetMyCommands(cmds...)); err != nil {
		t.Fatal(err)
	}
	got, err := api.GetMyCommands()
	if err != nil || fmt.Sprint(got) != fmt.Sprint(cmds) {
		t.Errorf("getMyCommands = %+v, %v", got, err)
	}
	if got := s.Commands(tgbotapi.BotCommandScope{}, ""); len(got) != 2 {
		t.Errorf("Commands = %+v", got)
	}
	_, err = api.Request(tgbotapi.NewSetMyCommands(tgbotapi.BotCommand{Command: "Ask", Description: "x"}))
	wantAPIErr(t, err, 400, "BOT_COMMAND_INVALID")
	if _, err := api.Request(tgbotapi.NewDeleteMyCommands()); err != nil {
		t.Fatal(err)
	}
	if got, err := api.GetMyCommands(); err != nil || len(got) != 0 {
		t.Errorf("after delete = %+v, %v", got, err)
	}
}

func TestPushUpdateAndAllowedUpdates(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("群")
	u := s.NewUser("A", "", "en")
	id := s.PushUpdate(tgbotapi.Update{MyChatMember: &tgbotapi.ChatMemberUpdated{Chat: g, From: u}})
	if _, err := api.GetUpdates(tgbotapi.UpdateConfig{Offset: id + 1, AllowedUpdates: []string{"callback_query"}}); err != nil {
		t.Fatal(err)
	}
	s.WaitConfirmed(t, id)
	s.SendText(telegramtest.PrivateChat(u), u, "filtered out")
	updates, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(updates) != 0 {
		t.Errorf("updates = %+v, %v; want none: messages are not allowed", updates, err)
	}
}

func TestWaitMessageTimeoutShowsChat(t *testing.T) {
	rec := &fatalRecorder{TB: t}
	s := telegramtest.NewServer(rec)
	s.SetWaitTimeout(50 * time.Millisecond)
	u := s.NewUser("张", "", "zh-hans")
	s.SendText(telegramtest.PrivateChat(u), u, "有人吗")
	msg := fatalOf(rec, func() { s.WaitMessage(rec, u.ID, nil) })
	if !strings.Contains(msg, "no message from the bot") || !strings.Contains(msg, "有人吗") {
		t.Errorf("failure = %q, want the chat's messages shown", msg)
	}
}

// WaitMessage looks again at a message it has seen only when the message, or the one it
// replies to, changes: a wait that began before an edit or a farmer's edit of the
// question still sees it, and MessagesAfter and LastMessageID read from a mark on.
func TestWaitMessageSeesEditsMadeWhileItWaits(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("群")
	farmer := s.NewUser("张", "", "zh-hans")
	question := s.SendText(g, farmer, "/ask 水稻")
	msg := tgbotapi.NewMessage(g.ID, "#1 待认领")
	msg.ReplyToMessageID = question.MessageID
	sent, err := api.Send(msg)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.LastMessageID(g.ID); got != sent.MessageID {
		t.Fatalf("LastMessageID = %d, want %d", got, sent.MessageID)
	}

	// wait starts a WaitMessage for match and returns once match has turned down the
	// message as it stood, with what the wait found in the end.
	wait := func(match func(tgbotapi.Message) bool) <-chan tgbotapi.Message {
		looked, found := make(chan struct{}), make(chan tgbotapi.Message, 1)
		var once sync.Once
		go func() {
			// A wait that runs out fails the test; closing found ends the test's wait too.
			defer close(found)
			found <- s.WaitMessage(t, g.ID, func(m tgbotapi.Message) bool {
				if match(m) {
					return true
				}
				once.Do(func() { close(looked) })
				return false
			})
		}()
		<-looked
		return found
	}

	claimed := wait(func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "已认领") })
	if _, err := api.Request(tgbotapi.NewEditMessageText(g.ID, sent.MessageID, "#1 已认领")); err != nil {
		t.Fatal(err)
	}
	if m := <-claimed; m.MessageID != sent.MessageID {
		t.Errorf("found message %d, want the edited %d", m.MessageID, sent.MessageID)
	}

	quoted := wait(func(m tgbotapi.Message) bool {
		return m.ReplyToMessage != nil && strings.Contains(m.ReplyToMessage.Text, "稻瘟")
	})
	s.EditText(g, farmer, question, "/ask 水稻稻瘟")
	if m := <-quoted; m.MessageID != sent.MessageID || m.Text != "#1 已认领" {
		t.Errorf("found %d %q, want the bot's message quoting the edited question", m.MessageID, m.Text)
	}

	if after := s.MessagesAfter(g.ID, question.MessageID); len(after) != 1 || after[0].MessageID != sent.MessageID {
		t.Errorf("MessagesAfter the question = %+v, want only the bot's message", after)
	}
	if after := s.MessagesAfter(g.ID, sent.MessageID); len(after) != 0 {
		t.Errorf("MessagesAfter the newest = %+v, want none", after)
	}
}
