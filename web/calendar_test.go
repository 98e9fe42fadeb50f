package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
	"github.com/agriclinic/agriclinic/web"
)

// parseICS reads an iCalendar text back into its events' properties, undoing line
// folding and TEXT escapes, and checks every line ends in CRLF and fits 75 octets.
func parseICS(t *testing.T, text string) []map[string]string {
	t.Helper()
	if !strings.HasSuffix(text, "\r\n") {
		t.Fatal("the calendar does not end with CRLF")
	}
	var lines []string
	for _, raw := range strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n") {
		if len(raw) > 75 {
			t.Errorf("line of %d octets: %q", len(raw), raw)
		}
		if strings.HasPrefix(raw, " ") {
			lines[len(lines)-1] += raw[1:]
			continue
		}
		lines = append(lines, raw)
	}
	unescape := strings.NewReplacer(`\n`, "\n", `\,`, ",", `\;`, ";", `\\`, `\`)
	var events []map[string]string
	var cur map[string]string
	for _, l := range lines {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("not a content line: %q", l)
		}
		switch {
		case l == "BEGIN:VEVENT":
			cur = map[string]string{}
		case l == "END:VEVENT":
			events = append(events, cur)
			cur = nil
		case cur != nil:
			cur[name] = unescape.Replace(value)
		}
	}
	return events
}

func TestVisitCalendarsPerCountyAndExpert(t *testing.T) {
	t.Parallel()
	pool := storetest.NewPool(t)
	db := store.NewDB(pool)
	ctx := context.Background()
	if err := db.UpsertCounties(ctx, []store.CountyRecord{{ID: "yuqing", Name: "余庆县", Timezone: "Asia/Shanghai",
		Admins: []int64{1}, Townships: []string{"白泥镇"}, Categories: []store.CategoryRecord{{ID: "rice", Name: "水稻", NameEn: "Rice"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO experts (county_id, user_id, name, categories, approved_by, approved_at)
		VALUES ('yuqing', 501, '李明', '{rice}', 1, now()), ('yuqing', 502, '王五', '{rice}', 1, now())`); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	visit := func(topic string, experts ...int64) int64 {
		t.Helper()
		v, err := db.CreateVisit(ctx, store.Visit{CountyID: "yuqing", Township: "白泥镇", Topic: topic,
			Problem: "叶子发黄, 有斑点; 急", Place: "三组 张大伯家的稻田（村委会往东走两百米，过桥后右手边第二块田）", Source: "order", OrderedBy: 1, OrderedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `UPDATE visits SET status = 'approved', scheduled_at = $2 WHERE id = $1`, v.ID, at); err != nil {
			t.Fatal(err)
		}
		for _, e := range experts {
			if _, err := pool.Exec(ctx, `INSERT INTO visit_experts VALUES ($1, $2)`, v.ID, e); err != nil {
				t.Fatal(err)
			}
		}
		return v.ID
	}
	rice := visit("水稻稻瘟病防治", 501)
	visit("花椒修剪", 502)
	if _, err := db.CreateVisit(ctx, store.Visit{CountyID: "yuqing", Township: "白泥镇", Topic: "未批准", Source: "order", OrderedBy: 1, OrderedAt: at}); err != nil {
		t.Fatal(err)
	}

	cal := &web.Calendars{DB: db, Secret: []byte("s3cret"), Names: func(string) string { return "余庆县" }, Now: func() time.Time { return at.Add(-24 * time.Hour) }}
	mux := http.NewServeMux()
	cal.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(link string) (int, string) {
		t.Helper()
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	code, body := get(cal.Link(srv.URL, "county", "yuqing"))
	if code != http.StatusOK {
		t.Fatalf("county feed: %d %s", code, body)
	}
	events := parseICS(t, body)
	if len(events) != 2 {
		t.Fatalf("county feed has %d events, want the 2 approved visits", len(events))
	}
	e := events[0]
	if e["DTSTART"] != "20261201T010000Z" || e["DTEND"] != "20261201T030000Z" || e["UID"] == "" ||
		!strings.Contains(e["SUMMARY"], "水稻稻瘟病防治") || !strings.Contains(e["DESCRIPTION"], "叶子发黄, 有斑点; 急") ||
		!strings.Contains(e["DESCRIPTION"], "李明") || !strings.Contains(e["LOCATION"], "过桥后右手边第二块田") {
		t.Errorf("event = %+v", e)
	}

	code, body = get(cal.Link(srv.URL, "expert", "501"))
	if events := parseICS(t, body); code != http.StatusOK || len(events) != 1 || !strings.Contains(events[0]["UID"], "visit-"+itoa(rice)) {
		t.Errorf("expert feed: %d, %+v; want only their visit", code, events)
	}
	for _, link := range []string{
		srv.URL + "/calendar/county/yuqing.ics?token=wrong",
		srv.URL + "/calendar/county/yuqing.ics",
		strings.Replace(cal.Link(srv.URL, "expert", "501"), "/501.ics", "/502.ics", 1),
	} {
		if code, _ := get(link); code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", link, code)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
