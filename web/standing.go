package web

import (
	"context"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// Standing asks Telegram how the bot stands in groups: getMe's
// can_read_all_group_messages once and the bot's own getChatMember in each, with the
// privacy mode the bot joined each group with (bot.Bot.Standings). It never fails; a group
// missing from the answer, or not Known, is unknown.
type Standing func(ctx context.Context, chatIDs []int64) map[int64]consult.BotStanding

// asking says, for each group of the page, how its farmers can ask there, in the page's
// language: /ask and a reply to the bot always; plain messages (open mode) only where the
// bot is an admin or joined the group with privacy off (getMe's flag now is not the
// group's: a group joined before privacy was turned off waits for the bot to be re-added).
// Telegram is asked afresh on each view; a group it does not answer for in time reads
// "unknown".
func (d *Dashboard) asking(ctx context.Context, lang string, rows []store.GroupRow) map[int64]string {
	var standings map[int64]consult.BotStanding
	if d.Standing != nil {
		ids := make([]int64, len(rows))
		for i, g := range rows {
			ids[i] = g.ChatID
		}
		standings = d.Standing(ctx, ids)
	}
	out := make(map[int64]string, len(rows))
	for _, g := range rows {
		out[g.ChatID] = askingText(lang, standings[g.ChatID])
	}
	return out
}

func askingText(lang string, st consult.BotStanding) string {
	switch {
	case !st.Known:
		return tr(lang, "askunknown")
	case st.Admin():
		return tr(lang, "askadmin")
	case st.Joined == consult.JoinedPrivacyOff:
		return tr(lang, "askprivacyoff")
	case st.WaitsForRejoin() && st.Joined == consult.JoinedPrivacyOn:
		return tr(lang, "askrejoin")
	case st.WaitsForRejoin():
		return tr(lang, "askjoinunknown")
	}
	return tr(lang, "askreplies")
}
