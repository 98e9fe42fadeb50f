// Package telegramtest runs a fake Telegram Bot API server for tests, the way
// net/http/httptest runs a fake HTTP server.
//
// The bot under test talks to it over real HTTP with its real client, so the requests,
// the JSON and the errors are those it meets in production. The test plays the people
// on the other side (SendText, ReplyText, Post, PostAlbum, EditText, Press) and looks at
// what the bot did (Messages, Calls, WaitMessage). Wherever the fake has to choose, it
// does what Telegram does, above all where Telegram is strict and a bot is likely to be
// wrong: HTML parse_mode validation, the 403 for users who never started the bot,
// "message is not modified", a callback query answered twice, privacy mode in groups,
// competing getUpdates calls, a webhook that keeps getting the same update until it says
// 2xx, file ids it never issued, forum topics that do not exist.
//
// tgbotapi v5.5.1's types have no field for some of what Telegram sends (a forum chat's
// is_forum, a topic message's message_thread_id and is_topic_message); the fake keeps
// them itself and puts them into the JSON it sends, so the bot sees them as it would in
// production.
//
// Nothing here waits for time to pass: every Wait method returns as soon as what it
// waits for is true, and fails the test, showing what the fake saw, when it is not true
// in time.
//
// The package does not import testing (its helpers take a TB, which *testing.T
// satisfies), so a program that runs the fake outside a test, `agriclinic demo` or the
// benchmark, does not link the testing package into its binary; a test in
// cmd/agriclinic checks it.
package telegramtest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

const (
	botID        = 1000001
	botToken     = "1000001:TEST-token"
	botFirstName = "AgriClinic"
	botUserName  = "agriclinic_test_bot"

	firstUserID  = 500001
	firstGroupID = -1001000000001
)

// DefaultWaitTimeout is how long the Wait methods wait unless SetWaitTimeout says
// otherwise: long enough for a loaded CI machine, short enough to fail a hung test well
// before go test's own timeout.
const DefaultWaitTimeout = 10 * time.Second

// TB is what the fake needs of a test, the methods of testing.TB it calls: *testing.T
// and *testing.B satisfy it. Taking it rather than testing.TB keeps the testing package
// out of the programs that run the fake outside tests.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(f func())
}

// Server is a fake Bot API with its own people, chats and messages. It is safe for use
// by the test and the bot's goroutines at once.
type Server struct {
	t    TB
	http *httptest.Server
	// ctx ends when the server closes; it cuts webhook deliveries short.
	ctx       context.Context
	cancel    context.CancelFunc
	workers   sync.WaitGroup
	closeOnce sync.Once
	hookHTTP  *http.Client

	mu sync.Mutex
	// changed is closed and replaced on every change of state, so that anyone waiting
	// for a condition can block on it with a timeout or a request's context, which
	// sync.Cond cannot.
	changed     chan struct{}
	closed      bool
	waitTimeout time.Duration
	// privacy is the bot's privacy mode now, as getMe reports it (members_privacy.go).
	privacy bool
	// botAdmins holds the bot's rights in the groups where it is an administrator
	// (SetBotAdmin); pinned the pinned messages of each chat (members.go).
	botAdmins map[int64]*Rights
	pinned    map[int64]map[int]bool
	// botGone is "left" or "kicked" for the groups the bot was removed or banned from
	// (members_gone.go).
	botGone map[int64]string
	// joinedReadingAll holds the groups the bot joined with privacy mode off: a change of
	// privacy mode applies only to groups joined afterwards (members_privacy.go).
	joinedReadingAll map[int64]bool
	// clock is the time the fake stamps calls and webhook deliveries with; see SetClock.
	clock func() time.Time

	users    map[int64]*person
	chats    map[int64]*chat
	userSeq  int64
	groupSeq int64

	pending      []tgbotapi.Update // not yet confirmed, in update_id order
	lastUpdateID int
	confirmed    int      // every update up to this id is confirmed
	allowed      []string // allowed_updates; nil means Telegram's default
	pollGen      int      // the newest getUpdates; an older one still waiting is terminated
	// raws holds PushRaw's updates by update_id; their entries in pending stand in for
	// them and carry only the id.
	raws map[int]json.RawMessage

	calls    []Call
	faults   map[string][]*apiError // by lower-cased method
	queries  map[string]*query
	querySeq int

	hook        *webhook
	hookErrDate int
	hookErrMsg  string
	deliveries  []Delivery
	commands    map[string][]tgbotapi.BotCommand

	limiter *limiter // nil unless EnforceLimits was called
	// reactions are the chats' available reactions and the bot's reactions (reactions.go).
	reactions reactionState

	files     map[string]*file // by file_id
	filePaths map[string]*file // by file_path, for downloads
	fileSeq   int
	albumSeq  int
}

