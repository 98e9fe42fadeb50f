// Package browsertest drives headless Chromium for the browser tests (the dashboard's and
// the demo's): a tab that keeps a screenshot of every step under
// $TMPDIR/agriclinic-browser/<test>, so a failing run shows what the user saw.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium finds the browser: CHROMIUM, or Debian's package (.ci/services installs it).
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium: run `bash .ci/services` (it installs Debian's chromium) or set CHROMIUM")
	return ""
}

// Tab is one headless Chromium tab; Ctx runs chromedp actions in it.
type Tab struct {
	Ctx   context.Context
	t     testing.TB
	shots string
	step  int
}

// New opens a tab width pixels wide that gives up after timeout.
func New(t testing.TB, width int, timeout time.Duration) *Tab {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		// The machine's network is closed: no background connections to wait for.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(width, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	shots := filepath.Join(os.TempDir(), "agriclinic-browser", t.Name())
	_ = os.MkdirAll(shots, 0o755)
	return &Tab{t: t, Ctx: ctx, shots: shots}
}

// Do runs actions, then keeps a screenshot named after the step.
func (b *Tab) Do(name string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	err := chromedp.Do(b.Ctx, actions...)
	b.step++
	if png, shotErr := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100)); shotErr == nil {
		path := filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", b.step, name))
		_ = os.WriteFile(path, png, 0o644)
		if err != nil {
			b.t.Logf("what the user saw: %s", path)
		}
	}
	if err != nil {
		b.t.Fatalf("%s: %v", name, err)
	}
}

// Text is the visible text of the first element sel finds.
func (b *Tab) Text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}
