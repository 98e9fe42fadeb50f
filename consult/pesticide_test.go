package consult_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/consult"
)

// national is the shipped list, parsed once for all tests.
var national = sync.OnceValues(func() (*consult.PesticideList, error) {
	return consult.ParsePesticides(consult.NationalPesticides, "pesticides.yaml")
})

func nationalList(t testing.TB) *consult.PesticideList {
	t.Helper()
	l, err := national()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Days the rules are read at: today (after 第736号 is in force), a day before it, and
// days before 第536号, 第2445号 and 第2552号 took effect.
var (
	today   = day("2026-12-07")
	in2025  = day("2025-03-01")
	in2023  = day("2023-05-01")
	in2015  = day("2015-05-01")
	in2010  = day("2010-05-01")
	beijing = time.FixedZone("UTC+8", 8*60*60)
)

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, beijing)
	if err != nil {
		panic(err)
	}
	return t
}

// describe writes findings compactly: "克百威=呋喃丹 banned", "乐果=乐果 restricted@白菜",
// "百草枯=百草枯 banned negated"; "" for none.
func describe(fs []consult.PesticideFinding) string {
	var parts []string
	for _, f := range fs {
		s := f.Name + "=" + f.Matched
		if f.Banned {
			s += " banned"
		} else {
			s += " restricted@" + f.Crop
		}
		if f.Negated {
			s += " negated"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func TestPesticideCheck(t *testing.T) {
	t.Parallel()
	l := nationalList(t)
	rice := consult.PesticideQuestion{Category: "rice 水稻", Text: "水稻稻飞虱很多，用什么药？"}
	tea := consult.PesticideQuestion{Category: "tea 茶叶", Text: "茶园里茶小绿叶蝉很多怎么办"}
	cabbage := consult.PesticideQuestion{Category: "vegetables 蔬菜", Text: "白菜上蚜虫很多"}
	general := consult.PesticideQuestion{Category: "general 综合", Text: "这个药能打吗"}
	tests := []struct {
		name   string
		answer string
		q      consult.PesticideQuestion
		at     time.Time
		want   string
	}{
		// Banned names, in the forms answers write them.
		{"a banned name", "可以用百草枯除草。", general, today, "百草枯=百草枯 banned"},
		{"an old trade name", "以前用克无踪，现在不行。", general, today, "百草枯=克无踪 banned"},
		{"the Taiwan name", "巴拉刈效果好", general, today, "百草枯=巴拉刈 banned"},
		{"spaces inside the name", "用百 草 枯打一遍", general, today, "百草枯=百 草 枯 banned"},
		{"zero-width spaces inside the name", "用百\u200b草\u200c枯打一遍", general, today, "百草枯=百\u200b草\u200c枯 banned"},
		{"middle dots inside the name", "克·百·威颗粒剂", rice, today, "克百威=克·百·威 banned"},
		{"dashes and asterisks inside the name", "百-草-枯或者百*草*枯", general, today, "百草枯=百-草-枯 banned; 百草枯=百*草*枯 banned"},
		{"a NUL inside the name", "百\x00草枯", general, today, "百草枯=百\x00草枯 banned"},
		{"invalid UTF-8 inside the name", "用百\xff草枯", general, today, "百草枯=百\xff草枯 banned"},
		{"traditional characters", "用對硫磷殺蟲", rice, today, "对硫磷=對硫磷 banned"},
		{"traditional characters of a restricted one on tea", "茶園可以噴氰戊菊酯", tea, today, "氰戊菊酯=氰戊菊酯 restricted@tea"},
		{"traditional characters, the Taiwan name", "可以用納乃得", rice, today, "灭多威=納乃得 banned"},
		{"mixed traditional and simplified", "三氯殺螨醇", general, today, "三氯杀螨醇=三氯殺螨醇 banned"},
		{"full-width digits of a code", "用１６０５兑水喷雾", rice, today, "对硫磷=１６０５ banned"},
		{"full-width letters", "ＤＤＴ早就禁了", general, today, "滴滴涕=ＤＤＴ banned negated"},
		{"full-width punctuation inside 2,4-滴丁酯", "玉米田用２，４－滴丁酯除草", general, today, "2,4-滴丁酯=２，４－滴丁酯 banned"},
		{"an English name", "Paraquat is banned", general, today, "百草枯=Paraquat banned"},
		{"an English name inside a longer word", "paraquats and diquat", general, today, ""},
		{"an English name of two words", "methyl parathion", general, today, "甲基对硫磷=methyl parathion banned"},

		// The longest name wins over the shorter one inside it.
		{"氧乐果 is not also 乐果", "可以用氧乐果", rice, in2025, ""},
		{"氧乐果 on cabbage before 第736号", "可以用氧乐果", cabbage, in2025, "氧乐果=氧乐果 restricted@vegetables"},
		{"氧化乐果 is 氧乐果", "氧化乐果", rice, today, "氧乐果=氧化乐果 banned"},
		{"甲基对硫磷 is not also 对硫磷", "甲基对硫磷", rice, today, "甲基对硫磷=甲基对硫磷 banned"},
		{"甲基1605 is 甲基对硫磷, not 1605", "用甲基1605", rice, today, "甲基对硫磷=甲基1605 banned"},
		{"丁硫克百威 is not 克百威: restricted, not on rice", "用丁硫克百威拌种", rice, today, ""},
		{"丁硫克百威 on tea", "用丁硫克百威", tea, today, "丁硫克百威=丁硫克百威 restricted@tea"},
		{"丁基加保扶 is 丁硫克百威, not 加保扶", "丁基加保扶", rice, today, ""},
		{"乙酰甲胺磷 is not 甲胺磷: restricted, not on rice", "乙酰甲胺磷防治稻纵卷叶螟", rice, today, ""},
		{"乙酰甲胺磷 on cabbage", "乙酰甲胺磷", cabbage, today, "乙酰甲胺磷=乙酰甲胺磷 restricted@vegetables"},
		{"甲基硫环磷 is banned, 硫环磷 only restricted", "甲基硫环磷和硫环磷", rice, today, "甲基硫环磷=甲基硫环磷 banned"},
		{"硫环磷 on tea", "硫环磷", tea, today, "硫环磷=硫环磷 restricted@tea"},
		{"顺式氰戊菊酯 is read as 氰戊菊酯", "顺式氰戊菊酯", tea, today, "氰戊菊酯=氰戊菊酯 restricted@tea"},

		// Restricted on the question's crop, or not.
		{"克百威 on tea before 第736号", "茶园地下害虫用克百威", tea, in2025, "克百威=克百威 restricted@tea"},
		{"克百威 on rice before 第736号", "用克百威颗粒剂", rice, in2025, ""},
		{"克百威 on rice after 第736号", "用克百威颗粒剂", rice, today, "克百威=克百威 banned"},
		{"呋喃丹 on tea today", "呋喃丹", tea, today, "克百威=呋喃丹 banned"},
		{"克百威 on citrus in 2002, before 第199号", "克百威", consult.PesticideQuestion{Text: "橘子树有虫"}, day("2002-05-01"), "克百威=克百威 restricted@橘子"},
		{"克百威 on tea in 2002, before 第199号", "克百威", tea, day("2002-05-01"), ""},
		{"氰戊菊酯 on tea", "用氰戊菊酯喷雾", tea, today, "氰戊菊酯=氰戊菊酯 restricted@tea"},
		{"氰戊菊酯 on rice", "用氰戊菊酯喷雾", rice, today, ""},
		{"氰戊菊酯 with tea only in the question", "氰戊菊酯", consult.PesticideQuestion{Category: "plant_protection 病虫害", Text: "我家茶树叶子被虫咬了"}, today, "氰戊菊酯=氰戊菊酯 restricted@茶树"},
		{"乐果 on cabbage", "蚜虫用乐果", cabbage, today, "乐果=乐果 restricted@vegetables"},
		{"乐果 on a vegetable named only in the question", "用乐果", consult.PesticideQuestion{Text: "辣椒有蚜虫"}, today, "乐果=乐果 restricted@辣椒"},
		{"乐果 on rice", "蚜虫用乐果", rice, today, ""},
		{"乐果 before 第2552号 took effect", "蚜虫用乐果", cabbage, day("2019-07-31"), ""},
		{"乐果 on the day 第2552号 took effect", "蚜虫用乐果", cabbage, day("2019-08-01"), "乐果=乐果 restricted@vegetables"},
		{"三氯杀螨醇 on tea in 2010", "三氯杀螨醇", tea, in2010, "三氯杀螨醇=三氯杀螨醇 restricted@tea"},
		{"三氯杀螨醇 on rice in 2010", "三氯杀螨醇", rice, in2010, ""},
		{"丁酰肼 on peanuts", "花生用比久控旺", consult.PesticideQuestion{Text: "花生旺长怎么控"}, today, "丁酰肼=比久 restricted@花生"},
		{"丁酰肼 on apples", "用丁酰肼", consult.PesticideQuestion{Text: "苹果树"}, today, ""},
		{"氟虫腈 on any crop", "氟虫腈喷雾", rice, today, "氟虫腈=氟虫腈 restricted@"},
		// The first restriction in force that names one of the question's crops: 第1586号's
		// 十字花科 names 白菜, not "vegetables".
		{"灭多威 on cabbage in 2015", "灭多威", cabbage, in2015, "灭多威=灭多威 restricted@白菜"},
		{"灭多威 on rice in 2015", "灭多威", rice, in2015, ""},
		{"毒死蜱 on peppers", "辣椒地老虎用毒死蜱", consult.PesticideQuestion{Text: "辣椒苗被咬断"}, today, "毒死蜱=毒死蜱 restricted@辣椒"},
		{"毒死蜱 on rice", "稻飞虱可以用毒死蜱", rice, today, ""},
		{"油茶 is not tea", "克百威", consult.PesticideQuestion{Text: "油茶树有虫"}, in2025, ""},
		{"甲拌磷 on vegetables before 第536号", "甲拌磷", cabbage, in2023, "甲拌磷=甲拌磷 restricted@vegetables"},
		{"甲拌磷 on rice before 第536号", "甲拌磷", rice, in2023, ""},
		{"甲拌磷 after 第536号", "甲拌磷", rice, in2025, "甲拌磷=甲拌磷 banned"},
		{"2,4-滴丁酯 before its ban", "2,4-滴丁酯", general, day("2022-12-31"), ""},
		{"2,4-滴异辛酯 is not 2,4-滴丁酯", "玉米田苗后用2,4-滴异辛酯", general, today, ""},
		{"a restricted one with no crop in the question", "乐果", general, today, ""},
		{"the zero time applies every rule", "克百威", rice, time.Time{}, "克百威=克百威 banned"},

		// Negations are findings all the same, marked.
		{"千万不要用", "千万不要用百草枯，用草铵膦。", general, today, "百草枯=百草枯 banned negated"},
		{"禁止使用", "禁止使用甲胺磷、对硫磷等高毒农药", general, today, "甲胺磷=甲胺磷 banned negated; 对硫磷=对硫磷 banned negated"},
		{"banned, said after the name", "百草枯已经禁用了", general, today, "百草枯=百草枯 banned negated"},
		{"用…代替", "用草铵膦代替百草枯", general, today, "百草枯=百草枯 banned negated"},
		{"a negation of another clause", "不要用吡虫啉，用百草枯", general, today, "百草枯=百草枯 banned"},
		{"a negation after a list", "甲胺磷、对硫磷早就禁了", general, today, "甲胺磷=甲胺磷 banned negated; 对硫磷=对硫磷 banned negated"},
		{"a negation not carried past a comma", "禁止用甲胺磷，对硫磷可以", general, today, "甲胺磷=甲胺磷 banned negated; 对硫磷=对硫磷 banned"},

		// Codes: only where they stand as a pesticide.
		{"用1605兑水", "用1605兑水喷雾", rice, today, "对硫磷=1605 banned"},
		{"1605乳油", "1605乳油", rice, today, "对硫磷=1605 banned"},
		{"喷1605", "以前都是喷1605", rice, today, "对硫磷=1605 banned"},
		{"用 1605 with spaces", "用 1605 打", rice, today, "对硫磷=1605 banned"},
		{"a code spread with spaces", "用1 6 0 5乳油", rice, today, "对硫磷=1 6 0 5 banned"},
		{"3911颗粒剂", "地下害虫撒3911颗粒剂", rice, today, "甲拌磷=3911 banned"},
		{"1059 on tea", "用1059", tea, today, "内吸磷=1059 restricted@tea"},
		{"codes listed after 用", "不要用1605、1059和3911", tea, today, "对硫磷=1605 banned negated; 内吸磷=1059 restricted@tea negated; 甲拌磷=3911 banned negated"},
		{"a code in brackets after its name", "对硫磷（1605）", rice, today, "对硫磷=对硫磷 banned; 对硫磷=1605 banned"},
		{"a code listed before a name", "1605、甲胺磷", rice, today, "对硫磷=1605 banned; 甲胺磷=甲胺磷 banned"},
		{"1605亩", "全镇1605亩水稻", rice, today, ""},
		{"用1605亩", "今年用1605亩地种水稻", rice, today, ""},
		{"1605元", "花了1605元", rice, today, ""},
		{"第1605号", "见第1605号文件", rice, today, ""},
		{"2016050", "编号2016050", rice, today, ""},
		{"a date", "2016-05-03打过药", rice, today, ""},
		{"a decimal", "用1605.5克", rice, today, ""},
		{"thousands", "用1,605", rice, today, ""},
		{"digits before a letter", "用1605a型号", rice, today, ""},
		{"a phone number", "电话13916051234", rice, today, ""},
		{"a number alone", "1605", rice, today, ""},
		{"666 as praise", "老师666", general, today, ""},
		{"666粉", "用666粉拌种", general, today, "六六六=666 banned"},
		{"B9 as a vitamin", "补充维生素B9", consult.PesticideQuestion{Text: "花生"}, today, ""},
		{"B9 on peanuts", "花生喷B9控旺", consult.PesticideQuestion{Text: "花生"}, today, "丁酰肼=B9 restricted@花生"},
		{"一扫光 as a saying", "打完药虫子一扫光", general, today, ""},
		{"一扫光 as a product", "用一扫光除草", general, today, "百草枯=一扫光 banned"},
		{"大风雷雨", "注意大风雷雨天气，及时排水", rice, today, ""},
		{"三步倒 as a product", "买三步倒毒老鼠", general, today, "毒鼠强=三步倒 banned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := describe(l.Check(tt.answer, tt.q, tt.at))
			if got != tt.want {
				t.Errorf("Check(%q) =\n%q\nwant\n%q", tt.answer, got, tt.want)
			}
		})
	}
}

// questionFor returns a question on a crop the entry's first rule in force names, so
// that a restricted entry is a finding; a banned one is whatever the question.
func questionFor(p consult.Pesticide) consult.PesticideQuestion {
	for _, r := range p.Rules {
		if r.Status == consult.PesticideRestricted && r.InForce(today) {
			if r.On[0] == consult.PesticideAnyCrop {
				return consult.PesticideQuestion{Text: "玉米"}
			}
			return consult.PesticideQuestion{Text: r.On[0]}
		}
	}
	return consult.PesticideQuestion{Text: "水稻"}
}

func TestPesticideCheckFindsEveryNameAndAlias(t *testing.T) {
	t.Parallel()
	l := nationalList(t)
	n := 0
	for _, p := range l.Entries() {
		q := questionFor(p)
		for _, name := range append([]string{p.Name}, p.Aliases...) {
			n++
			answer := "建议用" + name + "喷雾。"
			got := describe(l.Check(answer, q, today))
			if !strings.HasPrefix(got, p.Name+"="+name+" ") || strings.Contains(got, ";") {
				t.Errorf("Check(%q) on %q = %q, want one finding of %s", answer, q.Text, got, p.Name)
			}
		}
		for _, code := range p.Codes {
			n++
			answer := "用" + code + "兑水喷雾"
			got := describe(l.Check(answer, q, today))
			if !strings.HasPrefix(got, p.Name+"="+code+" ") || strings.Contains(got, ";") {
				t.Errorf("Check(%q) on %q = %q, want one finding of %s", answer, q.Text, got, p.Name)
			}
		}
	}
	if n < 200 {
		t.Errorf("checked %d names, want the whole list (over 200)", n)
	}
}

// TestPesticideCheckReportsBanAndNotice checks what a finding says of the rule: what the
// expert is told.
func TestPesticideCheckReportsBanAndNotice(t *testing.T) {
	t.Parallel()
	l := nationalList(t)
	fs := l.Check("用1605兑水", consult.PesticideQuestion{}, today)
	if len(fs) != 1 {
		t.Fatalf("findings = %s, want one", describe(fs))
	}
	f := fs[0]
	if got, want := fmt.Sprintf("%s %v %s %s [%d:%d]", f.Name, f.Banned, f.Rule.Notice, f.Rule.Since.Format(time.DateOnly), f.Start, f.End),
		"对硫磷 true 农业部公告第322号 2007-01-01 [3:7]"; got != want {
		t.Errorf("finding = %s, want %s", got, want)
	}
	fs = l.Check("茶园用克百威", consult.PesticideQuestion{Category: "tea"}, in2025)
	if len(fs) != 1 {
		t.Fatalf("findings = %s, want one", describe(fs))
	}
	f = fs[0]
	if got, want := fmt.Sprintf("%s %v %s %s %s", f.Name, f.Banned, f.Rule.Notice, f.Rule.Since.Format(time.DateOnly), strings.Join(f.Rule.On, ",")),
		"克百威 false 农业部公告第199号 2002-06-05 蔬菜,果树,茶叶,中草药材"; got != want {
		t.Errorf("finding = %s, want %s", got, want)
	}
}

// TestPesticideCheckCoversTheDomainList: every pesticide DOMAIN.md names is in the list,
// banned or restricted as it says today.
func TestPesticideCheckCoversTheDomainList(t *testing.T) {
	t.Parallel()
	l := nationalList(t)
	banned := strings.Fields(`六六六 滴滴涕 毒杀芬 二溴氯丙烷 杀虫脒 二溴乙烷 除草醚 艾氏剂 狄氏剂 汞制剂 砷类 铅类
		敌枯双 氟乙酰胺 甘氟 毒鼠强 氟乙酸钠 毒鼠硅 甲胺磷 甲基对硫磷 对硫磷 1605 久效磷 磷胺 苯线磷 地虫硫磷
		甲基硫环磷 磷化钙 磷化镁 磷化锌 硫线磷 蝇毒磷 治螟磷 特丁硫磷 氯磺隆 胺苯磺隆 甲磺隆 福美胂 福美甲胂
		三氯杀螨醇 林丹 硫丹 溴甲烷 氟虫胺 杀扑磷 百草枯 克无踪 2,4-滴丁酯 甲拌磷 3911 甲基异柳磷 水胺硫磷 灭线磷
		氧乐果 克百威 呋喃丹 灭多威 涕灭威 一扫光`)
	restricted := strings.Fields(`内吸磷 1059 硫环磷 氯唑磷 氰戊菊酯 丁酰肼 比久 氟虫腈 乙酰甲胺磷 丁硫克百威 乐果`)
	for _, want := range []struct {
		names  []string
		status string
	}{{banned, consult.PesticideBanned}, {restricted, consult.PesticideRestricted}} {
		for _, name := range want.names {
			p, ok := l.Lookup(name)
			if !ok {
				t.Errorf("%s is not in the list", name)
				continue
			}
			status := consult.PesticideRestricted
			for _, r := range p.Rules {
				if r.Status == consult.PesticideBanned && r.InForce(today) {
					status = consult.PesticideBanned
				}
			}
			if status != want.status {
				t.Errorf("%s (%s) is %s today, want %s", name, p.Name, status, want.status)
			}
		}
	}
	// Restricted before their bans: the examples DOMAIN.md gives.
	for _, c := range []struct{ name, crop string }{
		{"克百威", "茶叶"}, {"甲拌磷", "蔬菜"}, {"甲基异柳磷", "果树"}, {"涕灭威", "中草药"}, {"灭线磷", "蔬菜"},
		{"氧乐果", "甘蓝"}, {"氧乐果", "柑橘"}, {"三氯杀螨醇", "茶叶"}, {"灭多威", "柑橘"}, {"灭多威", "苹果"},
		{"灭多威", "茶叶"}, {"灭多威", "白菜"},
	} {
		fs := l.Check(c.name, consult.PesticideQuestion{Text: c.crop}, day("2017-01-01"))
		if got := describe(fs); got != c.name+"="+c.name+" restricted@"+c.crop {
			t.Errorf("%s on %s in 2017 = %q, want restricted", c.name, c.crop, got)
		}
	}
}

func TestPesticideCheckOfHostileText(t *testing.T) {
	t.Parallel()
	l := nationalList(t)
	long := strings.Repeat("水稻用吡虫啉，", 14_000) + "百草枯" // over 100,000 characters
	if got, want := describe(l.Check(long, consult.PesticideQuestion{Text: long}, today)), "百草枯=百草枯 banned"; got != want {
		t.Errorf("long text: %q, want %q", got, want)
	}
	many := strings.Repeat("百草枯", 40_000)
	if got, want := len(l.Check(many, consult.PesticideQuestion{}, today)), 40_000; got != want {
		t.Errorf("repeated name: %d findings, want %d", got, want)
	}
	for _, s := range []string{"", "\x00", "\xff\xfe", strings.Repeat(" ", 100_000) + "1605", strings.Repeat("1", 100_000), strings.Repeat("\u200b", 50_000),
		"用" + strings.Repeat("\x00", 1000) + "1605", "百草" + strings.Repeat("-", 200) + "枯"} {
		for _, f := range l.Check(s, consult.PesticideQuestion{Text: s}, today) {
			if s[f.Start:f.End] != f.Matched {
				t.Errorf("finding %q is not the text at [%d:%d]", f.Matched, f.Start, f.End)
			}
		}
	}
}
