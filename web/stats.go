package web

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// statsPeriod reads from/to (dates in the county's zone); the default is the last 12
// weeks up to today.
func statsPeriod(r *http.Request, c *consult.County, now time.Time) (from, to time.Time, fromText, toText string) {
	loc := time.UTC
	if c.Location != nil {
		loc = c.Location
	}
	today := now.In(loc)
	y, m, d := today.Date()
	to = time.Date(y, m, d, 0, 0, 0, 0, loc).AddDate(0, 0, 1)
	from = to.AddDate(0, 0, -84)
	if t, err := time.ParseInLocation("2006-01-02", r.URL.Query().Get("from"), loc); err == nil {
		from = t
	}
	if t, err := time.ParseInLocation("2006-01-02", r.URL.Query().Get("to"), loc); err == nil {
		to = t.AddDate(0, 0, 1)
	}
	return from, to, from.Format("2006-01-02"), to.AddDate(0, 0, -1).Format("2006-01-02")
}

type statsPage struct {
	page
	From, To               string
	Stats                  store.Stats
	Chart, TownshipChart   template.HTML
	Legend, TownshipLegend []legendItem
	SLA                    string
}

type legendItem struct {
	Color, Label string
}

var palette = []string{"#2f6b2f", "#c98a1b", "#3b6ea8", "#a83b3b", "#6b4fa8", "#2f8f8f", "#8a8a2f", "#a85a8a", "#555", "#9bbf5a"}

func (d *Dashboard) stats(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	lang := langOf(r)
	from, to, fromText, toText := statsPeriod(r, s.County, d.now())
	st, err := d.DB.CountyStats(r.Context(), s.County.ID, from, to, d.sla(), s.County.Timezone)
	if err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "stats"), tr(lang, "down"))
		return
	}
	chart, legend := weekChart(st.ByCategoryWeek, func(id string) string { return catLabel(lang, s.County, id) })
	townships, townshipLegend := weekChart(st.ByTownshipWeek, func(t string) string { return t })
	d.render(w, r, http.StatusOK, "stats", statsPage{page: page{Lang: lang, Title: tr(lang, "stats"), Session: s},
		From: fromText, To: toText, Stats: st, Chart: chart, Legend: legend, TownshipChart: townships, TownshipLegend: townshipLegend,
		SLA: d.sla().String()})
}

func (d *Dashboard) sla() time.Duration {
	if d.SLA > 0 {
		return d.SLA
	}
	return 2 * time.Hour
}

