package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

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

// command is one command: its handler, who is shown it and where it works, and its line
// in the menu and in /help in each language. It is the only place a command is listed:
// the router (Bot.onCommand), the menus, /help and the metric labels all read it.
type command struct {
	name   string
	handle func(b *Bot, ctx context.Context, in *incoming) error
	hidden bool // in no menu and not in /help (Telegram's own Start button sends it)
	// batched says a batch's plain uses of it in groups are taken together (HandleMany's
	// second path, AskMany), not one by one through handle.
	batched   bool
	zh, en    string // menu descriptions
	zhUse     string // how /help shows it, when it takes arguments
	enUse     string
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
		{name: "start", handle: (*Bot).start, hidden: true, zh: "开始", en: "Start", forRole: roleFarmer, group: true, private: true},
		{name: "ask", handle: (*Bot).askCommand, batched: true, zh: "提问（在乡镇群里）", en: "Ask a question (in the township group)", zhUse: "/ask 问题", enUse: "/ask &lt;question&gt;", forRole: roleFarmer, group: true},
		{name: "expert", handle: (*Bot).expertRequest, zh: "申请成为专家", en: "Apply as an expert", zhUse: "/expert 类别…", enUse: "/expert &lt;category&gt;…", forRole: roleFarmer, private: true},
		{name: "queue", handle: (*Bot).queue, zh: "待认领的问题", en: "Open questions to claim", forRole: roleExpert, private: true},
		{name: "mine", handle: (*Bot).mine, zh: "我认领的问题", en: "Questions I hold", forRole: roleExpert, private: true},
		{name: "answer", handle: (*Bot).answerCommand, zh: "解答：/answer 编号 内容", en: "Answer: /answer <number> <text>", zhUse: "/answer 编号 内容", enUse: "/answer &lt;number&gt; &lt;text&gt;", forRole: roleExpert, private: true},
		{name: "release", handle: (*Bot).release, zh: "退回队列：/release 编号", en: "Give back: /release <number>", zhUse: "/release 编号", enUse: "/release &lt;number&gt;", forRole: roleExpert, private: true},
		{name: "transfer", handle: (*Bot).transfer, zh: "转给其他类别：/transfer 编号 类别", en: "Move to another category", zhUse: "/transfer 编号 类别", enUse: "/transfer &lt;number&gt; &lt;category&gt;", forRole: roleExpert, private: true},
		{name: "search", handle: (*Bot).search, zh: "查询问题档案", en: "Search the archive", zhUse: "/search 关键词", enUse: "/search &lt;words&gt;", forRole: roleExpert, private: true},
		{name: "calendar", handle: (*Bot).calendar, zh: "上门服务日历订阅链接", en: "Visit calendar link", forRole: roleExpert, private: true},
		{name: "duty", handle: (*Bot).duty, zh: "值班 on / 下班 off", en: "On duty (on) or off (off)", zhUse: "/duty on|off", enUse: "/duty on|off", forRole: roleExpert, private: true},
		{name: "visit", handle: (*Bot).visitCommand, zh: "预约专家上门（乡镇点单）", en: "Order an expert visit", zhUse: "/visit [乡镇]", enUse: "/visit [&lt;township&gt;]", forRole: roleCoordinator, group: true, private: true},
		{name: "report", handle: (*Bot).report, zh: "填写上门服务记录：/report 编号", en: "Report a visit: /report <number>", zhUse: "/report 编号", enUse: "/report &lt;number&gt;", forRole: roleExpert, private: true},
		{name: "visits", handle: (*Bot).visits, zh: "近期的上门服务", en: "Upcoming visits", forRole: roleExpert, private: true, coordinator: true},
		{name: "coordinator", handle: (*Bot).coordinator, zh: "授权乡镇联络员（回复其消息）", en: "Appoint a township coordinator (reply to them)", zhUse: "/coordinator [off] [ID]", enUse: "/coordinator [off] [&lt;id&gt;]", forRole: roleAdmin, group: true, adminOnly: true},
		{name: "bind", handle: (*Bot).bind, zh: "绑定本群到乡镇", en: "Bind this group to a township", zhUse: "/bind 乡镇", enUse: "/bind &lt;township&gt;", forRole: roleAdmin, group: true, adminOnly: true},
		{name: "clinic", handle: (*Bot).clinic, zh: "坐诊日程（私聊）", en: "Clinic sessions (private)", zhUse: "/clinic add 类别 时长 cron", enUse: "/clinic add &lt;category&gt; &lt;duration&gt; &lt;cron&gt;", forRole: roleAdmin, private: true, adminOnly: true},
		{name: "plan", handle: (*Bot).plan, zh: "上门计划（私聊）", en: "Visit plans (private)", zhUse: "/plan add 乡镇 主题 cron", enUse: "/plan add &lt;township&gt; &lt;topic&gt; &lt;cron&gt;", forRole: roleAdmin, private: true, adminOnly: true},
		{name: "dashboard", handle: (*Bot).dashboard, zh: "网页后台登录链接（私聊）", en: "Dashboard sign-in link (private)", forRole: roleAdmin, private: true, adminOnly: true},
		{name: "reviewer", handle: (*Bot).reviewer, zh: "授予只读后台权限（私聊）", en: "Grant read-only dashboard access", zhUse: "/reviewer Telegram ID", enUse: "/reviewer &lt;telegram id&gt;", forRole: roleAdmin, private: true, adminOnly: true},
		{name: "keywords", handle: (*Bot).keywords, zh: "分类关键词建议（私聊）", en: "Routing keyword suggestions (private)", forRole: roleAdmin, private: true, adminOnly: true},
		{name: "mode", handle: (*Bot).mode, zh: "本群提问方式 open / ask", en: "How this group asks: open / ask", zhUse: "/mode open|ask", enUse: "/mode open|ask", forRole: roleAdmin, group: true, adminOnly: true},
		{name: "lang", handle: (*Bot).setLang, zh: "切换语言 zh / en", en: "Switch language: zh / en", zhUse: "/lang zh|en", enUse: "/lang zh|en", forRole: roleFarmer, group: true, private: true},
		{name: "whoami", handle: (*Bot).whoami, zh: "查看我的 Telegram ID", en: "Show my Telegram id", forRole: roleFarmer, group: true, private: true},
		{name: "help", handle: (*Bot).help, zh: "使用说明", en: "Help", forRole: roleFarmer, group: true, private: true},
	}
}

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
		out = append(out, tgbotapi.BotCommand{Command: c.name, Description: l.pick(c.zh, c.en)})
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
		for _, l := range []lang{zh, en} {
			roles := []role{roleFarmer}
			if s.group {
				// Admins bind groups in them; the menu names the command so they find it.
				roles = append(roles, roleAdmin)
			}
			cfg := tgbotapi.NewSetMyCommandsWithScope(s.scope, menu(l, roles, s.group)...)
			if l == en {
				cfg.LanguageCode = "en"
			}
			if err := c.Request(ctx, cfg); err != nil {
				return fmt.Errorf("setMyCommands %s %s: %w", s.scope.Type, l.code(), err)
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
	for _, l := range []lang{zh, en} {
		cmds, _ := json.Marshal(menu(l, append([]role{roleFarmer}, roles...), false))
		m := store.Message{ChatID: userID, Method: store.MethodCall, API: "setMyCommands",
			Params: map[string]string{"commands": string(cmds), "scope": string(scope)}}
		if l == en {
			m.Params["language_code"] = "en"
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
	b.WriteString(l.pick("<b>农技坐诊 · 使用说明</b>\n农户在乡镇群里提问（可以带照片、语音），县农技专家认领并在群里解答。\n",
		"<b>AgriClinic · help</b>\nFarmers ask in their township group (photos and voice welcome); county experts claim and answer there.\n"))
	sections := []struct {
		r        role
		zh, en   string
		forGroup bool
	}{
		{roleFarmer, "\n<b>提问</b>（在乡镇群里）", "\n<b>Asking</b> (in the township group)", true},
		{roleCoordinator, "\n<b>乡镇联络员</b>", "\n<b>Township coordinators</b>", true},
		{roleExpert, "\n<b>专家</b>（私聊）", "\n<b>Experts</b> (private chat)", false},
		{roleAdmin, "\n<b>县局管理员</b>", "\n<b>County admins</b>", true},
	}
	for _, s := range sections {
		shown := s.r <= r
		if s.r == roleCoordinator {
			shown = coordinator || r == roleAdmin
		}
		if !shown {
			continue
		}
		b.WriteString(l.pick(s.zh, s.en))
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
			if c.zhUse != "" {
				use = l.pick(c.zhUse, c.enUse)
			}
			fmt.Fprintf(&b, "\n%s — %s", use, esc(l.pick(c.zh, c.en)))
		}
		if s.r == roleFarmer {
			b.WriteString(l.pick("\n也可以@机器人，或回复机器人的消息提问；回复机器人的确认或专家的解答，就是对同一个问题的追问。",
				"\nYou can also mention the bot or reply to it; replying to its acknowledgement or to an answer adds to the same question."))
		}
		if s.r == roleExpert {
			b.WriteString(l.pick("\n回复问题消息即可作答，可以发文字、照片、语音或文件。", "\nReply to a question's message to answer: text, photo, voice or a document."))
		}
	}
	if r == roleFarmer && !group {
		b.WriteString(l.pick("\n\n<b>农技人员</b>：发送 /expert 类别 申请成为专家，例如 /expert 水稻 茶叶，县局审核后即可接收问题。",
			"\n\n<b>Agronomists</b>: apply with /expert &lt;category&gt;, e.g. /expert rice tea; the county bureau approves you."))
	}
	b.WriteString(l.pick("\n\n/lang zh|en — 切换语言 · /whoami — 我的 ID", "\n\n/lang zh|en — language · /whoami — my id"))
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
