//go:build !nodemo

package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/agriclinic/agriclinic/web/browsertest"

	"github.com/agriclinic/agriclinic/store/storetest"
)

// readySignal is stdout for the demo: it closes ready at the line that says the demo is
// ready, so the test waits on that and not on time.
type readySignal struct {
	syncBuffer
	once  sync.Once
	ready chan struct{}
}

func (r *readySignal) Write(p []byte) (int, error) {
	n, err := r.syncBuffer.Write(p)
	if strings.Contains(r.String(), "ready in") {
		r.once.Do(func() { close(r.ready) })
	}
	return n, err
}

// startDemo runs `agriclinic demo` on a new Postgres database and Redis prefix of the
// test and returns its base URL once it says it is ready; it stops with the test.
func startDemo(t *testing.T) string {
	t.Helper()
	_, prefix := storetest.NewRedis(t)
	env := demoTestEnv(storetest.NewDatabase(t), prefix)
	base, stop := runDemo(t, env)
	t.Cleanup(stop)
	return base
}

// demoTestEnv is the environment of a demo on the test's database and Redis prefix.
func demoTestEnv(databaseURL, prefix string) map[string]string {
	env := map[string]string{
		"DATABASE_URL": databaseURL,
		"REDIS_URL":    storetest.DefaultRedisURL,
		"REDIS_PREFIX": prefix,
		"LOG_LEVEL":    "warn",
	}
	if v := os.Getenv("TEST_REDIS_URL"); v != "" {
		env["REDIS_URL"] = v
	}
	return env
}

// runDemo runs `agriclinic demo` with env on a free port until stop, which waits for it
// to end and fails the test if it ended with an error.
func runDemo(t *testing.T, env map[string]string) (base string, stop func()) {
	t.Helper()
	addr := freeAddr(t)
	env["HTTP_ADDR"] = addr
	ctx, cancel := context.WithCancel(context.Background())
	out := &readySignal{ready: make(chan struct{})}
	var logs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"demo"}, envOf(env), out, &logs) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("demo ended with %v; logs:\n%s", err, logs.String())
			}
		})
	}
	select {
	case <-out.ready:
	case err := <-done:
		t.Fatalf("demo ended before it was ready: %v\n%s", err, logs.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("demo not ready within a minute; logs:\n%s", logs.String())
	}
	return "http://" + addr, stop
}

// paneHas is a JavaScript predicate: a message of the pane contains the words.
func paneHas(pane, words string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(
		`Array.from(document.querySelectorAll('#pane-%s .msg')).some(m => m.textContent.includes(%q))`, pane, words),
		chromedp.WithPollingTimeout(30*time.Second))
}

// TestTheDemoClinicInABrowser is the demo as a visitor uses it: a farmer asks in the
// group pane, the expert claims the question with its button and answers by replying to
// it, the answer appears in the group, and the dashboard's archive, opened from the
// playground as the admin, lists the question.
func TestTheDemoClinicInABrowser(t *testing.T) {
	t.Parallel()
	base := startDemo(t)
	b := browsertest.New(t, 1500, 90*time.Second)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	const question = "水稻秧苗叶尖发黄打卷，是什么病？"
	const answer = "多半是稻纵卷叶螟的早期为害，用氯虫苯甲酰胺喷雾。"

	b.Do("open", chromedp.Navigate(base+"/play"), chromedp.WaitVisible(css(`#pane-group textarea`)),
		chromedp.WaitVisible(css(`#pane-expert textarea`)), chromedp.WaitVisible(css(`#pane-admin textarea`)))
	if h := b.Text(`#pane-group h2`); !strings.Contains(h, "白泥镇") {
		t.Errorf("group pane heading = %q, want the seeded group", h)
	}

	// The farmer asks with a photo of the field; the question is its caption.
	photo := filepath.Join(t.TempDir(), "field.jpg")
	if err := os.WriteFile(photo, fieldPhoto(t), 0o644); err != nil {
		t.Fatal(err)
	}
	b.Do("ask", chromedp.SetUploadFiles(css(`#pane-group input[type=file]`), []string{photo}),
		chromedp.SendKeys(css(`#pane-group textarea`), "/ask "+question),
		chromedp.Click(css(`#pane-group .send`)), paneHas("group", "已收到问题"),
		photoShown(`#pane-group .msg img`), photoShown(`#pane-expert .msg img`))

	b.Do("claim", chromedp.WaitVisible(css(`#pane-expert .kb button[data-data^="claim:"]`)),
		chromedp.Click(css(`#pane-expert .kb button[data-data^="claim:"]`)), paneHas("expert", "你已认领"))

	b.Do("answer", chromedp.Click(css(`#pane-expert .msg.bot:has(.kb) .reply-btn`)), chromedp.WaitVisible(css(`#pane-expert .replybar.on`)),
		chromedp.SendKeys(css(`#pane-expert textarea`), answer), chromedp.Click(css(`#pane-expert .send`)),
		paneHas("group", answer))
	if group := b.Text(`#pane-group .log`); !strings.Contains(group, "专家解答") {
		t.Errorf("group pane = %q, want the answer posted as the expert's", group)
	}

	b.Do("dashboard", chromedp.Navigate(base+"/play/dashboard"), chromedp.WaitVisible(css(`input[name=q]`)))
	if archive := b.Text(`main`); !strings.Contains(archive, question) {
		t.Errorf("archive = %q, want the question just answered", archive)
	}
	// Its page shows the photo, which the dashboard fetched from the local Telegram with
	// getFile, and the expert's answer.
	b.Do("conversation", chromedp.Click(css(`td a[href^="/questions/"]`)), chromedp.WaitVisible(css(`.conversation`)),
		photoShown(`main img[src^="/media/"]`))
	if thread := b.Text(`main`); !strings.Contains(thread, answer) {
		t.Errorf("thread = %q, want the answer", thread)
	}

	// In English, what people type stays text, however much it looks like markup.
	const markup = `<b>不是粗体</b><img src=x onerror="document.title='pwned'">`
	b.Do("english", chromedp.Navigate(base+"/play?lang=en"), chromedp.WaitVisible(css(`#pane-group textarea`)),
		paneHas("group", answer),
		chromedp.SendKeys(css(`#pane-group textarea`), markup), chromedp.Click(css(`#pane-group .send`)),
		paneHas("group", markup))
	if h := b.Text(`#pane-group h2`); !strings.Contains(h, "Village group") {
		t.Errorf("group pane heading in English = %q", h)
	}
	title, err := chromedp.Run(b.Ctx, chromedp.Title())
	if err != nil || title == "pwned" || !strings.Contains(title, "Demo clinic") {
		t.Errorf("page title = %q, %v; want the English title and no injected script", title, err)
	}
}

// photoShown waits until an image sel finds has loaded and has pixels.
func photoShown(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(
		`Array.from(document.querySelectorAll(%q)).some(i => i.complete && i.naturalWidth > 0)`, sel),
		chromedp.WithPollingTimeout(30*time.Second))
}

// fieldPhoto is a small JPEG, as a phone's camera would send.
func fieldPhoto(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			img.Set(x, y, color.RGBA{R: uint8(60 + x/8), G: uint8(120 + y/4), B: 40, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
