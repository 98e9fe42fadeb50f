package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// apiError is an error answer of the Bot API.
type apiError struct {
	code        int
	description string
	retryAfter  int
}

func badRequest(description string) *apiError {
	return &apiError{code: http.StatusBadRequest, description: "Bad Request: " + description}
}

func forbidden(description string) *apiError {
	return &apiError{code: http.StatusForbidden, description: "Forbidden: " + description}
}

var (
	errNotFound        = &apiError{code: http.StatusNotFound, description: "Not Found"}
	errUnauthorized    = &apiError{code: http.StatusUnauthorized, description: "Unauthorized"}
	errWebhookConflict = &apiError{code: http.StatusConflict, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
	errPollConflict    = &apiError{code: http.StatusConflict, description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
	errNotModified     = badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	errQueryInvalid    = badRequest("query is too old and response timeout expired or query ID is invalid")
)

// described is a successful result that comes with a description, as setWebhook's does.
type described struct {
	result      any
	description string
}

// params are a call's parameters, all as strings, as the Bot API reads them.
type params map[string]string

// num returns an integer parameter; false when it is missing or not a number.
func (p params) num(key string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(p[key]), 10, 64)
	return n, err == nil
}

func (p params) flag(key string) bool {
	switch strings.ToLower(strings.TrimSpace(p[key])) {
	case "true", "1":
		return true
	}
	return false
}

type method func(s *Server, r *http.Request, p params) (any, *apiError)

// methods are the implemented methods, by lower-cased name: Telegram matches method
// names without regard to case.
var methods = map[string]method{
	"getme":                  (*Server).getMe,
	"getupdates":             (*Server).getUpdates,
	"sendmessage":            (*Server).sendMessage,
	"sendphoto":              sendMedia("photo"),
	"sendvoice":              sendMedia("voice"),
	"sendvideo":              sendMedia("video"),
	"senddocument":           sendMedia("document"),
	"sendaudio":              sendMedia("audio"),
	"sendanimation":          sendMedia("animation"),
	"sendvideonote":          sendMedia("video_note"),
	"sendlocation":           (*Server).sendLocation,
	"sendmediagroup":         (*Server).sendMediaGroup,
	"copymessage":            (*Server).copyMessage,
	"getfile":                (*Server).getFile,
	"editmessagetext":        (*Server).editMessageText,
	"editmessagecaption":     (*Server).editMessageCaption,
	"editmessagereplymarkup": (*Server).editMessageReplyMarkup,
	"deletemessage":          (*Server).deleteMessage,
	"answercallbackquery":    (*Server).answerCallbackQuery,
	"setwebhook":             (*Server).setWebhook,
	"deletewebhook":          (*Server).deleteWebhook,
	"getwebhookinfo":         (*Server).getWebhookInfo,
	"setmycommands":          (*Server).setMyCommands,
	"deletemycommands":       (*Server).deleteMyCommands,
	"getmycommands":          (*Server).getMyCommands,
	"getchatmember":          (*Server).getChatMember,
	"pinchatmessage":         (*Server).pinChatMessage,
	"unpinchatmessage":       (*Server).unpinChatMessage,
	"setmessagereaction":     (*Server).setMessageReaction,
}

// maxBody bounds a request body; Telegram's own limit for non-file requests is far
// below it.
const maxBody = 50 << 20

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/file/bot") {
		s.serveFile(w, r)
		return
	}
	rest, isBot := strings.CutPrefix(r.URL.Path, "/bot")
	token, name, hasMethod := strings.Cut(rest, "/")
	if !isBot || !hasMethod || name == "" || strings.Contains(name, "/") {
		s.writeAnswer(w, nil, errNotFound)
		return
	}
	p, ups, perr := readParams(w, r)
	i, gen := s.record(name, p, token == botToken)
	if gen != 0 {
		r = r.WithContext(context.WithValue(r.Context(), pollKey{}, gen))
	}
	if len(ups) > 0 {
		r = r.WithContext(context.WithValue(r.Context(), uploadsKey{}, ups))
	}
	var (
		result any
		err    *apiError
	)
	switch {
	case token != botToken:
		err = errUnauthorized
	case perr != nil:
		err = perr
	default:
		if err = s.takeFault(name); err == nil {
			err = s.throttle(name, p)
		}
		if err == nil {
			if m := methods[strings.ToLower(name)]; m != nil {
				result, err = m(s, r, p)
			} else {
				err = errNotFound
			}
		}
	}
	status, raw := s.writeAnswer(w, result, err)
	s.finish(i, status, err, raw)
}

