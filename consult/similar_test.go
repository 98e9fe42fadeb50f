package consult_test

import (
	"testing"

	"github.com/agriclinic/agriclinic/consult"
)

// similarPairs is the test set for suggestions: questions farmers really ask twice in
// different words, and questions that share words but not the trouble. The threshold
// (DefaultSimilar.Min) must pass the first kind and stop the second.
var similarPairs = []struct {
	a, b string
	same bool
}{
	// The same trouble, other words.
	{"水稻叶子卷起来了怎么办", "稻叶卷曲是什么原因", true},
	{"稻田里飞虱很多，怎么防治", "稻飞虱爆发了用什么药", true},
	{"秧苗发黄长不大", "秧苗叶子变黄，僵苗不长", true},
	{"稻瘟病怎么防", "叶瘟打什么药好", true},
	{"茶树上有小绿叶蝉", "茶园叶蝉很多怎么办", true},
	{"猪拉稀不吃食", "小猪腹泻，不进食", true},
	{"玉米叶子上有虫眼，被咬了", "玉米叶被虫咬食", true},
	{"Rice leaves are curling, what should I do?", "Why do my rice leaves curl?", true},
	{"花椒树烂根了", "花椒根腐病怎么治", true},
	// Shared words, another trouble.
	{"水稻叶子发黄", "水稻叶子卷起来", false},
	{"稻飞虱怎么防治", "稻瘟病怎么防治", false},
	{"茶叶价格多少", "茶树叶子发黄", false},
	{"猪拉稀", "猪发烧不吃食", false},
	{"水稻什么时候施肥", "水稻倒伏了怎么办", false},
	{"辣椒叶子有斑点", "辣椒叶子卷曲", false},
	{"Rice leaves yellow", "Rice leaves curling", false},
}

func TestSimilarityTellsTheSameTroubleFromSharedWords(t *testing.T) {
	t.Parallel()
	for _, p := range similarPairs {
		score := consult.Similarity(p.a, p.b)
		if got := score >= consult.DefaultSimilar.Min; got != p.same {
			t.Errorf("Similarity(%q, %q) = %.2f; suggested %v, want %v", p.a, p.b, score, got, p.same)
		}
		if back := consult.Similarity(p.b, p.a); back != score {
			t.Errorf("Similarity is not symmetric for %q / %q: %.2f vs %.2f", p.a, p.b, score, back)
		}
	}
}

func TestTermsReadFarmersWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		crop string
		want []string // non-crop terms
	}{
		{"稻田里稻飞虱很多", "水稻", []string{"稻飞虱"}},
		{"我家的洋芋叶子发黄了", "马铃薯", []string{"黄化"}},
		{"Corn leaves curling, armyworm?", "玉米", []string{"草地贪夜蛾", "卷叶"}},
		{"电商怎么开网店", "", nil},
		{"price of fertilizer", "", nil}, // "rice" is not in "price"
	}
	for _, tt := range tests {
		var got []string
		crop := ""
		for _, term := range consult.Terms(tt.text) {
			if term.Kind == consult.TermCrop {
				if crop == "" {
					crop = term.Name
				}
				continue
			}
			got = append(got, term.Name)
		}
		if crop != tt.crop || len(got) != len(tt.want) {
			t.Errorf("Terms(%q) = crop %q, %v; want %q, %v", tt.text, crop, got, tt.crop, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("Terms(%q) = %v, want %v", tt.text, got, tt.want)
			}
		}
	}
}
