package bot

import (
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Callback data is "<action>:<id>", well under Telegram's 64 bytes.
const (
	actionClaim   = "claim"
	actionApprove = "approve"
	actionReject  = "reject"
	// actionQueue lists the open questions (the id is unused but kept for the format).
	actionQueue    = "queue"
	actionSolved   = "solved"
	actionUnsolved = "unsolved"
)

func callbackData(action string, id int64) string { return action + ":" + strconv.FormatInt(id, 10) }

// actionAssign is an admin's choice of expert for a late question; its data is
// "assign:<question id>:<expert user id>", at most 45 bytes.
const actionAssign = "assign"

func assignData(questionID, expertID int64) string {
	return callbackData(actionAssign, questionID) + ":" + strconv.FormatInt(expertID, 10)
}

// parseAssign reads the data of an assign button; ok is false for anything else.
// parseCallback rejects such data, so the two never both accept the same data.
func parseAssign(data string) (questionID, expertID int64, ok bool) {
	head, expert, found := strings.Cut(strings.TrimPrefix(data, actionAssign+":"), ":")
	if !found || !strings.HasPrefix(data, actionAssign+":") {
		return 0, 0, false
	}
	questionID, err1 := strconv.ParseInt(head, 10, 64)
	expertID, err2 := strconv.ParseInt(expert, 10, 64)
	if err1 != nil || err2 != nil || questionID <= 0 || expertID <= 0 {
		return 0, 0, false
	}
	return questionID, expertID, true
}

func claimButton(l lang, questionID int64) tgbotapi.InlineKeyboardButton {
	return tgbotapi.NewInlineKeyboardButtonData(l.F("keyboard.claim", questionID), callbackData(actionClaim, questionID))
}

func claimKeyboard(l lang, questionID int64) tgbotapi.InlineKeyboardMarkup {
	return tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(claimButton(l, questionID)))
}

func decisionKeyboard(l lang, requestID int64) tgbotapi.InlineKeyboardMarkup {
	return tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData(l.T("keyboard.approve"), callbackData(actionApprove, requestID)),
		tgbotapi.NewInlineKeyboardButtonData(l.T("keyboard.reject"), callbackData(actionReject, requestID)),
	))
}

func queueKeyboard(l lang) tgbotapi.InlineKeyboardMarkup {
	return tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData(l.T("keyboard.show_open_questions"), callbackData(actionQueue, 1))))
}

// feedbackKeyboard goes under an answer in the group; only the asking farmer may press.
func feedbackKeyboard(l lang, questionID int64) tgbotapi.InlineKeyboardMarkup {
	return tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData(l.T("keyboard.solved"), callbackData(actionSolved, questionID)),
		tgbotapi.NewInlineKeyboardButtonData(l.T("keyboard.not_solved"), callbackData(actionUnsolved, questionID)),
	))
}