// pollKey carries a getUpdates call's place among the polls in its request's context.
type pollKey struct{}

// record notes a call as it arrives, so that a test can see a long poll in flight. A
// getUpdates call also takes its place among the polls here, so that "newer" means later
// in Calls, which is what a test sees.
func (s *Server) record(method string, p params, authorized bool) (index, pollGen int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Method: method, Params: p, At: s.clock()})
	if authorized && strings.EqualFold(method, "getUpdates") {
		s.pollGen++
		pollGen = s.pollGen
	}
	s.notify()
	return len(s.calls) - 1, pollGen
}

func (s *Server) finish(i, status int, err *apiError, result json.RawMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.calls[i]
	c.Status = status
	if err != nil {
		c.Description = err.description
	} else {
		c.Result = result
	}
	s.notify()
}

// upload is a file the bot sent in a multipart body.
type upload struct {
	name string
	data []byte
}

// uploadsKey carries a request's uploads, by form field, in its context.
type uploadsKey struct{}

// uploadsOf returns the files uploaded with the request.
func uploadsOf(r *http.Request) map[string]upload {
	ups, _ := r.Context().Value(uploadsKey{}).(map[string]upload)
	return ups
}

// readParams gathers the parameters from the query string and from a form, multipart
// or JSON body, the ways Telegram accepts them, and the files of a multipart body. An
// uploaded file's parameter is its file name, so that Calls shows what was sent.
func readParams(w http.ResponseWriter, r *http.Request) (params, map[string]upload, *apiError) {
	p := params{}
	for k, v := range r.URL.Query() {
		p[k] = v[0]
	}
	if r.Body == nil {
		return p, nil, nil
	}
	var ups map[string]upload
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/x-www-form-urlencoded":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return p, nil, badRequest("can't read the request body")
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return p, nil, badRequest("can't parse the request body")
		}
		for k, v := range form {
			p[k] = v[0]
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxBody); err != nil {
			return p, nil, badRequest("can't parse the request body")
		}
		for k, v := range r.MultipartForm.Value {
			p[k] = v[0]
		}
		ups = map[string]upload{}
		for k, v := range r.MultipartForm.File {
			data, err := readUpload(v[0])
			if err != nil {
				return p, nil, badRequest("can't read the request body")
			}
			p[k] = v[0].Filename
			ups[k] = upload{name: v[0].Filename, data: data}
		}
	case "application/json":
		var body map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			return p, nil, badRequest("can't parse JSON object")
		}
		for k, raw := range body {
			raw = bytes.TrimSpace(raw)
			switch {
			case len(raw) == 0 || string(raw) == "null":
			case raw[0] == '"':
				var v string
				if json.Unmarshal(raw, &v) == nil {
					p[k] = v
				}
			default: // numbers and booleans as written; objects and arrays as JSON text
				p[k] = string(raw)
			}
		}
	}
	return p, ups, nil
}

func readUpload(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

type envelope struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result,omitempty"`
	ErrorCode   int             `json:"error_code,omitempty"`
	Description string          `json:"description,omitempty"`
	Parameters  *errParameters  `json:"parameters,omitempty"`
}

type errParameters struct {
	RetryAfter int `json:"retry_after,omitempty"`
}

// writeAnswer writes the Bot API's JSON answer and returns its status and, on success,
// the result JSON.
func (s *Server) writeAnswer(w http.ResponseWriter, result any, err *apiError) (int, json.RawMessage) {
	var env envelope
	status := http.StatusOK
	if err == nil {
		desc := ""
		if d, ok := result.(described); ok {
			result, desc = d.result, d.description
		}
		raw, merr := s.encode(result)
		if merr != nil {
			err = &apiError{code: http.StatusInternalServerError, description: "Internal Server Error: " + merr.Error()}
		} else {
			env = envelope{OK: true, Result: raw, Description: desc}
		}
	}
	if err != nil {
		status = err.code
		env = envelope{ErrorCode: err.code, Description: err.description}
		if err.retryAfter > 0 {
			env.Parameters = &errParameters{RetryAfter: err.retryAfter}
		}
	}
	body, _ := json.Marshal(env)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status, env.Result
}

// encode renders v as Telegram sends it: telegramJSON, with the fields tgbotapi's types
// have no room for put back (see annotate).
func (s *Server) encode(v any) (json.RawMessage, error) {
	return telegramJSON(v, func(x any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.annotate(x)
	})
}

