package bot

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// A group's guide: a short message, posted on /bind and again on /guide, and pinned where
// the bot may pin, that says how to ask (/ask …, or a reply to the guide with words, a
// photo or a voice message: a reply to the bot is one of the few things privacy mode lets
// through, and the only way to ask with a photo or a voice note alone), what happens next
// and the clinic's hours. It goes through the outbox like every message; the pin is a
// second outbox row that names the guide's row (store.Message.EditOutboxID), so it goes
// after the guide, with the guide's message id, and needs no hook in the sender.

// standingTimeout bounds asking Telegram about the bot's standing in a group: /bind must
// answer, and bind, when Telegram does not.
const standingTimeout = 5 * time.Second

// Standing asks Telegram what the bot can hear in a group: the bot's own getChatMember,
// live, with getMe's can_read_all_group_messages now, and reads the privacy mode the bot
// joined the group with (consult.JoinedWith), which is what the group goes by. It never
// fails: Known is false when Telegram did not answer. It runs outside any transaction.
func (b *Bot) Standing(ctx context.Context, chatID int64) consult.BotStanding {
	return b.Standings(ctx, []int64{chatID})[chatID]
}

// standingsAtOnce bounds the groups asked about at the same time.
const standingsAtOnce = 8

// Standings is Standing for several groups (the dashboard's groups page): getMe once, the
// groups' getChatMember up to standingsAtOnce at a time, their joins in one query. A group
// Telegram did not answer for is absent or not Known. A group the bot is in and has no
// join of, looked at while privacy is on, is recorded as joined with privacy on
// (consult.Service.NoteFirstLook).
func (b *Bot) Standings(ctx context.Context, chatIDs []int64) map[int64]consult.BotStanding {
	ctx, cancel := context.WithTimeout(ctx, standingTimeout)
	defer cancel()
	out := make(map[int64]consult.BotStanding, len(chatIDs))
	var me tgbotapi.User
	if err := b.tg.Call(ctx, "getMe", nil, &me); err != nil {
		b.log.Warn("getMe failed; the bot's standing is unknown", "groups", len(chatIDs), "err", err)
		return out
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		slot = make(chan struct{}, standingsAtOnce)
	)
	for _, chatID := range chatIDs {
		wg.Add(1)
		slot <- struct{}{}
		go func() {
			defer func() { <-slot; wg.Done() }()
			var member struct {
				Status string `json:"status"`
				CanPin bool   `json:"can_pin_messages"`
			}
			params := tgbotapi.Params{"chat_id": strconv.FormatInt(chatID, 10), "user_id": strconv.FormatInt(b.self.ID, 10)}
			if err := b.tg.Call(ctx, "getChatMember", params, &member); err != nil {
				b.log.Warn("getChatMember failed; the bot's standing is unknown", "chat", chatID, "err", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			out[chatID] = consult.BotStanding{Known: true, ReadsAll: me.CanReadAllGroupMessages, Status: member.Status, CanPin: member.CanPin}
		}()
	}
	wg.Wait()
	b.addJoins(ctx, out, me.CanReadAllGroupMessages)
	return out
}

// addJoins fills in the privacy mode the bot joined each group with. A database that does
// not answer leaves it unknown, which never claims more than the group has.
func (b *Bot) addJoins(ctx context.Context, out map[int64]consult.BotStanding, readsAll bool) {
	ids := make([]int64, 0, len(out))
	for id := range out {
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return
	}
	joins, err := b.svc.JoinsOf(ctx, ids)
	if err != nil {
		b.log.Warn("the groups' joins could not be read; taken as unknown", "groups", len(ids), "err", err)
		return
	}
	var firstLook []int64
	for _, id := range ids {
		st := out[id]
		st.Joined = joins[id]
		if st.Joined == consult.JoinedUnknown && !readsAll && (isIn(st.Status) || st.Status == statusRestricted) {
			firstLook = append(firstLook, id)
			st.Joined = consult.JoinedPrivacyOn
		}
		out[id] = st
	}
	if err := b.svc.NoteFirstLook(ctx, firstLook); err != nil {
		b.log.Warn("first look at groups not recorded", "groups", len(firstLook), "err", err)
	}
}

// standingText tells an admin how farmers can ask in the group, given what Telegram said
// and the privacy mode the bot joined the group with.
func standingText(l lang, ch consult.StandingChange) string {
	st := ch.Now
	switch {
	case !st.Known:
		return l.T("guide.standing_unknown")
	case ch.BecameAdmin():
		return l.T("guide.became_admin")
	case st.Admin():
		return l.T("guide.standing_admin")
	case st.Joined == consult.JoinedPrivacyOff:
		return l.T("guide.standing_privacy_off")
	case st.WaitsForRejoin() && st.Joined == consult.JoinedPrivacyOn:
		return l.T("guide.standing_privacy_off_rejoin")
	case st.WaitsForRejoin():
		return l.T("guide.standing_join_unknown")
	}
	return l.T("guide.standing_member")
}

// openRefusal tells an admin why /mode open was refused in a group where plain messages do
// not reach the bot, and what to do.
func openRefusal(l lang, st consult.BotStanding) string {
	switch {
	case st.WaitsForRejoin() && st.Joined == consult.JoinedPrivacyOn:
		return l.T("guide.open_refused_rejoin")
	case st.WaitsForRejoin():
		return l.T("guide.open_refused_join_unknown")
	}
	return l.T("guide.open_refused")
}

// modeOpenText is the group's news that open mode is on; where the bot hears plain
// messages only because privacy was off when it joined (no admin), it reminds why.
func modeOpenText(l lang, st consult.BotStanding) string {
	if !st.Admin() && st.Joined == consult.JoinedPrivacyOff {
		return l.T("followup.mode_open") + "\n" + l.T("followup.mode_open_joined")
	}
	return l.T("followup.mode_open")
}

// guideText is the guide in the group's language.
func guideText(l lang, res consult.GuideResult) string {
	var b strings.Builder
	b.WriteString(l.F("guide.text", esc(res.County.Name), esc(res.Group.Township)))
	if len(res.Sessions) == 0 {
		b.WriteString(l.T("guide.no_sessions"))
		return b.String()
	}
	b.WriteString(l.T("guide.sessions"))
	for _, s := range res.Sessions {
		label := esc(s.CategoryID)
		if c, ok := res.County.Category(s.CategoryID); ok {
			label = categoryLabel(l, c)
		}
		at := s.NextRunAt.In(res.County.Location).Format("2006-01-02 15:04")
		b.WriteString(l.F("guide.session", label, at, int(s.Duration.Minutes())))
	}
	return b.String()
}

// guideOut renders the guide and what follows it: the pin (silent) of the new guide and
// the unpin of the one before, once it was sent.
func guideOut(l lang, chatID, thread int64) consult.GuideOut {
	return consult.GuideOut{
		Guide: func(res consult.GuideResult) []store.Message {
			return remembered(inTopic(sendTo(chatID, guideText(l, res), nil), thread), store.MessageGuide, chatID, 0, l)
		},
		After: func(res consult.GuideResult, guideRow int64) []store.Message {
			msgs := []store.Message{{ChatID: chatID, Method: store.MethodCall, API: "pinChatMessage",
				Params: map[string]string{"disable_notification": "true"}, EditOutboxID: guideRow}}
			if p := res.Previous; p.MessageID != 0 {
				msgs = append(msgs, store.Message{ChatID: chatID, Method: store.MethodCall, API: "unpinChatMessage",
					Params: map[string]string{"message_id": strconv.FormatInt(p.MessageID, 10)}})
			}
			return msgs
		},
	}
}

// guide handles /guide in a group: the guide again, pinned, the old one unpinned, and
// for the admin how farmers can ask here now.
func (b *Bot) guide(ctx context.Context, in *incoming) error {
	chatID := in.msg.Chat.ID
	g, county, err := b.svc.Group(ctx, chatID)
	if errors.Is(err, consult.ErrGroupNotBound) {
		return b.reply(ctx, in, notBoundText(), nil)
	}
	if err != nil {
		return err
	}
	// Asked before Telegram is, so that nobody else makes the bot call Telegram;
	// consult.PostGuide decides again, in its transaction.
	if !b.mayGuide(ctx, in.msg.From.ID, g, county) {
		return b.reply(ctx, in, in.lang.T("guide.not_permitted"), nil)
	}
	gl := b.chatLang(ctx, chatID)
	ch, err := b.svc.NoteStanding(ctx, chatID, b.Standing(ctx, chatID))
	if err != nil {
		return err
	}
	if err := b.reply(ctx, in, standingText(gl, ch), nil); err != nil {
		return err
	}
	_, err = b.svc.PostGuide(ctx, chatID, in.msg.From.ID, guideOut(gl, chatID, in.thread))
	if errors.Is(err, consult.ErrNotPermitted) {
		return b.reply(ctx, in, in.lang.T("guide.not_permitted"), nil)
	}
	return err
}

// mayGuide says whether a person may post a group's guide: an admin of its county or a
// coordinator of its township.
func (b *Bot) mayGuide(ctx context.Context, userID int64, g store.Group, county *consult.County) bool {
	if county.IsAdmin(userID) {
		return true
	}
	roles, err := b.svc.Coordinates(ctx, userID)
	if err != nil {
		return false
	}
	for _, r := range roles {
		if r.CountyID == county.ID && r.Township == g.Township {
			return true
		}
	}
	return false
}

// guideReply takes a reply to a guide of the group — the newest or an older one — as a
// question, through the same path as /ask, with its photo or voice: how a farmer asks
// with a photo or a voice note alone. It reports false for any other message.
func (b *Bot) guideReply(ctx context.Context, in *incoming) (bool, error) {
	_, ok, err := b.repliedTo(ctx, in, store.MessageGuide)
	if !ok || err != nil {
		return ok, err
	}
	text := strings.TrimSpace(words(in.msg))
	if blankText(text) && mediaOf(in.msg) == nil {
		return true, b.reply(ctx, in, in.lang.T("bot.ask_nothing_to_ask"), nil)
	}
	in.args = text
	return true, b.ask(ctx, in)
}

// PrivacyMeaning says, for the log at start, what getMe's can_read_all_group_messages
// means for farmers in the groups: it is the mode of groups the bot joins from now on, not
// of those it is in.
func PrivacyMeaning(readsAll bool) string {
	if readsAll {
		return "privacy mode is off for groups the bot joins from now on: there every message reaches it; " +
			"a group it joined while privacy was on keeps privacy until the bot is removed and added back " +
			"(or made a group admin); /bind, /guide and the dashboard's groups page say which each group has"
	}
	return "privacy mode is on: in groups where the bot is not an admin, and that it joined while privacy was on, " +
		"only /ask, other commands and replies to the bot reach it (no plain messages, no @mentions); make the bot " +
		"a group admin, or turn privacy off with BotFather's /setprivacy and re-add the bot, for /mode open"
}

// LogPrivacy logs at start getMe's can_read_all_group_messages, what it means, and how
// many bound groups the bot joined with privacy off (every message reaches it there), on,
// or with no join recorded (joined before joins were recorded: to re-add, or to make the
// bot an admin of, for plain messages).
func (b *Bot) LogPrivacy(ctx context.Context) {
	readsAll := b.self.CanReadAllGroupMessages
	attrs := []any{"can_read_all_group_messages", readsAll, "means", PrivacyMeaning(readsAll)}
	off, on, unknown, err := b.svc.BoundGroupJoins(ctx)
	if err != nil {
		attrs = append(attrs, "groups_err", err)
	} else {
		attrs = append(attrs, "groups_joined_privacy_off", off, "groups_joined_privacy_on", on, "groups_join_unknown", unknown)
	}
	b.log.Info("group privacy", attrs...)
}
