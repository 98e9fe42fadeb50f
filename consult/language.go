package consult

import (
	"context"
	"errors"

	"github.com/agriclinic/agriclinic/i18n"
	"github.com/agriclinic/agriclinic/store"
)

// ErrUnknownLanguage is a language the bot does not write in.
var ErrUnknownLanguage = errors.New("unknown language")

// SetLanguage records the language a chat chose: the code of a language of the catalog
// (package i18n). Anyone chooses their own, in their
// private chat (chatID is then their user id); a group's is chosen only by an admin of
// the county the group is bound to, since it changes what every farmer there reads — an
// admin of another county has no say in it, and a group not bound yet gets
// ErrGroupNotBound.
func (s *Service) SetLanguage(ctx context.Context, chatID, userID int64, code string, out Out[string]) error {
	if l, ok := i18n.Find(code); !ok || l.Code() != code {
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
