package bot

import (
	"math"
	"strings"
	"testing"
)

// FuzzParseAssign checks an assign button's data: refused, or read back to what the bot
// writes; and never also taken for "<action>:<id>" data, so one press has one meaning.
func FuzzParseAssign(f *testing.F) {
	for _, seed := range []string{"assign:1:2", "assign:12:500001", "assign:1", "assign:1:2:3", "assign:-1:2", "assign:1:0", "assign::", "claim:1", "assign:1:+2",
		// NUL and invalid UTF-8: a run of bad bytes, a truncated multi-byte character.
		"assign:1\x00:2", "assign:1:2\x00", "\x00assign:1:2", "assign:\xff\xfe:2", "assign:1:\xff\xfe", "assign:1:2\xe6\xb0", "\xe6\xb0:1:2"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		questionID, expertID, ok := parseAssign(data)
		if !ok {
			return
		}
		if questionID <= 0 || expertID <= 0 {
			t.Errorf("parseAssign(%q) accepted %d, %d", data, questionID, expertID)
		}
		if _, _, both := parseCallback(data); both {
			t.Errorf("%q is read both as an assignment and as %q", data, "<action>:<id>")
		}
		if again := assignData(questionID, expertID); again != data && !strings.ContainsAny(data[len(actionAssign)+1:], "+0") {
			t.Errorf("parseAssign(%q) = %d, %d: written back as %q", data, questionID, expertID, again)
		}
	})
}

func TestTheLongestAssignDataFitsTelegramsLimit(t *testing.T) {
	t.Parallel()
	if data := assignData(math.MaxInt64, math.MaxInt64); len(data) > 64 {
		t.Errorf("%q is %d bytes; Telegram takes 64", data, len(data))
	}
}
