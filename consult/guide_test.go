package consult_test

import (
	"testing"

	"github.com/agriclinic/agriclinic/consult"
)

// TestAGroupHearsPlainMessagesByItsAdminStatusAndTheModeTheBotJoinedWith: getMe's flag now
// is not a group's: a group hears plain messages where the bot is an admin or joined it
// with privacy off, and waits for the bot to be re-added where privacy is off now but was
// on at the join, or the join is not known.
func TestAGroupHearsPlainMessagesByItsAdminStatusAndTheModeTheBotJoinedWith(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name           string
		st             consult.BotStanding
		hears, waiting bool
	}{
		{"Telegram did not answer", consult.BotStanding{ReadsAll: true, Status: "administrator", Joined: consult.JoinedPrivacyOff}, false, false},
		{"privacy on, joined under it", consult.BotStanding{Known: true, Status: "member", Joined: consult.JoinedPrivacyOn}, false, false},
		{"privacy off now, joined under privacy", consult.BotStanding{Known: true, ReadsAll: true, Status: "member", Joined: consult.JoinedPrivacyOn}, false, true},
		{"privacy off now, join unknown", consult.BotStanding{Known: true, ReadsAll: true, Status: "member"}, false, true},
		{"privacy off now and at the join", consult.BotStanding{Known: true, ReadsAll: true, Status: "member", Joined: consult.JoinedPrivacyOff}, true, false},
		{"privacy on now, off at the join", consult.BotStanding{Known: true, Status: "member", Joined: consult.JoinedPrivacyOff}, true, false},
		{"an admin, join unknown", consult.BotStanding{Known: true, ReadsAll: true, Status: "administrator"}, true, false},
		{"an admin under privacy", consult.BotStanding{Known: true, Status: "administrator", Joined: consult.JoinedPrivacyOn}, true, false},
	} {
		if got := tt.st.HearsPlain(); got != tt.hears {
			t.Errorf("%s: HearsPlain = %v, want %v", tt.name, got, tt.hears)
		}
		if got := tt.st.WaitsForRejoin(); got != tt.waiting {
			t.Errorf("%s: WaitsForRejoin = %v, want %v", tt.name, got, tt.waiting)
		}
	}
}
