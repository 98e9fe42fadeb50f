package telegramtest

import (
	"encoding/json"
	"net/http"
	"slices"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Rights are the rights of an administrator, the can_* fields of Telegram's
// ChatMemberAdministrator that the fake acts on or reports. A right left false is
// reported as false, as Telegram lists every one.
type Rights struct {
	CanManageChat      bool
	CanDeleteMessages  bool
	CanRestrictMembers bool
	CanPromoteMembers  bool
	CanChangeInfo      bool
	CanInviteUsers     bool
	CanPinMessages     bool
	CanManageTopics    bool
}

// AllRights is what a group owner gives an admin by default in Telegram's apps.
var AllRights = Rights{CanManageChat: true, CanDeleteMessages: true, CanRestrictMembers: true,
	CanPromoteMembers: false, CanChangeInfo: true, CanInviteUsers: true, CanPinMessages: true, CanManageTopics: true}

// botAdmin is the bot's standing in a chat: nil for a plain member, the rights of an
// administrator otherwise. It is kept per chat in Server.botAdmins.
func (s *Server) botAdmin(chatID int64) *Rights {
	return s.botAdmins[chatID]
}

// SetBotAdmin makes the bot an administrator of the group with rights (or changes its
// rights), as the group's owner by does in the app, and queues the my_chat_member update
// Telegram sends the bot: old and new ChatMember. From now on every message of the group
// reaches the bot, privacy mode or not, and it may pin with CanPinMessages.
func (s *Server) SetBotAdmin(chat tgbotapi.Chat, by tgbotapi.User, rights Rights) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.groupOf(chat)
	old := s.botMemberJSON(c.info.ID)
	r := rights
	s.botAdmins[c.info.ID] = &r
	s.queueMembership(c, by, old, s.botMemberJSON(c.info.ID))
	s.notify()
}

// DemoteBot makes the bot a plain member of the group again, with the my_chat_member
// update Telegram sends. Messages then reach it as the privacy mode it joined the group
// with allows (see SetPrivacyMode).
func (s *Server) DemoteBot(chat tgbotapi.Chat, by tgbotapi.User) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.groupOf(chat)
	if s.botAdmins[c.info.ID] == nil {
		s.t.Fatalf("telegramtest: %s demotes the bot in chat %d, where it is no admin", by.FirstName, c.info.ID)
	}
	old := s.botMemberJSON(c.info.ID)
	delete(s.botAdmins, c.info.ID)
	s.queueMembership(c, by, old, s.botMemberJSON(c.info.ID))
	s.notify()
}

// groupOf returns a group the fake knows, failing the test for any other chat. The
// caller holds s.mu.
func (s *Server) groupOf(chat tgbotapi.Chat) *chat {
	s.t.Helper()
	c := s.chats[chat.ID]
	if c == nil || c.info.Type == "private" {
		s.t.Fatalf("telegramtest: chat %d is no group of the fake (NewGroup makes one)", chat.ID)
	}
	return c
}

// botMemberJSON is the bot's ChatMember in a group, as getChatMember answers it. The
// caller holds s.mu.
func (s *Server) botMemberJSON(chatID int64) map[string]any {
	return memberJSON(s.botUser(), s.botAdmin(chatID))
}

// memberJSON is a ChatMember object: ChatMemberMember, or ChatMemberAdministrator with
// every right listed, true or false, as Telegram sends it.
func memberJSON(u tgbotapi.User, admin *Rights) map[string]any {
	raw, _ := telegramJSON(u, nil)
	user := json.RawMessage(raw)
	if admin == nil {
		return map[string]any{"user": user, "status": "member"}
	}
	return map[string]any{
		"user": user, "status": "administrator",
		"can_be_edited":          false,
		"is_anonymous":           false,
		"can_manage_chat":        admin.CanManageChat,
		"can_delete_messages":    admin.CanDeleteMessages,
		"can_manage_video_chats": false,
		"can_restrict_members":   admin.CanRestrictMembers,
		"can_promote_members":    admin.CanPromoteMembers,
		"can_change_info":        admin.CanChangeInfo,
		"can_invite_users":       admin.CanInviteUsers,
		"can_post_stories":       false,
		"can_edit_stories":       false,
		"can_delete_stories":     false,
		"can_pin_messages":       admin.CanPinMessages,
		"can_manage_topics":      admin.CanManageTopics,
	}
}