// telegramJSON encodes v as Telegram would: tgbotapi's structs write absent objects as
// null, which Telegram never sends, so nulls are dropped. fix, unless nil, may then
// change the decoded JSON (objects are map[string]any, numbers json.Number).
func telegramJSON(v any, fix func(any)) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	x = dropNulls(x)
	if fix != nil {
		fix(x)
	}
	if err := enc.Encode(x); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func dropNulls(x any) any {
	switch v := x.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
			} else {
				v[k] = dropNulls(e)
			}
		}
	case []any:
		for i, e := range v {
			v[i] = dropNulls(e)
		}
	}
	return x
}

func (s *Server) getMe(*http.Request, params) (any, *apiError) {
	return s.Bot(), nil
}

// getUpdates follows Telegram: an offset confirms, and forgets, every update before it
// (a negative one keeps only the last -offset); with nothing pending and a timeout, the
// call waits for an update, the timeout, the client giving up, a webhook being set or a
// newer getUpdates, which terminates this one with 409 as Telegram does.
func (s *Server) getUpdates(r *http.Request, p params) (any, *apiError) {
	offset, _ := p.num("offset")
	limit := int64(100)
	if n, ok := p.num("limit"); ok && n >= 1 && n < 100 {
		limit = n
	}
	timeout, _ := p.num("timeout")
	allowed, hasAllowed, err := allowedUpdates(p)
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hook != nil {
		return nil, errWebhookConflict
	}
	if hasAllowed {
		s.allowed = allowed
	}
	gen, _ := r.Context().Value(pollKey{}).(int)
	s.confirm(offset)
	s.notify()

	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(time.Duration(timeout) * time.Second)
		defer t.Stop()
		expired = t.C
	}
	for {
		switch {
		case s.hook != nil:
			return nil, errWebhookConflict
		case s.pollGen != gen:
			return nil, errPollConflict
		case len(s.pending) > 0 || expired == nil || s.closed:
			n := min(int(limit), len(s.pending))
			out := make([]any, n)
			for i, u := range s.pending[:n] {
				out[i] = s.wire(u)
			}
			return out, nil
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-expired:
			expired = nil
		case <-r.Context().Done():
			expired = nil
		}
		s.mu.Lock()
	}
}

// confirm applies a getUpdates offset.
func (s *Server) confirm(offset int64) {
	switch {
	case offset > 0:
		i := 0
		for i < len(s.pending) && int64(s.pending[i].UpdateID) < offset {
			i++
		}
		s.pending = append([]tgbotapi.Update(nil), s.pending[i:]...)
		s.confirmed = max(s.confirmed, int(offset-1))
	case offset < 0:
		if n := len(s.pending) + int(offset); n > 0 {
			s.confirmed = max(s.confirmed, s.pending[n-1].UpdateID)
			s.pending = append([]tgbotapi.Update(nil), s.pending[n:]...)
		}
	}
}

// allowedUpdates reads allowed_updates: absent keeps the current setting, an empty list
// restores Telegram's default.
func allowedUpdates(p params) ([]string, bool, *apiError) {
	raw, ok := p["allowed_updates"]
	if !ok || strings.TrimSpace(raw) == "" {
		return nil, false, nil
	}
	var list []string
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, false, badRequest("can't parse allowed updates JSON array")
	}
	if len(list) == 0 {
		list = nil
	}
	return list, true, nil
}

// chatParam reads chat_id. Channel usernames name no chat the fake has.
func chatParam(p params) (int64, *apiError) {
	v := strings.TrimSpace(p["chat_id"])
	if v == "" {
		return 0, badRequest("chat_id is empty")
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, badRequest("chat not found")
	}
	return id, nil
}

// messageParam reads message_id, which the methods that take it require.
func messageParam(p params) (int, *apiError) {
	id, ok := p.num("message_id")
	if !ok || id == 0 {
		return 0, badRequest("message identifier is not specified")
	}
	return int(id), nil
}

// botChat returns the chat the bot writes to, or why it may not. The caller holds s.mu.
func (s *Server) botChat(id int64) (*chat, *apiError) {
	if id > 0 {
		p := s.users[id]
		switch {
		case p == nil:
			return nil, badRequest("chat not found")
		case p.blocked:
			return nil, forbidden("bot was blocked by the user")
		case !p.started:
			return nil, forbidden("bot can't initiate conversation with a user")
		}
		return s.chatOf(PrivateChat(p.user)), nil
	}
	c := s.chats[id]
	if c == nil {
		return nil, badRequest("chat not found")
	}
	if err := s.goneError(c); err != nil {
		return nil, err
	}
	return c, nil
}

