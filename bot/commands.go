package bot

import (
	"context"
	"fmt"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// commandMenu is what Telegram apps offer when someone types "/", per language.
var commandMenu = map[lang][]tgbotapi.BotCommand{
	zh: {
		{Command: "ask", Description: "提问（在乡镇群里）"},
		{Command: "expert", Description: "申请成为专家（私聊）"},
		{Command: "queue", Description: "待认领的问题（专家）"},
		{Command: "answer", Description: "解答问题：/answer 编号 内容"},
		{Command: "mine", Description: "我认领的问题（专家）"},
		{Command: "duty", Description: "值班 on / 下班 off（专家）"},
		{Command: "bind", Description: "绑定本群到乡镇（县局管理员）"},
		{Command: "whoami", Description: "查看我的 Telegram ID"},
		{Command: "lang", Description: "切换语言 zh / en"},
		{Command: "help", Description: "使用说明"},
	},
	en: {
		{Command: "ask", Description: "Ask a question (in the township group)"},
		{Command: "expert", Description: "Apply as an expert (private chat)"},
		{Command: "queue", Description: "Open questions to claim (experts)"},
		{Command: "answer", Description: "Answer: /answer <number> <text>"},
		{Command: "mine", Description: "Questions I hold (experts)"},
		{Command: "duty", Description: "On duty (on) or off (off) (experts)"},
		{Command: "bind", Description: "Bind this group to a township (county admins)"},
		{Command: "whoami", Description: "Show my Telegram id"},
		{Command: "lang", Description: "Switch language: zh / en"},
		{Command: "help", Description: "Help"},
	},
}

// RegisterCommands publishes the command menu: Chinese by default, English for apps set
// to English.
func (c *Client) RegisterCommands(ctx context.Context) error {
	for l, cmds := range commandMenu {
		cfg := tgbotapi.NewSetMyCommands(cmds...)
		if l == en {
			cfg.LanguageCode = "en"
		}
		if err := c.Request(ctx, cfg); err != nil {
			return fmt.Errorf("setMyCommands %s: %w", l.code(), err)
		}
	}
	return nil
}
