package telegramtest_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// TestWhatReachesTheBotUnderEachPrivacySettingAndStanding: with privacy on and the bot
// no admin, /ask and a reply to the bot arrive, a plain question and a mention do not;
// as an admin, or with privacy off, all four arrive.
func TestWhatReachesTheBotUnderEachPrivacySettingAndStanding(t *testing.T) {
	for _, tt := range []struct {
		name           string
		privacy, admin bool
		want           string
	}{
		{"privacy on, member", true, false, "[/ask 稻叶黄 reply]"},
		{"privacy on, admin", true, true, "[/ask 稻叶黄 reply 稻叶黄了怎么办 @agriclinic_test_bot 看看]"},
		{"privacy off, member", false, false, "[/ask 稻叶黄 reply 稻叶黄了怎么办 @agriclinic_test_bot 看看]"},
		{"privacy off, admin", false, true, "[/ask 稻叶黄 reply 稻叶黄了怎么办 @agriclinic_test_bot 看看]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := telegramtest.NewServer(t)
			api := newAPI(t, s)
			s.SetPrivacyMode(tt.privacy)
			g := s.NewGroup("群")
			u := s.NewUser("张", "", "zh-hans")
			owner := s.NewUser("群主", "", "zh-hans")
			if tt.admin {
				s.SetBotAdmin(g, owner, telegramtest.Rights{})
				updates(t, api) // the my_chat_member update
			}
			sent, err := api.Send(tgbotapi.NewMessage(g.ID, "bot says"))
			if err != nil {
				t.Fatal(err)
			}
			s.SendText(g, u, "/ask 稻叶黄")
			s.ReplyText(g, u, sent, "reply")
			s.SendText(g, u, "稻叶黄了怎么办")
			s.SendText(g, u, "@agriclinic_test_bot 看看")
			var got []string
			for _, up := range updates(t, api) {
				got = append(got, up.Message.Text)
			}
			if fmt.Sprint(got) != tt.want {
				t.Errorf("updates = %q, want %s", got, tt.want)
			}
			me, err := api.GetMe()
			if err != nil || me.CanReadAllGroupMessages == tt.privacy {
				t.Errorf("getMe = %+v, %v; want can_read_all_group_messages = %v", me, err, !tt.privacy)
			}
		})
	}
}

// TestAPrivacyChangeReachesAGroupOnlyWhenTheBotJoinsItAgain: getMe reports a change of
// privacy mode at once, but a group the bot is in keeps the mode the bot joined it with
// until the bot is removed and added back; a group joined after the change has the new
// mode at once; an admin bot reads everything from its promotion on, whatever the mode.
func TestAPrivacyChangeReachesAGroupOnlyWhenTheBotJoinsItAgain(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	old := s.NewGroup("老群")
	u := s.NewUser("张", "", "zh-hans")
	owner := s.NewUser("群主", "", "zh-hans")
	// seen lists the updates since the last look: a message's text, or the bot's
	// membership change.
	seen := func() string {
		t.Helper()
		var got []string
		for _, up := range updates(t, api) {
			switch {
			case up.Message != nil:
				got = append(got, up.Message.Text)
			case up.MyChatMember != nil:
				got = append(got, up.MyChatMember.OldChatMember.Status+"→"+up.MyChatMember.NewChatMember.Status)
			}
		}
		return fmt.Sprint(got)
	}
	readsAll := func(want bool) {
		t.Helper()
		if me, err := api.GetMe(); err != nil || me.CanReadAllGroupMessages != want {
			t.Errorf("getMe = %+v, %v; want can_read_all_group_messages = %v", me, err, want)
		}
	}

	s.SetPrivacyMode(false)
	readsAll(true)
	s.SendText(old, u, "还在隐私模式下")
	later := s.NewGroup("新群")
	s.SendText(later, u, "新群里的闲聊")
	if got, want := seen(), "[新群里的闲聊]"; got != want {
		t.Errorf("after privacy off: updates = %s, want %s (the old group keeps privacy until the bot is re-added)", got, want)
	}

	s.SetBotAdmin(old, owner, telegramtest.Rights{})
	s.SendText(old, u, "管理员都看得到")
	s.DemoteBot(old, owner)
	s.SendText(old, u, "降级之后")
	if got, want := seen(), "[member→administrator 管理员都看得到 administrator→member]"; got != want {
		t.Errorf("promoted and demoted: updates = %s, want %s", got, want)
	}

	s.RemoveBot(old, owner)
	s.AddBot(old, owner)
	s.SendText(old, u, "重新拉进来之后")
	if got, want := seen(), "[member→kicked kicked→member 重新拉进来之后]"; got != want {
		t.Errorf("re-added: updates = %s, want %s", got, want)
	}

	// Back on: the groups keep privacy off until the bot joins them again.
	s.SetPrivacyMode(true)
	readsAll(false)
	s.SendText(old, u, "隐私模式又开了")
	s.LeaveBot(later, owner)
	s.AddBot(later, owner)
	s.SendText(later, u, "新群重新拉进来")
	if got, want := seen(), "[隐私模式又开了 member→left left→member]"; got != want {
		t.Errorf("privacy on again: updates = %s, want %s", got, want)
	}
}