// person is a simulated user and where they stand with the bot.
type person struct {
	user    tgbotapi.User
	started bool // pressed Start or wrote to the bot: the bot may write to them
	blocked bool
}

// chat is a chat's history. Message ids count per chat, as in Telegram's supergroups.
type chat struct {
	info   tgbotapi.Chat
	lastID int
	msgs   []*stored
	byID   map[int]*stored
	// forum is a supergroup with topics; topics names them by message_thread_id.
	forum  bool
	topics map[int]string
}

// stored is a message as it stands now. The message it replies to is kept by id and
// filled in when the message is shown, so that it shows the current state of that
// message, as Telegram does.
type stored struct {
	msg     tgbotapi.Message // ReplyToMessage is always nil here
	replyTo int
	deleted bool
	// topic is the forum topic the message is in, 0 in General and outside forums.
	// tgbotapi's Message has no message_thread_id, so it is kept here and put into the
	// JSON (see annotate).
	topic int
	// topicCreated is the topic's name on the service message that created it, which
	// Telegram shows as forum_topic_created.
	topicCreated string
	// rev counts the changes to msg, and enc is msg's JSON at that rev, made when it is
	// first shown: tests read a message far more often than it changes.
	rev int
	enc []byte
}

// changed marks an edit or a deletion of the message: what was kept of it is stale.
func (m *stored) changed() {
	m.rev++
	m.enc = nil
}

// view is a copy of msg of its own, as it travels (JSON).
func (m *stored) view() tgbotapi.Message {
	if m.enc == nil {
		b, err := json.Marshal(m.msg)
		if err != nil {
			panic(fmt.Sprintf("telegramtest: encode message %d: %v", m.msg.MessageID, err))
		}
		m.enc = b
	}
	var out tgbotapi.Message
	if err := json.Unmarshal(m.enc, &out); err != nil {
		panic(fmt.Sprintf("telegramtest: decode message %d: %v", m.msg.MessageID, err))
	}
	return out
}

type query struct {
	answered bool
	answer   CallbackAnswer
}

// Call is one HTTP request the bot made.
type Call struct {
	// Method is spelled as in the URL; Telegram, and this fake, match methods without
	// regard to case.
	Method string
	// Params holds every parameter, from the query string and the body alike; JSON
	// objects and arrays are kept as their JSON text, as form-encoded clients send them.
	Params map[string]string
	// At is when the request arrived.
	At time.Time
	// Status is the HTTP status of the answer, 0 while the call is still being answered
	// (a long poll).
	Status int
	// Description is the error description of a failed call.
	Description string
	// Result is the JSON result of a successful call.
	Result json.RawMessage
}

// CallbackAnswer is what the bot said with answerCallbackQuery.
type CallbackAnswer struct {
	Text      string
	ShowAlert bool
	URL       string
	CacheTime int
}

// NewServer starts the fake on a random localhost port and closes it in t.Cleanup.
// Press fails t when the test presses a button that is not there.
func NewServer(t TB) *Server {
	t.Helper()
	s := newServer(t)
	t.Cleanup(s.Close)
	return s
}

// newServer starts the fake; t receives the failures of the people's impossible actions.
func newServer(t TB) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		t:           t,
		ctx:         ctx,
		cancel:      cancel,
		hookHTTP:    &http.Client{Timeout: 60 * time.Second},
		changed:     make(chan struct{}),
		waitTimeout: DefaultWaitTimeout,
		privacy:     true,
		botAdmins:   map[int64]*Rights{},
		pinned:      map[int64]map[int]bool{},
		clock:       time.Now,
		users:       map[int64]*person{},
		chats:       map[int64]*chat{},
		faults:      map[string][]*apiError{},
		queries:     map[string]*query{},
		commands:    map[string][]tgbotapi.BotCommand{},
		files:       map[string]*file{},
		filePaths:   map[string]*file{},
	}
	s.http = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.workers.Add(1)
	go s.deliverWebhooks()
	return s
}

