package bot

import (
	"strings"
	"testing"
)

// FuzzParseCallback checks that any callback data — Telegram passes on whatever a client
// sends — is either refused or read back to exactly what the bot would have written.
func FuzzParseCallback(f *testing.F) {
	for _, seed := range []string{"claim:1", "approve:12", "reject:9999999", "claim:-1", ":", "claim:", "x:1:2", "claim:1;DROP", "认领:1",
		// NUL and invalid UTF-8: a run of bad bytes, a truncated multi-byte character.
		"claim:\x001", "claim:1\x00", "\x00:1", "claim:\xff\xfe", "\xff\xfe:1", "claim:1\xe6\xb0", "\xe6\xb0:12"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		action, id, ok := parseCallback(data)
		if !ok {
			return
		}
		if id <= 0 {
			t.Errorf("parseCallback(%q) accepted id %d", data, id)
		}
		// Read back, it is what the bot writes, but for how the number was spelled ("+5", "007").
		if again := callbackData(action, id); again != data && !strings.ContainsAny(data[len(action)+1:], "+0") {
			t.Errorf("parseCallback(%q) = %s, %d: written back as %q", data, action, id, again)
		}
	})
}

// FuzzParseAnswerArgs checks /answer's arguments: a positive number and non-empty text,
// or a refusal; never a panic.
func FuzzParseAnswerArgs(f *testing.F) {
	for _, seed := range []string{"12 喷施氯虫苯甲酰胺", "#3 ok", "3", "", " 4\n多行\n答复", "-1 x", "99999999999999999999 x", "1\t\u200b",
		// NUL and invalid UTF-8: a run of bad bytes, a truncated multi-byte character.
		"12 喷\x00施", "\x00 x", "12\x00 x", "3 \x00", "5 \xff\xfe", "\xff\xfe 答复", "#\xe6\xb0 答", "7 三环唑\xe6\xb0"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, args string) {
		id, text, ok := parseAnswerArgs(args)
		if ok && (id <= 0 || strings.TrimSpace(text) == "") {
			t.Errorf("parseAnswerArgs(%q) = %d, %q, true", args, id, text)
		}
		if !ok && (id != 0 || text != "") {
			t.Errorf("parseAnswerArgs(%q) refused but returned %d, %q", args, id, text)
		}
	})
}
