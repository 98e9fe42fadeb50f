package bot

import (
	"context"
	"errors"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
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
// group (who may is consult's rule: an admin of the group's county).
func (b *Bot) setLang(ctx context.Context, in *incoming) error {
	var code string
	switch strings.ToLower(in.args) {
	case "zh", "cn", "中文":
		code = consult.LanguageChinese
	case "en", "english", "英文":
		code = consult.LanguageEnglish
	default:
		return b.reply(ctx, in, "用法：/lang zh（中文）或 /lang en（English）\nUsage: /lang zh (Chinese) or /lang en (English)", nil)
	}
	err := b.svc.SetLanguage(ctx, in.msg.Chat.ID, in.msg.From.ID, code, func(code string) []store.Message {
		return in.replyWith(langFromCode(code).pick("✅ 已切换为中文。", "✅ Switched to English."), nil)
	})
	switch {
	case errors.Is(err, consult.ErrGroupNotBound):
		return b.reply(ctx, in, notBoundText, nil)
	case errors.Is(err, consult.ErrNotAdmin):
		return b.reply(ctx, in, "只有本县农业农村局的管理员可以更改本群的语言。\nOnly a county bureau admin of this group's county can change its language.", nil)
	case errors.Is(err, store.ErrDuplicate):
		return nil
	}
	return err
}
