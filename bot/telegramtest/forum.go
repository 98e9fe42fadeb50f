package telegramtest

import (
	"encoding/json"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// groupAnonymousBot is the user Telegram names as the sender of what an anonymous admin
// does for the group, such as creating a topic; sender_chat is then the group.
var groupAnonymousBot = tgbotapi.User{ID: 1087968824, IsBot: true, FirstName: "Group", UserName: "GroupAnonymousBot"}

// topicIconColor is the icon colour Telegram gives a topic created without one.
const topicIconColor = 7322096

// maxTopicName is Telegram's limit for a topic's name, in characters.
const maxTopicName = 128

// NewForumGroup creates a supergroup with topics (is_forum) that the bot is a member of,
// with the next group id. Its message ids start at 2: 1 is the General topic's, which no
// message_thread_id may name, so a topic never gets that id.
func (s *Server) NewForumGroup(title string) tgbotapi.Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groupSeq++
	info := tgbotapi.Chat{ID: firstGroupID - (s.groupSeq - 1), Type: "supergroup", Title: title}
	c := newChat(info)
	c.forum, c.topics, c.lastID = true, map[int]string{}, 1
	s.addChat(c)
	return info
}

// NewTopic creates a topic in a forum group, as an anonymous admin, and returns its
// message_thread_id: the id of the service message that created it. As in Telegram,
// that message (from GroupAnonymousBot, with sender_chat the group and
// forum_topic_created in its JSON) reaches the bot as an update even in privacy mode,
// and every later message in the topic that replies to nothing else shows it as
// reply_to_message.
func (s *Server) NewTopic(chat tgbotapi.Chat, name string) int {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chat.ID]
	if c == nil || !c.forum {
		s.t.Fatalf("telegramtest: chat %d is not a forum group (NewForumGroup makes one), so it has no topics", chat.ID)
	}
	if n := len([]rune(name)); n == 0 || n > maxTopicName {
		s.t.Fatalf("telegramtest: a topic's name has 1-%d characters, not %d (%q)", maxTopicName, n, name)
	}
	c.lastID++
	anon, group, ci := groupAnonymousBot, c.info, c.info
	m := &stored{
		msg:          tgbotapi.Message{MessageID: c.lastID, From: &anon, SenderChat: &group, Date: now(), Chat: &ci},
		topic:        c.lastID,
		topicCreated: name,
	}
	c.add(m)
	c.topics[m.msg.MessageID] = name
	u := s.render(c, m)
	s.enqueue(tgbotapi.Update{Message: &u})
	s.notify()
	return m.msg.MessageID
}

// ThreadOf returns the forum topic (message_thread_id) of a message, 0 for one in the
// General topic, outside forums, or one that does not exist. It is what tgbotapi's
// Message cannot say.
func (s *Server) ThreadOf(chatID int64, messageID int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chatID]; c != nil {
		if m := c.live(messageID); m != nil {
			return m.topic
		}
	}
	return 0
}

func (c *chat) hasTopic(id int) bool {
	_, ok := c.topics[id]
	return ok
}

// threadParam reads message_thread_id. As in Telegram, a negative or unreadable one
// names no thread.
func threadParam(p params) int {
	n, ok := p.num("message_thread_id")
	if !ok || n < 0 || n > 1<<31-1 {
		return 0
	}
	return int(n)
}

// annotate puts into rendered JSON what tgbotapi's types have no field for: is_forum on
// a forum's chat objects; message_thread_id and is_topic_message on messages in a topic;
// forum_topic_created on the message that created one. It finds messages by their chat
// and message_id, so updates, results and the messages inside them (reply_to_message,
// a callback query's message) all get it. The caller holds s.mu.
func (s *Server) annotate(x any) {
	switch v := x.(type) {
	case []any:
		for _, e := range v {
			s.annotate(e)
		}
	case map[string]any:
		for _, e := range v {
			s.annotate(e)
		}
		if id, ok := jsonInt(v["id"]); ok && isChatType(v["type"]) {
			if c := s.chats[id]; c != nil && c.forum {
				v["is_forum"] = true
			}
		}
		chatJSON, isMessage := v["chat"].(map[string]any)
		if !isMessage || v["date"] == nil {
			return
		}
		chatID, ok1 := jsonInt(chatJSON["id"])
		msgID, ok2 := jsonInt(v["message_id"])
		if !ok1 || !ok2 {
			return
		}
		if c := s.chats[chatID]; c != nil {
			if m := c.byID[int(msgID)]; m != nil {
				m.annotate(v)
			}
		}
	}
}

func (m *stored) annotate(v map[string]any) {
	if m.topic != 0 {
		v["message_thread_id"] = m.topic
		v["is_topic_message"] = true
	}
	if m.topicCreated != "" {
		v["forum_topic_created"] = map[string]any{"name": m.topicCreated, "icon_color": topicIconColor}
	}
}

func jsonInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

func isChatType(v any) bool {
	t, _ := v.(string)
	switch t {
	case "private", "group", "supergroup", "channel":
		return true
	}
	return false
}
