package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/i18n"
	"github.com/agriclinic/agriclinic/store"
)

// A role decides which commands a person is shown, in /help and in the app's menu.
type role int

const (
	roleFarmer role = iota
	roleExpert
	roleAdmin
	// roleCoordinator is no rank above the others: a township coordinator may be a farmer
	// or an expert besides, and an admin may do all a coordinator does (see hasRole).
	roleCoordinator
)

// hasRole reports whether roles give r: admins have the coordinators' commands too.
func hasRole(roles []role, r role) bool {
	return slices.Contains(roles, r) || (r == roleCoordinator && slices.Contains(roles, roleAdmin))
}

// command is one command: its handler, who is shown it and where it works. It is the only
// place a command is listed: the router (Bot.onCommand), the menus, /help and the metric
// labels all read it. Its words are in the catalog (i18n): "cmd.<name>" is its menu line
// and, when usage is set, "cmd.<name>.use" how /help shows its arguments.
type command struct {
	name   string
	handle func(b *Bot, ctx context.Context, in *incoming) error
	hidden bool // in no menu and not in /help (Telegram's own Start button sends it)
	// batched says a batch's plain uses of it in groups are taken together (HandleMany's
	// second path, AskMany), not one by one through handle.
	batched   bool
	usage     bool // takes arguments, shown in /help as "cmd.<name>.use"
	forRole   role
	group     bool // used in a group
	private   bool // used in a private chat
	adminOnly bool // admins only, even among experts
	// coordinator shows the command to township coordinators besides forRole.
	coordinator bool
}

// commandTable is every command. A function, not a variable: the handlers read the table
// themselves (/help), which a package-level variable could not allow.
func commandTable() []command {
	return []command{
		{name: "start", handle: (*Bot).start, hidden: true, forRole: roleFarmer, group: true, private: true},
		{name: "ask", handle: (*Bot).askCommand, batched: true, usage: true, forRole: roleFarmer, group: true},
		{name: "expert", handle: (*Bot).expertRequest, usage: true, forRole: roleFarmer, private: true},
		{name: "queue", handle: (*Bot).queue, forRole: roleExpert, private: true},
		{name: "mine", handle: (*Bot).mine, forRole: roleExpert, private: true},
		{name: "answer", handle: (*Bot).answerCommand, usage: true, forRole: roleExpert, private: true},
		{name: "correct", handle: (*Bot).correctCommand, usage: true, forRole: roleExpert, private: true},
		{name: "release", handle: (*Bot).release, usage: true, forRole: roleExpert, private: true},
		{name: "transfer", handle: (*Bot).transfer, usage: true, forRole: roleExpert, private: true},
		{name: "search", handle: (*Bot).search, usage: true, forRole: roleExpert, private: true},
		{name: "calendar", handle: (*Bot).calendar, forRole: roleExpert, private: true},
		{name: "duty", handle: (*Bot).duty, usage: true, forRole: roleExpert, private: true},
		{name: "visit", handle: (*Bot).visitCommand, usage: true, forRole: roleCoordinator, group: true, private: true},
		{name: "report", handle: (*Bot).report, usage: true, forRole: roleExpert, private: true},
		{name: "visits", handle: (*Bot).visits, forRole: roleExpert, private: true, coordinator: true},
		{name: "coordinator", handle: (*Bot).coordinator, usage: true, forRole: roleAdmin, group: true, adminOnly: true},
		{name: "bind", handle: (*Bot).bind, usage: true, forRole: roleAdmin, group: true, adminOnly: true},
		{name: "clinic", handle: (*Bot).clinic, usage: true, forRole: roleAdmin, private: true, adminOnly: true},
		{name: "plan", handle: (*Bot).plan, usage: true, forRole: roleAdmin, private: true, adminOnly: true},
		{name: "dashboard", handle: (*Bot).dashboard, forRole: roleAdmin, private: true, adminOnly: true},
		{name: "reviewer", handle: (*Bot).reviewer, usage: true, forRole: roleAdmin, private: true, adminOnly: true},
		{name: "keywords", handle: (*Bot).keywords, forRole: roleAdmin, private: true, adminOnly: true},
		{name: "mode", handle: (*Bot).mode, usage: true, forRole: roleAdmin, group: true, adminOnly: true},
		{name: "guide", handle: (*Bot).guide, forRole: roleAdmin, group: true, coordinator: true},
		{name: "lang", handle: (*Bot).setLang, usage: true, forRole: roleFarmer, group: true, private: true},
		{name: "whoami", handle: (*Bot).whoami, forRole: roleFarmer, group: true, private: true},
		{name: "help", handle: (*Bot).help, forRole: roleFarmer, group: true, private: true},
	}
}

// menuLine is the command's line in the menu, in the language.
func (c command) menuLine(l lang) string { return l.T("cmd." + c.name) }

// menu is the command list for the roles a person has, in a private chat or a group.
func menu(l lang, roles []role, group bool) []tgbotapi.BotCommand {
	var out []tgbotapi.BotCommand
	for _, c := range commandTable() {
		if c.hidden {
			continue
		}
		if !(hasRole(roles, c.forRole) || (c.coordinator && hasRole(roles, roleCoordinator))) || (group && !c.group) || (!group && !c.private) {
			continue
		}
		out = append(out, tgbotapi.BotCommand{Command: c.name, Description: c.menuLine(l)})
	}
	return out
}

