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

// Standing asks Telegram what the bot can hear in a group: getMe's
// can_read_all_group_messages (privacy off) and the bot's own getChatMember. It never
// fails: Known is false when Telegram did not answer. It runs outside any transaction.
func (b *Bot) Standing(ctx context.Context, chatID int64) consult.BotStanding {
	return b.Standings(ctx, []int64{chatID})[chatID]
}

// standingsAtOnce bounds the groups asked about at the same time.
const standingsAtOnce = 8

// Standings is Standing for several groups (the dashboard's groups page): getMe once, the
// groups' getChatMember up to standingsAtOnce at a time. A group Telegram did not answer
// for is absent or not Known.
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
	return out
}

// standingText tells an admin how farmers can ask in the group, given what Telegram said.
func standingText(l lang, ch consult.StandingChange) string {
	st := ch.Now
	switch {
	case !st.Known:
		return l.T("guide.standing_unknown")
	case ch.BecameAdmin():
		return l.T("guide.became_admin")
	case st.Admin():
		return l.T("guide.standing_admin")
	case st.ReadsAll:
		return l.T("guide.standing_privacy_off")
	}
	return l.T("guide.standing_member")
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
// means for farmers in the groups.
func PrivacyMeaning(readsAll bool) string {
	if readsAll {
		return "privacy mode is off: every group message reaches the bot; plain questions work in groups set to /mode open"
	}
	return "privacy mode is on: in groups where the bot is not an admin only /ask, other commands and replies to the bot reach it " +
		"(no plain messages, no @mentions); make the bot a group admin, or turn privacy off with BotFather's /setprivacy " +
		"and re-add the bot, for /mode open"
}
