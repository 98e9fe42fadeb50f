package telegramtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// num reads a JSON number decoded into any; -1 when it is not one.
func num(v any) int {
	if f, ok := v.(float64); ok {
		return int(f)
	}
	return -1
}

func TestForumTopicsInUpdates(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewForumGroup("白泥镇农户论坛")
	farmer := s.NewUser("张", "", "zh-hans")

	rice := s.NewTopic(g, "水稻")
	if rice < 2 {
		t.Fatalf("topic id = %d; 1 is the General topic's", rice)
	}
	ups := rawUpdates(t, api)
	if len(ups) != 1 {
		t.Fatalf("updates = %v, want the topic's creation, which reaches the bot in privacy mode", ups)
	}
	created := ups[0]["message"]
	if num(field(created, "message_id")) != rice || num(field(created, "message_thread_id")) != rice || field(created, "is_topic_message") != true ||
		field(created, "forum_topic_created", "name") != "水稻" || num(field(created, "forum_topic_created", "icon_color")) <= 0 ||
		field(created, "chat", "is_forum") != true || num(field(created, "sender_chat", "id")) != int(g.ID) ||
		field(created, "from", "username") != "GroupAnonymousBot" {
		t.Errorf("topic creation = %v", created)
	}

	ask := s.Post(g, farmer, telegramtest.Post{Text: "/ask 叶子发黄", ThreadID: rice})
	s.Post(g, farmer, telegramtest.Post{Text: "闲聊", ThreadID: rice}) // in a topic, but not for the bot
	general := s.Post(g, farmer, telegramtest.Post{Photo: true, Caption: "/ask 这是什么虫"})
	if ask.ReplyToMessage == nil || ask.ReplyToMessage.MessageID != rice {
		t.Errorf("a topic message replies to %v, want the topic's first message as in Telegram", ask.ReplyToMessage)
	}
	ups = rawUpdates(t, api)
	if len(ups) != 2 {
		t.Fatalf("updates = %v, want the two commands", ups)
	}
	inTopic, inGeneral := ups[0]["message"], ups[1]["message"]
	if num(field(inTopic, "message_id")) != ask.MessageID || num(field(inTopic, "message_thread_id")) != rice || field(inTopic, "is_topic_message") != true ||
		num(field(inTopic, "reply_to_message", "message_id")) != rice || field(inTopic, "reply_to_message", "forum_topic_created", "name") != "水稻" ||
		field(inTopic, "chat", "is_forum") != true {
		t.Errorf("topic message = %v", inTopic)
	}
	if field(inGeneral, "message_thread_id") != nil || field(inGeneral, "is_topic_message") != nil || field(inGeneral, "reply_to_message") != nil ||
		field(inGeneral, "chat", "is_forum") != true || field(inGeneral, "photo") == nil {
		t.Errorf("General message = %v, want no thread", inGeneral)
	}
	if s.ThreadOf(g.ID, ask.MessageID) != rice || s.ThreadOf(g.ID, general.MessageID) != 0 || s.ThreadOf(g.ID, 999) != 0 {
		t.Errorf("ThreadOf = %d, %d", s.ThreadOf(g.ID, ask.MessageID), s.ThreadOf(g.ID, general.MessageID))
	}

	// A reply without message_thread_id goes to the topic of the message it answers.
	chat := strconv.FormatInt(g.ID, 10)
	var reply map[string]any
	mustCall(t, api, "sendMessage", tgbotapi.Params{"chat_id": chat, "text": "收到", "reply_to_message_id": strconv.Itoa(ask.MessageID),
		"reply_markup": `{"inline_keyboard":[[{"text":"认领","callback_data":"claim:1"}]]}`}, &reply)
	replyID := num(reply["message_id"])
	if num(reply["message_thread_id"]) != rice || reply["is_topic_message"] != true || num(field(reply, "reply_to_message", "message_id")) != ask.MessageID ||
		num(field(reply, "reply_to_message", "message_thread_id")) != rice || s.ThreadOf(g.ID, replyID) != rice {
		t.Errorf("reply = %v, want it in the topic", reply)
	}
	// A user's reply to it reaches the bot, in the topic, through privacy mode.
	botMsg, _ := s.Message(g.ID, replyID)
	answer := s.Post(g, farmer, telegramtest.Post{Voice: true, ReplyTo: &botMsg})
	if s.ThreadOf(g.ID, answer.MessageID) != rice {
		t.Errorf("a reply without ThreadID is in topic %d, want the replied message's", s.ThreadOf(g.ID, answer.MessageID))
	}
	id := s.Press(g, farmer, botMsg, "claim:1")
	s.EditText(g, farmer, ask, "/ask 叶尖发黄")
	ups = rawUpdates(t, api)
	if len(ups) != 3 {
		t.Fatalf("updates = %v, want the voice, the press and the edit", ups)
	}
	if num(field(ups[0], "message", "message_thread_id")) != rice || field(ups[0], "message", "voice") == nil {
		t.Errorf("voice reply = %v", ups[0])
	}
	if field(ups[1], "callback_query", "id") != id || num(field(ups[1], "callback_query", "message", "message_thread_id")) != rice ||
		field(ups[1], "callback_query", "message", "chat", "is_forum") != true {
		t.Errorf("callback query = %v, want its message in the topic", ups[1])
	}
	if num(field(ups[2], "edited_message", "message_thread_id")) != rice || field(ups[2], "edited_message", "edit_date") == nil {
		t.Errorf("edit = %v", ups[2])
	}
	if msgs := s.Messages(g.ID); len(msgs) != 6 || msgs[0].MessageID != rice || msgs[0].From.UserName != "GroupAnonymousBot" {
		t.Errorf("Messages = %+v, want the topic's creation first", msgs)
	}
}

