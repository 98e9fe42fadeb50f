package bot

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// TestVisitButtonsFitTelegramsLimit builds every visit and form button with the largest
// ids and the longest category id, and checks each stays within Telegram's 64 bytes and
// reads back as written.
func TestVisitButtonsFitTelegramsLimit(t *testing.T) {
	t.Parallel()
	const id = math.MaxInt64
	loc, _ := time.LoadLocation("Asia/Shanghai")
	county := &consult.County{ID: "c", Name: "县", Location: loc, Categories: []consult.Category{{ID: strings.Repeat("x", 32), Name: "类"}}}
	v := consult.VisitView{Visit: store.Visit{ID: id, Status: store.VisitOrdered}, County: county, Category: &county.Categories[0]}
	day := time.Date(2026, 12, 31, 0, 0, 0, 0, loc)
	var data []string
	collect := func(p pickerView) {
		raw := string(markupJSON(p.markup))
		for _, part := range strings.Split(raw, `"callback_data":"`)[1:] {
			data = append(data, part[:strings.Index(part, `"`)])
		}
	}
	collect(pickerView{"", decisionKeyboardFor(zh, id)})
	collect(datePicker(zh, v, []time.Time{day}, modePropose))
	collect(timePicker(zh, v, day, modeApprove))
	collect(expertPicker(zh, consult.ExpertChoice{VisitView: v, Candidates: []store.VisitCandidate{{Expert: store.Expert{UserID: id}}}}, ""))
	collect(pickerView{"", needsVisitButton(zh, id)})
	for _, step := range []string{consult.StepTopic, consult.StepHouseholds, consult.StepDates, consult.StepPhotos, consult.StepPlace} {
		res := consult.FormResult{Form: store.Form{ID: id, Kind: store.FormVisit, Step: step}, County: county}
		collect(pickerView{"", stepKeyboard(zh, res)})
	}
	if len(data) < 15 {
		t.Fatalf("only %d buttons collected: %v", len(data), data)
	}
	for _, d := range data {
		if len(d) > 64 {
			t.Errorf("%q is %d bytes, over Telegram's 64", d, len(d))
		}
		if action, _, _ := strings.Cut(d, ":"); !slices.Contains(visitActions, action) {
			t.Errorf("%q is not routed to the visit buttons", d)
		}
	}
	formID, step, value, ok := parseFormData(formData(id, consult.StepTopic, "="+county.Categories[0].ID))
	if !ok || formID != id || step != consult.StepTopic || value != "="+county.Categories[0].ID {
		t.Errorf("form data read back as %d %q %q %v", formID, step, value, ok)
	}
	mode, at, ok := parseMode(fmt.Sprintf("%c%s", modeApprove, "202612310900"), "200601021504")
	if !ok || mode != modeApprove || inCounty(at, county).Hour() != 9 || inCounty(at, county).Location() != loc {
		t.Errorf("time button read back as %c %v %v", mode, at, ok)
	}
}
