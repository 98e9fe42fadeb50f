package web

import (
	"context"
	"sync"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// Standing asks Telegram how the bot stands in a group: getMe's
// can_read_all_group_messages and the bot's own getChatMember (bot.Bot.Standing). It
// never fails; an unknown standing says so.
type Standing func(ctx context.Context, chatID int64) consult.BotStanding

// standingsAtOnce bounds the groups asked about at the same time for one page.
const standingsAtOnce = 8

// asking says, for each group of the page, how its farmers can ask there, in the page's
// language: /ask and a reply to the bot always; plain messages (open mode) only where the
// bot is an admin or privacy is off. Telegram is asked afresh on each view, groups in
// parallel; a group Telegram does not answer for in time reads "unknown".
func (d *Dashboard) asking(ctx context.Context, lang string, rows []store.GroupRow) map[int64]string {
	out := make(map[int64]string, len(rows))
	if d.Standing == nil {
		for _, g := range rows {
			out[g.ChatID] = tr(lang, "askunknown")
		}
		return out
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		slot = make(chan struct{}, standingsAtOnce)
	)
	for _, g := range rows {
		wg.Add(1)
		slot <- struct{}{}
		go func(chatID int64) {
			defer func() { <-slot; wg.Done() }()
			text := askingText(lang, d.Standing(ctx, chatID))
			mu.Lock()
			out[chatID] = text
			mu.Unlock()
		}(g.ChatID)
	}
	wg.Wait()
	return out
}

func askingText(lang string, st consult.BotStanding) string {
	switch {
	case !st.Known:
		return tr(lang, "askunknown")
	case st.Admin():
		return tr(lang, "askadmin")
	case st.ReadsAll:
		return tr(lang, "askprivacyoff")
	}
	return tr(lang, "askreplies")
}
