package bot_test

import (
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// The fake's WaitMessage reads the whole chat again at every change in the fake; in the
// tests whose chats grow to a hundred messages and more, most of their time went there.
// These look only at the messages after one the test knows.

// gapAtEnd is how many missing ids in a row end a chat: ids count up without gaps, but
// for the messages the bot deleted.
const gapAtEnd = 16

// waitAfter waits until one of the bot's messages after message after in the chat
// satisfies match, as it stands now (an edit that makes one match ends the wait too), and
// returns it.
func waitAfter(t *testing.T, tg *telegramtest.Server, chatID int64, after int, match func(tgbotapi.Message) bool) tgbotapi.Message {
	t.Helper()
	limit := time.NewTimer(telegramtest.DefaultWaitTimeout)
	defer limit.Stop()
	for {
		changed := tg.Changed()
		for id, missing := after+1, 0; missing < gapAtEnd; id++ {
			m, ok := tg.Message(chatID, id)
			if !ok {
				missing++
				continue
			}
			missing = 0
			if telegramtest.IsBot(m) && match(m) {
				return m
			}
		}
		select {
		case <-changed:
		case <-limit.C:
			// WaitMessage fails the test with the chat's messages and the bot's failed calls.
			return tg.WaitMessage(t, chatID, func(m tgbotapi.Message) bool { return m.MessageID > after && match(m) })
		}
	}
}

// newestAfter is the id of the chat's newest message, looking from message after on
// (after itself when there is none).
func newestAfter(tg *telegramtest.Server, chatID int64, after int) int {
	newest := after
	for id, missing := after+1, 0; missing < gapAtEnd; id++ {
		if _, ok := tg.Message(chatID, id); ok {
			newest, missing = id, 0
		} else {
			missing++
		}
	}
	return newest
}
