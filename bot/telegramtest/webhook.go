package telegramtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// webhook is the webhook setWebhook set.
type webhook struct {
	url            string
	secret         string
	maxConnections int
}

// Delivery is one attempt to deliver an update to the webhook.
type Delivery struct {
	URL      string
	UpdateID int
	// Status is the HTTP status the webhook answered; 0 when the request failed.
	Status int
	// Err is why the request failed, when it did.
	Err string
	At  time.Time
}

// Retry delays after a failed delivery. Telegram waits longer; tests need only the order
// of events, not Telegram's patience.
const (
	firstRetryDelay = 5 * time.Millisecond
	maxRetryDelay   = 200 * time.Millisecond
)

// setWebhook accepts http as well as https URLs on any port, unlike Telegram, so that a
// test can point it at an httptest server.
func (s *Server) setWebhook(r *http.Request, p params) (any, *apiError) {
	raw := strings.TrimSpace(p["url"])
	if raw == "" {
		return s.deleteWebhook(r, p) // as in Telegram, an empty URL removes the webhook
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	}
	secret := p["secret_token"]
	if len(secret) > 256 || strings.IndexFunc(secret, func(r rune) bool {
		return !(r < 128 && (isASCIIAlnum(byte(r)) || r == '_' || r == '-'))
	}) >= 0 {
		return nil, badRequest("secret token contains unallowed characters")
	}
	allowed, hasAllowed, aerr := allowedUpdates(p)
	if aerr != nil {
		return nil, aerr
	}
	maxConn, ok := p.num("max_connections")
	if !ok || maxConn < 1 || maxConn > 100 {
		maxConn = 40
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if p.flag("drop_pending_updates") {
		s.pending = nil
	}
	if hasAllowed {
		s.allowed = allowed
	}
	desc := "Webhook was set"
	if s.hook != nil && s.hook.url == raw && s.hook.secret == secret {
		desc = "Webhook is already set"
	}
	s.hook = &webhook{url: raw, secret: secret, maxConnections: int(maxConn)}
	s.hookErrDate, s.hookErrMsg = 0, ""
	s.notify()
	return described{true, desc}, nil
}

func (s *Server) deleteWebhook(_ *http.Request, p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.flag("drop_pending_updates") {
		s.pending = nil
	}
	if s.hook == nil {
		return described{true, "Webhook is already deleted"}, nil
	}
	s.hook = nil
	s.hookErrDate, s.hookErrMsg = 0, ""
	s.notify()
	return described{true, "Webhook was deleted"}, nil
}

func (s *Server) getWebhookInfo(*http.Request, params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := tgbotapi.WebhookInfo{PendingUpdateCount: len(s.pending)}
	if s.hook != nil {
		info.URL = s.hook.url
		info.MaxConnections = s.hook.maxConnections
		info.LastErrorDate = s.hookErrDate
		info.LastErrorMessage = s.hookErrMsg
		info.AllowedUpdates = s.allowed
	}
	return info, nil
}

// deliverWebhooks posts pending updates to the webhook, one at a time and in order,
// retrying each until the webhook answers 2xx, as Telegram does.
func (s *Server) deliverWebhooks() {
	defer s.workers.Done()
	delay := time.Duration(0)
	for {
		s.mu.Lock()
		for !s.closed && (s.hook == nil || len(s.pending) == 0) {
			changed := s.changed
			s.mu.Unlock()
			<-changed
			s.mu.Lock()
		}
		if s.closed {
			s.mu.Unlock()
			return
		}
		hook, u := *s.hook, s.pending[0]
		body := s.wire(u)
		s.mu.Unlock()

		status, err := s.postUpdate(hook, body)
		ok := err == nil && status >= 200 && status < 300

		s.mu.Lock()
		d := Delivery{URL: hook.url, UpdateID: u.UpdateID, Status: status, At: s.clock()}
		if err != nil {
			d.Err = err.Error()
		}
		s.deliveries = append(s.deliveries, d)
		if ok {
			if len(s.pending) > 0 && s.pending[0].UpdateID == u.UpdateID {
				s.pending = append([]tgbotapi.Update(nil), s.pending[1:]...)
			}
			s.confirmed = max(s.confirmed, u.UpdateID)
			delay = 0
		} else {
			if s.hook != nil && s.hook.url == hook.url {
				s.hookErrDate = now()
				if err != nil {
					s.hookErrMsg = err.Error()
				} else {
					s.hookErrMsg = fmt.Sprintf("Wrong response from the webhook: %d %s", status, http.StatusText(status))
				}
			}
			delay = min(max(2*delay, firstRetryDelay), maxRetryDelay)
		}
		s.notify()
		s.mu.Unlock()

		if !ok {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
				return
			}
		}
	}
}

// postUpdate makes one delivery; it returns the HTTP status, or the error that kept the
// request from getting one.
func (s *Server) postUpdate(hook webhook, u any) (int, error) {
	body, err := s.encode(u)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, hook.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if hook.secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", hook.secret)
	}
	resp, err := s.hookHTTP.Do(req)
	if err != nil {
		if s.ctx.Err() != nil {
			return 0, context.Cause(s.ctx)
		}
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

// WebhookDeliveries returns every delivery attempt so far, in order.
func (s *Server) WebhookDeliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// WaitDelivery waits until a delivery attempt satisfies match (nil matches any), looking
// at the attempts made so far too, and returns it.
func (s *Server) WaitDelivery(t TB, match func(Delivery) bool) Delivery {
	t.Helper()
	var found Delivery
	ok := s.await(func() bool {
		for _, d := range s.WebhookDeliveries() {
			if match == nil || match(d) {
				found = d
				return true
			}
		}
		return false
	})
	if !ok {
		var b strings.Builder
		for _, d := range s.WebhookDeliveries() {
			fmt.Fprintf(&b, "  update %d → %s: %d %s\n", d.UpdateID, d.URL, d.Status, d.Err)
		}
		t.Fatalf("telegramtest: no webhook delivery matched within %v; the attempts were:\n%s", s.timeout(), b.String())
	}
	return found
}
