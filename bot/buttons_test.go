package bot

import (
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// parseCallback reads data the way the router does, for a button that names one thing
// by number: its action and id, ok false for anything the bot did not write.
func parseCallback(data string) (action string, id int64, ok bool) {
	p := readPress(&tgbotapi.CallbackQuery{Data: data}, 0)
	if id, ok = p.id(); !ok {
		return "", 0, false
	}
	return p.action, id, true
}

// TestEveryButtonIsOneEntryAndForgedDataIsOneLabel: each action is routed once, has a
// handler and its own metric label; data of no known action, however made up, is
// counted as one label.
func TestEveryButtonIsOneEntryAndForgedDataIsOneLabel(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, btn := range buttonTable() {
		if btn.action == "" || strings.Contains(btn.action, ":") {
			t.Errorf("action %q cannot be read back from data", btn.action)
		}
		if seen[btn.action] {
			t.Errorf("action %q is routed twice", btn.action)
		}
		seen[btn.action] = true
		if btn.handle == nil {
			t.Errorf("action %q has no handler", btn.action)
		}
		if got := kindLabel("button:" + btn.action); got != "button:"+btn.action {
			t.Errorf("action %q is counted as %q", btn.action, got)
		}
	}
	for _, data := range []string{"x:1", "claim", "", "\uFFFD:1", strings.Repeat("a", 64)} {
		u := tgbotapi.Update{CallbackQuery: &tgbotapi.CallbackQuery{Data: data}}
		if got := kindLabel(updateKind(u)); got != "button:unknown" && !seen[strings.SplitN(data, ":", 2)[0]] {
			t.Errorf("data %q is counted as %q, want button:unknown", data, got)
		}
	}
	if p := readPress(&tgbotapi.CallbackQuery{Data: "claim:12:x"}, 0); p.action != "claim" {
		t.Errorf("action of claim:12:x = %q", p.action)
	} else if _, ok := p.id(); ok {
		t.Error("claim:12:x read as a press naming one question")
	}
}