// getChatMember answers for the bot itself in any chat it is in, and for people of a
// group: a member once they have written there, "left" for someone the fake knows who
// never has. Telegram answers "user not found" for an id it cannot resolve (someone who
// never met the bot; tdlib/telegram-bot-api#332) and "chat not found" for a chat the bot
// is not in.
func (s *Server) getChatMember(_ *http.Request, p params) (any, *apiError) {
	chatID, err := chatParam(p)
	if err != nil {
		return nil, err
	}
	userID, ok := p.num("user_id")
	if !ok || userID == 0 {
		return nil, badRequest("invalid user_id specified")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return nil, badRequest("chat not found")
	}
	if err := s.goneError(c); err != nil {
		return nil, err // the bot is not in the group (members_gone.go)
	}
	if userID == botID {
		if c.info.Type == "private" {
			return memberJSON(s.botUser(), nil), nil
		}
		return s.botMemberJSON(chatID), nil
	}
	who := s.users[userID]
	if who == nil {
		return nil, badRequest("user not found")
	}
	if c.info.Type == "private" {
		if chatID != userID {
			return nil, badRequest("user not found")
		}
		return memberJSON(who.user, nil), nil
	}
	for _, m := range c.msgs {
		if m.msg.From != nil && m.msg.From.ID == userID {
			return memberJSON(who.user, nil), nil
		}
	}
	raw, _ := telegramJSON(who.user, nil)
	return map[string]any{"user": json.RawMessage(raw), "status": "left"}, nil
}

// errPinRights is Telegram's answer to a pin or unpin by a bot that is no admin with
// can_pin_messages in a supergroup (teloxide/teloxide#371 quotes it).
var errPinRights = badRequest("not enough rights to manage pinned messages in the chat")

// pinTarget reads a pin call's chat and checks the bot may pin there. The caller holds
// s.mu.
func (s *Server) pinTarget(p params) (*chat, *apiError) {
	chatID, err := chatParam(p)
	if err != nil {
		return nil, err
	}
	c := s.chats[chatID]
	if c == nil {
		return nil, badRequest("chat not found")
	}
	if err := s.goneError(c); err != nil {
		return nil, err // the bot is not in the group (members_gone.go)
	}
	// In a private chat both sides may pin; in a group only an admin with the right.
	if c.info.Type != "private" {
		if r := s.botAdmin(chatID); r == nil || !r.CanPinMessages {
			return nil, errPinRights
		}
	}
	return c, nil
}

// pinChatMessage pins a message and, as Telegram does, posts the service message that
// says so (with disable_notification too: that flag only silences it). Pinning a pinned
// message again changes nothing.
func (s *Server) pinChatMessage(_ *http.Request, p params) (any, *apiError) {
	id, err := messageParam(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.pinTarget(p)
	if err != nil {
		return nil, err
	}
	m := c.live(id)
	if m == nil {
		return nil, badRequest("message to pin not found")
	}
	if s.pinned[c.info.ID] == nil {
		s.pinned[c.info.ID] = map[int]bool{}
	}
	if !s.pinned[c.info.ID][id] {
		s.pinned[c.info.ID][id] = true
		pinned := s.render(c, m)
		service := s.addBotMessage(c, tgbotapi.Message{PinnedMessage: &pinned}, m.topic, 0, nil)
		u := clone(s.render(c, service))
		s.enqueue(tgbotapi.Update{Message: &u}) // a service message reaches the bot
	}
	s.notify()
	return true, nil
}

// unpinChatMessage unpins the message named, or without message_id the most recently
// pinned one, as Telegram documents. Unpinning a message that is not pinned is answered
// true here: no source we could find says Telegram refuses it.
func (s *Server) unpinChatMessage(_ *http.Request, p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.pinTarget(p)
	if err != nil {
		return nil, err
	}
	pins := s.pinned[c.info.ID]
	id, ok := p.num("message_id")
	if !ok || id == 0 {
		for pid := range pins {
			id = max(id, int64(pid))
		}
	}
	delete(pins, int(id))
	s.notify()
	return true, nil
}

// Pinned lists the chat's pinned messages by id, in order.
func (s *Server) Pinned(chatID int64) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for id, on := range s.pinned[chatID] {
		if on {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}
