package bot

import (
	"testing"

	"github.com/agriclinic/agriclinic/i18n"
)

// TestEveryCommandIsOneEntryWithAHandlerMenuLinesAndALabel: the table is the only list of
// commands, so each entry must carry all that the router, the menus, /help and the
// metrics read of it; and only a command not in it is counted as unknown.
func TestEveryCommandIsOneEntryWithAHandlerMenuLinesAndALabel(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, c := range commandTable() {
		if seen[c.name] {
			t.Errorf("/%s is listed twice", c.name)
		}
		seen[c.name] = true
		if c.handle == nil {
			t.Errorf("/%s has no handler", c.name)
		}
		// Every language has every id (i18n's tests), so the default's is enough here.
		if !i18n.Has("cmd." + c.name) {
			t.Errorf("/%s has no menu line (cmd.%s) in the catalog", c.name, c.name)
		}
		if c.usage != i18n.Has("cmd."+c.name+".use") {
			t.Errorf("/%s: usage %v, but cmd.%s.use in the catalog: %v", c.name, c.usage, c.name, !c.usage)
		}
		if !c.group && !c.private {
			t.Errorf("/%s works nowhere", c.name)
		}
		if got := kindLabel("command:" + c.name); got != "command:"+c.name {
			t.Errorf("/%s is counted as %q", c.name, got)
		}
	}
	for _, name := range []string{"frobnicate", "Ask", "start1"} {
		if got := kindLabel("command:" + name); got != "command:unknown" {
			t.Errorf("/%s is counted as %q, want command:unknown", name, got)
		}
	}
	// What the issue found counted as unknown before the table.
	for _, name := range []string{"search", "visit", "transfer", "mode", "report", "coordinator"} {
		if kindLabel("command:"+name) != "command:"+name {
			t.Errorf("/%s is counted as unknown", name)
		}
	}
}

// TestTheMenusComeFromTheTable: a hidden command is in no menu; every other is in the
// menu of its role where it works.
func TestTheMenusComeFromTheTable(t *testing.T) {
	t.Parallel()
	inMenu := map[string]bool{}
	for _, l := range i18n.Langs() {
		for _, group := range []bool{false, true} {
			for _, c := range menu(l, []role{roleFarmer, roleExpert, roleAdmin, roleCoordinator}, group) {
				inMenu[c.Command] = true
			}
		}
	}
	for _, c := range commandTable() {
		if inMenu[c.name] == c.hidden {
			t.Errorf("/%s in a menu: %v, hidden: %v", c.name, inMenu[c.name], c.hidden)
		}
	}
}
