package bot

import (
	"net/http"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/store"
)

// What Telegram's refusals (4xx other than 429) mean, read in one place from its error
// texts; the sender (deliver) and the chats it can no longer reach (Bot.Refused) ask here.

// harmlessRefusal says why a refusal is no failure of ours, "" when it is one: an edit
// that changes nothing, a reaction the group does not allow (its available reactions leave
// out the emoji, or reactions are off: 400 REACTION_INVALID), a pin or unpin where the bot
// may not pin (the guide simply stays unpinned, or the old one pinned). Such a message
// counts as sent and is never tried again.
func harmlessRefusal(m store.Message, e *tgbotapi.Error) string {
	switch {
	case m.Method == store.MethodEdit && strings.Contains(e.Message, "message is not modified"):
		return "the edit changes nothing"
	case isReaction(m) && e.Code == http.StatusBadRequest && strings.Contains(e.Message, "REACTION_INVALID"):
		return "the group does not allow this reaction"
	case (m.API == "pinChatMessage" || m.API == "unpinChatMessage") && e.Code == http.StatusBadRequest &&
		strings.Contains(e.Message, "not enough rights to manage pinned messages"):
		return "the bot may not pin in this group"
	}
	return ""
}

// groupGone says a group send's error means the bot is not in the group.
func groupGone(e *tgbotapi.Error) bool {
	msg := strings.ToLower(e.Message)
	switch e.Code {
	case http.StatusForbidden:
		return strings.Contains(msg, "bot was kicked from the") || strings.Contains(msg, "bot is not a member of the")
	case http.StatusBadRequest:
		return strings.Contains(msg, "chat not found")
	}
	return false
}

// personGone says a private send's error means the bot may not write to the person.
func personGone(e *tgbotapi.Error) bool {
	msg := strings.ToLower(e.Message)
	return e.Code == http.StatusForbidden && (strings.Contains(msg, "bot was blocked by the user") ||
		strings.Contains(msg, "user is deactivated") || strings.Contains(msg, "bot can't initiate conversation"))
}
