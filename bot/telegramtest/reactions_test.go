package telegramtest_test

import (
	"net/http"
	"slices"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// react calls setMessageReaction with a raw reaction parameter.
func react(api *tgbotapi.BotAPI, chatID int64, messageID int, reaction string) error {
	p := tgbotapi.Params{}
	p.AddNonZero64("chat_id", chatID)
	p.AddNonZero("message_id", messageID)
	p["reaction"] = reaction
	_, err := api.MakeRequest("setMessageReaction", p)
	return err
}

func TestSetMessageReactionFollowsTelegramsRules(t *testing.T) {
	t.Parallel()
	s := telegramtest.NewServer(t)
	s.EnforceLimits(telegramtest.DefaultLimits)
	api := newAPI(t, s)
	group := s.NewGroup("白泥镇")
	farmer := s.NewUser("张", "", "zh")
	m := s.SendText(group, farmer, "/ask 水稻叶子发黄")

	for i := range 3 { // a reaction is no message: not limited
		if err := react(api, group.ID, m.MessageID, `[{"type":"emoji","emoji":"👀"}]`); err != nil {
			t.Fatalf("reaction %d: %v", i+1, err)
		}
	}
	if got := s.Reactions(group.ID, m.MessageID); !slices.Equal(got, []string{"👀"}) {
		t.Errorf("reactions = %q, want 👀", got)
	}
	if err := react(api, group.ID, m.MessageID, `[{"type":"emoji","emoji":"👍"}]`); err != nil {
		t.Fatal(err)
	}
	if got := s.Reactions(group.ID, m.MessageID); !slices.Equal(got, []string{"👍"}) {
		t.Errorf("reactions after a second call = %q, want 👍 (replaced)", got)
	}

	for _, tc := range []struct {
		name, reaction, want string
		messageID            int
	}{
		{"not a reaction emoji", `[{"type":"emoji","emoji":"🌾"}]`, "REACTION_INVALID", m.MessageID},
		{"a custom emoji", `[{"type":"custom_emoji","custom_emoji_id":"5368324170671202286"}]`, "REACTION_INVALID", m.MessageID},
		{"a paid reaction", `[{"type":"paid"}]`, "REACTION_INVALID", m.MessageID},
		{"two at once", `[{"type":"emoji","emoji":"👍"},{"type":"emoji","emoji":"👀"}]`, "REACTIONS_TOO_MANY", m.MessageID},
		{"no such message", `[{"type":"emoji","emoji":"👀"}]`, "message to react not found", 999},
		{"not JSON", `👀`, "can't parse", m.MessageID},
	} {
		wantAPIErr(t, react(api, group.ID, tc.messageID, tc.reaction), http.StatusBadRequest, tc.want)
	}

	s.SetAvailableReactions(group.ID, "🔥", "👍")
	wantAPIErr(t, react(api, group.ID, m.MessageID, `[{"type":"emoji","emoji":"👀"}]`), http.StatusBadRequest, "REACTION_INVALID")
	if err := react(api, group.ID, m.MessageID, `[{"type":"emoji","emoji":"🔥"}]`); err != nil {
		t.Fatalf("an available reaction: %v", err)
	}
	s.SetAvailableReactions(group.ID)
	wantAPIErr(t, react(api, group.ID, m.MessageID, `[{"type":"emoji","emoji":"🔥"}]`), http.StatusBadRequest, "REACTION_INVALID")
	if err := react(api, group.ID, m.MessageID, `[]`); err != nil {
		t.Fatalf("removing the reactions where reactions are off: %v", err)
	}
	if got := s.Reactions(group.ID, m.MessageID); got != nil {
		t.Errorf("reactions after an empty list = %q, want none", got)
	}
	s.AllowAllReactions(group.ID)
	if err := react(api, group.ID, m.MessageID, `[{"type":"emoji","emoji":"👀"}]`); err != nil {
		t.Fatalf("every emoji allowed again: %v", err)
	}
	if s.TooManyRequests() != 0 {
		t.Errorf("TooManyRequests = %d, want 0: reactions are not messages", s.TooManyRequests())
	}
}
