package telegramtest_test

import (
	"encoding/json"
	"strconv"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// memberChange is a my_chat_member update as raw JSON reads, so that what tgbotapi v5.5.1
// does not decode (until_date) is checked too.
type memberChange struct {
	Chat struct {
		ID   int64  `json:"id"`
		Type string `json:"type"`
	} `json:"chat"`
	From struct {
		ID int64 `json:"id"`
	} `json:"from"`
	Old struct {
		Status string `json:"status"`
		User   struct {
			ID int64 `json:"id"`
		} `json:"user"`
	} `json:"old_chat_member"`
	New struct {
		Status    string `json:"status"`
		UntilDate *int64 `json:"until_date"`
		User      struct {
			ID int64 `json:"id"`
		} `json:"user"`
	} `json:"new_chat_member"`
}

// memberChanges confirms the waiting updates and returns the my_chat_member ones.
func memberChanges(t *testing.T, api *tgbotapi.BotAPI) []memberChange {
	t.Helper()
	resp, err := api.MakeRequest("getUpdates", tgbotapi.Params{"offset": "-100"})
	if err != nil {
		t.Fatalf("getUpdates: %v", err)
	}
	var raw []struct {
		UpdateID int             `json:"update_id"`
		Change   json.RawMessage `json:"my_chat_member"`
	}
	if err := json.Unmarshal(resp.Result, &raw); err != nil {
		t.Fatal(err)
	}
	var out []memberChange
	last := 0
	for _, u := range raw {
		last = u.UpdateID
		if u.Change == nil {
			continue
		}
		var c memberChange
		if err := json.Unmarshal(u.Change, &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if last > 0 {
		if _, err := api.MakeRequest("getUpdates", tgbotapi.Params{"offset": strconv.Itoa(last + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestBotRemovedFromGroupsAsTelegramDoes: a supergroup that removes the bot bans it
// ("kicked"), a basic group leaves it ("left"), a supergroup it left without a ban says
// it is no member; each send is refused with Telegram's words, the group's messages make
// no updates, and adding the bot back ends all of it, with the my_chat_member updates
// Telegram sends.
func TestBotRemovedFromGroupsAsTelegramDoes(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	admin := s.NewUser("王", "", "zh-hans")
	farmer := s.NewUser("张", "", "zh-hans")
	super := s.NewGroup("白泥镇")
	basic := tgbotapi.Chat{ID: -4000001, Type: "group", Title: "龙溪镇"}
	s.SendText(basic, farmer, "/ask 一个问题") // the fake learns of the basic group
	left := s.NewGroup("小腮镇")
	memberChanges(t, api)

	sent, err := api.Send(tgbotapi.NewMessage(super.ID, "在群里"))
	if err != nil {
		t.Fatal(err)
	}
	s.RemoveBot(super, admin)
	s.RemoveBot(basic, admin)
	s.LeaveBot(left, admin)
	changes := memberChanges(t, api)
	want := []struct {
		chat          int64
		old, new      string
		banForEver    bool
		refusal, kind string
	}{
		{super.ID, "member", "kicked", true, "Forbidden: bot was kicked from the supergroup chat", "supergroup"},
		{basic.ID, "member", "left", false, "Forbidden: bot was kicked from the group chat", "group"},
		{left.ID, "member", "left", false, "Forbidden: bot is not a member of the supergroup chat", "supergroup"},
	}
	if len(changes) != len(want) {
		t.Fatalf("my_chat_member updates = %+v, want %d", changes, len(want))
	}
	for i, w := range want {
		c := changes[i]
		if c.Chat.ID != w.chat || c.Chat.Type != w.kind || c.From.ID != admin.ID || c.Old.Status != w.old || c.New.Status != w.new ||
			c.Old.User.ID != s.Bot().ID || c.New.User.ID != s.Bot().ID {
			t.Errorf("update %d = %+v, want chat %d (%s) by the admin, bot %s → %s", i, c, w.chat, w.kind, w.old, w.new)
		}
		if got := c.New.UntilDate != nil && *c.New.UntilDate == 0; got != w.banForEver {
			t.Errorf("update %d: until_date = %v, want it (0) only on a ban", i, c.New.UntilDate)
		}
		_, err := api.Send(tgbotapi.NewMessage(w.chat, "还在吗"))
		wantAPIErr(t, err, 403, w.refusal)
		if e := apiErr(t, err); e.Message != w.refusal {
			t.Errorf("refusal = %q, want exactly %q", e.Message, w.refusal)
		}
	}
	_, err = api.Send(tgbotapi.NewEditMessageText(super.ID, sent.MessageID, "改一下"))
	wantAPIErr(t, err, 403, "bot was kicked from the supergroup chat")
	_, err = api.MakeRequest("getChatMember", tgbotapi.Params{"chat_id": strconv.FormatInt(super.ID, 10), "user_id": strconv.FormatInt(s.Bot().ID, 10)})
	wantAPIErr(t, err, 403, "bot was kicked from the supergroup chat")
	_, err = api.MakeRequest("pinChatMessage", tgbotapi.Params{"chat_id": strconv.FormatInt(super.ID, 10), "message_id": strconv.Itoa(sent.MessageID)})
	wantAPIErr(t, err, 403, "bot was kicked from the supergroup chat")
	s.SendText(super, farmer, "/ask 机器人还在吗")
	if changes := memberChanges(t, api); len(changes) != 0 || s.BotInGroup(super.ID) {
		t.Errorf("after removal: updates %+v, in group %v; want none, not in the group", changes, s.BotInGroup(super.ID))
	}

	s.AddBot(super, admin)
	changes = memberChanges(t, api)
	if len(changes) != 1 || changes[0].Old.Status != "kicked" || changes[0].New.Status != "member" {
		t.Fatalf("re-added: updates = %+v, want kicked → member", changes)
	}
	if _, err := api.Send(tgbotapi.NewMessage(super.ID, "回来了")); err != nil || !s.BotInGroup(super.ID) {
		t.Errorf("send after re-adding: %v, in group %v", err, s.BotInGroup(super.ID))
	}
}

// TestBlockingTheBotAsTelegramDoes: a person who blocks the bot makes a my_chat_member
// update in their private chat (member → kicked), sends to them are refused with
// Telegram's words, and their /start unblocks it: first the update (kicked → member),
// then the message.
func TestBlockingTheBotAsTelegramDoes(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	u := s.NewUser("李", "明", "zh-hans")
	s.SendText(telegramtest.PrivateChat(u), u, "/start")
	memberChanges(t, api)

	s.Block(u)
	s.Block(u) // blocking twice changes nothing more
	changes := memberChanges(t, api)
	if len(changes) != 1 || changes[0].Chat.ID != u.ID || changes[0].Chat.Type != "private" || changes[0].From.ID != u.ID ||
		changes[0].Old.Status != "member" || changes[0].New.Status != "kicked" {
		t.Fatalf("block: updates = %+v, want one member → kicked in the private chat", changes)
	}
	_, err := api.Send(tgbotapi.NewMessage(u.ID, "新问题"))
	wantAPIErr(t, err, 403, "Forbidden: bot was blocked by the user")

	s.SendText(telegramtest.PrivateChat(u), u, "/start")
	resp, err := api.MakeRequest("getUpdates", tgbotapi.Params{"offset": "-100"})
	if err != nil {
		t.Fatal(err)
	}
	var ups []map[string]json.RawMessage
	if err := json.Unmarshal(resp.Result, &ups); err != nil {
		t.Fatal(err)
	}
	if len(ups) != 2 || ups[0]["my_chat_member"] == nil || ups[1]["message"] == nil {
		t.Fatalf("unblock by /start: updates = %s, want my_chat_member then the message", resp.Result)
	}
	if _, err := api.Send(tgbotapi.NewMessage(u.ID, "又能收到了")); err != nil {
		t.Errorf("send after /start: %v", err)
	}
}

// TestADeletedGroupIsAChatNotFound: a deleted group makes no update, and every call for it
// is answered 400 "Bad Request: chat not found".
func TestADeletedGroupIsAChatNotFound(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("构皮滩镇")
	memberChanges(t, api)
	s.DeleteGroup(g)
	_, err := api.Send(tgbotapi.NewMessage(g.ID, "还在吗"))
	wantAPIErr(t, err, 400, "Bad Request: chat not found")
	if changes := memberChanges(t, api); len(changes) != 0 {
		t.Errorf("updates = %+v, want none", changes)
	}
}
