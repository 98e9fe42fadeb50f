package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/i18n"
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

// langAlias reads the other names people type for the two first languages.
func langAlias(arg string) string {
	switch strings.ToLower(strings.TrimSpace(arg)) {
	case "cn", "中文", "汉语", "chinese":
		return "zh"
	case "英文", "英语":
		return "en"
	}
	return arg
}

// setLang handles /lang <code>, for every language of the catalog: in a private chat for the person, in a group for the
// group (who may is consult's rule: an admin of the group's county).
func (b *Bot) setLang(ctx context.Context, in *incoming) error {
	l, ok := i18n.Find(langAlias(in.args))
	if !ok {
		var uses []string
		for _, l := range i18n.Langs() {
			uses = append(uses, fmt.Sprintf("/lang %s（%s）", l.Code(), esc(l.Name())))
		}
		return b.reply(ctx, in, in.lang.F("lang.usage", strings.Join(uses, " · ")), nil)
	}
	code := l.Code()
	err := b.svc.SetLanguage(ctx, in.msg.Chat.ID, in.msg.From.ID, code, func(code string) []store.Message {
		return in.replyWith(langFromCode(code).T("lang.switched"), nil)
	})
	switch {
	case errors.Is(err, consult.ErrGroupNotBound):
		return b.reply(ctx, in, notBoundText(), nil)
	case errors.Is(err, consult.ErrNotAdmin):
		return b.reply(ctx, in, in.lang.T("lang.not_admin"), nil)
	case errors.Is(err, store.ErrDuplicate):
		return nil
	}
	return err
}
