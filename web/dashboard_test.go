package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/agriclinic/agriclinic/bot"
	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
	"github.com/agriclinic/agriclinic/web"
)

const counties = `counties:
  - id: yuqing
    name: 余庆县
    timezone: Asia/Shanghai
    admins: [9001]
    townships: [白泥镇, 龙溪镇]
    categories:
      - {id: rice, name: 水稻, name_en: Rice, keywords: [水稻, 稻]}
      - {id: general, name: 综合, name_en: General}
  - id: meitan
    name: 湄潭县
    timezone: Asia/Shanghai
    admins: [9002]
    townships: [湄江镇]
    categories:
      - {id: general, name: 综合, name_en: General}
`

type dash struct {
	svc *consult.Service
	db  *store.DB
	srv *httptest.Server
	ids map[string]int64
}

func newDash(t *testing.T) *dash {
	t.Helper()
	svc, db := boundService(t, -100)
	ctx := context.Background()
	if _, _, err := svc.Bind(ctx, -200, "湄江群", 9002, "湄江镇", nil); err != nil {
		t.Fatal(err)
	}
	d := &dash{svc: svc, db: db, ids: map[string]int64{}}
	update := int64(0)
	ask := func(key string, chat int64, text string) {
		update++
		res, err := svc.Ask(ctx, consult.AskInput{ChatID: chat, MessageID: update, Farmer: consult.Person{ID: 100 + update, Name: "农户<b>"}, Text: text, UpdateID: update}, nil)
		if err != nil {
			t.Fatal(err)
		}
		d.ids[key] = res.Question.ID
	}
	ask("hopper", -100, "水稻稻飞虱很多 <script>alert(1)</script>")
	ask("yellow", -100, "水稻叶子发黄")
	ask("meitan", -200, "稻飞虱也来了")
	mux := http.NewServeMux()
	(&web.Dashboard{Svc: svc, DB: db, Log: slog.New(slog.NewTextHandler(os.Stderr, nil))}).Register(mux)
	d.srv = httptest.NewServer(mux)
	t.Cleanup(d.srv.Close)
	return d
}

