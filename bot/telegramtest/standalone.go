package telegramtest

import (
	"fmt"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// StandaloneOptions configure a fake that runs outside a test (see NewStandalone).
type StandaloneOptions struct {
	// FirstUpdateID is the id of the first update; a bot whose archive remembers the
	// update ids of an earlier run takes a repeated id for a redelivery and ignores it,
	// so a second run must start above the first (0: from 1, as in tests). File ids are
	// numbered from it too, so that a file of this run never has the file_unique_id of
	// an earlier run's (the dashboard caches photos by it).
	FirstUpdateID int
}

// NewStandalone starts the fake on a random localhost port for use outside a test: the
// demo clinic (`agriclinic demo`) runs the real bot against it. What a person cannot do
// in Telegram (press a button that is not there, reply to a message that does not
// exist) is an error of TryPost and TryPress rather than a failed test; Post, Press and
// the other helpers that would fail a test panic instead, so only the Try methods suit
// input from people. The caller closes the server.
func NewStandalone(opts StandaloneOptions) *Server {
	s := newServer(standaloneTB{})
	if opts.FirstUpdateID > 1 {
		s.mu.Lock()
		s.lastUpdateID = opts.FirstUpdateID - 1
		s.fileSeq = opts.FirstUpdateID - 1
		s.mu.Unlock()
	}
	return s
}

// misuse is what a standalone fake panics with where a test's fake fails the test.
type misuse struct{ err error }

// standaloneTB stands in for a test: it turns a failure into a misuse panic, which the
// Try methods recover. The caller closes the server, so there is nothing to clean up.
type standaloneTB struct{}

func (standaloneTB) Helper()        {}
func (standaloneTB) Cleanup(func()) {}

func (standaloneTB) Fatalf(format string, args ...any) {
	panic(misuse{fmt.Errorf(format, args...)})
}

// recoverMisuse turns a misuse panic into *err and lets any other panic go on.
func recoverMisuse(err *error) {
	r := recover()
	if r == nil {
		return
	}
	if m, ok := r.(misuse); ok {
		*err = m.err
		return
	}
	panic(r)
}

// TryPost is Post returning an error, instead of failing, for a post no client can make
// (a reply to a message the chat does not have, a photo that is no image…). On a fake
// made by NewServer it fails the test like Post.
func (s *Server) TryPost(chat tgbotapi.Chat, from tgbotapi.User, p Post) (msg tgbotapi.Message, err error) {
	defer recoverMisuse(&err)
	return s.Post(chat, from, p), nil
}

// TryPress is Press returning an error when msg has no button with that data now.
func (s *Server) TryPress(chat tgbotapi.Chat, from tgbotapi.User, msg tgbotapi.Message, data string) (id string, err error) {
	defer recoverMisuse(&err)
	return s.Press(chat, from, msg, data), nil
}

// OpenGroup registers a supergroup with a chosen id whose message ids start at
// firstMessageID, for a standalone fake whose bot remembers the chat from an earlier run
// (the ids of that run's messages must not come again). It replaces nothing: a chat the
// fake already has is returned as it is.
func (s *Server) OpenGroup(id int64, title string, firstMessageID int) tgbotapi.Chat {
	return s.openChat(tgbotapi.Chat{ID: id, Type: "supergroup", Title: title}, firstMessageID)
}

// OpenPrivateChat registers u (as NewUser does, but with u's own id) and the private
// chat with the bot, whose message ids start at firstMessageID; started says whether u
// has pressed Start, so that the bot may write first.
func (s *Server) OpenPrivateChat(u tgbotapi.User, firstMessageID int, started bool) tgbotapi.Chat {
	s.mu.Lock()
	p := s.person(u)
	p.started = p.started || started
	s.mu.Unlock()
	return s.openChat(PrivateChat(u), firstMessageID)
}

func (s *Server) openChat(info tgbotapi.Chat, firstMessageID int) tgbotapi.Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[info.ID]; c != nil {
		return c.info
	}
	c := newChat(info)
	c.lastID = max(firstMessageID-1, 0)
	s.addChat(c)
	s.notify()
	return info
}

// Changed returns a channel that is closed at the fake's next change of state: a
// message posted, sent, edited or deleted, a button pressed, a call made. Whoever shows
// the chats live waits on it instead of polling.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// IsBot reports whether a message's sender is the bot.
func IsBot(m tgbotapi.Message) bool { return m.From != nil && m.From.ID == botID }
