package consult_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agriclinic/agriclinic/consult"
)

// validPesticides is the smallest good list; the cases below break it one way each.
const validPesticides = `crops:
  茶叶: [茶, 茶园, tea]
  蔬菜: [白菜, 甘蓝]
pesticides:
  - name: 百草枯
    aliases: [克无踪]
    status: banned
    notice: 农业部公告第1745号
    since: 2016-07-01
  - name: 克百威
    aliases: [呋喃丹]
    status: banned
    notice: 农业农村部公告第736号
    since: 2026-06-01
    earlier:
      - on: [茶叶, 蔬菜]
        notice: 农业部公告第199号
        since: 2002-06-05
  - name: 对硫磷
    codes: ["1605"]
    status: banned
    notice: 农业部公告第322号
    since: 2007-01-01
`

func TestParsePesticidesAcceptsTheSmallestList(t *testing.T) {
	t.Parallel()
	l, err := consult.ParsePesticides([]byte(validPesticides), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := describe(l.Check("茶园用呋喃丹", consult.PesticideQuestion{Text: "茶园"}, in2025)), "克百威=呋喃丹 restricted@茶园"; got != want {
		t.Errorf("Check = %q, want %q", got, want)
	}
	if got, want := strings.Join(l.Words(), " "), "百草枯 克无踪 克百威 呋喃丹 对硫磷 1605"; got != want {
		t.Errorf("Words = %s, want %s", got, want)
	}
}

func TestParsePesticidesNamesFileLineAndField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		want string
	}{
		{
			name: "a misspelt field",
			data: strings.Replace(validPesticides, "    aliases: [克无踪]", "    alias: [克无踪]", 1),
			want: `test.yaml:6: pesticides[0]: unknown field "alias" (want name, aliases, codes, status, on, notice, since, note, earlier)`,
		},
		{
			name: "a misspelt field of an earlier rule",
			data: strings.Replace(validPesticides, "      - on: [茶叶, 蔬菜]", "      - crops: [茶叶, 蔬菜]", 1),
			want: "test.yaml:16: pesticides[1].earlier[0]: unknown field \"crops\" (want on, notice, since, note)\n" +
				`test.yaml:16: pesticides[1].earlier[0]: missing field "on" (the crops it was restricted on)`,
		},
		{
			name: "a misspelt top-level field",
			data: strings.Replace(validPesticides, "pesticides:\n", "pesticide:\n", 1),
			want: "test.yaml:4: unknown field \"pesticide\" (want crops, pesticides)\n" +
				`test.yaml:1: missing field "pesticides"`,
		},
		{
			name: "an entry without a name",
			data: strings.Replace(validPesticides, "  - name: 百草枯\n    aliases", "  - aliases", 1),
			want: `test.yaml:5: pesticides[0]: missing field "name"`,
		},
		{
			name: "an empty name",
			data: strings.Replace(validPesticides, "name: 百草枯", "name: ", 1),
			want: `test.yaml:5: pesticides[0].name: is empty`,
		},
		{
			name: "an entry without a status",
			data: strings.Replace(validPesticides, "    status: banned\n    notice: 农业部公告第1745号", "    notice: 农业部公告第1745号", 1),
			want: `test.yaml:5: pesticides[0]: missing field "status"`,
		},
		{
			name: "a misspelt status",
			data: strings.Replace(validPesticides, "status: banned", "status: baned", 1),
			want: `test.yaml:7: pesticides[0].status: "baned" is not a status (want banned or restricted)`,
		},
		{
			name: "a status in Chinese",
			data: strings.Replace(validPesticides, "status: banned", "status: 禁用", 1),
			want: `test.yaml:7: pesticides[0].status: "禁用" is not a status (want banned or restricted)`,
		},
		{
			name: "a date that is not a day",
			data: strings.Replace(validPesticides, "since: 2016-07-01", "since: 2016-7-1", 1),
			want: `test.yaml:9: pesticides[0].since: "2016-7-1" is not a date (want the day it is in force from, as 2002-06-05)`,
		},
		{
			name: "a day that does not exist",
			data: strings.Replace(validPesticides, "since: 2016-07-01", "since: 2016-02-30", 1),
			want: `test.yaml:9: pesticides[0].since: "2016-02-30" is not a date (want the day it is in force from, as 2002-06-05)`,
		},
		{
			name: "a rule without a date",
			data: strings.Replace(validPesticides, "    since: 2016-07-01\n", "", 1),
			want: `test.yaml:5: pesticides[0]: missing field "since"`,
		},
		{
			name: "a rule without a notice",
			data: strings.Replace(validPesticides, "        notice: 农业部公告第199号\n", "", 1),
			want: `test.yaml:16: pesticides[1].earlier[0]: missing field "notice"`,
		},
		{
			name: "a name given twice, in one entry's terms",
			data: strings.Replace(validPesticides, "name: 对硫磷", "name: 百草枯", 1),
			want: `test.yaml:19: pesticides[2].name: "百草枯" given twice (first on line 5)`,
		},
		{
			name: "an alias of another entry",
			data: strings.Replace(validPesticides, "aliases: [呋喃丹]", "aliases: [呋喃丹, 克无踪]", 1),
			want: `test.yaml:11: pesticides[1].aliases[1]: "克无踪" is already a name of 百草枯 (line 6)`,
		},
		{
			name: "an alias that is the name once spaces are left out",
			data: strings.Replace(validPesticides, "aliases: [克无踪]", "aliases: [克无踪, 百 草 枯]", 1),
			want: `test.yaml:6: pesticides[0].aliases[1]: "百 草 枯" given twice (first on line 5)`,
		},
		{
			name: "an alias that is another's in traditional characters",
			data: strings.Replace(validPesticides, "aliases: [呋喃丹]", "aliases: [呋喃丹, 對硫磷]", 1),
			want: `test.yaml:19: pesticides[2].name: "对硫磷" is already a name of 克百威 (line 11)`,
		},
		{
			name: "a number among the aliases",
			data: strings.Replace(validPesticides, `codes: ["1605"]`, `aliases: ["1605"]`, 1),
			want: `test.yaml:20: pesticides[2].aliases[0]: "1605" is a number: put it under codes, so that it counts only where it stands as a pesticide (not in 1605亩)`,
		},
		{
			name: "a one-character alias",
			data: strings.Replace(validPesticides, "aliases: [克无踪]", "aliases: [枯]", 1),
			want: `test.yaml:6: pesticides[0].aliases[0]: "枯" is too short to look for (want at least 2 characters, spaces and dashes left out)`,
		},
		{
			name: "restricted without crops",
			data: strings.Replace(validPesticides, "status: banned\n    notice: 农业部公告第1745号", "status: restricted\n    notice: 农业部公告第1745号", 1),
			want: `test.yaml:5: pesticides[0]: missing field "on" (the crops it is restricted on)`,
		},
		{
			name: "banned on crops",
			data: strings.Replace(validPesticides, "    status: banned\n    notice: 农业部公告第1745号", "    status: banned\n    on: [茶叶]\n    notice: 农业部公告第1745号", 1),
			want: `test.yaml:8: pesticides[0].on: a ban holds on every crop; on is for restricted`,
		},
		{
			name: "a crop the list does not know",
			data: strings.Replace(validPesticides, "on: [茶叶, 蔬菜]", "on: [茶叶, 疏菜]", 1),
			want: `test.yaml:16: pesticides[1].earlier[0].on[1]: "疏菜" is not a crop class or a crop word of the list's crops (or 所有作物)`,
		},
		{
			name: "an unknown crop is reported with the other mistakes",
			data: strings.NewReplacer("on: [茶叶, 蔬菜]", "on: [疏菜]", "status: banned", "status: baned").Replace(validPesticides),
			want: "test.yaml:7: pesticides[0].status: \"baned\" is not a status (want banned or restricted)\n" +
				"test.yaml:12: pesticides[1].status: \"baned\" is not a status (want banned or restricted)\n" +
				"test.yaml:21: pesticides[2].status: \"baned\" is not a status (want banned or restricted)\n" +
				`test.yaml:16: pesticides[1].earlier[0].on[0]: "疏菜" is not a crop class or a crop word of the list's crops (or 所有作物)`,
		},
		{
			name: "an earlier rule dated after the entry's own",
			data: strings.Replace(validPesticides, "        since: 2002-06-05", "        since: 2027-01-01", 1),
			want: `test.yaml:18: pesticides[1].earlier[0].since: 2027-01-01 is after the entry's own rule (2026-06-01): the entry's rule is the latest, earlier ones come before it`,
		},
		{
			name: "a crop class that includes itself",
			data: strings.Replace(validPesticides, "蔬菜: [白菜, 甘蓝]", "蔬菜: [白菜, 甘蓝, 茶叶]\n  甘蓝: [包菜, 蔬菜]", 1),
			want: `test.yaml:3: crops.蔬菜: crop class 蔬菜 includes itself (蔬菜 → 甘蓝 → 蔬菜)`,
		},
		{
			name: "a crop word given twice in a class",
			data: strings.Replace(validPesticides, "[白菜, 甘蓝]", "[白菜, 甘蓝, 白菜]", 1),
			want: `test.yaml:3: crops.蔬菜[2]: crop word "白菜" given twice in 蔬菜 (first on line 3)`,
		},
		{
			name: "the reserved class",
			data: strings.Replace(validPesticides, "蔬菜: [白菜, 甘蓝]", "所有作物: [白菜, 甘蓝]", 1),
			want: "test.yaml:3: crops.所有作物: 所有作物 means every crop; it needs no class\n" +
				`test.yaml:16: pesticides[1].earlier[0].on[1]: "蔬菜" is not a crop class or a crop word of the list's crops (or 所有作物)`,
		},
		{
			name: "no pesticides",
			data: strings.SplitAfter(validPesticides, "pesticides:")[0] + " []\n",
			want: `test.yaml:4: pesticides: no pesticides; want at least one`,
		},
		{
			name: "an empty file",
			data: "",
			want: `test.yaml:1: empty file; want "crops:" and "pesticides:"`,
		},
		{
			name: "a YAML syntax error",
			data: strings.Replace(validPesticides, "name: 百草枯", "name: 百草枯: 克无踪", 1),
			want: `test.yaml:5: mapping values are not allowed in this context`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := consult.ParsePesticides([]byte(tt.data), "test.yaml")
			if got := errString(err); got != tt.want {
				t.Errorf("error =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestLoadPesticidesNamesThePathInProblems(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pesticides.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(validPesticides, "status: banned", "status: baned", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := consult.LoadPesticides(path)
	if got, want := errString(err), path+`:7: pesticides[0].status: "baned" is not a status (want banned or restricted)`; got != want {
		t.Errorf("error = %s, want %s", got, want)
	}
	_, err = consult.LoadPesticides(filepath.Join(t.TempDir(), "nope.yaml"))
	if got, want := errors.Is(err, fs.ErrNotExist), true; got != want {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = %v, want %v", err, got, want)
	}
}

// countyWithPesticides is the smallest county file with local entries.
const countyWithPesticides = validCounty + `    pesticides:
      - name: 余庆禁用一号
        aliases: [YQ-1]
        status: banned
        notice: 余庆县农业农村局通知
        since: 2024-03-01
      - name: 乐果
        aliases: [老乐果]
        status: restricted
        on: [水稻]
        notice: 余庆县农业农村局通知
        since: 2024-03-01
`

func TestCountyPesticidesMergeWithTheNationalList(t *testing.T) {
	t.Parallel()
	counties, err := consult.ParseCounties([]byte(countyWithPesticides), "counties.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(counties[0].Pesticides), 2; got != want {
		t.Fatalf("county pesticides = %d, want %d", got, want)
	}
	l, err := nationalList(t).Merge(counties[0].Pesticides)
	if err != nil {
		t.Fatal(err)
	}
	rice := consult.PesticideQuestion{Category: "rice", Text: "稻飞虱"}
	for _, c := range []struct{ answer, want string }{
		{"用余庆禁用一号", "余庆禁用一号=余庆禁用一号 banned"},
		{"用yq-1", "余庆禁用一号=yq-1 banned"},
		// 乐果 is extended: the county restricts it on rice too, and names it 老乐果.
		{"用乐果", "乐果=乐果 restricted@rice"},
		{"用老乐果", "乐果=老乐果 restricted@rice"},
		// and keeps the national rules and names.
		{"用乐戈", "乐果=乐戈 restricted@rice"},
		{"用百草枯", "百草枯=百草枯 banned"},
	} {
		if got := describe(l.Check(c.answer, rice, today)); got != c.want {
			t.Errorf("Check(%q) = %q, want %q", c.answer, got, c.want)
		}
	}
	if got, want := describe(l.Check("用乐果", cabbageQuestion, today)), "乐果=乐果 restricted@白菜"; got != want {
		t.Errorf("national rule after the merge: %q, want %q", got, want)
	}
	// The national list is left as it was.
	if got := describe(nationalList(t).Check("用乐果", rice, today)); got != "" {
		t.Errorf("national list after a merge: %q, want nothing", got)
	}
	if got, err := nationalList(t).Merge(nil); err != nil || got != nationalList(t) {
		t.Errorf("Merge(nil) = %p, %v; want the list itself", got, err)
	}
}

var cabbageQuestion = consult.PesticideQuestion{Text: "白菜"}

// A county's entry may make a ban stricter, never lift it: a county restriction on a
// nationally banned name adds a rule, and the ban still holds.
func TestCountyPesticidesCannotLiftABan(t *testing.T) {
	t.Parallel()
	data := validCounty + `    pesticides:
      - name: 百草枯
        status: restricted
        on: [茶叶]
        notice: 误写
        since: 2024-03-01
`
	counties, err := consult.ParseCounties([]byte(data), "counties.yaml")
	if err != nil {
		t.Fatal(err)
	}
	l, err := nationalList(t).Merge(counties[0].Pesticides)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := describe(l.Check("用百草枯", consult.PesticideQuestion{Text: "水稻"}, today)), "百草枯=百草枯 banned"; got != want {
		t.Errorf("Check = %q, want %q", got, want)
	}
}

func TestCountyPesticidesNameTheCountyFileLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		data  string
		parse string // ParseCounties' error
		merge string // Merge's error, when the file parses
	}{
		{
			name:  "a misspelt status",
			data:  strings.Replace(countyWithPesticides, "status: banned", "status: baned", 1),
			parse: `counties.yaml:13: counties[0].pesticides[0].status: "baned" is not a status (want banned or restricted)`,
		},
		{
			name:  "a misspelt field",
			data:  strings.Replace(countyWithPesticides, "        aliases: [YQ-1]", "        alias: [YQ-1]", 1),
			parse: `counties.yaml:12: counties[0].pesticides[0]: unknown field "alias" (want name, aliases, codes, status, on, notice, since, note, earlier)`,
		},
		{
			name:  "a bad date",
			data:  strings.Replace(countyWithPesticides, "since: 2024-03-01", "since: 2024年3月1日", 1),
			parse: `counties.yaml:15: counties[0].pesticides[0].since: "2024年3月1日" is not a date (want the day it is in force from, as 2002-06-05)`,
		},
		{
			name:  "a name given twice in the county",
			data:  strings.Replace(countyWithPesticides, "name: 乐果", "name: YQ 1", 1),
			parse: `counties.yaml:16: counties[0].pesticides[1].name: "YQ 1" is already a name of 余庆禁用一号 (line 12)`,
		},
		{
			name:  "a crop the national list does not know",
			data:  strings.Replace(countyWithPesticides, "on: [水稻]", "on: [水道]", 1),
			merge: `counties.yaml:19: counties[0].pesticides[1].on[0]: "水道" is not a crop class or a crop word of the list's crops (or 所有作物)`,
		},
		{
			name:  "an alias that is a national name of another entry",
			data:  strings.Replace(countyWithPesticides, "aliases: [YQ-1]", "aliases: [YQ-1, 克无踪]", 1),
			merge: `counties.yaml:11: counties[0].pesticides[0]: alias "克无踪" of 余庆禁用一号 is already a name of 百草枯`,
		},
		{
			name:  "a name that is a national alias",
			data:  strings.Replace(countyWithPesticides, "name: 余庆禁用一号", "name: 呋喃丹", 1),
			merge: `counties.yaml:11: counties[0].pesticides[0]: name "呋喃丹" is already a name of 克百威; to add to that entry, name it 克百威`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			counties, err := consult.ParseCounties([]byte(tt.data), "counties.yaml")
			if got, want := errString(err), cmpOr(tt.parse, "<nil>"); got != want {
				t.Fatalf("ParseCounties error =\n%s\nwant\n%s", got, want)
			}
			if err != nil {
				return
			}
			_, err = nationalList(t).Merge(counties[0].Pesticides)
			if got := errString(err); got != tt.merge {
				t.Errorf("Merge error =\n%s\nwant\n%s", got, tt.merge)
			}
		})
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