// parseMarkup reads reply_markup. Only an inline keyboard becomes part of the message;
// reply keyboards and the like are accepted and otherwise ignored.
func parseMarkup(raw string) (*tgbotapi.InlineKeyboardMarkup, *apiError) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var m struct {
		InlineKeyboard [][]tgbotapi.InlineKeyboardButton `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if b.Text == "" {
				return nil, badRequest("can't parse inline keyboard button: Text must be non-empty")
			}
			if b.CallbackData != nil && (len(*b.CallbackData) == 0 || len(*b.CallbackData) > 64) {
				return nil, badRequest("BUTTON_DATA_INVALID")
			}
			if b.CallbackData == nil && b.URL == nil && b.LoginURL == nil && b.SwitchInlineQuery == nil &&
				b.SwitchInlineQueryCurrentChat == nil && b.CallbackGame == nil && !b.Pay {
				return nil, badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
			}
		}
		if len(row) > 0 {
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: rows}, nil
}

func markupEqual(a, b *tgbotapi.InlineKeyboardMarkup) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// replyTarget reads reply_to_message_id and allow_sending_without_reply, or their newer
// form, reply_parameters.
func replyTarget(p params) (int, bool, *apiError) {
	id, _ := p.num("reply_to_message_id")
	allow := p.flag("allow_sending_without_reply")
	if raw := strings.TrimSpace(p["reply_parameters"]); raw != "" {
		var rp struct {
			MessageID                int  `json:"message_id"`
			AllowSendingWithoutReply bool `json:"allow_sending_without_reply"`
		}
		if err := json.Unmarshal([]byte(raw), &rp); err != nil {
			return 0, false, badRequest("can't parse reply parameters JSON object")
		}
		id, allow = int64(rp.MessageID), rp.AllowSendingWithoutReply
	}
	return int(id), allow, nil
}

func (s *Server) sendMessage(_ *http.Request, p params) (any, *apiError) {
	o, err := readOutgoing(p)
	if err != nil {
		return nil, err
	}
	text, ents, err := formatText(p["text"], p["parse_mode"], p["entities"])
	if err != nil {
		return nil, err
	}
	return s.send(o, func() (tgbotapi.Message, *apiError) {
		return tgbotapi.Message{Text: text, Entities: ents}, nil
	})
}

// editTarget finds the bot's message an edit is for. The caller holds s.mu.
func (s *Server) editTarget(p params) (*chat, *stored, *apiError) {
	if p["inline_message_id"] != "" {
		return nil, nil, badRequest("MESSAGE_ID_INVALID") // the fake has no inline messages
	}
	chatID, err := chatParam(p)
	if err != nil {
		return nil, nil, err
	}
	id, err := messageParam(p)
	if err != nil {
		return nil, nil, err
	}
	c := s.chats[chatID]
	if c == nil {
		return nil, nil, badRequest("chat not found")
	}
	if u := s.users[chatID]; u != nil && u.blocked {
		return nil, nil, forbidden("bot was blocked by the user")
	}
	if err := s.goneError(c); err != nil {
		return nil, nil, err
	}
	m := c.live(id)
	if m == nil {
		return nil, nil, badRequest("message to edit not found")
	}
	if m.msg.From == nil || m.msg.From.ID != botID {
		return nil, nil, badRequest("message can't be edited")
	}
	return c, m, nil
}

// edit changes the bot's message that p names, as every edit method does: replace puts
// the method's new content into a copy of the message, or refuses when the message cannot
// take it. As in Telegram, the keyboard is replaced too (an edit without reply_markup
// removes it), and an edit that changes nothing is refused as not modified.
func (s *Server) edit(p params, replace func(msg *tgbotapi.Message) *apiError) (any, *apiError) {
	markup, err := parseMarkup(p["reply_markup"])
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, err := s.editTarget(p)
	if err != nil {
		return nil, err
	}
	edited := m.msg
	if err := replace(&edited); err != nil {
		return nil, err
	}
	edited.ReplyMarkup = markup
	if sameContent(m.msg, edited) {
		return nil, errNotModified
	}
	edited.EditDate = now()
	m.msg = edited
	m.changed()
	s.notify()
	return s.render(c, m), nil
}

// sameContent says whether a and b show the same: text, caption and keyboard.
func sameContent(a, b tgbotapi.Message) bool {
	return a.Text == b.Text && entitiesEqual(a.Entities, b.Entities) &&
		a.Caption == b.Caption && entitiesEqual(a.CaptionEntities, b.CaptionEntities) &&
		markupEqual(a.ReplyMarkup, b.ReplyMarkup)
}

// editMessageText replaces the text of a text message.
func (s *Server) editMessageText(_ *http.Request, p params) (any, *apiError) {
	text, ents, err := formatText(p["text"], p["parse_mode"], p["entities"])
	if err != nil {
		return nil, err
	}
	return s.edit(p, func(msg *tgbotapi.Message) *apiError {
		if msg.Text == "" {
			return badRequest("there is no text in the message to edit")
		}
		msg.Text, msg.Entities = text, ents
		return nil
	})
}

// editMessageReplyMarkup replaces the keyboard alone.
func (s *Server) editMessageReplyMarkup(_ *http.Request, p params) (any, *apiError) {
	return s.edit(p, func(*tgbotapi.Message) *apiError { return nil })
}

// deleteMessage deletes any message of the chat: the fake's bot is taken to be an admin
// of its groups.
func (s *Server) deleteMessage(_ *http.Request, p params) (any, *apiError) {
	chatID, err := chatParam(p)
	if err != nil {
		return nil, err
	}
	id, err := messageParam(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return nil, badRequest("chat not found")
	}
	m := c.live(id)
	if m == nil {
		return nil, badRequest("message to delete not found")
	}
	m.deleted = true
	m.changed()
	s.notify()
	return true, nil
}

func (s *Server) answerCallbackQuery(_ *http.Request, p params) (any, *apiError) {
	text := p["text"]
	if len([]rune(text)) > 200 {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	cacheTime, _ := p.num("cache_time")
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queries[p["callback_query_id"]]
	if q == nil || q.answered {
		return nil, errQueryInvalid
	}
	q.answered = true
	q.answer = CallbackAnswer{Text: text, ShowAlert: p.flag("show_alert"), URL: p["url"], CacheTime: int(cacheTime)}
	s.notify()
	return true, nil
}

// commandsKey names a command list by scope and language, as Telegram keeps them.
func commandsKey(scope tgbotapi.BotCommandScope, languageCode string) string {
	if scope.Type == "" {
		scope.Type = "default"
	}
	return scope.Type + "/" + strconv.FormatInt(scope.ChatID, 10) + "/" + strconv.FormatInt(scope.UserID, 10) + "/" + languageCode
}

func commandsParam(p params) (string, *apiError) {
	var scope tgbotapi.BotCommandScope
	if raw := strings.TrimSpace(p["scope"]); raw != "" {
		if err := json.Unmarshal([]byte(raw), &scope); err != nil {
			return "", badRequest("can't parse BotCommandScope JSON object")
		}
	}
	return commandsKey(scope, p["language_code"]), nil
}

func (s *Server) setMyCommands(_ *http.Request, p params) (any, *apiError) {
	key, err := commandsParam(p)
	if err != nil {
		return nil, err
	}
	var cmds []tgbotapi.BotCommand
	if jerr := json.Unmarshal([]byte(p["commands"]), &cmds); jerr != nil {
		return nil, badRequest("can't parse commands JSON array")
	}
	if len(cmds) > 100 {
		return nil, badRequest("too many commands specified")
	}
	for _, c := range cmds {
		if !validCommand(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := len([]rune(strings.TrimSpace(c.Description))); n < 1 || n > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(cmds) == 0 {
		delete(s.commands, key)
	} else {
		s.commands[key] = cmds
	}
	s.notify()
	return true, nil
}

// validCommand: 1–32 lower-case letters, digits and underscores.
func validCommand(c string) bool {
	if len(c) < 1 || len(c) > 32 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if !('a' <= c[i] && c[i] <= 'z' || '0' <= c[i] && c[i] <= '9' || c[i] == '_') {
			return false
		}
	}
	return true
}

func (s *Server) deleteMyCommands(_ *http.Request, p params) (any, *apiError) {
	key, err := commandsParam(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.commands, key)
	s.notify()
	return true, nil
}

func (s *Server) getMyCommands(_ *http.Request, p params) (any, *apiError) {
	key, err := commandsParam(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]tgbotapi.BotCommand{}, s.commands[key]...), nil
}
