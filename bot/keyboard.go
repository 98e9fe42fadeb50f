package bot

import (
	"fmt"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Callback data is "<action>:<id>", well under Telegram's 64 bytes.
const (
	actionClaim   = "claim"
	actionApprove = "approve"
	actionReject  = "reject"
)

func callbackData(action string, id int64) string { return action + ":" + strconv.FormatInt(id, 10) }

// parseCallback splits callback data; ok is false for anything the bot did not write.
func parseCallback(data string) (action string, id int64, ok bool) {
	action, rest, found := strings.Cut(data, ":")
	if !found {
		return "", 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 {
		return "", 0, false
	}
	return action, id, true
}

func claimButton(l lang, questionID int64) tgbotapi.InlineKeyboardButton {
	return tgbotapi.NewInlineKeyboardButtonData(fmt.Sprintf(l.pick("认领 #%d", "Claim #%d"), questionID), callbackData(actionClaim, questionID))
}

func claimKeyboard(l lang, questionID int64) tgbotapi.InlineKeyboardMarkup {
	return tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(claimButton(l, questionID)))
}

func decisionKeyboard(l lang, requestID int64) tgbotapi.InlineKeyboardMarkup {
	return tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData(l.pick("✅ 批准", "✅ Approve"), callbackData(actionApprove, requestID)),
		tgbotapi.NewInlineKeyboardButtonData(l.pick("❌ 拒绝", "❌ Reject"), callbackData(actionReject, requestID)),
	))
}
