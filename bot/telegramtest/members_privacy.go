package telegramtest

import "strings"

// Privacy mode: what of a group reaches the bot. What Telegram does:
//
//   - A bot has one privacy mode, on for a new bot, set with BotFather's /setprivacy;
//     getMe's can_read_all_group_messages is its opposite and changes at once.
//   - A group goes by the mode the bot had when it joined (was added to) that group: a
//     change applies to groups the bot joins afterwards, and to a group it is in only once
//     it has been removed and added again (the Bot API's features page on privacy mode:
//     "the bot will need to be re-added to the group for this change to take effect").
//     So between /setprivacy and re-adding, getMe says one thing and the group does
//     another, and no method tells a bot which mode a group has.
//   - An administrator gets every message of the group whatever its mode, from the moment
//     it is promoted ("bot admins always receive all messages", the same page). Demoted,
//     it is back under the mode it joined with: Telegram does not say so, the fake
//     assumes it, the strict choice.

// SetPrivacyMode sets the bot's group privacy mode, on by default as for a new bot
// (BotFather's /setprivacy). getMe's can_read_all_group_messages, its opposite, changes
// at once; a group goes on with the mode the bot had when it joined it, until the bot is
// removed and added back (RemoveBot, AddBot): to have a group created by NewGroup without
// privacy, set it off before NewGroup. With privacy on, in a group where the bot is no
// administrator (SetBotAdmin), a message reaches the bot only as Telegram documents: a
// command addressed to it ("/cmd@bot"), a command with no @username unless another bot
// wrote in the group after ours, a reply to one of the bot's messages, a message sent via
// the bot, and service messages. A plain @mention is not among them and makes no update.
// The others are kept in the chat's history. With privacy off in the group, or where the
// bot is an administrator, every message reaches the bot. Messages in private chats
// always do.
func (s *Server) SetPrivacyMode(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.privacy = on
	s.notify()
}

// addChat registers a chat the fake did not have. For a group it is the bot joining it,
// under the privacy mode it has now. The caller holds s.mu.
func (s *Server) addChat(c *chat) {
	s.chats[c.info.ID] = c
	if c.info.Type != "private" {
		s.joinedWithPrivacy(c.info.ID)
	}
}

// joinedWithPrivacy records the bot's privacy mode now as the one of a group it joins.
// The caller holds s.mu.
func (s *Server) joinedWithPrivacy(chatID int64) {
	if s.privacy {
		delete(s.joinedReadingAll, chatID)
		return
	}
	if s.joinedReadingAll == nil {
		s.joinedReadingAll = map[int64]bool{}
	}
	s.joinedReadingAll[chatID] = true
}

// readsAll says whether every message of the group reaches the bot: it is an
// administrator there now, or it joined the group with privacy mode off. The caller holds
// s.mu.
func (s *Server) readsAll(chatID int64) bool {
	return s.botAdmin(chatID) != nil || s.joinedReadingAll[chatID]
}

// reachesBot applies privacy mode to a user's message (see SetPrivacyMode).
func (s *Server) reachesBot(c *chat, m *stored) bool {
	if s.botGone[c.info.ID] != "" {
		return false // the bot is not in the group (members_gone.go)
	}
	if c.info.Type == "private" || m.topicCreated != "" || s.readsAll(c.info.ID) {
		return true
	}
	text := m.msg.Text
	if text == "" {
		text = m.msg.Caption
	}
	if strings.HasPrefix(text, "/") {
		return commandReaches(c, text)
	}
	if r := c.live(m.replyTo); r != nil && r.msg.From != nil && r.msg.From.ID == botID {
		return true
	}
	return m.msg.ViaBot != nil && m.msg.ViaBot.ID == botID
}

// otherBotSpokeLast says whether, in a group, some other bot wrote after ours did: then
// a command with no @username is not ours to get under privacy mode. The caller holds
// s.mu.
func (c *chat) otherBotSpokeLast() bool {
	for i := len(c.msgs) - 1; i >= 0; i-- {
		// A post on behalf of a chat (an anonymous admin, a topic made) carries the
		// placeholder user GroupAnonymousBot, which is no bot that competes for commands.
		if f := c.msgs[i].msg.From; f != nil && f.IsBot && c.msgs[i].msg.SenderChat == nil {
			return f.ID != botID
		}
	}
	return false
}

// commandReaches applies privacy mode to a command: one addressed to another bot does
// not reach ours; one addressed to ours does; a general one does unless another bot
// wrote in the group after ours (Telegram: "if the bot was the last bot to send a
// message to the group"; a group where no bot wrote yet counts as ours, the bot having
// just been added).
func commandReaches(c *chat, text string) bool {
	first := strings.Fields(text)[0]
	if _, bot, ok := strings.Cut(first, "@"); ok {
		return strings.EqualFold(bot, botUserName)
	}
	return !c.otherBotSpokeLast()
}
