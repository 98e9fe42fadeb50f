package store

import "context"

// SetLanguage records the language a person (chat id = user id) or a group chose. A
// person's choice also applies to the notices they get as an expert.
func (d *queries) SetLanguage(ctx context.Context, chatID int64, lang string) error {
	if _, err := d.dbtx.Exec(ctx, `INSERT INTO language_prefs (chat_id, lang) VALUES ($1, $2)
		ON CONFLICT (chat_id) DO UPDATE SET lang = $2, set_at = now()`, chatID, lang); err != nil {
		return wrap("set language", err)
	}
	if chatID > 0 {
		if _, err := d.dbtx.Exec(ctx, `UPDATE experts SET language = $2 WHERE user_id = $1`, chatID, lang); err != nil {
			return wrap("set language", err)
		}
	}
	return nil
}

// Language returns the language a person or group chose, or ErrNotFound.
func (d *queries) Language(ctx context.Context, chatID int64) (string, error) {
	var lang string
	err := d.dbtx.QueryRow(ctx, `SELECT lang FROM language_prefs WHERE chat_id = $1`, chatID).Scan(&lang)
	return lang, wrap("language", err)
}