func TestForumSendsNeedRealTopics(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewForumGroup("论坛")
	plain := s.NewGroup("普通群")
	farmer := s.NewUser("张", "", "zh-hans")
	rice, wheat := s.NewTopic(g, "水稻"), s.NewTopic(g, "小麦")
	photo := s.Post(g, farmer, telegramtest.Post{Photo: true, ThreadID: wheat})
	general := s.SendText(g, farmer, "/help")
	chat, topic := strconv.FormatInt(g.ID, 10), strconv.Itoa(rice)

	// Every send method places its message in the topic, and a message there without a
	// reply shows the topic's first message as reply_to_message.
	var m map[string]any
	mustCall(t, api, "sendMessage", tgbotapi.Params{"chat_id": chat, "text": "x", "message_thread_id": topic}, &m)
	if num(m["message_thread_id"]) != rice || num(field(m, "reply_to_message", "message_id")) != rice || field(m, "reply_to_message", "forum_topic_created") == nil {
		t.Errorf("sendMessage in the topic = %v", m)
	}
	sends := []struct {
		method string
		p      tgbotapi.Params
	}{
		{"sendPhoto", tgbotapi.Params{"photo": photo.Photo[0].FileID}},
		{"sendLocation", tgbotapi.Params{"latitude": "30", "longitude": "104"}},
		{"sendMessage", tgbotapi.Params{"text": "y", "reply_to_message_id": strconv.Itoa(general.MessageID), "allow_sending_without_reply": "true"}},
	}
	for _, c := range sends {
		c.p["chat_id"], c.p["message_thread_id"] = chat, topic
		mustCall(t, api, c.method, c.p, &m)
		if num(m["message_thread_id"]) != rice || m["is_topic_message"] != true || s.ThreadOf(g.ID, num(m["message_id"])) != rice {
			t.Errorf("%s in the topic = %v", c.method, m)
		}
	}
	// The reply to a General message could not be one in the topic.
	if num(field(m, "reply_to_message", "message_id")) != rice {
		t.Errorf("a reply across topics = %v, want it sent as a plain topic message", m)
	}
	var album []map[string]any
	mustCall(t, api, "sendMediaGroup", tgbotapi.Params{"chat_id": chat, "message_thread_id": topic,
		"media": `[{"type":"photo","media":"` + photo.Photo[0].FileID + `"},{"type":"photo","media":"` + photo.Photo[1].FileID + `"}]`}, &album)
	for _, a := range album {
		if num(a["message_thread_id"]) != rice {
			t.Errorf("album message = %v, want it in the topic", a)
		}
	}
	var copied tgbotapi.MessageID
	mustCall(t, api, "copyMessage", tgbotapi.Params{"chat_id": chat, "from_chat_id": chat, "message_id": strconv.Itoa(photo.MessageID), "message_thread_id": topic}, &copied)
	if s.ThreadOf(g.ID, copied.MessageID) != rice {
		t.Errorf("copy is in topic %d, want %d", s.ThreadOf(g.ID, copied.MessageID), rice)
	}

	errs := []struct {
		method string
		p      tgbotapi.Params
		want   string
	}{
		{"sendMessage", tgbotapi.Params{"chat_id": chat, "text": "x", "message_thread_id": "999"}, "Bad Request: message thread not found"},
		{"sendMessage", tgbotapi.Params{"chat_id": chat, "text": "x", "message_thread_id": "1"}, "message thread not found"},
		{"sendMessage", tgbotapi.Params{"chat_id": chat, "text": "x", "message_thread_id": strconv.Itoa(photo.MessageID)}, "message thread not found"},
		{"sendMessage", tgbotapi.Params{"chat_id": strconv.FormatInt(plain.ID, 10), "text": "x", "message_thread_id": topic}, "message thread not found"},
		{"sendPhoto", tgbotapi.Params{"chat_id": chat, "photo": photo.Photo[0].FileID, "message_thread_id": "999"}, "message thread not found"},
		{"sendLocation", tgbotapi.Params{"chat_id": chat, "latitude": "1", "longitude": "1", "message_thread_id": "999"}, "message thread not found"},
		{"sendMediaGroup", tgbotapi.Params{"chat_id": chat, "message_thread_id": "999",
			"media": `[{"type":"photo","media":"` + photo.Photo[0].FileID + `"},{"type":"photo","media":"` + photo.Photo[1].FileID + `"}]`}, "message thread not found"},
		{"copyMessage", tgbotapi.Params{"chat_id": chat, "from_chat_id": chat, "message_id": strconv.Itoa(photo.MessageID), "message_thread_id": "999"}, "message thread not found"},
		// A reply in another topic is a reply to a message the topic does not have.
		{"sendMessage", tgbotapi.Params{"chat_id": chat, "text": "x", "message_thread_id": topic, "reply_to_message_id": strconv.Itoa(photo.MessageID)}, "message to reply not found"},
		{"copyMessage", tgbotapi.Params{"chat_id": chat, "from_chat_id": chat, "message_id": strconv.Itoa(rice)}, "message can't be copied"},
	}
	for _, e := range errs {
		_, err := call(api, e.method, e.p)
		wantAPIErr(t, err, 400, e.want)
	}
	// A message in General has no thread.
	if s.ThreadOf(g.ID, general.MessageID) != 0 {
		t.Errorf("General message in topic %d", s.ThreadOf(g.ID, general.MessageID))
	}
}

