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

func TestPesticideMatchReadsTraditional(t *testing.T) {
	t.Parallel()
	l := nationalList(t)
	for trad, want := range map[string]string{
		"殺蟲脒": "杀虫脒", "氟乙醯胺": "氟乙酰胺", "毒鼠強": "毒鼠强", "甲基對硫磷": "甲基对硫磷", "磷化鋅": "磷化锌",
		"磷化鈣": "磷化钙", "磷化鎂": "磷化镁", "蠅毒磷": "蝇毒磷", "三氯殺蟎醇": "三氯杀螨醇", "氧樂果": "氧乐果",
		"滅多威": "灭多威", "涕滅威": "涕灭威", "滅線磷": "灭线磷", "敵枯雙": "敌枯双", "汞製劑": "汞制剂", "砷類": "砷类",
		"鉛類": "铅类", "硫線磷": "硫线磷", "甲基異柳磷": "甲基异柳磷", "克無蹤": "百草枯", "殺撲磷": "杀扑磷", "甲拌磷": "甲拌磷",
		"一六〇五": "对硫磷", "納乃得": "灭多威", "大滅松": "乐果", "得滅克": "涕灭威", "安殺番": "硫丹", "歐殺松": "乙酰甲胺磷",
	} {
		fs := l.Check("用"+trad+"。", consult.PesticideQuestion{Text: "茶園白菜"}, today)
		if len(fs) != 1 || fs[0].Name != want || fs[0].Matched != trad {
			t.Errorf("Check(%q) = %q, want %s", trad, describe(fs), want)
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

// TestPesticideCheckLeavesLegalAnswersAlone: answers that name nothing they must not,
// from the demo's archive (cmd/agriclinic/demo_archive.yaml, copied, so that the demo may
// change) and written after real ones: legal products whose names contain or resemble
// banned ones (乙酰甲胺磷 on rice, 苯磺隆, 氯嘧磺隆, 2,4-滴异辛酯, 虫螨腈, 辛硫磷, 溴氰菊酯),
// restricted ones off their crops (毒死蜱 on rice), and numbers that are codes elsewhere.
func TestPesticideCheckLeavesLegalAnswersAlone(t *testing.T) {
	t.Parallel()
	l := nationalList(t)
	answers := []struct{ category, question, answer string }{
		{"rice", "种植的水稻出现卷叶现象怎么处理？", "先看叶里有没有虫：有青绿色小虫吐丝把叶卷成筒，是稻纵卷叶螟，在卵孵化高峰用氯虫苯甲酰胺喷雾；没有虫而是中午卷、早晚展开，多半是缺水或高温，及时灌浅水。"},
		{"rice", "秧苗发黄长不起来，是不是缺肥？", "秧田发黄多为缺氮或低温伤根。每亩秧田追施尿素3-4公斤，保持浅水层，遇低温夜间灌深水护苗。"},
		{"rice", "水稻稻飞虱很多，叶子基部一摸一手虫，用什么药？", "稻飞虱百丛虫量超过1000头就要防治，用吡蚜酮或烯啶虫胺对准稻株基部喷雾，田里留3厘米水层，7天后再查一次。"},
		{"rice", "稻瘟病叶上有梭形斑，抽穗前还要打药吗？", "要打。破口前3-5天和齐穗期各用一次三环唑或稻瘟灵，预防穗颈瘟，比叶瘟损失大得多。"},
		{"rice", "今年想种再生稻，头季什么时候收合适？", "头季稻谷黄熟九成时收，留桩40厘米左右，收后3天内每亩追尿素10公斤促发再生芽。"},
		{"rice", "纹枯病从下往上爬，田里很密怎么办？", "分蘖末期及时晒田控苗，降低田间湿度，发病初期用井冈霉素或噻呋酰胺喷稻株中下部。"},
		{"prickly_ash", "花椒弱枝修剪的标准是什么？", "弱枝指长度不足15厘米、粗度不到0.5厘米的枝条。采果后修剪时疏除弱枝、病虫枝和交叉枝，每个结果母枝留壮枝，树冠保持通风透光。"},
		{"prickly_ash", "花椒树流胶，树干上一团一团的，怎么治？", "流胶多由天牛、吉丁虫蛀干或冻伤引起。刮去胶块和病皮，涂抹石硫合剂或甲基硫菌灵糊剂，同时查虫孔用药棉堵杀。"},
		{"prickly_ash", "九叶青花椒采摘后要施什么肥？", "采后一周内每株施腐熟农家肥10-15公斤加复合肥0.5公斤，环状沟施，促进结果枝萌发。"},
		{"prickly_ash", "花椒叶子上有很多蚜虫，嫩梢都卷了。", "用吡虫啉或啶虫脒喷雾，重点喷嫩梢；注意保护瓢虫等天敌，花期不要用药。"},
		{"tea", "茶园里茶小绿叶蝉很多，芽尖发红发焦。", "叶蝉高峰期前用联苯菊酯或茚虫威防治，配合及时分批采摘带走虫卵，茶园挂黄板诱杀。"},
		{"tea", "春茶采完后茶树怎么修剪？", "春茶后进行轻修剪，剪去树冠面3-5厘米，衰老茶树可深修剪10-15厘米，修剪后追施一次速效氮肥。"},
		{"tea", "茶饼病叶上长白色饼状斑，雨后特别多。", "雨季前用多抗霉素或波尔多液保护，及时摘除病叶，改善茶园通风排水。"},
		{"tea", "新开的茶园茶苗死了不少，什么原因？", "多为栽植过深、根系失水或积水烂根。补苗时根颈与地面齐平，栽后浇足定根水，雨季开沟排水。"},
		{"vegetables", "大棚辣椒叶子发黄掉花，是什么原因？", "棚温过高（超过32度）或夜温过低都会落花，中午注意放风；同时追施钾肥和硼肥，花期喷0.1%硼砂。"},
		{"vegetables", "白菜根部腐烂发臭，一片一片死。", "这是软腐病，发病株连土拔除，穴里撒石灰；用春雷霉素或噻唑锌灌根，避免大水漫灌。"},
		{"vegetables", "番茄果实裂开是怎么回事？", "干湿不均是主因，久旱后突然浇大水或下大雨就裂果。保持土壤湿度均匀，增施钙肥。"},
		{"vegetables", "香菇菌棒转色不好，发白发软。", "转色期需要散射光和适当通风，温度控制在18-22度，适当拍打菌棒刺激转色。"},
		{"fruit", "蜂糖李坐果率低，花开得多果子少。", "李子多数自花不实，需要配置授粉树，花期放蜂；花前喷硼肥，避免花期打药。"},
		{"fruit", "脆红李果子上有褐色斑点流胶。", "多为细菌性穿孔病或食心虫危害。谢花后用噻唑锌喷雾，果实膨大期挂糖醋液诱杀食心虫。"},
		{"fruit", "方竹笋今年出笋少，要怎么管？", "方竹林要留养健壮母竹，每亩保持1500株左右，秋季出笋前施有机肥，挖笋时留足养竹笋。"},
		{"fruit", "猕猴桃叶子边缘发焦是什么病？", "夏季高温强光加上缺水会日灼焦边，注意覆草保湿，高温天早晚浇水，必要时搭遮阳网。"},
		{"livestock", "母猪产仔后不吃食，还有点发烧。", "可能是产后感染或乳房炎。先量体温，超过40度请兽医诊治，用青霉素类消炎，同时补液，圈舍保持干燥。"},
		{"livestock", "仔猪拉黄色稀便，刚出生几天。", "仔猪黄痢，多由大肠杆菌引起。及时隔离，口服补液盐，按兽医指导用抗菌药；母猪产前接种疫苗预防。"},
		{"livestock", "肉牛冬天怎么养膘快？", "冬季增加精料比例到30%，饲喂青贮和氨化秸秆，圈舍防风保暖，定期驱虫。"},
		{"livestock", "鸡群突然死了好几只，冠发紫。", "立即隔离病鸡，死鸡深埋或无害化处理，并马上报告乡镇兽医站排查禽流感和新城疫，不要自行出售。"},
		{"plant_protection", "玉米地里发现草地贪夜蛾，叶子被吃成窗孔。", "在低龄幼虫期用甲氨基阿维菌素苯甲酸盐或氯虫苯甲酰胺喷心叶，傍晚施药效果好，连片统防统治。"},
		{"plant_protection", "果园里杂草太多，除草剂怎么选？", "果园行间推荐生草或覆盖，必须用药时选草铵膦定向喷雾，避免喷到树干和叶片，不要用草甘膦伤根。"},
		{"plant_protection", "蜗牛把菜苗啃得很厉害。", "傍晚在菜地撒四聚乙醛颗粒，或在地边撒石灰隔离带，清除田边杂草减少蜗牛藏身处。"},
		{"soil_fertiliser", "地里土壤板结，庄稼长不好。", "增施有机肥和秸秆还田，每亩每年施腐熟农家肥2000公斤以上，配合深翻，酸性土可适量施石灰。"},
		{"soil_fertiliser", "测土配方施肥去哪里做？", "到县农业农村局土肥站或乡镇农技站送土样，按地块取5-10个点混合，1公斤左右，免费检测并给出配方。"},
		{"soil_fertiliser", "沼液能直接浇菜吗？", "沼液要充分发酵并稀释2-3倍后使用，避开高温时段，叶菜采收前10天停用。"},
		{"machinery", "微耕机打不着火，冒黑烟。", "先查空气滤清器是否堵塞，再看油路有没有进水，柴油要用沉淀过的；还不行送乡镇农机站检修。"},
		{"machinery", "买植保无人机有补贴吗？", "有，列入农机购置补贴目录的植保无人机可以申请，购机后带发票和身份证到县农机中心办理。"},
		{"ecommerce", "想在抖音上直播卖花椒，怎么开始？", "先用身份证开通抖音小店，准备食品经营资质；直播时展示椒园和采摘过程，讲清产地和品质，开播前在村里拍一周短视频积累粉丝。"},
		{"ecommerce", "淘宝开店卖茶叶需要什么证？", "需要营业执照和食品经营许可证，茶叶是预包装食品的要有SC编码；可以先挂靠村合作社的资质。"},
		{"ecommerce", "李子快递老是压坏，怎么包装？", "用单果网套加蛋托分层装，箱内放冰袋，选冷链快递；发货前一天采八成熟的果子。"},
		{"ecommerce", "合作社的农产品怎么注册商标？", "可以在国家知识产权局商标网上申请，选择31类（新鲜水果蔬菜）和30类（茶叶），县市场监管局可以帮忙代办。"},
		{"general", "今年农业保险怎么买，保哪些？", "水稻、玉米、生猪、能繁母猪都有政策性保险，政府补贴大部分保费，找村委或乡镇农业服务中心统一投保。"},
		{"general", "高素质农民培训怎么报名？", "每年春季县农业农村局组织，向乡镇农业服务中心报名，培训免费，有种植、养殖、电商等班。"},
		{"rice", "稻飞虱又起来了", "稻飞虱用吡蚜酮或噻虫嗪，每亩兑水30公斤喷稻株基部，7天后复查。"},
		{"rice", "二化螟怎么打", "二化螟卵孵高峰期用氯虫苯甲酰胺或阿维菌素喷雾，田间保持3-5厘米水层。"},
		{"rice", "稻飞虱能用毒死蜱吗", "毒死蜱可以防稻飞虱，但要注意安全间隔期，收割前28天停药。"},
		{"rice", "稻纵卷叶螟用什么药", "稻纵卷叶螟用乙酰甲胺磷或甲维盐，傍晚施药。"},
		{"rice", "稻瘟病什么时候打药", "稻瘟病用三环唑或稻瘟灵，破口期前3-5天喷第一次。"},
		{"rice", "打了药效果怎么样", "打完药以后稻飞虱一扫光了，效果不错，注意7天后复查。"},
		{"rice", "秧田除草", "水稻田用丁草胺封闭除草，插秧后5-7天施药。"},
		{"rice", "稻曲病怎么预防", "稻曲病在破口前7-10天用井冈霉素或戊唑醇预防。"},
		{"tea", "茶小绿叶蝉用什么药", "茶小绿叶蝉用高效氯氰菊酯或虫螨腈，采茶前7天停药。"},
		{"tea", "茶园能用除草剂吗", "茶园杂草人工除草为主，不建议用除草剂。"},
		{"tea", "茶叶上能用哪些药", "茶叶上可以用联苯菊酯、虫螨腈、茚虫威，严格按安全间隔期采摘。"},
		{"tea", "茶园冬季管理", "茶园冬季封园用石硫合剂，茶饼病用多抗霉素。"},
		{"vegetables", "白菜菜青虫", "白菜菜青虫用苏云金杆菌或阿维菌素，叶菜安全间隔期7天。"},
		{"vegetables", "黄瓜霜霉病", "黄瓜霜霉病用烯酰吗啉或霜脲氰·锰锌喷雾，棚内注意通风降湿。"},
		{"vegetables", "辣椒疫病", "辣椒疫病发病初期用甲霜灵锰锌或烯酰吗啉灌根，每株250毫升。"},
		{"vegetables", "番茄灰霉病", "番茄灰霉病用腐霉利或嘧霉胺，阴天用烟剂。"},
		{"vegetables", "青菜上蚜虫多", "蚜虫用吡虫啉、啶虫脒或溴氰菊酯，叶菜采收前7天停药。"},
		{"vegetables", "小白菜软腐病", "小白菜用乙蒜素防治软腐病，每亩兑水45公斤。"},
		{"vegetables", "辣椒地下害虫", "辣椒地下害虫用辛硫磷颗粒剂撒施，或者用噻虫嗪灌根。"},
		{"vegetables", "黄瓜白粉病", "黄瓜白粉病用三唑酮或醚菌酯，7天一次连喷两次。"},
		{"vegetables", "大棚菠菜", "大棚菠菜要注意通风；菠菜富含维生素B9。"},
		{"fruit", "柑橘红蜘蛛", "柑橘红蜘蛛用螺螨酯或乙螨唑，春梢期每叶2头以上就要防治。"},
		{"fruit", "猕猴桃溃疡病", "猕猴桃溃疡病冬季清园喷3-5波美度石硫合剂，发病期用春雷霉素或噻菌铜涂干。"},
		{"fruit", "李子褐腐病", "李子褐腐病谢花后用戊唑醇或苯醚甲环唑喷雾，间隔10-15天。"},
		{"fruit", "果园病害轮换用药", "果园用波尔多液和代森锰锌轮换，雨后及时补喷。"},
		{"fruit", "柑橘介壳虫", "柑橘树用矿物油加阿维菌素防介壳虫。"},
		{"fruit", "柑橘蚜虫", "柑橘蚜虫用马拉硫磷或吡虫啉，嫩梢期喷一次。"},
		{"plant_protection", "玉米田除草", "玉米田苗后除草用烟嘧磺隆加莠去津，3-5叶期喷施。"},
		{"plant_protection", "小麦田阔叶杂草", "小麦田阔叶杂草用苯磺隆或2,4-滴异辛酯，拔节后不要用。"},
		{"plant_protection", "大豆田除草", "大豆田用氯嘧磺隆要注意后茬，种油菜的地不要用。"},
		{"plant_protection", "草地贪夜蛾", "草地贪夜蛾可用乙基多杀菌素、虱螨脲，幼虫3龄前防治。"},
		{"general", "路边杂草", "田边道路杂草可以用草甘膦，注意别喷到庄稼。"},
		{"general", "家里苍蝇多", "家里苍蝇多可以挂粘蝇板，圈舍用敌敌畏熏蒸时人畜要离开。"},
		{"soil_fertiliser", "水稻施肥", "每亩施复合肥50公斤，亩产1605斤左右算高产了。"},
		{"general", "推广面积", "去年全县推广1059亩，今年计划3911亩，每亩补贴666元。"},
		{"general", "怎么联系农技站", "请拨打农技热线0851-2016050，或者到农业农村局3911室咨询。"},
		{"general", "高毒农药还能用吗", "根据农业农村部第736号公告，高毒农药要逐步退出，选用低毒产品。"},
		{"general", "天气", "最近有大风雷雨，大棚要加固压膜。"},
		{"machinery", "无人机打药", "植保无人机每亩用药液1-2升，飞行高度离作物2米。"},
		{"general", "农药怎么存放", "农药要放在孩子拿不到的地方，空瓶不要乱扔，交回收点。"},
	}
	if len(answers) < 80 {
		t.Fatalf("%d answers, want at least 80", len(answers))
	}
	for _, a := range answers {
		q := consult.PesticideQuestion{Category: a.category, Text: a.question}
		if got := describe(l.Check(a.answer, q, today)); got != "" {
			t.Errorf("Check(%q) on %s %q = %q, want nothing", a.answer, a.category, a.question, got)
		}
	}
}