// TestAGeneralCommandGoesToTheLastBotThatWrote: under privacy mode a command without
// @username reaches the bot only while no other bot has written after it.
func TestAGeneralCommandGoesToTheLastBotThatWrote(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("群")
	u := s.NewUser("张", "", "zh-hans")
	other := tgbotapi.User{ID: 777, IsBot: true, FirstName: "Other", UserName: "other_bot"}
	s.SendText(g, u, "/help")
	s.SendText(g, other, "I am another bot")
	s.SendText(g, u, "/help again")
	s.SendText(g, u, "/help@agriclinic_test_bot")
	var got []string
	for _, up := range updates(t, api) {
		got = append(got, up.Message.Text)
	}
	if want := "[/help /help@agriclinic_test_bot]"; fmt.Sprint(got) != want {
		t.Errorf("updates = %q, want %s", got, want)
	}
}

// TestPromotingTheBotSendsMyChatMemberAndGetChatMemberTellsItsStanding: SetBotAdmin and
// DemoteBot queue my_chat_member with the old and new ChatMember, and getChatMember
// answers in Telegram's shape: every right of an administrator listed, true or false.
func TestPromotingTheBotSendsMyChatMemberAndGetChatMemberTellsItsStanding(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("群")
	owner := s.NewUser("群主", "", "zh-hans")
	farmer := s.NewUser("张", "", "zh-hans")
	stranger := s.NewUser("李", "", "zh-hans")

	member := func(userID int64) (map[string]any, error) {
		resp, err := api.MakeRequest("getChatMember", tgbotapi.Params{"chat_id": fmt.Sprint(g.ID), "user_id": fmt.Sprint(userID)})
		if err != nil {
			return nil, err
		}
		var m map[string]any
		return m, json.Unmarshal(resp.Result, &m)
	}
	if m, err := member(s.Bot().ID); err != nil || m["status"] != "member" {
		t.Errorf("the bot's standing = %v, %v; want member", m, err)
	}

	s.SetBotAdmin(g, owner, telegramtest.Rights{CanPinMessages: true})
	ups := updates(t, api)
	if len(ups) != 1 || ups[0].MyChatMember == nil {
		t.Fatalf("updates = %+v, want one my_chat_member", ups)
	}
	mcm := ups[0].MyChatMember
	if mcm.OldChatMember.Status != "member" || mcm.NewChatMember.Status != "administrator" || !mcm.NewChatMember.CanPinMessages ||
		mcm.From.ID != owner.ID || mcm.Chat.ID != g.ID || mcm.NewChatMember.User.ID != s.Bot().ID {
		t.Errorf("my_chat_member = %+v", mcm)
	}
	m, err := member(s.Bot().ID)
	if err != nil || m["status"] != "administrator" || m["can_pin_messages"] != true || m["can_delete_messages"] != false {
		t.Errorf("the admin bot's standing = %v, %v; want administrator with can_pin_messages, can_delete_messages false", m, err)
	}

	s.DemoteBot(g, owner)
	ups = updates(t, api)
	if len(ups) != 1 || ups[0].MyChatMember == nil || ups[0].MyChatMember.OldChatMember.Status != "administrator" ||
		ups[0].MyChatMember.NewChatMember.Status != "member" {
		t.Fatalf("updates = %+v, want my_chat_member administrator → member", ups)
	}

	s.SendText(g, farmer, "/ask 你好")
	if m, err := member(farmer.ID); err != nil || m["status"] != "member" {
		t.Errorf("a farmer who wrote = %v, %v; want member", m, err)
	}
	if m, err := member(stranger.ID); err != nil || m["status"] != "left" {
		t.Errorf("someone who never wrote = %v, %v; want left", m, err)
	}
	if _, err := member(424242); err == nil || !strings.Contains(err.Error(), "user not found") {
		t.Errorf("an unknown user: %v, want user not found", err)
	}
	if _, err := api.MakeRequest("getChatMember", tgbotapi.Params{"chat_id": "-100999", "user_id": "1"}); err == nil || !strings.Contains(err.Error(), "chat not found") {
		t.Errorf("an unknown chat: %v, want chat not found", err)
	}
}