func TestForumMisuseFailsTheTest(t *testing.T) {
	misuse := func(f func(s *telegramtest.Server)) string {
		rec := &fatalRecorder{TB: t}
		s := telegramtest.NewServer(rec)
		return fatalOf(rec, func() { f(s) })
	}
	u := tgbotapi.User{ID: 500001, FirstName: "张"}
	for _, tt := range []struct {
		name string
		f    func(s *telegramtest.Server)
		want string
	}{
		{"topic in a plain group", func(s *telegramtest.Server) { s.NewTopic(s.NewGroup("群"), "x") }, "is not a forum group"},
		{"topic without a name", func(s *telegramtest.Server) { s.NewTopic(s.NewForumGroup("论坛"), "") }, "a topic's name has 1-128 characters"},
		{"a topic the forum lacks", func(s *telegramtest.Server) {
			s.Post(s.NewForumGroup("论坛"), u, telegramtest.Post{Text: "x", ThreadID: 7})
		}, "posts in topic 7, which chat"},
		{"a reply across topics", func(s *telegramtest.Server) {
			g := s.NewForumGroup("论坛")
			a, b := s.NewTopic(g, "a"), s.NewTopic(g, "b")
			m := s.Post(g, u, telegramtest.Post{Text: "x", ThreadID: a})
			s.Post(g, u, telegramtest.Post{Text: "y", ThreadID: b, ReplyTo: &m})
		}, "a client replies within the topic"},
	} {
		if got := misuse(tt.f); !strings.Contains(got, tt.want) {
			t.Errorf("%s: failure = %q, want it to contain %q", tt.name, got, tt.want)
		}
	}
}

func TestForumWebhookCarriesThreads(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewForumGroup("论坛")
	u := s.NewUser("张", "", "zh-hans")
	rice := s.NewTopic(g, "水稻")
	bodies := make(chan []byte, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
	}))
	defer hook.Close()
	if _, err := api.MakeRequest("setWebhook", tgbotapi.Params{"url": hook.URL}); err != nil {
		t.Fatal(err)
	}
	s.Post(g, u, telegramtest.Post{Text: "/ask 稻", ThreadID: rice})
	next := func() map[string]any {
		t.Helper()
		select {
		case b := <-bodies:
			var up map[string]any
			if err := json.Unmarshal(b, &up); err != nil {
				t.Fatalf("webhook body %s: %v", b, err)
			}
			return up
		case <-time.After(telegramtest.DefaultWaitTimeout):
			t.Fatalf("no webhook delivery within %v; deliveries: %+v", telegramtest.DefaultWaitTimeout, s.WebhookDeliveries())
			return nil
		}
	}
	if created := next(); field(created, "message", "forum_topic_created", "name") != "水稻" {
		t.Errorf("first webhook update = %v, want the topic's creation", created)
	}
	up := next()
	if num(field(up, "message", "message_thread_id")) != rice || field(up, "message", "is_topic_message") != true || field(up, "message", "chat", "is_forum") != true {
		t.Errorf("webhook update = %v, want the thread", up)
	}
}
