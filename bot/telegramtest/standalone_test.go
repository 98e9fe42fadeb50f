package telegramtest_test

import (
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// A standalone fake (the demo's) numbers from where it is told, and answers what no
// client could do with an error instead of failing a test, staying usable after it.
func TestStandaloneFakeRefusesImpossibleActionsWithErrors(t *testing.T) {
	t.Parallel()
	s := telegramtest.NewStandalone(telegramtest.StandaloneOptions{FirstUpdateID: 5000})
	defer s.Close()
	group := s.OpenGroup(-1001000000001, "白泥镇农技服务群", 700)
	farmer := tgbotapi.User{ID: 700001, FirstName: "王大伯"}
	s.OpenPrivateChat(farmer, 700, false)

	changed := s.Changed()
	m, err := s.TryPost(group, farmer, telegramtest.Post{Text: "/ask 水稻卷叶"})
	if err != nil || m.MessageID != 700 {
		t.Fatalf("first post = message %d, %v; want message 700", m.MessageID, err)
	}
	select {
	case <-changed:
	default:
		t.Error("Changed was not closed by a post")
	}
	if id := s.PushUpdate(tgbotapi.Update{}); id != 5001 {
		t.Errorf("second update id = %d, want 5001 (the post was 5000)", id)
	}

	missing := tgbotapi.Message{MessageID: 12345}
	if _, err := s.TryPost(group, farmer, telegramtest.Post{Text: "追问", ReplyTo: &missing}); err == nil {
		t.Error("a reply to a message the chat does not have was posted")
	}
	if _, err := s.TryPress(group, farmer, m, "claim:1"); err == nil {
		t.Error("a button the message does not have was pressed")
	}
	if _, err := s.TryPost(group, farmer, telegramtest.Post{Photo: true, Data: []byte("not an image")}); err == nil {
		t.Error("a photo that is no image was posted")
	}
	// The refusals left the fake unlocked and working.
	if m, err := s.TryPost(group, farmer, telegramtest.Post{Text: "还在吗", ReplyTo: &m}); err != nil || m.MessageID != 701 {
		t.Errorf("post after the refusals = message %d, %v; want message 701", m.MessageID, err)
	}
	if again := s.OpenGroup(group.ID, "另一个名字", 1); again.Title != group.Title {
		t.Errorf("opening the group again made it %q", again.Title)
	}
}
