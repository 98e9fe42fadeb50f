package telegramtest

import (
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// PostMessage makes from post m in chat, for what Post cannot make: a sticker, a poll, a
// dice, a contact, a venue, a forwarded message (forward_from_chat…), a message sent on
// behalf of a chat (sender_chat: an anonymous admin, whom Telegram names as from
// GroupAnonymousBot, or a channel, from Channel_Bot), or entities of the test's own. The
// message gets the chat's next message id, from, the date and the chat; m's other fields
// are kept as given, and the mention and bot_command entities Telegram marks in its text
// when m has none. m.ReplyToMessage, when set, must be a message of the chat; the update
// carries it as it stands now. The message becomes an update if it reaches the bot (see
// SetPrivacyMode); it is returned as the bot would get it.
func (s *Server) PostMessage(chat tgbotapi.Chat, from tgbotapi.User, m tgbotapi.Message) tgbotapi.Message {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if chat.Type == "private" && chat.ID != from.ID {
		s.t.Fatalf("telegramtest: %s (%d) cannot write in the private chat of user %d", from.FirstName, from.ID, chat.ID)
	}
	p := s.person(from)
	if chat.Type == "private" {
		chat = PrivateChat(from)
		s.unblock(p)
	}
	c := s.chatOf(chat)
	topic, replyTo := s.userPlace(c, from, Post{ReplyTo: m.ReplyToMessage})
	msg := clone(m)
	msg.ReplyToMessage = nil
	if msg.Entities == nil {
		msg.Entities = userEntities(msg.Text)
	}
	if msg.CaptionEntities == nil {
		msg.CaptionEntities = userEntities(msg.Caption)
	}
	c.lastID++
	f, ci := from, c.info
	msg.MessageID, msg.From, msg.Date, msg.Chat = c.lastID, &f, now(), &ci
	st := &stored{msg: msg, replyTo: replyTo, topic: topic}
	c.add(st)
	out := s.render(c, st)
	s.deliverUserMessage(c, st, out)
	s.notify()
	return out
}
