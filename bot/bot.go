// Package bot is AgriClinic's Telegram side: the Bot API client, the loop that receives
// updates (long polling or webhook), the router from commands and buttons to handlers, and
// the rendering of every message in Chinese and English.
//
// It holds no rules of the consultation itself: who may claim, what a question is routed to
// and what is archived are decided in package consult.
package bot

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// Bot turns Telegram updates into consultation steps and their results into messages.
type Bot struct {
	svc    *consult.Service
	db     *store.DB // the bot's memory of its own messages
	tg     *Client
	self   tgbotapi.User
	log    *slog.Logger
	routes map[string]command // commandTable by name
	// buttons is buttonTable by action.
	buttons map[string]button
	// Metrics may be set after New; nil counts nothing.
	Metrics *Metrics
	// CalendarLink makes a visit calendar's secret link ("county" or "expert", and its
	// id); nil when PUBLIC_URL is not set.
	CalendarLink func(kind, id string) string
	// PublicURL is where people reach the dashboard; "" turns /dashboard off.
	PublicURL string
}

// incoming is one message with what every handler needs to know about it.
type incoming struct {
	updateID int64
	msg      *tgbotapi.Message
	thread   int64 // the forum topic it was written in
	lang     lang
	args     string // a command's arguments
}

func (in *incoming) private() bool { return in.msg.Chat.IsPrivate() }

// New returns a Bot.
func New(svc *consult.Service, db *store.DB, tg *Client, log *slog.Logger) *Bot {
	b := &Bot{svc: svc, db: db, tg: tg, self: tg.Self(), log: log}
	b.routes = map[string]command{}
	for _, c := range commandTable() {
		b.routes[c.name] = c
	}
	b.buttons = map[string]button{}
	for _, btn := range buttonTable() {
		b.buttons[btn.action] = btn
	}
	return b
}

// Handle handles one update. It returns an error only when the update should be tried
// again — the archive could not be reached — so the transport must not confirm it. Bad
// input gets an answer and a nil error; a panic is logged, answered and not retried, so one
// poisoned update cannot stop the bot.
func (b *Bot) Handle(ctx context.Context, u Update) (err error) {
	start := time.Now()
	// Each write this update causes is a step of it, stored once (store.WithUpdate).
	ctx = store.WithUpdate(ctx, int64(u.UpdateID))
	defer func() {
		outcome := "ok"
		if r := recover(); r != nil {
			b.log.Error("panic while handling update", "update", u.UpdateID, "panic", r, "stack", string(debug.Stack()))
			b.apologise(ctx, u)
			err, outcome = nil, "panic"
		}
		if err != nil {
			outcome = "retry"
		}
		b.logUpdate(u, start, outcome)
	}()
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return b.onMessage(ctx, u, u.Message)
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		return b.onCallback(ctx, u.CallbackQuery, u.ThreadID)
	case u.MyChatMember != nil:
		return b.onMembership(ctx, u.MyChatMember)
	case u.EditedMessage != nil && u.EditedMessage.Chat != nil && u.EditedMessage.From != nil:
		return b.onEdit(ctx, u.EditedMessage)
	}
	return nil
}

// logUpdate writes one line per update, never its text (farmers' words are not log
// material), and counts it.
func (b *Bot) logUpdate(u Update, start time.Time, outcome string) {
	kind := updateKind(u.Update)
	b.log.Info("update", "id", u.UpdateID, "kind", kind, "chat", chatKey(u),
		"outcome", outcome, "ms", time.Since(start).Milliseconds())
	b.Metrics.update(kind, outcome)
}

func updateKind(u tgbotapi.Update) string {
	switch {
	case u.Message != nil:
		if name, _, _, ok := parseCommand(u.Message.Text); ok {
			return "command:" + name
		}
		return "message"
	case u.CallbackQuery != nil:
		action, _, _ := cutAction(u.CallbackQuery.Data)
		return "button:" + action
	case u.EditedMessage != nil:
		return "edited_message"
	case u.MyChatMember != nil:
		return "membership"
	}
	return "other"
}

// apologise tells the person something went wrong on our side.
func (b *Bot) apologise(ctx context.Context, u Update) {
	switch {
	case u.Message != nil:
		in := &incoming{msg: u.Message, thread: u.ThreadID}
		if err := b.reply(ctx, in, langOf(u.Message.From).T("bot.sorry_something_went_wrong"), nil); err != nil {
			b.log.Warn("apology not stored", "err", err)
		}
	case u.CallbackQuery != nil:
		b.answerCallback(ctx, u.CallbackQuery, langOf(u.CallbackQuery.From).T("bot.sorry_something_went_wrong"), true)
	}
}