// request has a person apply as an expert of a county's category (by name).
func (d *dash) request(t *testing.T, id int64, name, county, category string) store.ExpertRequest {
	t.Helper()
	r, _, err := d.svc.RequestExpert(context.Background(), consult.ExpertRequestInput{Person: consult.Person{ID: id, Name: name},
		Args: []string{county, category}, UpdateID: 10_000 + id}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// expert makes a person an approved expert: they apply and the county's admin approves.
func (d *dash) expert(t *testing.T, id int64, name, county, category string, admin int64) {
	t.Helper()
	r := d.request(t, id, name, county, category)
	if _, _, err := d.svc.DecideExpert(context.Background(), r.ID, admin, true, nil); err != nil {
		t.Fatal(err)
	}
}

// signIn opens a browser session for user through a fresh /dashboard link.
func (d *dash) signIn(t *testing.T, user int64) (*http.Client, string) {
	t.Helper()
	links, err := d.svc.DashboardLinks(context.Background(), user)
	if err != nil || len(links) != 1 {
		t.Fatalf("links for %d: %v, %v", user, links, err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	link := d.srv.URL + "/login?token=" + links[0].Token
	code, body := get(t, c, link)
	if code != http.StatusOK || !strings.Contains(body, "问题档案") {
		t.Fatalf("sign-in: %d %s", code, body)
	}
	return c, link
}

func get(t *testing.T, c *http.Client, link string) (int, string) {
	t.Helper()
	resp, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestTheDashboardSignsInOnceAndShowsOnlyTheCountysArchive(t *testing.T) {
	t.Parallel()
	d := newDash(t)
	browser, link := d.signIn(t, 9001)

	// A link works once.
	if code, _ := get(t, &http.Client{}, link); code != http.StatusForbidden {
		t.Errorf("a used link: %d, want 403", code)
	}
	if _, err := d.svc.DashboardLinks(context.Background(), 1); err == nil {
		t.Error("a farmer got a dashboard link")
	}
	if code, body := get(t, &http.Client{}, d.srv.URL+"/archive"); code != http.StatusUnauthorized || !strings.Contains(body, "/dashboard") {
		t.Errorf("the archive without a session: %d", code)
	}

	// Search in Chinese finds this county's questions only, escaped.
	code, body := get(t, browser, d.srv.URL+"/archive?q="+url.QueryEscape("稻飞虱"))
	if code != http.StatusOK || !strings.Contains(body, fmt.Sprintf("/questions/%d", d.ids["hopper"])) ||
		strings.Contains(body, fmt.Sprintf("/questions/%d\"", d.ids["meitan"])) || strings.Contains(body, "<script>alert") {
		t.Errorf("search: %d\n%s", code, body)
	}
	if _, body := get(t, browser, d.srv.URL+"/archive?category=rice&q="+url.QueryEscape("发黄")); !strings.Contains(body, "水稻叶子发黄") || strings.Contains(body, "稻飞虱很多") {
		t.Errorf("filtered search:\n%s", body)
	}

	// English on request, and it stays.
	if _, body := get(t, browser, d.srv.URL+"/archive?lang=en"); !strings.Contains(body, "Archive") || !strings.Contains(body, "Sign out") {
		t.Error("the English switch did not switch")
	}
	if _, body := get(t, browser, d.srv.URL+"/stats"); !strings.Contains(body, "Time to answer") {
		t.Error("English did not stay")
	}
	get(t, browser, d.srv.URL+"/archive?lang=zh")

	// A question of this county opens; another county's is not there, whatever the URL.
	if code, body := get(t, browser, fmt.Sprintf("%s/questions/%d", d.srv.URL, d.ids["hopper"])); code != http.StatusOK || !strings.Contains(body, "农户&lt;b&gt;") || strings.Contains(body, "农户<b>") || !strings.Contains(body, "经过") {
		t.Errorf("own question: %d\n%s", code, body)
	}
	if code, _ := get(t, browser, fmt.Sprintf("%s/questions/%d", d.srv.URL, d.ids["meitan"])); code != http.StatusNotFound {
		t.Errorf("another county's question: %d, want 404", code)
	}

	// The CSV opens in Excel: a BOM, then the county's rows.
	code, body = get(t, browser, d.srv.URL+"/export.csv")
	if code != http.StatusOK || !strings.HasPrefix(body, "\ufeff编号,") || !strings.Contains(body, "水稻叶子发黄") || strings.Contains(body, "稻飞虱也来了") {
		t.Errorf("csv: %d\n%s", code, body)
	}

	// Signing out needs the page's CSRF token.
	form := url.Values{"csrf": {"forged"}}
	resp, err := browser.PostForm(d.srv.URL+"/logout", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out with a forged token: %d, want 403", resp.StatusCode)
	}
	_, body = get(t, browser, d.srv.URL+"/archive")
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if csrf == nil {
		t.Fatal("no CSRF token on the page")
	}
	resp, err = browser.PostForm(d.srv.URL+"/logout", url.Values{"csrf": {csrf[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code, _ := get(t, browser, d.srv.URL+"/archive"); code != http.StatusUnauthorized {
		t.Errorf("after signing out: %d, want 401", code)
	}
}

func TestAReviewerReadsAndLosesAccessWhenRevoked(t *testing.T) {
	t.Parallel()
	d := newDash(t)
	ctx := context.Background()
	if _, _, err := d.svc.SetReviewer(ctx, 1, 777, true); err == nil {
		t.Error("a farmer granted reviewer access")
	}
	if _, _, err := d.svc.SetReviewer(ctx, 9001, 777, true); err != nil {
		t.Fatal(err)
	}
	browser, _ := d.signIn(t, 777)
	if code, body := get(t, browser, d.srv.URL+"/archive"); code != http.StatusOK || !strings.Contains(body, "审阅（只读）") {
		t.Errorf("reviewer's archive: %d", code)
	}
	if _, _, err := d.svc.SetReviewer(ctx, 9001, 777, false); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, browser, d.srv.URL+"/archive"); code != http.StatusUnauthorized {
		t.Errorf("after revoking: %d, want 401", code)
	}
}

func TestStatisticsAndTheExcelExport(t *testing.T) {
	t.Parallel()
	d := newDash(t)
	ctx := context.Background()
	d.expert(t, 501, "李明", "yuqing", "水稻", 9001)
	if _, err := d.svc.Claim(ctx, d.ids["yellow"], 501, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.Answer(ctx, consult.AnswerInput{QuestionID: d.ids["yellow"], Expert: consult.Person{ID: 501}, Text: "追施尿素", UpdateID: 901}, nil); err != nil {
		t.Fatal(err)
	}
	browser, _ := d.signIn(t, 9001)
	code, body := get(t, browser, d.srv.URL+"/stats")
	if code != http.StatusOK || !strings.Contains(body, "<svg") || !strings.Contains(body, "李明") || !strings.Contains(body, "白泥镇") {
		t.Errorf("stats: %d\n%s", code, body)
	}
	resp, err := browser.Get(d.srv.URL + "/export.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	f, err := excelize.OpenReader(resp.Body)
	if err != nil {
		t.Fatalf("the export is not a workbook: %v", err)
	}
	rows, err := f.GetRows("问题档案")
	if err != nil || len(rows) != 3 || rows[0][0] != "编号" {
		t.Fatalf("archive sheet = %v, %v; want a header and this county's 2 questions", rows, err)
	}
	found := false
	for _, row := range rows {
		if len(row) > 6 && row[6] == "水稻叶子发黄" && row[7] == "已解答" {
			found = true
		}
	}
	if !found {
		t.Errorf("archive sheet lacks the answered question: %v", rows)
	}
	stats, err := f.GetRows("统计")
	if err != nil || len(stats) < 3 || stats[1][1] != "2" || stats[2][1] != "1" {
		t.Errorf("stats sheet = %v, %v; want 2 questions, 1 answered", stats, err)
	}
}

func TestAQuestionsPhotoIsServedWithoutTheBotToken(t *testing.T) {
	t.Parallel()
	tg := telegramtest.NewServer(t)
	client, err := bot.NewClient(context.Background(), tg.Token(), tg.URL())
	if err != nil {
		t.Fatal(err)
	}
	group := tg.NewGroup("白泥群")
	photo := tg.Post(group, tg.NewUser("张", "", "zh"), telegramtest.Post{Photo: true, Caption: "看看这片叶子"})
	largest := photo.Photo[len(photo.Photo)-1]
	want, _ := tg.FileBytes(largest.FileID)

	svc, db := boundService(t, group.ID)
	ctx := context.Background()
	res, err := svc.Ask(ctx, consult.AskInput{ChatID: group.ID, MessageID: int64(photo.MessageID), Farmer: consult.Person{ID: 5, Name: "张"},
		Text: photo.Caption, UpdateID: 1, Media: []store.Media{{ChatID: group.ID, MessageID: int64(photo.MessageID), Kind: store.MediaPhoto,
			FileID: largest.FileID, FileUniqueID: largest.FileUniqueID}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&web.Dashboard{Svc: svc, DB: db, Files: client, CacheDir: t.TempDir()}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	d := &dash{svc: svc, srv: srv}
	browser, _ := d.signIn(t, 9001)

	_, page := get(t, browser, fmt.Sprintf("%s/questions/%d", srv.URL, res.Question.ID))
	if !strings.Contains(page, fmt.Sprintf(`<img src="/media/%d/0"`, res.Question.ID)) || strings.Contains(page, tg.Token()) {
		t.Errorf("question page lacks the photo or shows the token:\n%s", page)
	}
	for range 2 { // the second comes from the cache
		code, body := get(t, browser, fmt.Sprintf("%s/media/%d/0", srv.URL, res.Question.ID))
		if code != http.StatusOK || body != string(want) {
			t.Errorf("photo: %d, %d bytes; want the %d bytes Telegram keeps", code, len(body), len(want))
		}
	}
	if calls := tg.Calls("getFile"); len(calls) != 1 {
		t.Errorf("getFile was called %d times, want once (then the cache)", len(calls))
	}
	if code, _ := get(t, browser, fmt.Sprintf("%s/media/%d/7", srv.URL, res.Question.ID)); code != http.StatusNotFound {
		t.Errorf("a photo that is not there: %d", code)
	}
}

// csrfOf reads the CSRF token from a page of the dashboard.
func csrfOf(t *testing.T, c *http.Client, link string) string {
	t.Helper()
	_, body := get(t, c, link)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on %s", link)
	}
	return m[1]
}

func post(t *testing.T, c *http.Client, link string, form url.Values) (int, string) {
	t.Helper()
	resp, err := c.PostForm(link, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestAdminsManageAndReviewersOnlyRead(t *testing.T) {
	t.Parallel()
	d := newDash(t)
	ctx := context.Background()
	d.expert(t, 501, "专家501", "yuqing", "水稻", 9001)
	d.expert(t, 601, "专家601", "meitan", "综合", 9002)
	admin, _ := d.signIn(t, 9001)
	if _, body := get(t, admin, d.srv.URL+"/experts"); !strings.Contains(body, "专家501") || strings.Contains(body, "专家601") {
		t.Errorf("experts page:\n%s", body)
	}
	csrf := csrfOf(t, admin, d.srv.URL+"/experts")
	if code, _ := post(t, admin, d.srv.URL+"/experts/501", url.Values{"csrf": {"forged"}, "category": {"general"}}); code != http.StatusForbidden {
		t.Errorf("a forged form: %d, want 403", code)
	}
	if code, _ := post(t, admin, d.srv.URL+"/experts/601", url.Values{"csrf": {csrf}, "category": {"general"}}); code != http.StatusNotFound {
		t.Errorf("another county's expert: %d, want 404", code)
	}
	if code, _ := post(t, admin, d.srv.URL+"/experts/501", url.Values{"csrf": {csrf}, "category": {"banana"}}); code != http.StatusBadRequest {
		t.Errorf("an unknown category: %d, want 400", code)
	}
	if code, _ := post(t, admin, d.srv.URL+"/experts/501", url.Values{"csrf": {csrf}, "category": {"rice", "general"}}); code != http.StatusOK {
		t.Errorf("saving the expert: %d", code)
	}
	experts, err := d.svc.Experts(ctx, 501)
	if err != nil || len(experts) != 1 || fmt.Sprint(experts[0].Categories) != "[general rice]" || experts[0].OnDuty {
		t.Errorf("expert after saving = %+v, %v; want general and rice, off duty", experts, err)
	}
	if code, _ := post(t, admin, d.srv.URL+"/categories/rice/keywords", url.Values{"csrf": {csrf}, "keyword": {"烂秧"}}); code != http.StatusOK {
		t.Errorf("adding a keyword: %d", code)
	}
	if _, body := get(t, admin, d.srv.URL+"/categories"); !strings.Contains(body, "烂秧") {
		t.Error("the added keyword is not listed")
	}
	if _, body := get(t, admin, d.srv.URL+"/groups"); !strings.Contains(body, "白泥群") || strings.Contains(body, "湄江群") {
		t.Errorf("groups page:\n%s", body)
	}
	if code, _ := get(t, admin, d.srv.URL+"/visits"); code != http.StatusOK {
		t.Errorf("visits page: %d", code)
	}

	if _, _, err := d.svc.SetReviewer(ctx, 9001, 777, true); err != nil {
		t.Fatal(err)
	}
	reviewer, _ := d.signIn(t, 777)
	_, body := get(t, reviewer, d.srv.URL+"/experts")
	if strings.Contains(body, `action="/experts/`) {
		t.Error("a reviewer sees the experts' edit forms")
	}
	rcsrf := csrfOf(t, reviewer, d.srv.URL+"/experts")
	if code, _ := post(t, reviewer, d.srv.URL+"/experts/501", url.Values{"csrf": {rcsrf}, "category": {"rice"}}); code != http.StatusForbidden {
		t.Errorf("a reviewer's change: %d, want 403", code)
	}
	if code, _ := post(t, reviewer, d.srv.URL+"/categories/rice/keywords", url.Values{"csrf": {rcsrf}, "keyword": {"x"}}); code != http.StatusForbidden {
		t.Errorf("a reviewer's keyword: %d, want 403", code)
	}
}

func TestAnAdminApprovesAnExpertOnTheDashboard(t *testing.T) {
	t.Parallel()
	d := newDash(t)
	ctx := context.Background()
	mine := d.request(t, 502, "王五", "yuqing", "水稻")
	theirs := d.request(t, 602, "赵六", "meitan", "综合")
	admin, _ := d.signIn(t, 9001)
	_, page := get(t, admin, d.srv.URL+"/experts")
	if !strings.Contains(page, "王五") || strings.Contains(page, "赵六") {
		t.Errorf("requests shown:\n%s", page)
	}
	csrf := csrfOf(t, admin, d.srv.URL+"/experts")
	if code, _ := post(t, admin, fmt.Sprintf("%s/requests/%d", d.srv.URL, theirs.ID), url.Values{"csrf": {csrf}, "decision": {"approve"}}); code != http.StatusNotFound {
		t.Errorf("another county's request: %d, want 404", code)
	}
	if code, _ := post(t, admin, fmt.Sprintf("%s/requests/%d", d.srv.URL, mine.ID), url.Values{"csrf": {csrf}, "decision": {"approve"}}); code != http.StatusOK {
		t.Errorf("approving: %d", code)
	}
	if experts, err := d.svc.Experts(ctx, 502); err != nil || len(experts) != 1 {
		t.Errorf("after approving: %+v, %v", experts, err)
	}
	if code, _ := post(t, admin, fmt.Sprintf("%s/requests/%d", d.srv.URL, mine.ID), url.Values{"csrf": {csrf}, "decision": {"reject"}}); code != http.StatusConflict {
		t.Errorf("deciding twice: %d, want 409", code)
	}
}

func TestAnAdminSchedulesAVisitOnTheDashboardAndSeesItsReport(t *testing.T) {
	t.Parallel()
	d := newDash(t)
	ctx := context.Background()
	d.expert(t, 501, "李明", "yuqing", "水稻", 9001)
	order := func(county, township string) store.Visit {
		t.Helper()
		v, err := d.db.CreateVisit(ctx, store.Visit{CountyID: county, Township: township, Topic: "稻飞虱防治", CategoryID: "rice",
			Source: "order", OrderedBy: 9001, OrderedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	mine, theirs := order("yuqing", "白泥镇"), order("meitan", "湄江镇")
	admin, _ := d.signIn(t, 9001)
	_, page := get(t, admin, d.srv.URL+"/visits")
	if !strings.Contains(page, fmt.Sprintf(`action="/visits/%d/approve"`, mine.ID)) || strings.Contains(page, "湄江镇") {
		t.Fatalf("visits page:\n%s", page)
	}
	csrf := csrfOf(t, admin, d.srv.URL+"/visits")
	day := regexp.MustCompile(`<option value="(\d{4}-\d{2}-\d{2})">`).FindStringSubmatch(page)[1]
	form := url.Values{"csrf": {csrf}, "date": {day}, "time": {"09:00"}, "expert": {"501"}}
	if code, _ := post(t, admin, fmt.Sprintf("%s/visits/%d/approve", d.srv.URL, theirs.ID), form); code != http.StatusNotFound {
		t.Errorf("another county's visit: %d, want 404", code)
	}
	bad := url.Values{"csrf": {csrf}, "date": {day}, "time": {"09:30"}, "expert": {"501"}}
	if code, _ := post(t, admin, fmt.Sprintf("%s/visits/%d/approve", d.srv.URL, mine.ID), bad); code != http.StatusBadRequest {
		t.Errorf("a time not offered: %d, want 400", code)
	}
	if code, body := post(t, admin, fmt.Sprintf("%s/visits/%d/approve", d.srv.URL, mine.ID), form); code != http.StatusOK || !strings.Contains(body, "李明") {
		t.Errorf("approving: %d\n%s", code, body)
	}
	v, err := d.svc.Visit(ctx, mine.ID)
	if err != nil || v.Visit.Status != store.VisitApproved || len(v.Experts) != 1 || v.Visit.ScheduledAt.In(v.County.Location).Format("2006-01-02 15:04") != day+" 09:00" {
		t.Fatalf("visit = %+v, %v", v.Visit, err)
	}
	if _, err := d.db.FileVisitReport(ctx, store.VisitReport{VisitID: mine.ID, ExpertID: 501, ExpertName: "李明", Found: "二代稻飞虱", Advice: "吡蚜酮喷雾",
		Households: 30, ReportedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	month := v.Visit.ScheduledAt.In(v.County.Location).Format("2006-01")
	if _, page := get(t, admin, d.srv.URL+"/visits?month="+month); !strings.Contains(page, "二代稻飞虱") || !strings.Contains(page, "吡蚜酮喷雾") {
		t.Errorf("the report is not on the visits page:\n%s", page)
	}
}

func TestLinksAndSessionsExpire(t *testing.T) {
	t.Parallel()
	list, err := consult.ParseCounties([]byte(counties), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	db := store.NewDB(storetest.NewPool(t))
	rdb, prefix := storetest.NewRedis(t)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	svc := consult.NewService(db, store.NewQueue(rdb, prefix), list, consult.Options{Logger: slog.New(slog.DiscardHandler), Now: clock})
	if err := svc.SaveCounties(context.Background()); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&web.Dashboard{Svc: svc, DB: db, Now: clock}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	d := &dash{svc: svc, db: db, srv: srv}

	links, err := svc.DashboardLinks(context.Background(), 9001)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(11 * time.Minute)
	if code, _ := get(t, &http.Client{}, srv.URL+"/login?token="+links[0].Token); code != http.StatusForbidden {
		t.Errorf("a link 11 minutes old: %d, want 403", code)
	}
	browser, _ := d.signIn(t, 9001)
	now = now.Add(11 * time.Hour)
	if code, _ := get(t, browser, srv.URL+"/archive"); code != http.StatusOK {
		t.Errorf("a session 11 hours old: %d, want 200", code)
	}
	now = now.Add(2 * time.Hour)
	if code, _ := get(t, browser, srv.URL+"/archive"); code != http.StatusUnauthorized {
		t.Errorf("a session 13 hours old: %d, want 401", code)
	}
}

func TestTheArchiveFiltersByExpertAndExportsStatistics(t *testing.T) {
	t.Parallel()
	d := newDash(t)
	ctx := context.Background()
	d.expert(t, 501, "李明", "yuqing", "水稻", 9001)
	if _, err := d.svc.Claim(ctx, d.ids["yellow"], 501, nil); err != nil {
		t.Fatal(err)
	}
	browser, _ := d.signIn(t, 9001)
	_, body := get(t, browser, d.srv.URL+"/archive?expert=501")
	if !strings.Contains(body, "水稻叶子发黄") || strings.Contains(body, "稻飞虱很多") || !strings.Contains(body, "<td>李明</td>") {
		t.Errorf("the archive filtered by expert:\n%s", body)
	}
	code, csvBody := get(t, browser, d.srv.URL+"/stats.csv")
	if code != http.StatusOK || !strings.HasPrefix(csvBody, "\ufeff时段,") || !strings.Contains(csvBody, "问题数,2") || !strings.Contains(csvBody, "白泥镇,2") {
		t.Errorf("stats csv: %d\n%s", code, csvBody)
	}
}

func TestAnAdminRemovesAnExpertAndTheirQuestionsGoBack(t *testing.T) {
	t.Parallel()
	d := newDash(t)
	ctx := context.Background()
	d.expert(t, 501, "李明", "yuqing", "水稻", 9001)
	if _, err := d.svc.Claim(ctx, d.ids["yellow"], 501, nil); err != nil {
		t.Fatal(err)
	}
	admin, _ := d.signIn(t, 9001)
	csrf := csrfOf(t, admin, d.srv.URL+"/experts")
	if code, _ := post(t, admin, d.srv.URL+"/experts/999/remove", url.Values{"csrf": {csrf}}); code != http.StatusNotFound {
		t.Errorf("removing no expert: %d, want 404", code)
	}
	if code, body := post(t, admin, d.srv.URL+"/experts/501/remove", url.Values{"csrf": {csrf}}); code != http.StatusOK || strings.Contains(body, "李明") {
		t.Errorf("removing: %d\n%s", code, body)
	}
	if experts, _ := d.svc.Experts(ctx, 501); len(experts) != 0 {
		t.Errorf("still an expert: %+v", experts)
	}
	if v, err := d.svc.Question(ctx, d.ids["yellow"]); err != nil || v.Question.Status != store.StatusOpen || v.Question.PriorityAt.IsZero() {
		t.Errorf("the held question = %+v, %v; want open at the head of the queue", v.Question, err)
	}
}

// TestAnEditAfterTheAnswerIsShownInTheTimelineWithItsWords: the question of record stays
// what the expert answered; the later words are in the timeline, escaped.
func TestAnEditAfterTheAnswerIsShownInTheTimelineWithItsWords(t *testing.T) {
	t.Parallel()
	d := newDash(t)
	id := d.ids["yellow"]
	if err := d.db.AddEvent(context.Background(), store.Event{QuestionID: id, Kind: "edited", ActorID: 101,
		Detail: map[string]any{"after_answer": true, "text": "改成茶叶了 <i>x</i>"}, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c, _ := d.signIn(t, 9001)
	code, body := get(t, c, fmt.Sprintf("%s/questions/%d", d.srv.URL, id))
	if code != http.StatusOK || !strings.Contains(body, "解答之后修改") || !strings.Contains(body, "改成茶叶了 &lt;i&gt;x&lt;/i&gt;") {
		t.Fatalf("question page %d lacks the edit's words:\n%s", code, body)
	}
}

// boundService is a service on a fresh archive with the test counties and chat bound to
// 白泥镇 by admin 9001.
func boundService(t *testing.T, chat int64) (*consult.Service, *store.DB) {
	t.Helper()
	list, err := consult.ParseCounties([]byte(counties), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	db := store.NewDB(storetest.NewPool(t))
	rdb, prefix := storetest.NewRedis(t)
	svc := consult.NewService(db, store.NewQueue(rdb, prefix), list, consult.Options{Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	if err := svc.SaveCounties(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Bind(ctx, chat, "白泥群", 9001, "白泥镇", nil); err != nil {
		t.Fatal(err)
	}
	return svc, db
}
