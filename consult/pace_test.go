package consult_test

import (
	"context"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// TestPressesAndCommandsArePacedPerPerson: past its limit a person's press is refused
// and told so each time (it must be answered anyway); a command past its limit is told
// once, then refused in silence while the window lasts. Another person is not slowed by
// the first, and without Redis counts nobody is slowed at all.
func TestPressesAndCommandsArePacedPerPerson(t *testing.T) {
	t.Parallel()
	rdb, prefix := storetest.NewRedis(t)
	svc, _ := setup(t, func(o *consult.Options) {
		o.Quota = store.NewQuota(rdb, prefix)
		o.Pace = &consult.Pace{Presses: 3, PressWindow: time.Hour, Commands: 2, CommandWindow: time.Hour}
	})
	ctx := context.Background()
	for i := range 3 {
		if p := svc.PacePress(ctx, 1); p.Over {
			t.Fatalf("press %d of 3 = %+v, want allowed", i+1, p)
		}
	}
	for i := range 2 {
		if p := svc.PacePress(ctx, 1); !p.Over || !p.Tell || p.Wait <= 0 || p.Wait > time.Hour {
			t.Errorf("press %d past the limit = %+v, want refused and told, with the wait", i+1, p)
		}
	}
	if p := svc.PacePress(ctx, 2); p.Over {
		t.Errorf("another person's press = %+v, want allowed", p)
	}

	for i := range 2 {
		if p := svc.PaceCommand(ctx, 1); p.Over {
			t.Fatalf("command %d of 2 = %+v, want allowed", i+1, p)
		}
	}
	if p := svc.PaceCommand(ctx, 1); !p.Over || !p.Tell {
		t.Errorf("the first command past the limit = %+v, want refused and told", p)
	}
	for i := range 3 {
		if p := svc.PaceCommand(ctx, 1); !p.Over || p.Tell {
			t.Errorf("command %d after the notice = %+v, want refused in silence", i+2, p)
		}
	}
	if p := svc.PaceCommand(ctx, 2); p.Over {
		t.Errorf("another person's command = %+v, want allowed", p)
	}

	unlimited, _ := setup(t)
	for range 50 {
		if p := unlimited.PacePress(ctx, 1); p.Over {
			t.Fatalf("without a quota a press was refused: %+v", p)
		}
		if p := unlimited.PaceCommand(ctx, 1); p.Over {
			t.Fatalf("without a quota a command was refused: %+v", p)
		}
	}
}
