package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Client speaks the Bot API. It uses tgbotapi's types and request building but owns the
// transport: every call takes a context, the HTTP client has timeouts, errors never carry
// the token (it is part of every URL), and rate limits and server errors are retried.
type Client struct {
	api   *tgbotapi.BotAPI
	http  *http.Client
	token string
	// retries is how many times a call is retried after a 429, a 5xx or a network error.
	retries int
	apiURL  string
}

// NewClient connects to the Bot API at apiURL (e.g. https://api.telegram.org) and checks
// the token with getMe.
func NewClient(ctx context.Context, token, apiURL string) (*Client, error) {
	c := &Client{
		// Long polls hold a request open for pollTimeout; the client waits a little longer.
		http:    &http.Client{Timeout: pollTimeout + 15*time.Second},
		token:   token,
		retries: 3,
		apiURL:  strings.TrimRight(apiURL, "/"),
	}
	endpoint := strings.TrimRight(apiURL, "/") + "/bot%s/%s"
	api, err := tgbotapi.NewBotAPIWithClient(token, endpoint, c.doer(ctx))
	if err != nil {
		return nil, fmt.Errorf("telegram getMe: %w", c.redact(err))
	}
	c.api = api
	return c, nil
}

// Self is the bot's own user, from getMe.
func (c *Client) Self() tgbotapi.User { return c.api.Self }

// ctxDoer carries a call's context into tgbotapi, whose methods take none.
type ctxDoer struct {
	ctx  context.Context
	http *http.Client
}

func (d ctxDoer) Do(req *http.Request) (*http.Response, error) {
	return d.http.Do(req.WithContext(d.ctx))
}

func (c *Client) doer(ctx context.Context) ctxDoer { return ctxDoer{ctx: ctx, http: c.http} }

// with returns a shallow copy of the API whose requests run under ctx. Copying is cheap
// and leaves the shared value untouched, so concurrent calls do not race.
func (c *Client) with(ctx context.Context) *tgbotapi.BotAPI {
	api := *c.api
	api.Client = c.doer(ctx)
	return &api
}

// redact removes the token from an error: *url.Error prints the request URL.
func (c *Client) redact(err error) error {
	if err == nil || c.token == "" {
		return err
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return &url.Error{Op: ue.Op, URL: strings.ReplaceAll(ue.URL, c.token, "<token>"), Err: ue.Err}
	}
	if strings.Contains(err.Error(), c.token) {
		return errors.New(strings.ReplaceAll(err.Error(), c.token, "<token>"))
	}
	return err
}

// APIError returns the Bot API's error answer inside err, if that is what it is.
func APIError(err error) (*tgbotapi.Error, bool) {
	return errors.AsType[*tgbotapi.Error](err)
}

// retryDelay says whether an error is worth retrying and after how long: a 429 names its
// own wait; 5xx and network errors back off exponentially.
func retryDelay(err error, attempt int) (time.Duration, bool) {
	if apiErr, ok := APIError(err); ok {
		switch {
		case apiErr.Code == http.StatusTooManyRequests:
			return time.Duration(max(apiErr.RetryAfter, 1)) * time.Second, true
		case apiErr.Code >= 500:
			return backoff(attempt), true
		default:
			return 0, false
		}
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return backoff(attempt), true
	}
	if _, ok := errors.AsType[*url.Error](err); ok {
		return backoff(attempt), true
	}
	return 0, false
}

func backoff(attempt int) time.Duration {
	return min(250*time.Millisecond<<attempt, 10*time.Second)
}

// do runs one Bot API call with retries; ctx bounds the whole.
func (c *Client) do(ctx context.Context, call func(api *tgbotapi.BotAPI) error) error {
	for attempt := 0; ; attempt++ {
		err := c.redact(call(c.with(ctx)))
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait, ok := retryDelay(err, attempt)
		if !ok || attempt >= c.retries {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Send sends a message (or anything that returns one) and returns what Telegram made of it.
func (c *Client) Send(ctx context.Context, msg tgbotapi.Chattable) (tgbotapi.Message, error) {
	var out tgbotapi.Message
	err := c.do(ctx, func(api *tgbotapi.BotAPI) error {
		var err error
		out, err = api.Send(msg)
		return err
	})
	return out, err
}

// attempt makes one call by method name, without retrying (the outbox sender schedules
// its own retries), and returns the id of the message it made: the first of an album,
// the message itself for an edit.
func (c *Client) attempt(ctx context.Context, method string, params tgbotapi.Params) (int64, error) {
	resp, err := c.with(ctx).MakeRequest(method, params)
	if err != nil {
		return 0, c.redact(err)
	}
	var one struct {
		MessageID int64 `json:"message_id"`
	}
	if json.Unmarshal(resp.Result, &one) == nil {
		return one.MessageID, nil
	}
	var album []struct {
		MessageID int64 `json:"message_id"`
	}
	if json.Unmarshal(resp.Result, &album) == nil && len(album) > 0 {
		return album[0].MessageID, nil
	}
	return 0, nil // an edit of an inline message answers true; ours never are
}

// Request makes a call whose result is not a message (answerCallbackQuery, edits of
// markup, deleteWebhook).
func (c *Client) Request(ctx context.Context, req tgbotapi.Chattable) error {
	return c.do(ctx, func(api *tgbotapi.BotAPI) error {
		_, err := api.Request(req)
		return err
	})
}

// Call makes a call by method name with raw parameters, for what tgbotapi v5.5.1 does not
// know (setWebhook's secret_token, message_thread_id) and decodes the result into out.
func (c *Client) Call(ctx context.Context, method string, params tgbotapi.Params, out any) error {
	return c.do(ctx, func(api *tgbotapi.BotAPI) error {
		resp, err := api.MakeRequest(method, params)
		if err != nil || out == nil {
			return err
		}
		return json.Unmarshal(resp.Result, out)
	})
}

// pollTimeout is how long one getUpdates call waits for updates.
const pollTimeout = 30 * time.Second

// GetUpdates long-polls for updates from offset. It does not retry: the poller decides.
// The raw call keeps what tgbotapi's decoding drops (see Update).
func (c *Client) GetUpdates(ctx context.Context, offset int, timeout time.Duration) ([]Update, error) {
	params := tgbotapi.Params{}
	params.AddNonZero("offset", offset)
	params.AddNonZero("limit", 100)
	params.AddNonZero("timeout", int(timeout/time.Second))
	resp, err := c.with(ctx).MakeRequest("getUpdates", params)
	if err != nil {
		return nil, c.redact(err)
	}
	return decodeUpdates(resp.Result)
}

// maxFile is the largest file the Bot API lets a bot download.
const maxFile = 20 << 20

// Download fetches a file Telegram keeps (a farmer's photo) by its file id: getFile, then
// the file itself. The token is in both URLs, so neither leaves this function: errors are
// redacted and callers get only the bytes.
func (c *Client) Download(ctx context.Context, fileID string) ([]byte, error) {
	var f tgbotapi.File
	params := tgbotapi.Params{"file_id": fileID}
	if err := c.Call(ctx, "getFile", params, &f); err != nil {
		return nil, err
	}
	if f.FilePath == "" {
		return nil, errors.New("telegram getFile: no file path (the file is over 20 MB)")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.apiURL+"/file/bot"+c.token+"/"+f.FilePath, nil)
	if err != nil {
		return nil, c.redact(err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.redact(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("telegram file download: %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxFile+1))
	if err != nil {
		return nil, c.redact(err)
	}
	if len(data) > maxFile {
		return nil, errors.New("telegram file download: over 20 MB")
	}
	return data, nil
}
