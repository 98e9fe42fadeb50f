package telegramtest_test

import (
	"encoding/json"
	"strconv"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// TestPushRawSendsItsJSONInOrderWhateverAllowedUpdatesSays queues an update of a kind
// tgbotapi has no type for among ordinary ones: getUpdates returns it as given, with the
// id it was assigned, between the others, even though allowed_updates leaves it out; a
// raw update pushed again with its id is a redelivery.
func TestPushRawSendsItsJSONInOrderWhateverAllowedUpdatesSays(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	mustCall(t, api, "getUpdates", tgbotapi.Params{"allowed_updates": `["message"]`}, nil)
	u := s.NewUser("张", "三", "zh")
	s.SendText(telegramtest.PrivateChat(u), u, "before")
	id := s.PushRaw(`{"message_reaction":{"chat":{"id":-100,"type":"supergroup"},"message_id":7,"date":1,"old_reaction":[],"new_reaction":[{"type":"emoji","emoji":"👍"}]}}`)
	s.SendText(telegramtest.PrivateChat(u), u, "after")

	var got []map[string]json.RawMessage
	mustCall(t, api, "getUpdates", nil, &got)
	if len(got) != 3 || string(got[1]["update_id"]) != strconv.Itoa(id) || got[1]["message_reaction"] == nil || got[2]["message"] == nil {
		t.Fatalf("getUpdates = %v, want a message, the reaction %d and a message", got, id)
	}

	mustCall(t, api, "getUpdates", tgbotapi.Params{"offset": strconv.Itoa(id + 2)}, nil)
	s.WaitConfirmed(t, id+1)
	if again := s.PushRaw(`{"update_id":` + strconv.Itoa(id) + `,"chat_boost":{}}`); again != id {
		t.Fatalf("PushRaw with update_id %d returned %d", id, again)
	}
	mustCall(t, api, "getUpdates", nil, &got)
	if len(got) != 1 || string(got[0]["update_id"]) != strconv.Itoa(id) || got[0]["chat_boost"] == nil {
		t.Fatalf("getUpdates = %v, want update %d again", got, id)
	}
}

// TestPostMessageKeepsWhatPostCannotMakeAndFollowsPrivacyMode posts a sticker replying to
// the bot and a dice replying to nobody in a group: in privacy mode only the sticker
// reaches the bot, with its reply, and both are in the chat's history.
func TestPostMessageKeepsWhatPostCannotMakeAndFollowsPrivacyMode(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("群")
	u := s.NewUser("张", "", "zh-hans")
	sent, err := api.Send(tgbotapi.NewMessage(g.ID, "bot says"))
	if err != nil {
		t.Fatal(err)
	}
	s.PostMessage(g, u, tgbotapi.Message{Dice: &tgbotapi.Dice{Emoji: "🎲", Value: 3}})
	sticker := s.PostMessage(g, u, tgbotapi.Message{Sticker: &tgbotapi.Sticker{FileID: "s", FileUniqueID: "su", Emoji: "👍"}, ReplyToMessage: &sent})
	if id := s.LastUpdateID(); id != 1 {
		t.Errorf("LastUpdateID = %d, want 1: only the sticker made an update", id)
	}
	updates, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(updates) != 1 {
		t.Fatalf("updates = %+v, %v; want the sticker only", updates, err)
	}
	m := updates[0].Message
	if m.MessageID != sticker.MessageID || m.Sticker == nil || m.Sticker.Emoji != "👍" || m.ReplyToMessage == nil || m.ReplyToMessage.MessageID != sent.MessageID {
		t.Errorf("update = %+v, want the sticker replying to the bot", m)
	}
	if n := len(s.Messages(g.ID)); n != 3 {
		t.Errorf("history has %d messages, want 3", n)
	}
}