func (d *Dashboard) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// weekChart draws questions per week as bars stacked by key (category, township), in SVG
// made here: no script and no font from elsewhere, so it works on a bureau's intranet and
// prints.
func weekChart(counts []store.WeekCount, label func(key string) string) (template.HTML, []legendItem) {
	var weeks []time.Time
	var cats []string
	for _, wc := range counts {
		if !slices.ContainsFunc(weeks, wc.Week.Equal) {
			weeks = append(weeks, wc.Week)
		}
		if !slices.Contains(cats, wc.Key) {
			cats = append(cats, wc.Key)
		}
	}
	if len(weeks) == 0 {
		return "", nil
	}
	slices.SortFunc(weeks, func(a, b time.Time) int { return a.Compare(b) })
	total := map[int]int{}
	most := 1
	for _, wc := range counts {
		i := slices.IndexFunc(weeks, wc.Week.Equal)
		total[i] += wc.Count
		most = max(most, total[i])
	}
	const height, barW, gap, left, bottom = 160, 28, 8, 30, 20
	width := left + len(weeks)*(barW+gap)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="%d" viewBox="0 0 %d %d" font-size="10">`, width, height+bottom, width, height+bottom)
	fmt.Fprintf(&b, `<text x="0" y="10">%d</text><line x1="%d" y1="0" x2="%d" y2="%d" stroke="#999"/>`, most, left-2, left-2, height)
	for i, wk := range weeks {
		x := left + i*(barW+gap)
		y := height
		for ci, cat := range cats {
			for _, wc := range counts {
				if wc.Key != cat || !wc.Week.Equal(wk) {
					continue
				}
				h := wc.Count * height / most
				y -= h
				fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s %s: %d</title></rect>`,
					x, y, barW, h, palette[ci%len(palette)], template.HTMLEscapeString(wk.Format("01-02")), template.HTMLEscapeString(label(cat)), wc.Count)
			}
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`, x, height+14, wk.Format("01-02"))
	}
	b.WriteString(`</svg>`)
	legend := make([]legendItem, len(cats))
	for i, cat := range cats {
		legend[i] = legendItem{Color: palette[i%len(palette)], Label: label(cat)}
	}
	return template.HTML(b.String()), legend
}

func catLabel(lang string, c *consult.County, id string) string {
	if cat, ok := c.Category(id); ok {
		return cat.Label(lang)
	}
	return id
}

func minutes(seconds float64) string {
	if seconds <= 0 {
		return "–"
	}
	if seconds < 3600 {
		return strconv.Itoa(int(seconds/60+0.5)) + "′"
	}
	return fmt.Sprintf("%.1fh", seconds/3600)
}

// exportXLSX writes the filtered archive and the period's statistics as an Excel
// workbook (two sheets), the form a bureau reports in.
func (d *Dashboard) exportXLSX(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	lang := langOf(r)
	in, _ := archiveFilter(r.URL.Query(), s.County)
	in.Newest = true
	names, err := d.expertNames(r.Context(), s.County.ID)
	if err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "archive"), tr(lang, "down"))
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := tr(lang, "archive")
	_ = f.SetSheetName("Sheet1", sheet)
	for i, h := range strings.Split(tr(lang, "csvhead"), ",") {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		_ = f.SetCellValue(sheet, cell, h)
	}
	row := 2
	for offset := 0; ; offset += 200 {
		in.Limit, in.Offset = 200, offset
		res, err := d.Svc.Search(r.Context(), []string{s.County.ID}, in)
		if err != nil {
			d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "archive"), tr(lang, "down"))
			return
		}
		for _, v := range res.Hits {
			q := v.Question
			values := []any{q.ID, when(s.County, q.AskedAt), q.Township, v.Category.Label(lang), q.Crop, q.FarmerName, q.Text,
				tr(lang, q.Status), feedbackText(lang, q.Feedback), names[q.ExpertID], when(s.County, q.AnsweredAt)}
			cell, _ := excelize.CoordinatesToCellName(1, row)
			_ = f.SetSheetRow(sheet, cell, &values)
			row++
		}
		if !res.More {
			break
		}
	}
	from, to, fromText, toText := statsPeriod(r, s.County, d.now())
	st, err := d.DB.CountyStats(r.Context(), s.County.ID, from, to, d.sla(), s.County.Timezone)
	if err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "stats"), tr(lang, "down"))
		return
	}
	stats := tr(lang, "stats")
	_, _ = f.NewSheet(stats)
	for i, l := range statsLines(lang, st, fromText, toText) {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		_ = f.SetSheetRow(stats, cell, &l)
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="agriclinic.xlsx"`)
	_ = f.Write(w)
}

// statsLines are the statistics as rows, for the Excel sheet and the CSV.
func statsLines(lang string, st store.Stats, fromText, toText string) [][]any {
	lines := [][]any{
		{tr(lang, "period"), fromText + " – " + toText},
		{tr(lang, "questions"), st.Questions},
		{tr(lang, "answered"), st.Answered},
		{tr(lang, "withinsla"), st.WithinSLA},
		{tr(lang, "claimmedian"), minutes(st.ClaimMedian)},
		{tr(lang, "answermedian"), minutes(st.AnswerMedian)},
		{tr(lang, "answerp90"), minutes(st.AnswerP90)},
		{tr(lang, "fb:solved"), st.Feedback[store.FeedbackSolved]},
		{tr(lang, "fb:unsolved"), st.Feedback[store.FeedbackUnsolved]},
		{tr(lang, "sessions"), st.Sessions},
		{tr(lang, "visitsdone"), st.VisitsDone},
		{},
		{tr(lang, "expert"), tr(lang, "answered"), tr(lang, "answermedian"), tr(lang, "fb:solved")},
	}
	for _, e := range st.Experts {
		lines = append(lines, []any{e.Name, e.Answered, minutes(e.MedianAnswer), e.Solved})
	}
	lines = append(lines, []any{}, []any{tr(lang, "township"), tr(lang, "questions")})
	for _, tw := range st.ByTownship {
		lines = append(lines, []any{tw.Key, tw.Count})
	}
	return lines
}

// exportStatsCSV writes the period's statistics as CSV (newCSV: for Excel, every cell text).
func (d *Dashboard) exportStatsCSV(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	lang := langOf(r)
	from, to, fromText, toText := statsPeriod(r, s.County, d.now())
	st, err := d.DB.CountyStats(r.Context(), s.County.ID, from, to, d.sla(), s.County.Timezone)
	if err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "stats"), tr(lang, "down"))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="stats.csv"`)
	out := newCSV(w)
	for _, l := range statsLines(lang, st, fromText, toText) {
		row := make([]string, len(l))
		for i, v := range l {
			row[i] = fmt.Sprint(v)
		}
		_ = out.Write(row)
	}
	_ = out.Flush()
}
