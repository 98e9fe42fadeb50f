package telegramtest

import (
	"encoding/json"
	"slices"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// The bot removed from a group, banned from it, added back; a person who blocks the bot
// and unblocks it. What Telegram does, and where the fake's words come from:
//
//   - It sends the bot a my_chat_member update with old_chat_member and new_chat_member,
//     the bot's ChatMember before and after: status "left" when it was removed from a
//     group, "kicked" when it was banned (removing a member from a supergroup in the apps
//     bans them), "member" or "administrator" when it was added back. In a private chat the
//     update comes "only when the bot is blocked or unblocked by the user" (the Bot API's
//     words for Update.my_chat_member): "kicked" on blocking, "member" on unblocking
//     (grammyjs/website#1054, yagop/node-telegram-bot-api#1010).
//   - A send to a group the bot was banned from, or any other call for it (getChatMember,
//     pinChatMessage, an edit; teloxide/teloxide-core#83 meets it on unpinChatMessage), is
//     answered 403 "Forbidden: bot was kicked from the supergroup chat" (aiogram/aiogram#445
//     fixed its match to exactly these words; teloxide/teloxide#372), or "…from the group
//     chat" in a basic group, where a bot merely removed gets the same words
//     (TelegramBots/Telegram.Bot#662: "add bot to group, remove it, and try to send"). A
//     bot that left a supergroup without a ban gets 403 "Forbidden: bot is not a member of
//     the supergroup chat" (TelegramBots/Telegram.Bot#950). tucnak/telebot's errors.go
//     lists the same texts.
//   - A send to a person who blocked the bot is answered 403 "Forbidden: bot was blocked by
//     the user" until they unblock it; a blocked person who writes to the bot has
//     unblocked it first (the apps do that for them), so the unblocking update comes
//     before their message.

// RemoveBot removes the bot from the group, as an admin by does with "Remove from group":
// in a supergroup that bans it (status "kicked"), in a basic group it leaves it ("left").
// The bot gets the my_chat_member update; from now on its sends to the group are refused
// and the group's messages make no updates for it.
func (s *Server) RemoveBot(chat tgbotapi.Chat, by tgbotapi.User) {
	s.t.Helper()
	status := "left"
	if chat.Type == "supergroup" {
		status = "kicked"
	}
	s.setBotGone(chat, by, status)
}

// KickBot bans the bot from the group (status "kicked"): what RemoveBot does in a
// supergroup, and what banning does in a basic group.
func (s *Server) KickBot(chat tgbotapi.Chat, by tgbotapi.User) {
	s.t.Helper()
	s.setBotGone(chat, by, "kicked")
}

// LeaveBot makes the bot a former member without a ban (status "left") in any group: what
// leaveChat does, or a supergroup admin who removes it and lifts the ban at once. Sends
// to a supergroup are then refused as "bot is not a member of the supergroup chat".
func (s *Server) LeaveBot(chat tgbotapi.Chat, by tgbotapi.User) {
	s.t.Helper()
	s.setBotGone(chat, by, "left")
}

// DeleteGroup deletes the group, as its owner does with "Delete group": from now on every
// call for it is answered 400 "Bad Request: chat not found", Telegram's answer for a chat
// the bot cannot see (as for a chat id no one has). Whether Telegram tells a bot of a
// deleted group with an update is not documented; the fake sends none, the strict choice:
// the bot learns of it from a refused send.
func (s *Server) DeleteGroup(chat tgbotapi.Chat) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.groupOf(chat)
	if s.botGone == nil {
		s.botGone = map[int64]string{}
	}
	s.botGone[c.info.ID] = statusDeleted
	s.notify()
}

// statusDeleted marks a deleted group in Server.botGone; it is no ChatMember status.
const statusDeleted = "deleted"

// AddBot adds the bot back to a group it was removed or banned from, as a plain member,
// with the my_chat_member update; it may write there again. It joins under the privacy
// mode it has now (see SetPrivacyMode): re-adding is how a privacy change reaches a group
// the bot was already in.
func (s *Server) AddBot(chat tgbotapi.Chat, by tgbotapi.User) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.groupOf(chat)
	switch s.botGone[c.info.ID] {
	case "":
		s.t.Fatalf("telegramtest: %s adds the bot to chat %d, where it is already", by.FirstName, c.info.ID)
	case statusDeleted:
		s.t.Fatalf("telegramtest: %s adds the bot to chat %d, which was deleted", by.FirstName, c.info.ID)
	}
	old := s.goneMemberJSON(c.info.ID)
	delete(s.botGone, c.info.ID)
	delete(s.botAdmins, c.info.ID) // a bot added back is a plain member until promoted
	s.joinedWithPrivacy(c.info.ID)
	s.queueMembership(c, by, old, s.botMemberJSON(c.info.ID))
	s.notify()
}

