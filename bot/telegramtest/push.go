package telegramtest

import (
	"encoding/json"
	"slices"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// PushRaw queues an update given as its JSON object, for what tgbotapi v5.5.1's types
// cannot hold: kinds the Bot API added since (message_reaction, chat_boost,
// business_message…), and updates that do not decode into those types, as a proxy in
// between might send. It assigns update_id when the object has none (or 0), and returns
// it; an update_id already used makes a redelivery of that update.
//
// Unlike PushUpdate it is queued whatever the bot's allowed_updates says, as Telegram
// documents that updates created before allowed_updates changed may still arrive. It
// goes out re-encoded like everything the fake sends, so invalid UTF-8 in it arrives as
// U+FFFD: Telegram's JSON never holds invalid UTF-8 either.
func (s *Server) PushRaw(raw string) int {
	s.t.Helper()
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		s.t.Fatalf("telegramtest: PushRaw takes a JSON object, not %q (%v)", raw, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := jsonInt(obj["update_id"])
	if id == 0 {
		s.lastUpdateID++
		id = int64(s.lastUpdateID)
	} else {
		s.lastUpdateID = max(s.lastUpdateID, int(id))
	}
	obj["update_id"] = id
	body, err := json.Marshal(obj)
	if err != nil {
		s.t.Fatalf("telegramtest: PushRaw: %v", err)
	}
	if s.raws == nil {
		s.raws = map[int]json.RawMessage{}
	}
	s.raws[int(id)] = body
	i, _ := slices.BinarySearchFunc(s.pending, int(id), func(p tgbotapi.Update, id int) int { return p.UpdateID - id })
	s.pending = slices.Insert(s.pending, i, tgbotapi.Update{UpdateID: int(id)})
	s.notify()
	return int(id)
}

// wire is what is sent for a pending update: PushRaw's JSON for it, or the update. The
// caller holds s.mu.
func (s *Server) wire(u tgbotapi.Update) any {
	if raw, ok := s.raws[u.UpdateID]; ok {
		return raw
	}
	return u
}

// LastUpdateID is the id of the newest update the fake made, for a test that delivers
// it again (PushUpdate or PushRaw with the same update_id), as Telegram does when a
// confirmation was lost.
func (s *Server) LastUpdateID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastUpdateID
}
