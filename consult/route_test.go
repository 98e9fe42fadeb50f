package consult_test

import (
	"testing"

	"github.com/agriclinic/agriclinic/consult"
)

func TestCategorizeRoutesFarmersQuestionsInTheExampleCounty(t *testing.T) {
	t.Parallel()
	c := example(t)
	tests := []struct {
		question string
		want     string
	}{
		{"种植的水稻出现卷叶现象怎么处理?", "rice"},
		{"花椒弱枝修剪的标准是什么?", "prickly_ash"},
		{"我想在淘宝上开个网店卖自家的李子，要办什么手续?", "ecommerce"},
		{"家里的猪发烧了，不吃食，怎么办?", "livestock"},
		{"What fertilizer for paddy?", "rice"},
		{"RICE leaves turning yellow", "rice"},
		{"price of seeds", "general"},
		{"asdf qwer 1234", "general"},
		{"在吗？", "general"},
		{"", "general"},
		// Two categories' words: the longer matches win.
		{"茶园里的蚜虫用什么农药?", "plant_protection"},
		{"稻纵卷叶螟用什么药?", "rice"},
		{"植保无人机打药一亩多少钱?", "machinery"},
		{"猪粪可以直接当肥料吗?", "soil_fertiliser"},
		// An even score: the crop is listed before plant protection in the file.
		{"辣椒卷叶怎么办?", "vegetables"},
	}
	for _, tt := range tests {
		if got := c.Categorize(tt.question).ID; got != tt.want {
			t.Errorf("Categorize(%q) = %s, want %s", tt.question, got, tt.want)
		}
	}
}

func TestCategorizeRules(t *testing.T) {
	t.Parallel()
	counties, err := consult.ParseCounties([]byte(`counties:
  - id: test
    name: 测试县
    timezone: Asia/Shanghai
    admins: [1]
    townships: [一镇]
    categories:
      - {id: first, name: 甲, name_en: First, keywords: [稻, rice]}
      - {id: second, name: 乙, name_en: Second, keywords: [稻飞虱, Pest, 虫, 虫]}
      - {id: general, name: 综合, name_en: General}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := &counties[0]
	tests := []struct {
		name string
		text string
		want string
	}{
		{"a longer keyword outweighs a shorter one", "稻飞虱怎么治", "second"},
		{"a one-character keyword is found inside a word", "水稻", "first"},
		{"an even score goes to the category listed first", "rice pest", "first"},
		{"a keyword found many times counts once", "虫虫虫虫 稻", "first"},
		{"a keyword listed twice counts once", "虫 稻", "first"},
		{"case does not matter", "PEST", "second"},
		{"a Latin keyword needs a word boundary", "prices", "general"},
		{"a plural is another word", "pests", "general"},
		{"punctuation is a boundary", "rice?", "first"},
		{"a Chinese character is a boundary", "种rice", "first"},
		{"a later whole word is found after a part of a word", "price rice", "first"},
		{"no keyword goes to general", "你好", "general"},
	}
	for _, tt := range tests {
		if got := c.Categorize(tt.text).ID; got != tt.want {
			t.Errorf("%s: Categorize(%q) = %s, want %s", tt.name, tt.text, got, tt.want)
		}
	}
}

func TestCategorizeNeverReturnsNil(t *testing.T) {
	t.Parallel()
	c := &consult.County{Categories: []consult.Category{{ID: "rice", Keywords: []string{"稻"}}}}
	if got, want := c.Categorize("你好").ID, consult.GeneralID; got != want {
		t.Errorf("county without general: Categorize = %s, want %s", got, want)
	}
}

func TestCategorizeDoesNotAllocateForLowerCaseText(t *testing.T) {
	c := example(t)
	allocs := testing.AllocsPerRun(100, func() { c.Categorize("种植的水稻出现卷叶现象怎么处理? what about rice") })
	if allocs != 0 {
		t.Errorf("Categorize allocates %v times per call, want 0", allocs)
	}
}
