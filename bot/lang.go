package bot

import (
	"context"
	"errors"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/store"
)

// langFor is the language to write to a person in: their /lang choice, else their
// Telegram app's language. Without the archive it falls back to the app's language.
func (b *Bot) langFor(ctx context.Context, u *tgbotapi.User) lang {
	if u == nil {
		return zh
	}
	if code, err := b.db.Language(ctx, u.ID); err == nil {
		return langFromCode(code)
	}
	return langOf(u)
}

// chatLang is a group's language: its /lang choice, else Chinese.
func (b *Bot) chatLang(ctx context.Context, chatID int64) lang {
	if code, err := b.db.Language(ctx, chatID); err == nil {
		return langFromCode(code)
	}
	return zh
}

// setLang handles /lang zh|en: in a private chat for the person, in a group for the
// group (county admins only, as it changes what every farmer there reads).
func (b *Bot) setLang(ctx context.Context, in *incoming) error {
	var code string
	switch strings.ToLower(in.args) {
	case "zh", "cn", "中文":
		code = "zh"
	case "en", "english", "英文":
		code = "en"
	default:
		return b.reply(ctx, in, "用法：/lang zh（中文）或 /lang en（English）\nUsage: /lang zh (Chinese) or /lang en (English)", nil)
	}
	if !in.private() && len(b.svc.AdminCounties(in.msg.From.ID)) == 0 {
		return b.reply(ctx, in, "只有县农业农村局的管理员可以更改本群的语言。\nOnly a county bureau admin can change this group's language.", nil)
	}
	err := b.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetLanguage(ctx, in.msg.Chat.ID, code); err != nil {
			return err
		}
		l := langFromCode(code)
		return tx.Enqueue(ctx, in.replyWith(l.pick("✅ 已切换为中文。", "✅ Switched to English."), nil)...)
	})
	if errors.Is(err, store.ErrDuplicate) {
		return nil
	}
	return err
}
