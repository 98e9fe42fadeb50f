package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// chromium finds the browser the tests drive: CHROMIUM, or Debian's package (.ci/services
// installs it).
func chromium(t *testing.T) string {
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

// tab is one headless Chromium tab that keeps a screenshot of every step, so a failing
// run shows what the user saw.
type tab struct {
	t     *testing.T
	ctx   context.Context
	shots string
	step  int
}

func newTab(t *testing.T) *tab {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		// The machine's network is closed: no background connections to wait for.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1200, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	shots := filepath.Join(os.TempDir(), "agriclinic-browser", t.Name())
	_ = os.MkdirAll(shots, 0o755)
	return &tab{t: t, ctx: ctx, shots: shots}
}

// do runs actions, then keeps a screenshot named after the step.
func (b *tab) do(name string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	err := chromedp.Do(b.ctx, actions...)
	b.step++
	if png, shotErr := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)); shotErr == nil {
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

// text is the visible text of the first element sel finds.
func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func TestTheDashboardInABrowser(t *testing.T) {
	d := newDash(t)
	links, err := d.svc.DashboardLinks(context.Background(), 9001)
	if err != nil {
		t.Fatal(err)
	}
	b := newTab(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	b.do("sign-in", chromedp.Navigate(d.srv.URL+"/login?token="+links[0].Token), chromedp.WaitVisible(css(`input[name=q]`)))
	if heading := b.text(`header`); !strings.Contains(heading, "余庆县") || !strings.Contains(heading, "管理员") {
		t.Errorf("header = %q, want the county and the role", heading)
	}

	b.do("search", chromedp.SendKeys(css(`input[name=q]`), "稻飞虱\n"), chromedp.WaitVisible(css(`table`)))
	if results := b.text(`main`); !strings.Contains(results, "水稻稻飞虱很多") || strings.Contains(results, "稻飞虱也来了") {
		t.Errorf("results = %q, want this county's planthopper question only", results)
	}
	b.do("thread", chromedp.Click(css(fmt.Sprintf(`td a[href="/questions/%d"]`, d.ids["hopper"]))), chromedp.WaitVisible(css(`.thread`)))
	if thread := b.text(`main`); !strings.Contains(thread, "<script>alert(1)</script>") || !strings.Contains(thread, "经过") {
		t.Errorf("thread = %q, want the question's text shown as text", thread)
	}

	// Another county's question is not there, whatever the address says.
	b.do("scope", chromedp.Navigate(fmt.Sprintf("%s/questions/%d", d.srv.URL, d.ids["meitan"])), chromedp.WaitVisible(css(`main`)))
	if other := b.text(`main`); !strings.Contains(other, "没有这个问题") {
		t.Errorf("another county's question shows %q", other)
	}

	// The Excel export downloads and reads back.
	dir := t.TempDir()
	progress := chromedp.Events(b.ctx, browser.DownloadProgress)
	yes := true
	b.do("export", chromedp.Navigate(d.srv.URL+"/stats"), chromedp.WaitVisible(css(`a[href^="/export.xlsx"]`)),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &yes})
			return err
		}),
		chromedp.Click(css(`a[href^="/export.xlsx"]`)))
	file := ""
	for ev, err := range progress {
		if err != nil {
			t.Fatal(err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			file = filepath.Join(dir, ev.GUID)
			break
		}
	}
	f, err := excelize.OpenFile(file)
	if err != nil {
		t.Fatalf("the downloaded export: %v", err)
	}
	rows, err := f.GetRows("问题档案")
	if err != nil || len(rows) != 3 {
		t.Errorf("downloaded archive sheet = %v, %v; want a header and 2 questions", rows, err)
	}
}