func (b *Bot) onMessage(ctx context.Context, u Update, msg *tgbotapi.Message) error {
	if msg.MigrateToChatID != 0 {
		return b.svc.MigrateGroup(ctx, msg.Chat.ID, msg.MigrateToChatID)
	}
	if msg.SenderChat != nil && !msg.Chat.IsPrivate() {
		return b.onBehalfOfChat(ctx, u, msg)
	}
	if msg.From == nil || msg.From.IsBot {
		return nil
	}
	in := &incoming{updateID: int64(u.UpdateID), msg: msg, thread: u.ThreadID, lang: b.langFor(ctx, msg.From)}
	if name, at, args, ok := parseCommand(words(msg)); ok {
		if at != "" && !strings.EqualFold(at, b.self.UserName) {
			return nil // a command for another bot in the same group
		}
		in.args = args
		if name == "ask" && msg.MediaGroupID != "" && !in.private() {
			return b.stageAlbum(ctx, in, args, true)
		}
		return b.onCommand(ctx, in, name)
	}
	if in.private() {
		return b.onPrivateText(ctx, in)
	}
	// A reply to a form's prompt answers the form; it is no question (form.go).
	if handled, err := b.formReply(ctx, in); handled || err != nil {
		return err
	}
	if msg.MediaGroupID != "" {
		text, addressed := b.addressed(msg)
		if !addressed {
			text = msg.Caption
		}
		return b.stageAlbum(ctx, in, text, addressed)
	}
	// A reply to the group's guide is a question, as /ask is (guide.go).
	if handled, err := b.guideReply(ctx, in); handled || err != nil {
		return err
	}
	if handled, err := b.followup(ctx, in); handled || err != nil {
		return err
	}
	// In a group the bot sees only what is addressed to it, unless it is an admin; then it
	// ignores the farmers' own conversation (unless the group is open, see /mode).
	if text, ok := b.addressed(msg); ok {
		if blankText(text) && mediaOf(msg) == nil {
			// A sticker or a bare mention: nothing to answer.
			return b.reply(ctx, in, in.lang.T("bot.ask_nothing_to_ask"), nil)
		}
		in.args = text
		return b.ask(ctx, in)
	}
	return b.openModeAsk(ctx, in)
}

// onBehalfOfChat answers a command sent on behalf of a chat: by an anonymous group admin
// or by a channel. Telegram does not say who sent it, so no rule of who may do what can
// be applied: the sender is asked to send it as themselves. Anything else sent so (a
// channel's posts in its discussion group) is not for the bot.
func (b *Bot) onBehalfOfChat(ctx context.Context, u Update, msg *tgbotapi.Message) error {
	_, at, _, ok := parseCommand(words(msg))
	if !ok || (at != "" && !strings.EqualFold(at, b.self.UserName)) {
		return nil
	}
	in := &incoming{updateID: int64(u.UpdateID), msg: msg, thread: u.ThreadID}
	return b.reply(ctx, in, b.chatLang(ctx, msg.Chat.ID).T("bot.bot_cannot_tell_who"), nil)
}

func (b *Bot) onCommand(ctx context.Context, in *incoming, name string) error {
	r, ok := b.routes[name]
	// A person's commands are paced (consult.Pace), unknown ones too (a script trying
	// names); a batched command (/ask) has its own limit, counted with its batch
	// (many.go), so it costs no Redis round trip of its own here.
	if !r.batched {
		if p := b.svc.PaceCommand(ctx, in.msg.From.ID); p.Over {
			if !p.Tell {
				return nil
			}
			return b.reply(ctx, in, tooFastText(in.lang, p.Wait), nil)
		}
	}
	switch {
	case !ok:
		return b.reply(ctx, in, in.lang.T("bot.unknown_command_send_help"), nil)
	case in.private() && !r.private:
		return b.reply(ctx, in, in.lang.F("bot.use_in_group", name), nil)
	case !in.private() && !r.group:
		return b.reply(ctx, in, in.lang.F("bot.use_in_private", esc(b.self.UserName), name), nil)
	}
	return r.handle(b, ctx, in)
}

// commandPattern is a bot command as Telegram recognises one: "/name" or "/name@bot" at
// the start, then a space or the end.
var commandPattern = regexp.MustCompile(`^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s|$)`)

