package consult_test

import (
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/consult"
)

// FuzzPesticideMatch: whatever the answer and the question, the check does not panic,
// and every finding is a piece of the answer, in order, not overlapping the one before.
func FuzzPesticideMatch(f *testing.F) {
	for _, s := range []string{
		"用1605兑水喷雾", "千万不要用百草枯", "百 草\u200b枯", "對硫磷（1605）", "氧乐果和乐果", "甲基1605",
		"１６０５乳油", "2016050", "不要用1605、1059和3911", "paraquat", "\x00百\xff草枯", "2,4-滴丁酯",
	} {
		f.Add(s, "茶园白菜水稻")
	}
	l, err := consult.ParsePesticides(consult.NationalPesticides, "pesticides.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, answer, question string) {
		for _, at := range []time.Time{today, {}} {
			end := 0
			for _, fd := range l.Check(answer, consult.PesticideQuestion{Category: question, Text: question}, at) {
				if fd.Start < end || fd.End <= fd.Start || fd.End > len(answer) {
					t.Fatalf("finding %q at [%d:%d] after %d in a text of %d bytes", fd.Matched, fd.Start, fd.End, end, len(answer))
				}
				if answer[fd.Start:fd.End] != fd.Matched {
					t.Fatalf("finding %q is not the answer's %q at [%d:%d]", fd.Matched, answer[fd.Start:fd.End], fd.Start, fd.End)
				}
				if fd.Name == "" || fd.Rule.Notice == "" {
					t.Fatalf("finding %q names no pesticide or notice: %+v", fd.Matched, fd)
				}
				end = fd.End
			}
		}
	})
}