// Close shuts the server down: waiting long polls return, webhook deliveries stop, and
// later requests fail to connect, as when Telegram is unreachable. It is called by
// t.Cleanup; calling it earlier is fine.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.notify()
		s.mu.Unlock()
		s.cancel()
		s.http.Close()
		s.workers.Wait()
		s.hookHTTP.CloseIdleConnections()
	})
}

// notify wakes everyone waiting for a change. The caller holds s.mu.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// URL is the server's base URL, e.g. http://127.0.0.1:port: what the bot gets as
// TELEGRAM_API_URL.
func (s *Server) URL() string { return s.http.URL }

// Endpoint is URL()+"/bot%s/%s", the format tgbotapi.NewBotAPIWithClient wants.
func (s *Server) Endpoint() string { return s.http.URL + "/bot%s/%s" }

// Token is the only token the fake accepts; any other gets 401 Unauthorized.
func (s *Server) Token() string { return botToken }

// Bot is the bot's own user, as getMe returns it.
func (s *Server) Bot() tgbotapi.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.botUser()
}

func (s *Server) botUser() tgbotapi.User {
	return tgbotapi.User{
		ID:                      botID,
		IsBot:                   true,
		FirstName:               botFirstName,
		UserName:                botUserName,
		CanJoinGroups:           true,
		CanReadAllGroupMessages: !s.privacy,
	}
}

// SetWaitTimeout changes how long the Wait methods wait.
func (s *Server) SetWaitTimeout(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waitTimeout = d
}

// SetClock makes the fake read the time from now instead of the wall clock: it stamps
// each Call's and Delivery's At with it, and measures the enforced limits on it unless
// Limits.Now names another. A test that drives the bot's clock then reads the spacing of
// the bot's calls on that same clock, without waiting for it.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = now
}

// readClock is the time on the fake's clock.
func (s *Server) readClock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clock()
}

// NewUser creates a person, with a new id from 500001 up.
func (s *Server) NewUser(firstName, lastName, languageCode string) tgbotapi.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userSeq++
	u := tgbotapi.User{ID: firstUserID - 1 + s.userSeq, FirstName: firstName, LastName: lastName, LanguageCode: languageCode}
	s.users[u.ID] = &person{user: u}
	return u
}

// NewGroup creates a supergroup the bot is a member of, with a new id from
// -1001000000001 down.
func (s *Server) NewGroup(title string) tgbotapi.Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groupSeq++
	c := tgbotapi.Chat{ID: firstGroupID - (s.groupSeq - 1), Type: "supergroup", Title: title}
	s.addChat(newChat(c))
	return c
}

// PrivateChat is the private chat between u and the bot; its id is u's id.
func PrivateChat(u tgbotapi.User) tgbotapi.Chat {
	return tgbotapi.Chat{ID: u.ID, Type: "private", FirstName: u.FirstName, LastName: u.LastName, UserName: u.UserName}
}

func newChat(info tgbotapi.Chat) *chat {
	return &chat{info: info, byID: map[int]*stored{}}
}

func (c *chat) add(m *stored) {
	c.msgs = append(c.msgs, m)
	c.byID[m.msg.MessageID] = m
}

// live returns the message with that id unless it does not exist or was deleted.
func (c *chat) live(id int) *stored {
	if m := c.byID[id]; m != nil && !m.deleted {
		return m
	}
	return nil
}

// person returns the state of u, registering u, or updating the name, when the test
// made it up or changed it.
func (s *Server) person(u tgbotapi.User) *person {
	p := s.users[u.ID]
	if p == nil {
		p = &person{}
		s.users[u.ID] = p
	}
	p.user = u
	return p
}

// chatOf returns the chat, registering it when the test made it up.
func (s *Server) chatOf(info tgbotapi.Chat) *chat {
	c := s.chats[info.ID]
	if c == nil {
		c = newChat(info)
		s.addChat(c)
	}
	return c
}

// now is the message date: Telegram's dates are Unix seconds.
func now() int { return int(time.Now().Unix()) }