// parseCommand reads a command from a message's text. tgbotapi's Command slices the text
// by the entity's length, which panics on a length past the end (and miscounts non-ASCII,
// since lengths are UTF-16 units); the text itself says all we need.
func parseCommand(text string) (name, at, args string, ok bool) {
	m := commandPattern.FindStringSubmatch(text)
	if m == nil {
		return "", "", "", false
	}
	return strings.ToLower(m[1]), m[2], strings.TrimSpace(text[len(m[0]):]), true
}

// addressed reports whether a group message is meant for the bot — it mentions the bot or
// replies to one of its messages — and returns its text without the mention.
func (b *Bot) addressed(msg *tgbotapi.Message) (string, bool) {
	text := msg.Text
	if text == "" {
		text = msg.Caption
	}
	mention := "@" + b.self.UserName
	if b.self.UserName != "" && containsFold(text, mention) {
		return strings.TrimSpace(replaceFold(text, mention, "")), true
	}
	if r := msg.ReplyToMessage; r != nil && r.From != nil && r.From.ID == b.self.ID {
		return strings.TrimSpace(text), true
	}
	return "", false
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// replaceFold removes every case-insensitive occurrence of sub (usernames are ASCII, so
// byte offsets in the lower-cased text match the original).
func replaceFold(s, sub, with string) string {
	lower, lsub := strings.ToLower(s), strings.ToLower(sub)
	var b strings.Builder
	for {
		i := strings.Index(lower, lsub)
		if i < 0 || len(lower) != len(s) {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(with)
		s, lower = s[i+len(sub):], lower[i+len(sub):]
	}
}

func (b *Bot) onPrivateText(ctx context.Context, in *incoming) error {
	if r := in.msg.ReplyToMessage; r != nil && r.From != nil && r.From.ID == b.self.ID {
		m, err := b.db.BotMessage(ctx, in.msg.Chat.ID, int64(r.MessageID))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err == nil && m.Kind == store.MessageQuestionNotice {
			return b.answer(ctx, in, m.RefID, in.msg.Caption+in.msg.Text, mediaOf(in.msg))
		}
		if err == nil && (m.Kind == store.MessageHeldReview || m.Kind == store.MessageHeldNote) {
			return b.heldReply(ctx, in, m) // held.go
		}
	}
	if handled, err := b.formReply(ctx, in); handled || err != nil {
		return err
	}
	// Most who write here are farmers, who ask in their group; experts answer here.
	if b.roleOf(ctx, in.msg.From.ID) == roleFarmer {
		return b.reply(ctx, in, in.lang.T("bot.ask_send_ask_question"), nil)
	}
	return b.reply(ctx, in, in.lang.T("bot.answer_question_reply_its"), nil)
}

func (b *Bot) onMembership(ctx context.Context, m *tgbotapi.ChatMemberUpdated) error {
	// The privacy mode a group goes by is the one the bot joins it with (group.go).
	if err := b.noteJoin(ctx, m); err != nil {
		return err
	}
	// Removed, banned, blocked, and back (gone.go).
	if handled, err := b.membershipGone(ctx, m); handled || err != nil {
		return err
	}
	joined := (m.OldChatMember.Status == "left" || m.OldChatMember.Status == "kicked") &&
		(m.NewChatMember.Status == "member" || m.NewChatMember.Status == "administrator")
	if !joined || m.Chat.IsPrivate() {
		return nil
	}
	return b.db.Enqueue(ctx, sendTo(m.Chat.ID, everyLang("bot.greeting"), nil)...)
}

func (b *Bot) start(ctx context.Context, in *incoming) error {
	// The bot may write to the person now; an expert who had blocked it is reachable again.
	if err := b.started(ctx, in); err != nil {
		return err
	}
	return b.reply(ctx, in, startText(in.lang, in.msg.From, b.roleOf(ctx, in.msg.From.ID), b.isCoordinator(ctx, in.msg.From.ID), !in.private()), nil)
}

// help lists the commands of the person's role; in a group, in the group's language.
func (b *Bot) help(ctx context.Context, in *incoming) error {
	l := in.lang
	if !in.private() {
		l = b.chatLang(ctx, in.msg.Chat.ID)
	}
	return b.reply(ctx, in, helpFor(l, b.roleOf(ctx, in.msg.From.ID), b.isCoordinator(ctx, in.msg.From.ID), !in.private()), nil)
}

func (b *Bot) whoami(ctx context.Context, in *incoming) error {
	return b.reply(ctx, in, whoamiText(in.lang, in.msg.From, !in.private(), b.self.UserName), nil)
}

func person(u *tgbotapi.User) consult.Person {
	return consult.Person{ID: u.ID, Name: personName(u), Username: u.UserName, Language: u.LanguageCode}
}
