package consult

import (
	"context"
	"errors"

	"github.com/agriclinic/agriclinic/store"
)

// ErrUnknownLanguage is a language the bot does not write in.
var ErrUnknownLanguage = errors.New("unknown language")

// The languages the bot writes in, as a chat chooses them.
const (
	LanguageChinese = "zh"
	LanguageEnglish = "en"
)

// SetLanguage records the language a chat chose. Anyone chooses their own, in their
// private chat (chatID is then their user id); a group's is chosen only by an admin of
// the county the group is bound to, since it changes what every farmer there reads — an
// admin of another county has no say in it, and a group not bound yet gets
// ErrGroupNotBound.
func (s *Service) SetLanguage(ctx context.Context, chatID, userID int64, code string, out Out[string]) error {
	if code != LanguageChinese && code != LanguageEnglish {
		return ErrUnknownLanguage
	}
	if chatID != userID {
		_, county, err := s.Group(ctx, chatID)
		if err != nil {
			return err
		}
		if !county.IsAdmin(userID) {
			return ErrNotAdmin
		}
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetLanguage(ctx, chatID, code); err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(code)...)
	})
}