// SendText makes from write text in chat. The message gets the chat's next message id and
// the mention and bot_command entities Telegram would mark, and becomes an update if it
// reaches the bot (see SetPrivacyMode). Writing in the private chat with the bot starts
// the bot for from, as pressing Start does. It is Post with only Text.
func (s *Server) SendText(chat tgbotapi.Chat, from tgbotapi.User, text string) tgbotapi.Message {
	s.t.Helper()
	return s.Post(chat, from, Post{Text: text})
}

// ReplyText is SendText replying to replyTo, which must be a message of that chat; the
// update carries replyTo as it stands now, edits included.
func (s *Server) ReplyText(chat tgbotapi.Chat, from tgbotapi.User, replyTo tgbotapi.Message, text string) tgbotapi.Message {
	s.t.Helper()
	return s.Post(chat, from, Post{Text: text, ReplyTo: &replyTo})
}

// render shows a stored message as Telegram sends it: a copy the caller may keep, with
// the message it replies to as that message stands now (one level deep, as in Telegram).
func (s *Server) render(c *chat, m *stored) tgbotapi.Message {
	out := m.view()
	if r := c.live(m.replyTo); r != nil {
		reply := r.view()
		out.ReplyToMessage = &reply
	}
	return out
}

// clone deep-copies a value through JSON, which is how Telegram's values travel anyway.
func clone[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("telegramtest: clone %T: %v", v, err))
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("telegramtest: clone %T: %v", v, err))
	}
	return out
}

// enqueue gives the update an id unless it has one and queues it, unless the bot's
// allowed_updates excludes its kind, in which case Telegram never creates it.
func (s *Server) enqueue(u tgbotapi.Update) int {
	if u.UpdateID == 0 {
		s.lastUpdateID++
		u.UpdateID = s.lastUpdateID
	} else {
		s.lastUpdateID = max(s.lastUpdateID, u.UpdateID)
	}
	if !s.wants(updateKind(u)) {
		return u.UpdateID
	}
	i, _ := slices.BinarySearchFunc(s.pending, u.UpdateID, func(p tgbotapi.Update, id int) int { return p.UpdateID - id })
	s.pending = slices.Insert(s.pending, i, u)
	return u.UpdateID
}

// updateKind is the update's field name, the word allowed_updates uses.
func updateKind(u tgbotapi.Update) string {
	switch {
	case u.Message != nil:
		return "message"
	case u.EditedMessage != nil:
		return "edited_message"
	case u.ChannelPost != nil:
		return "channel_post"
	case u.EditedChannelPost != nil:
		return "edited_channel_post"
	case u.InlineQuery != nil:
		return "inline_query"
	case u.ChosenInlineResult != nil:
		return "chosen_inline_result"
	case u.CallbackQuery != nil:
		return "callback_query"
	case u.ShippingQuery != nil:
		return "shipping_query"
	case u.PreCheckoutQuery != nil:
		return "pre_checkout_query"
	case u.Poll != nil:
		return "poll"
	case u.PollAnswer != nil:
		return "poll_answer"
	case u.MyChatMember != nil:
		return "my_chat_member"
	case u.ChatMember != nil:
		return "chat_member"
	case u.ChatJoinRequest != nil:
		return "chat_join_request"
	}
	return ""
}

func (s *Server) wants(kind string) bool {
	if kind == "" {
		return true
	}
	if s.allowed == nil {
		// Telegram's default leaves out the kinds a bot must ask for.
		return kind != "chat_member" && kind != "message_reaction" && kind != "message_reaction_count"
	}
	return slices.Contains(s.allowed, kind)
}

// Press presses the inline button with callback data data on msg, as from. It fails the
// test unless msg, as it stands now (after the bot's edits), has such a button. The
// update's callback query carries the message as it stands now; Press returns the
// query's id, for WaitCallbackAnswer.
func (s *Server) Press(chat tgbotapi.Chat, from tgbotapi.User, msg tgbotapi.Message, data string) string {
	s.t.Helper()
	return s.press(chat, from, msg, data, true)
}

// PressForged sends a callback query with any data for msg, button or not: what a
// modified client, or a button the bot has since changed, can produce. The bot must
// answer it and change nothing it should not.
func (s *Server) PressForged(chat tgbotapi.Chat, from tgbotapi.User, msg tgbotapi.Message, data string) string {
	s.t.Helper()
	return s.press(chat, from, msg, data, false)
}

