package telegramtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
)

// Reactions, as the Bot API documents setMessageReaction: the bot sets its reactions on
// a message (a new call replaces them; an empty list removes them); as a non-premium
// user it may set at most one; an emoji reaction must be one of Telegram's reaction
// emoji and among the chat's available reactions (ChatFullInfo.available_reactions: "if
// omitted, then all emoji reactions are allowed"), else Telegram answers 400
// REACTION_INVALID, the name of the MTProto error the Bot API passes on. A custom emoji
// is allowed only where the chat's admins allowed it (this fake allows none), and bots
// cannot use paid reactions. A reaction is not a message: it is not counted against the
// enforced limits.

// reactionEmoji are the emoji Telegram accepts as reactions (ReactionTypeEmoji).
var reactionEmoji = []string{"👍", "👎", "❤", "🔥", "🥰", "👏", "😁", "🤔", "🤯", "😱", "🤬", "😢", "🎉",
	"🤩", "🤮", "💩", "🙏", "👌", "🕊", "🤡", "🥱", "🥴", "😍", "🐳", "❤‍🔥", "🌚", "🌭", "💯", "🤣", "⚡",
	"🍌", "🏆", "💔", "🤨", "😐", "🍓", "🍾", "💋", "🖕", "😈", "😴", "😭", "🤓", "👻", "👨‍💻", "👀", "🎃",
	"🙈", "😇", "😨", "🤝", "✍", "🤗", "🫡", "🎅", "🎄", "☃", "💅", "🤪", "🗿", "🆒", "💘", "🙉", "🦄",
	"😘", "💊", "🙊", "😎", "👾", "🤷‍♂", "🤷", "🤷‍♀", "😡"}

// reactionState is the chats' available reactions and the bot's reactions on messages.
type reactionState struct {
	mu sync.Mutex
	// available holds the chats whose admins limited the reactions: the emoji allowed
	// (empty: reactions off). A chat not here allows every emoji.
	available map[int64][]string
	// set is the bot's reactions on each message.
	set map[reactionKey][]string
}

type reactionKey struct {
	chat    int64
	message int
}

// SetAvailableReactions limits the reactions allowed in a chat to emoji, as its admins
// can; no emoji turns reactions off. AllowAllReactions undoes it.
func (s *Server) SetAvailableReactions(chatID int64, emoji ...string) {
	r := &s.reactions
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.available == nil {
		r.available = map[int64][]string{}
	}
	r.available[chatID] = append([]string{}, emoji...)
}

// AllowAllReactions lets a chat use every emoji reaction again (the default).
func (s *Server) AllowAllReactions(chatID int64) {
	r := &s.reactions
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.available, chatID)
}

// Reactions returns the bot's reactions on a message, nil when it has none.
func (s *Server) Reactions(chatID int64, messageID int) []string {
	r := &s.reactions
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.set[reactionKey{chatID, messageID}])
}

// reactionType is one ReactionType of the reaction parameter.
type reactionType struct {
	Type          string `json:"type"`
	Emoji         string `json:"emoji"`
	CustomEmojiID string `json:"custom_emoji_id"`
}

// setMessageReaction sets the bot's reactions on a message.
func (s *Server) setMessageReaction(_ *http.Request, p params) (any, *apiError) {
	chatID, err := chatParam(p)
	if err != nil {
		return nil, err
	}
	id, err := messageParam(p)
	if err != nil {
		return nil, err
	}
	var reactions []reactionType
	if raw := p["reaction"]; raw != "" {
		if json.Unmarshal([]byte(raw), &reactions) != nil {
			return nil, badRequest("can't parse reaction types JSON object")
		}
	}
	s.mu.Lock()
	c, err := s.botChat(chatID)
	var m *stored
	if err == nil {
		if m = c.live(id); m == nil {
			err = badRequest("message to react not found")
		}
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if len(reactions) > 1 {
		return nil, badRequest("REACTIONS_TOO_MANY")
	}
	r := &s.reactions
	r.mu.Lock()
	defer r.mu.Unlock()
	var emoji []string
	for _, rt := range reactions {
		switch rt.Type {
		case "emoji":
			allowed, limited := r.available[chatID]
			if !slices.Contains(reactionEmoji, rt.Emoji) || (limited && !slices.Contains(allowed, rt.Emoji)) {
				return nil, badRequest("REACTION_INVALID")
			}
			emoji = append(emoji, rt.Emoji)
		case "custom_emoji", "paid":
			return nil, badRequest("REACTION_INVALID")
		default:
			return nil, badRequest("unsupported reaction type")
		}
	}
	if r.set == nil {
		r.set = map[reactionKey][]string{}
	}
	if len(emoji) == 0 {
		delete(r.set, reactionKey{chatID, id})
	} else {
		r.set[reactionKey{chatID, id}] = emoji
	}
	s.mu.Lock()
	s.notify()
	s.mu.Unlock()
	return true, nil
}