// TestPinningNeedsAdminWithThePinRight: a member bot's pin and unpin get Telegram's 400;
// an admin without can_pin_messages too; with it, the message is pinned (a service
// message says so) and unpinned by id.
func TestPinningNeedsAdminWithThePinRight(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("群")
	owner := s.NewUser("群主", "", "zh-hans")
	sent, err := api.Send(tgbotapi.NewMessage(g.ID, "指南"))
	if err != nil {
		t.Fatal(err)
	}
	pin := tgbotapi.Params{"chat_id": fmt.Sprint(g.ID), "message_id": fmt.Sprint(sent.MessageID), "disable_notification": "true"}
	for _, rights := range []*telegramtest.Rights{nil, {CanDeleteMessages: true}} {
		if rights != nil {
			s.SetBotAdmin(g, owner, *rights)
		}
		for _, method := range []string{"pinChatMessage", "unpinChatMessage"} {
			_, err := api.MakeRequest(method, pin)
			if e := apiErr(t, err); e.Code != 400 || e.Message != "Bad Request: not enough rights to manage pinned messages in the chat" {
				t.Errorf("%s with rights %+v: %+v", method, rights, e)
			}
		}
	}
	if got := s.Pinned(g.ID); len(got) != 0 {
		t.Errorf("pinned = %v, want none", got)
	}

	s.SetBotAdmin(g, owner, telegramtest.Rights{CanPinMessages: true})
	if _, err := api.MakeRequest("pinChatMessage", pin); err != nil {
		t.Fatal(err)
	}
	if got := s.Pinned(g.ID); fmt.Sprint(got) != fmt.Sprint([]int{sent.MessageID}) {
		t.Errorf("pinned = %v, want [%d]", got, sent.MessageID)
	}
	msgs := s.Messages(g.ID)
	if last := msgs[len(msgs)-1]; last.PinnedMessage == nil || last.PinnedMessage.MessageID != sent.MessageID {
		t.Errorf("last message = %+v, want the service message of the pin", last)
	}
	if _, err := api.MakeRequest("pinChatMessage", tgbotapi.Params{"chat_id": fmt.Sprint(g.ID), "message_id": "999"}); err == nil ||
		!strings.Contains(err.Error(), "message to pin not found") {
		t.Errorf("pinning a missing message: %v", err)
	}
	if _, err := api.MakeRequest("unpinChatMessage", tgbotapi.Params{"chat_id": fmt.Sprint(g.ID), "message_id": fmt.Sprint(sent.MessageID)}); err != nil {
		t.Fatal(err)
	}
	if got := s.Pinned(g.ID); len(got) != 0 {
		t.Errorf("pinned after unpin = %v, want none", got)
	}
}