func (s *Server) press(chat tgbotapi.Chat, from tgbotapi.User, msg tgbotapi.Message, data string, checkButton bool) string {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if chat.Type == "private" && chat.ID != from.ID {
		s.t.Fatalf("telegramtest: %s (%d) cannot press buttons in the private chat of user %d", from.FirstName, from.ID, chat.ID)
	}
	c := s.chats[chat.ID]
	var m *stored
	if c != nil {
		m = c.live(msg.MessageID)
	}
	if m == nil {
		s.t.Fatalf("telegramtest: %s presses %q on message %d, which chat %d does not have", from.FirstName, data, msg.MessageID, chat.ID)
	}
	if checkButton && !hasButton(m.msg.ReplyMarkup, data) {
		s.t.Fatalf("telegramtest: %s presses %q on message %d in chat %d, which has no such button now: %s",
			from.FirstName, data, msg.MessageID, chat.ID, describeButtons(m.msg.ReplyMarkup))
	}
	p := s.person(from)
	if chat.Type == "private" {
		p.started = true
	}
	s.querySeq++
	id := strconv.FormatInt(int64(botID)<<32+int64(s.querySeq), 10)
	s.queries[id] = &query{}
	cur := s.render(c, m)
	f := from
	s.enqueue(tgbotapi.Update{CallbackQuery: &tgbotapi.CallbackQuery{
		ID:           id,
		From:         &f,
		Message:      &cur,
		ChatInstance: chatInstance(chat.ID),
		Data:         data,
	}})
	s.notify()
	return id
}

// chatInstance stands for Telegram's opaque per-chat identifier of callback queries.
func chatInstance(chatID int64) string {
	return strconv.FormatUint(uint64(chatID)*0x9e3779b97f4a7c15>>1, 10)
}

func hasButton(markup *tgbotapi.InlineKeyboardMarkup, data string) bool {
	if markup == nil {
		return false
	}
	for _, row := range markup.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData != nil && *b.CallbackData == data {
				return true
			}
		}
	}
	return false
}

func describeButtons(markup *tgbotapi.InlineKeyboardMarkup) string {
	if markup == nil || len(markup.InlineKeyboard) == 0 {
		return "no buttons"
	}
	var rows []string
	for _, row := range markup.InlineKeyboard {
		var bs []string
		for _, b := range row {
			switch {
			case b.CallbackData != nil:
				bs = append(bs, fmt.Sprintf("%q=%q", b.Text, *b.CallbackData))
			case b.URL != nil:
				bs = append(bs, fmt.Sprintf("%q→%s", b.Text, *b.URL))
			default:
				bs = append(bs, fmt.Sprintf("%q", b.Text))
			}
		}
		rows = append(rows, "["+strings.Join(bs, " ")+"]")
	}
	return strings.Join(rows, " ")
}

// PushUpdate queues any update, for what the helpers above do not make. It assigns
// UpdateID when zero and returns it. An update of a kind the bot left out of
// allowed_updates is dropped, as Telegram never creates it.
func (s *Server) PushUpdate(u tgbotapi.Update) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.enqueue(clone(u))
	s.notify()
	return id
}

// Start marks that u pressed Start in the private chat with the bot, without a message:
// from now on the bot may write to u. If u had blocked the bot, this unblocks it, and the
// bot gets the my_chat_member update of that (members_gone.go).
func (s *Server) Start(u tgbotapi.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unblock(s.person(u))
	s.notify()
}

// Block makes u block the bot: sends to u get 403 "Forbidden: bot was blocked by the
// user" until u writes to the bot again, and the bot gets the my_chat_member update
// Telegram sends (members_gone.go).
func (s *Server) Block(u tgbotapi.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.person(u)
	if !p.blocked {
		p.blocked = true
		s.blockUpdate(p, true)
	}
	s.notify()
}

// FailNext makes the next call of method (any case) fail with that error code and
// description, and with parameters.retry_after when retryAfter > 0. Several calls queue
// up and are used in order. The failed call is recorded and changes nothing.
func (s *Server) FailNext(method string, code int, description string, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(method)
	s.faults[key] = append(s.faults[key], &apiError{code: code, description: description, retryAfter: retryAfter})
}

// takeFault returns the next queued failure of method, if any.
func (s *Server) takeFault(method string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(method)
	q := s.faults[key]
	if len(q) == 0 {
		return nil
	}
	s.faults[key] = q[1:]
	return q[0]
}