// BotInGroup says whether the bot is a member (or admin) of the group now.
func (s *Server) BotInGroup(chatID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.botGone[chatID] == ""
}

func (s *Server) setBotGone(chat tgbotapi.Chat, by tgbotapi.User, status string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.groupOf(chat)
	if s.botGone[c.info.ID] != "" {
		s.t.Fatalf("telegramtest: %s removes the bot from chat %d, which it already left", by.FirstName, c.info.ID)
	}
	old := s.botMemberJSON(c.info.ID)
	if s.botGone == nil {
		s.botGone = map[int64]string{}
	}
	s.botGone[c.info.ID] = status
	delete(s.botAdmins, c.info.ID)
	s.queueMembership(c, by, old, s.goneMemberJSON(c.info.ID))
	s.notify()
}

// goneMemberJSON is the bot's ChatMember in a group it is not in: ChatMemberLeft or
// ChatMemberBanned (until_date 0: for ever). The caller holds s.mu.
func (s *Server) goneMemberJSON(chatID int64) map[string]any {
	raw, _ := telegramJSON(s.botUser(), nil)
	m := map[string]any{"user": json.RawMessage(raw), "status": s.botGone[chatID]}
	if s.botGone[chatID] == "kicked" {
		m["until_date"] = 0
	}
	return m
}

// goneError is Telegram's answer to a bot's call in a group it is not in, nil while it
// is there. The caller holds s.mu.
func (s *Server) goneError(c *chat) *apiError {
	status := s.botGone[c.info.ID]
	switch {
	case status == "":
		return nil
	case status == statusDeleted:
		return badRequest("chat not found")
	case status == "left" && c.info.Type == "supergroup":
		return forbidden("bot is not a member of the supergroup chat")
	case c.info.Type == "supergroup":
		return forbidden("bot was kicked from the supergroup chat")
	}
	return forbidden("bot was kicked from the group chat")
}

// blockUpdate queues what Telegram sends the bot when p blocks it (blocked) or unblocks
// it: a my_chat_member update in their private chat. The caller holds s.mu.
func (s *Server) blockUpdate(p *person, blocked bool) {
	c := s.chatOf(PrivateChat(p.user))
	raw, _ := telegramJSON(s.botUser(), nil)
	member := map[string]any{"user": json.RawMessage(raw), "status": "member"}
	banned := map[string]any{"user": json.RawMessage(raw), "status": "kicked", "until_date": 0}
	if blocked {
		s.queueMembership(c, p.user, member, banned)
	} else {
		s.queueMembership(c, p.user, banned, member)
	}
}

// unblock lets the bot write to p again, as pressing Start or writing to the bot does;
// a person who had blocked the bot unblocks it first, and the bot hears of it. The caller
// holds s.mu.
func (s *Server) unblock(p *person) {
	if p.blocked {
		s.blockUpdate(p, false)
	}
	p.started, p.blocked = true, false
}

// queueMembership queues a my_chat_member update of the bot in c, by by: the bot's
// ChatMember before (old) and after (new). The caller holds s.mu.
func (s *Server) queueMembership(c *chat, by tgbotapi.User, old, new map[string]any) {
	s.person(by)
	chatJSON, _ := telegramJSON(c.info, nil)
	fromJSON, _ := telegramJSON(by, nil)
	s.lastUpdateID++
	id := s.lastUpdateID
	body, err := json.Marshal(map[string]any{
		"update_id": id,
		"my_chat_member": map[string]any{
			"chat":            json.RawMessage(chatJSON),
			"from":            json.RawMessage(fromJSON),
			"date":            now(),
			"old_chat_member": old,
			"new_chat_member": new,
		},
	})
	if err != nil {
		s.t.Fatalf("telegramtest: my_chat_member: %v", err)
	}
	if !s.wants("my_chat_member") {
		return
	}
	if s.raws == nil {
		s.raws = map[int]json.RawMessage{}
	}
	s.raws[id] = body
	i, _ := slices.BinarySearchFunc(s.pending, id, func(p tgbotapi.Update, id int) int { return p.UpdateID - id })
	s.pending = slices.Insert(s.pending, i, tgbotapi.Update{UpdateID: id})
}
