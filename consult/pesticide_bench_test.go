package consult_test

import (
	"strings"
	"testing"

	"github.com/agriclinic/agriclinic/consult"
)

// BenchmarkPesticideCheck is a quick look at the check of a 4,096-character answer; the
// measure with its peer, in alternating rounds, is bench/'s -only pesticide.
func BenchmarkPesticideCheck(b *testing.B) {
	l := nationalList(b)
	answer := []rune(strings.Repeat("稻飞虱百丛虫量超过1000头就要防治，用吡蚜酮或烯啶虫胺对准稻株基部喷雾，田里留3厘米水层。全镇去年推广1605亩。蚜虫用吡虫啉、啶虫脒或溴氰菊酯，叶菜采收前7天停药。", 60))[:4096]
	text := string(answer)
	q := consult.PesticideQuestion{Category: "vegetables", Text: "白菜上蚜虫很多"}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		l.Check(text, q, today)
	}
}
