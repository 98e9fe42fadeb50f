package consult

import (
	"context"
	"time"
)

// Pace is how fast one person may press buttons and send commands: a farmer hammering
// Solved, or a script pressing forged buttons, would otherwise keep the bot and the
// archive busy with each press. Questions are not paced here: /ask has its own limit
// (Limits.Questions), counted with its batch.
type Pace struct {
	// Presses a person may make per PressWindow; 0 means no limit.
	Presses     int
	PressWindow time.Duration
	// Commands a person may send per CommandWindow (every command but /ask); 0 means no
	// limit.
	Commands      int
	CommandWindow time.Duration
}

// DefaultPace never slows a real person: a quick expert claims, answers and lists their
// questions with a few presses and commands a minute; twenty presses in ten seconds or
// thirty commands in a minute is a stuck finger or a script.
var DefaultPace = Pace{Presses: 20, PressWindow: 10 * time.Second, Commands: 30, CommandWindow: time.Minute}

// Paced is what counting one press or command found.
type Paced struct {
	// Over says it is past the person's limit: it is to do nothing.
	Over bool
	// Tell says the person is to be told: every press past the limit (a press must be
	// answered anyway, or the person's app keeps spinning), and the first command past it
	// in its window, so that a script flooding commands gets one reply and then silence.
	Tell bool
	// Wait is how long until the person may go on.
	Wait time.Duration
}

// The names the pace is counted under (store.Quota keys).
const (
	pacePresses      = "press"
	paceCommands     = "command"
	paceCommandsTold = "command-told"
)

// PacePress counts a button press of the person. Without Redis counts (no quota, or
// Redis down) nobody is slowed: a press is not worth refusing for want of a counter.
func (s *Service) PacePress(ctx context.Context, userID int64) Paced {
	wait := s.take(ctx, pacePresses, userID, s.pace.Presses, s.pace.PressWindow)
	return Paced{Over: wait > 0, Tell: wait > 0, Wait: wait}
}

// PaceCommand counts a command of the person (not /ask), as PacePress does a press; past
// the limit only the first command of the window is to be answered.
func (s *Service) PaceCommand(ctx context.Context, userID int64) Paced {
	wait := s.take(ctx, paceCommands, userID, s.pace.Commands, s.pace.CommandWindow)
	if wait <= 0 {
		return Paced{}
	}
	// Told once until the window ends: the notice has a count of its own, of one.
	told := s.take(ctx, paceCommandsTold, userID, 1, wait)
	return Paced{Over: true, Tell: told <= 0, Wait: wait}
}

// take counts one use of name by the person and returns how long they must wait, 0 when
// the use is allowed.
func (s *Service) take(ctx context.Context, name string, userID int64, limit int, window time.Duration) time.Duration {
	if s.quota == nil || limit <= 0 || window <= 0 {
		return 0
	}
	waits, err := s.quota.TakeEach(ctx, name, []int64{userID}, limit, window)
	if err != nil {
		s.log.Warn("pace unavailable", "count", name, "err", err)
		return 0
	}
	return waits[0]
}