// RegisterCommands publishes the menus every person sees: farmers' commands in private
// chats, the group commands in groups, each in Chinese and, for English apps, English.
// Experts and admins get their own menu in their private chat when they become one (see
// personalMenu).
func (c *Client) RegisterCommands(ctx context.Context) error {
	scopes := []struct {
		scope tgbotapi.BotCommandScope
		group bool
	}{
		{tgbotapi.BotCommandScope{Type: "default"}, false},
		{tgbotapi.BotCommandScope{Type: "all_private_chats"}, false},
		{tgbotapi.BotCommandScope{Type: "all_group_chats"}, true},
	}
	for _, s := range scopes {
		for _, l := range i18n.Langs() {
			roles := []role{roleFarmer}
			if s.group {
				// Admins bind groups in them; the menu names the command so they find it.
				roles = append(roles, roleAdmin)
			}
			cfg := tgbotapi.NewSetMyCommandsWithScope(s.scope, menu(l, roles, s.group)...)
			if l != i18n.Default {
				cfg.LanguageCode = l.Code()
			}
			if err := c.Request(ctx, cfg); err != nil {
				return fmt.Errorf("setMyCommands %s %s: %w", s.scope.Type, l.Code(), err)
			}
		}
	}
	return nil
}

// personalMenu sets the menu of one person's private chat to their roles' commands, in
// both languages, through the outbox (so it follows the approval that caused it).
func personalMenu(userID int64, roles ...role) []store.Message {
	var out []store.Message
	scope, _ := json.Marshal(tgbotapi.BotCommandScope{Type: "chat", ChatID: userID})
	for _, l := range i18n.Langs() {
		cmds, _ := json.Marshal(menu(l, append([]role{roleFarmer}, roles...), false))
		m := store.Message{ChatID: userID, Method: store.MethodCall, API: "setMyCommands",
			Params: map[string]string{"commands": string(cmds), "scope": string(scope)}}
		if l != i18n.Default {
			m.Params["language_code"] = l.Code()
		}
		out = append(out, m)
	}
	return out
}

// roleOf is the person's highest role.
func (b *Bot) roleOf(ctx context.Context, userID int64) role {
	if len(b.svc.AdminCounties(userID)) > 0 {
		return roleAdmin
	}
	if experts, err := b.svc.Experts(ctx, userID); err == nil && len(experts) > 0 {
		return roleExpert
	}
	return roleFarmer
}

// isCoordinator reports whether the person coordinates a township.
func (b *Bot) isCoordinator(ctx context.Context, userID int64) bool {
	roles, err := b.svc.Coordinates(ctx, userID)
	return err == nil && len(roles) > 0
}

// helpFor lists the commands that apply to the person, where they are; coordinator adds
// the township coordinators' section.
func helpFor(l lang, r role, coordinator, group bool) string {
	var b strings.Builder
	b.WriteString(l.T("commands.agriclinic_help_farmers_ask"))
	sections := []struct {
		r        role
		title    string // message id
		forGroup bool
	}{
		{roleFarmer, "help.asking", true},
		{roleCoordinator, "help.coordinators", true},
		{roleExpert, "help.experts", false},
		{roleAdmin, "help.admins", true},
	}
	for _, s := range sections {
		shown := s.r <= r
		if s.r == roleCoordinator {
			shown = coordinator || r == roleAdmin
		}
		if !shown {
			continue
		}
		b.WriteString(l.T(s.title))
		for _, c := range commandTable() {
			if c.hidden {
				continue
			}
			// A command of experts that coordinators have too is listed once, with the experts'.
			inSection := c.forRole == s.r || (s.r == roleCoordinator && c.coordinator && r < roleExpert)
			if !inSection || c.name == "help" || c.name == "whoami" || c.name == "lang" {
				continue
			}
			if s.r == roleFarmer && c.name == "expert" {
				continue
			}
			use := "/" + c.name
			if c.usage {
				use = l.T("cmd." + c.name + ".use")
			}
			fmt.Fprintf(&b, "\n%s — %s", use, esc(c.menuLine(l)))
		}
		if s.r == roleFarmer {
			b.WriteString(l.T("commands.also_by_reply"))
		}
		if s.r == roleExpert {
			b.WriteString(l.T("commands.reply_question_message_answer"))
		}
	}
	if r == roleFarmer && !group {
		b.WriteString(l.T("commands.agronomists_apply_with_expert"))
	}
	b.WriteString(l.T("commands.lang_zh_en_language"))
	return b.String()
}

// PublishAdminMenus gives every county admin their private menu (with /keywords), and
// the expert commands too when they are also an expert. It runs at start, through the
// outbox.
func (b *Bot) PublishAdminMenus(ctx context.Context) error {
	var msgs []store.Message
	seen := map[int64]bool{}
	for _, c := range b.svc.Counties() {
		for _, admin := range c.Admins {
			if seen[admin] {
				continue
			}
			seen[admin] = true
			roles := []role{roleAdmin}
			if experts, err := b.svc.Experts(ctx, admin); err == nil && len(experts) > 0 {
				roles = append(roles, roleExpert)
			}
			msgs = append(msgs, personalMenu(admin, roles...)...)
		}
	}
	return b.db.Enqueue(ctx, msgs...)
}