// Calls returns every recorded call of method (any case), or of all methods when method
// is "", in the order they arrived, failed ones included.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || strings.EqualFold(c.Method, method) {
			c.Params = maps.Clone(c.Params)
			c.Result = slices.Clone(c.Result)
			out = append(out, c)
		}
	}
	return out
}

// Messages returns the chat's history in order, the people's messages and the bot's,
// with edits applied and deleted messages left out.
func (s *Server) Messages(chatID int64) []tgbotapi.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	var out []tgbotapi.Message
	for _, m := range c.msgs {
		if !m.deleted {
			out = append(out, s.render(c, m))
		}
	}
	return out
}

// MessagesAfter is Messages from the message after afterID on: what a test that marked
// a chat's newest message reads, without copying the whole chat.
func (s *Server) MessagesAfter(chatID int64, afterID int) []tgbotapi.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	i, _ := slices.BinarySearchFunc(c.msgs, afterID+1, func(m *stored, id int) int { return m.msg.MessageID - id })
	var out []tgbotapi.Message
	for _, m := range c.msgs[i:] {
		if !m.deleted {
			out = append(out, s.render(c, m))
		}
	}
	return out
}

// Message returns one message as it stands now; false if it does not exist or was
// deleted.
func (s *Server) Message(chatID int64, messageID int) (tgbotapi.Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return tgbotapi.Message{}, false
	}
	m := c.live(messageID)
	if m == nil {
		return tgbotapi.Message{}, false
	}
	return s.render(c, m), true
}

// CallbackAnswer returns the bot's answer to the callback query with that id; false
// while it has not answered.
func (s *Server) CallbackAnswer(id string) (CallbackAnswer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queries[id]
	if q == nil || !q.answered {
		return CallbackAnswer{}, false
	}
	return q.answer, true
}

// Commands returns the command list setMyCommands stored for that scope and language
// (a zero scope is the default scope).
func (s *Server) Commands(scope tgbotapi.BotCommandScope, languageCode string) []tgbotapi.BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands[commandsKey(scope, languageCode)])
}

// await blocks until check is true, the wait times out or the server closes, and says
// whether check came true. check takes the lock itself, so that it may call the exported
// methods and the test's match functions never run under the lock.
func (s *Server) await(check func() bool) bool {
	s.mu.Lock()
	timeout := s.waitTimeout
	s.mu.Unlock()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		// Take the signal before looking, so a change made while looking is not missed.
		s.mu.Lock()
		changed, closed := s.changed, s.closed
		s.mu.Unlock()
		if check() {
			return true
		}
		if closed {
			return false
		}
		select {
		case <-changed:
		case <-timer.C:
			return check()
		}
	}
}

func (s *Server) timeout() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitTimeout
}

