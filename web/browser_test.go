package web_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/agriclinic/agriclinic/web/browsertest"
	"github.com/xuri/excelize/v2"
)

func TestTheDashboardInABrowser(t *testing.T) {
	t.Parallel()
	d := newDash(t)
	links, err := d.svc.DashboardLinks(context.Background(), 9001)
	if err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, 1200, 60*time.Second)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	b.Do("sign-in", chromedp.Navigate(d.srv.URL+"/login?token="+links[0].Token), chromedp.WaitVisible(css(`input[name=q]`)))
	if heading := b.Text(`header`); !strings.Contains(heading, "余庆县") || !strings.Contains(heading, "管理员") {
		t.Errorf("header = %q, want the county and the role", heading)
	}

	b.Do("search", chromedp.SendKeys(css(`input[name=q]`), "稻飞虱\n"), chromedp.WaitVisible(css(`table`)))
	if results := b.Text(`main`); !strings.Contains(results, "水稻稻飞虱很多") || strings.Contains(results, "稻飞虱也来了") {
		t.Errorf("results = %q, want this county's planthopper question only", results)
	}
	b.Do("conversation", chromedp.Click(css(fmt.Sprintf(`td a[href="/questions/%d"]`, d.ids["hopper"]))), chromedp.WaitVisible(css(`.conversation`)))
	if conv := b.Text(`main`); !strings.Contains(conv, "<script>alert(1)</script>") || !strings.Contains(conv, "经过") {
		t.Errorf("conversation = %q, want the question's text shown as text", conv)
	}

	// Another county's question is not there, whatever the address says.
	b.Do("scope", chromedp.Navigate(fmt.Sprintf("%s/questions/%d", d.srv.URL, d.ids["meitan"])), chromedp.WaitVisible(css(`main`)))
	if other := b.Text(`main`); !strings.Contains(other, "没有这个问题") {
		t.Errorf("another county's question shows %q", other)
	}

	// The Excel export downloads and reads back.
	dir := t.TempDir()
	progress := chromedp.Events(b.Ctx, browser.DownloadProgress)
	yes := true
	b.Do("export", chromedp.Navigate(d.srv.URL+"/stats"), chromedp.WaitVisible(css(`a[href^="/export.xlsx"]`)),
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
