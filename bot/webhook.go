package bot

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Webhook receives updates that Telegram posts. It answers 200 only after the handler has
// stored what the update caused; any other answer makes Telegram deliver it again.
type Webhook struct {
	secret string
	handle Handler
	log    *slog.Logger
}

// NewWebhook returns the webhook endpoint; requests must carry secret in
// X-Telegram-Bot-Api-Secret-Token.
func NewWebhook(secret string, handle Handler, log *slog.Logger) *Webhook {
	return &Webhook{secret: secret, handle: handle, log: log}
}

// maxUpdateSize bounds a request body; real updates are a few kilobytes.
const maxUpdateSize = 1 << 20

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if subtle.ConstantTimeCompare([]byte(got), []byte(h.secret)) != 1 {
		h.log.Warn("webhook request with a wrong secret token", "remote", r.RemoteAddr)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpdateSize))
	if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
		http.Error(w, "update too large", http.StatusRequestEntityTooLarge)
		return
	}
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	// One update, read as getUpdates' are: one that does not decode but has its id is
	// handed on to be set aside (see Guard), or Telegram would send it again and again
	// while every later update waited.
	us, err := decodeUpdates(append(append([]byte{'['}, body...), ']'))
	if err != nil || len(us) != 1 || us[0].UpdateID <= 0 {
		// The secret was right but this is no update at all.
		h.log.Warn("webhook body is not an update", "err", err)
		http.Error(w, "not an update", http.StatusBadRequest)
		return
	}
	u := us[0]
	// Telegram may give up on the request; the update is finished regardless.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Second)
	defer cancel()
	if err := h.handle(ctx, u); err != nil {
		h.log.Error("update failed; Telegram will deliver it again", "update", u.UpdateID, "err", err)
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// SetWebhook registers url with Telegram, with the secret Telegram will send back.
// tgbotapi v5.5.1 predates secret_token, so the call is made by name.
func (c *Client) SetWebhook(ctx context.Context, url, secret string) error {
	params := tgbotapi.Params{"url": url, "secret_token": secret}
	params["allowed_updates"] = `["message","edited_message","callback_query","my_chat_member"]`
	if err := c.Call(ctx, "setWebhook", params, nil); err != nil {
		return fmt.Errorf("setWebhook: %w", err)
	}
	return nil
}
