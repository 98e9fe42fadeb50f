package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestEveryIncomingStringIsCleanedOnce decodes updates with NUL and invalid UTF-8 in each
// kind of string field and checks that no NUL and no invalid UTF-8 is left anywhere in
// what the bot sees, and that what was readable is kept.
func TestEveryIncomingStringIsCleanedOnce(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, json, want string }{
		{"text", `{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":-1,"type":"group"},"text":"/ask 水稻\u0000nul"}}`, "/ask 水稻\uFFFDnul"},
		{"caption", `{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":-1,"type":"group"},"caption":"\u0000"}}`, "\uFFFD"},
		{"first name", `{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":-1,"type":"group"},"from":{"id":2,"first_name":"张\u0000"}}}`, "张\uFFFD"},
		{"username", `{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":-1,"type":"group"},"from":{"id":2,"first_name":"a","username":"x\u0000y"}}}`, "x\uFFFDy"},
		{"callback data", `{"update_id":1,"callback_query":{"id":"q","from":{"id":2,"first_name":"a"},"data":"claim:\u00001"}}`, "claim:\uFFFD1"},
		{"file name", `{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":-1,"type":"group"},"document":{"file_id":"f","file_unique_id":"u","file_name":"a\u0000.html"}}}`, "a\uFFFD.html"},
		{"chat title", `{"update_id":1,"my_chat_member":{"chat":{"id":-1,"type":"group","title":"群\u0000"},"from":{"id":2,"first_name":"a"},"date":1,"old_chat_member":{"user":{"id":3,"first_name":"b"},"status":"left"},"new_chat_member":{"user":{"id":3,"first_name":"b"},"status":"member"}}}`, "群\uFFFD"},
		{"lone surrogate", `{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":-1,"type":"group"},"text":"a\ud800b"}}`, "a\uFFFDb"},
		{"invalid UTF-8", "{\"update_id\":1,\"message\":{\"message_id\":1,\"date\":1,\"chat\":{\"id\":-1,\"type\":\"group\"},\"text\":\"a\xff\xfeb\"}}", "a\uFFFDb"}, // a run of invalid bytes is one U+FFFD
		// A backslash followed by the letters u0000 is text, not a NUL.
		{"escaped backslash", `{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":-1,"type":"group"},"text":"C:\\u0000"}}`, `C:\u0000`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var u Update
			if err := json.Unmarshal([]byte(c.json), &u); err != nil {
				t.Fatal(err)
			}
			got := ""
			switch {
			case u.CallbackQuery != nil:
				got = u.CallbackQuery.Data
			case u.MyChatMember != nil:
				got = u.MyChatMember.Chat.Title
			case u.Message.Document != nil:
				got = u.Message.Document.FileName
			case u.Message.From != nil && u.Message.From.UserName != "":
				got = u.Message.From.UserName
			case u.Message.From != nil:
				got = u.Message.From.FirstName
			case u.Message.Caption != "":
				got = u.Message.Caption
			default:
				got = u.Message.Text
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			raw := string(u.Raw)
			if !utf8.ValidString(raw) || strings.Contains(raw, `\u0000`) && c.name != "escaped backslash" {
				t.Errorf("raw JSON kept for the archive is not clean: %q", raw)
			}
		})
	}
}

// TestAnUnreadableUpdateDoesNotFailItsBatch: an update whose fields do not decode is kept
// with its id and the reason, and the others of the batch are read.
func TestAnUnreadableUpdateDoesNotFailItsBatch(t *testing.T) {
	t.Parallel()
	us, err := decodeUpdates([]byte(`[{"update_id":5,"message":{"message_id":"one"}},
		{"update_id":6,"message":{"message_id":1,"date":1,"chat":{"id":-1,"type":"group"},"text":"hi"}}]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(us) != 2 || us[0].UpdateID != 5 || us[0].DecodeErr == nil || us[1].DecodeErr != nil || us[1].Message.Text != "hi" {
		t.Fatalf("got %+v", us)
	}
}