// WaitMessage waits until a message the bot sent in the chat satisfies match (nil
// matches any), and returns it. Messages are matched as they stand now, so an edit that
// makes one match ends the wait too; one that matches already ends it at once. match
// is asked about each state of a message once, so it must judge the message alone: to
// wait on something else, take Changed and look again. On timeout it fails t, showing
// the chat's messages and the bot's failed calls for it.
func (s *Server) WaitMessage(t TB, chatID int64, match func(tgbotapi.Message) bool) tgbotapi.Message {
	t.Helper()
	var found tgbotapi.Message
	// A message that did not match is looked at again only once it or the message it
	// replies to changed: a chat of a few hundred messages is not read whole at every
	// change of any chat.
	looked := map[*stored][2]int{}
	ok := s.await(func() bool {
		for _, m := range s.botMessagesChangedSince(chatID, looked) {
			if match == nil || match(m) {
				found = m
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("telegramtest: no message from the bot in chat %d matched within %v.\n%s", chatID, s.timeout(), s.describeChat(chatID))
	}
	return found
}

// botMessagesChangedSince returns the bot's messages in the chat that are new or changed
// (or whose replied-to message changed) since looked says they were returned, and notes
// them in looked.
func (s *Server) botMessagesChangedSince(chatID int64, looked map[*stored][2]int) []tgbotapi.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	var out []tgbotapi.Message
	for _, m := range c.msgs {
		if m.deleted || m.msg.From == nil || m.msg.From.ID != botID {
			continue
		}
		at := [2]int{m.rev, -1}
		if r := c.live(m.replyTo); r != nil {
			at[1] = r.rev
		}
		if prev, ok := looked[m]; ok && prev == at {
			continue
		}
		looked[m] = at
		out = append(out, s.render(c, m))
	}
	return out
}

// LastMessageID is the id of the newest message in the chat, 0 if it has none: what a
// test reads to tell what comes after it apart.
func (s *Server) LastMessageID(chatID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chatID]; c != nil {
		return c.lastID
	}
	return 0
}

// describeChat lists a chat's messages and the failed calls aimed at it, for failures.
func (s *Server) describeChat(chatID int64) string {
	var b strings.Builder
	msgs := s.Messages(chatID)
	fmt.Fprintf(&b, "Chat %d has %d messages:\n", chatID, len(msgs))
	for _, m := range msgs {
		who := "?"
		if m.From != nil {
			who = m.From.FirstName
			if m.From.ID == botID {
				who = "BOT"
			}
		}
		fmt.Fprintf(&b, "  #%d %s: %s", m.MessageID, who, describeContent(m))
		if m.MediaGroupID != "" {
			fmt.Fprintf(&b, " (album %s)", m.MediaGroupID)
		}
		if topic := s.ThreadOf(chatID, m.MessageID); topic != 0 {
			fmt.Fprintf(&b, " (topic %d)", topic)
		}
		if m.ReplyToMessage != nil {
			fmt.Fprintf(&b, " (reply to #%d)", m.ReplyToMessage.MessageID)
		}
		if m.EditDate != 0 {
			b.WriteString(" (edited)")
		}
		if m.ReplyMarkup != nil {
			b.WriteString(" " + describeButtons(m.ReplyMarkup))
		}
		b.WriteString("\n")
	}
	id := strconv.FormatInt(chatID, 10)
	for _, c := range s.Calls("") {
		if c.Params["chat_id"] == id && c.Status >= 300 {
			fmt.Fprintf(&b, "  failed %s: %d %s\n", c.Method, c.Status, c.Description)
		}
	}
	return b.String()
}

// WaitCall waits until a call of method (any case; "" for all) satisfies match (nil
// matches any), looking at the calls made so far too, and returns it. A call waiting in
// a long poll is already recorded, with Status 0.
func (s *Server) WaitCall(t TB, method string, match func(Call) bool) Call {
	t.Helper()
	var found Call
	ok := s.await(func() bool {
		for _, c := range s.Calls(method) {
			if match == nil || match(c) {
				found = c
				return true
			}
		}
		return false
	})
	if !ok {
		var b strings.Builder
		for _, c := range s.Calls(method) {
			fmt.Fprintf(&b, "  %s %v → %d %s\n", c.Method, c.Params, c.Status, c.Description)
		}
		t.Fatalf("telegramtest: no %q call matched within %v; the calls were:\n%s", method, s.timeout(), b.String())
	}
	return found
}

// WaitConfirmed waits until the bot has confirmed the update: a getUpdates call arrived
// with an offset past it, or the webhook answered it with 2xx.
func (s *Server) WaitConfirmed(t TB, updateID int) {
	t.Helper()
	ok := s.await(func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.confirmed >= updateID
	})
	if !ok {
		s.mu.Lock()
		confirmed, pending := s.confirmed, len(s.pending)
		s.mu.Unlock()
		var offsets []string
		for _, c := range s.Calls("getUpdates") {
			offsets = append(offsets, c.Params["offset"])
		}
		t.Fatalf("telegramtest: update %d not confirmed within %v: confirmed up to %d, %d pending, getUpdates offsets %q",
			updateID, s.timeout(), confirmed, pending, offsets)
	}
}

// WaitCallbackAnswer waits until the bot answers the callback query with that id.
func (s *Server) WaitCallbackAnswer(t TB, id string) CallbackAnswer {
	t.Helper()
	var a CallbackAnswer
	ok := s.await(func() bool {
		var answered bool
		a, answered = s.CallbackAnswer(id)
		return answered
	})
	if !ok {
		var b strings.Builder
		for _, c := range s.Calls("answerCallbackQuery") {
			fmt.Fprintf(&b, "  %v → %d %s\n", c.Params, c.Status, c.Description)
		}
		t.Fatalf("telegramtest: callback query %s not answered within %v; answerCallbackQuery calls:\n%s", id, s.timeout(), b.String())
	}
	return a
}
