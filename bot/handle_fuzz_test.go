package bot_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/bot"
)

// panicCatcher is a log handler that notices the bot recovering from a panic, which
// Handle otherwise hides from its caller on purpose.
type panicCatcher struct {
	slog.Handler
	panics *atomic.Int64
}

func (p panicCatcher) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "panic") {
		p.panics.Add(1)
	}
	return nil
}

// FuzzHandleUpdate hands the bot arbitrary updates (decoded from arbitrary JSON) against
// the real archive: none may panic.
func FuzzHandleUpdate(f *testing.F) {
	for _, seed := range []string{
		`{"update_id":1,"message":{"message_id":1,"from":{"id":5,"first_name":"张"},"chat":{"id":-100,"type":"supergroup"},"text":"/ask 水稻卷叶","entities":[{"type":"bot_command","offset":0,"length":4}]}}`,
		`{"update_id":2,"message":{"message_id":2,"from":{"id":5,"first_name":"张"},"chat":{"id":5,"type":"private"},"text":"/answer 1 x","entities":[{"type":"bot_command","offset":0,"length":7}]}}`,
		`{"update_id":3,"callback_query":{"id":"q","from":{"id":5,"first_name":"张"},"data":"claim:1"}}`,
		`{"update_id":4,"message":{"message_id":3,"chat":{"id":-100,"type":"group"},"migrate_to_chat_id":-1009}}`,
		`{"update_id":5,"message":{"message_id":4,"from":{"id":5},"chat":{"id":-100,"type":"supergroup"},"text":"/bind","entities":[{"type":"bot_command","offset":0,"length":99}]}}`,
		`{"update_id":6,"my_chat_member":{"chat":{"id":-100,"type":"group"},"from":{"id":5},"old_chat_member":{"status":"left","user":{"id":1}},"new_chat_member":{"status":"member","user":{"id":1}}}}`,
		// NUL, as Telegram escapes it, in each kind of string field.
		`{"update_id":7,"message":{"message_id":5,"from":{"id":5,"first_name":"张\u0000","last_name":"\u0000","username":"z\u0000"},"chat":{"id":-100,"type":"supergroup","title":"群\u0000"},"text":"/ask 水稻\u0000卷叶","entities":[{"type":"bot_command","offset":0,"length":4}]}}`,
		`{"update_id":8,"message":{"message_id":6,"from":{"id":5,"first_name":"张"},"chat":{"id":-100,"type":"supergroup"},"caption":"/ask \u0000","document":{"file_id":"f","file_unique_id":"u","file_name":"a\u0000.html"}}}`,
		`{"update_id":9,"callback_query":{"id":"q","from":{"id":5,"first_name":"\u0000"},"data":"claim:\u00001"}}`,
		`{"update_id":10,"edited_message":{"message_id":1,"from":{"id":5,"first_name":"张"},"chat":{"id":-100,"type":"supergroup"},"date":1,"edit_date":2,"text":"/ask \u0000\u0000"}}`,
		// Invalid UTF-8 bytes (a run, a truncated multi-byte character), as only a proxy
		// could send them; and a raw NUL byte, which JSON does not allow in a string.
		"{\"update_id\":11,\"message\":{\"message_id\":7,\"from\":{\"id\":5,\"first_name\":\"\xff\xfe\",\"username\":\"\xe6\xb0\"},\"chat\":{\"id\":-100,\"type\":\"supergroup\",\"title\":\"\xe6\xb0\"},\"text\":\"/ask 水稻\xff\xfe叶\xe6\xb0\"}}",
		"{\"update_id\":12,\"callback_query\":{\"id\":\"q\",\"from\":{\"id\":5,\"first_name\":\"a\"},\"data\":\"claim:\xff\xfe\xe6\xb0\"}}",
		"{\"update_id\":13,\"message\":{\"message_id\":8,\"from\":{\"id\":5,\"first_name\":\"张\"},\"chat\":{\"id\":5,\"type\":\"private\"},\"text\":\"/answer 1 \x00\"}}",
	} {
		f.Add([]byte(seed))
	}
	c := newClinicWithoutPolling(f)
	var panics atomic.Int64
	b := bot.New(c.svc, c.db, c.client, slog.New(panicCatcher{Handler: slog.DiscardHandler, panics: &panics}))
	f.Fuzz(func(t *testing.T, data []byte) {
		var u bot.Update
		if json.Unmarshal(data, &u) != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		before := panics.Load()
		_ = b.Handle(ctx, u)
		if panics.Load() != before {
			t.Errorf("handling %s panicked", data)
		}
	})
}
