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

func TestExampleCountiesParseAsYuqing(t *testing.T) {
	t.Parallel()
	counties, err := consult.ParseCounties(consult.ExampleCounties, "yuqing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(counties), 1; got != want {
		t.Fatalf("counties = %d, want %d", got, want)
	}
	c := counties[0]
	if got, want := c.ID+" "+c.Name+" "+c.Location.String(), "yuqing 余庆县 Asia/Shanghai"; got != want {
		t.Errorf("county = %q, want %q", got, want)
	}
	if got, want := len(c.Townships), 10; got != want {
		t.Errorf("townships = %d, want %d", got, want)
	}
	var ids []string
	for _, cat := range c.Categories {
		ids = append(ids, cat.ID)
		if cat.ID != consult.GeneralID && len(cat.Keywords) == 0 {
			t.Errorf("category %s has no keywords", cat.ID)
		}
	}
	want := "rice prickly_ash tea vegetables fruit livestock plant_protection soil_fertiliser machinery ecommerce general"
	if got := strings.Join(ids, " "); got != want {
		t.Errorf("categories = %s, want %s", got, want)
	}
	if _, ok := c.Category(consult.GeneralID); !ok {
		t.Errorf("no %s category", consult.GeneralID)
	}
}

// validCounty is the smallest good file; the cases below break it one way each.
const validCounty = `counties:
  - id: yuqing
    name: 余庆县
    timezone: Asia/Shanghai
    admins: [1001]
    townships: [白泥镇, 龙溪镇]
    categories:
      - {id: rice, name: 水稻, name_en: Rice, keywords: [水稻, 稻]}
      - {id: general, name: 综合, name_en: General}
`

func TestParseCountiesAcceptsTheSmallestFile(t *testing.T) {
	t.Parallel()
	counties, err := consult.ParseCounties([]byte(validCounty), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := counties[0]
	if got, want := c.Name+" "+strings.Join(c.Townships, ",")+" "+c.Categories[0].NameEn+" "+strings.Join(c.Categories[0].Keywords, ","),
		"余庆县 白泥镇,龙溪镇 Rice 水稻,稻"; got != want {
		t.Errorf("county = %q, want %q", got, want)
	}
}

func TestParseCountiesFollowsAnchorsSharedBetweenCounties(t *testing.T) {
	t.Parallel()
	data := `counties:
  - id: yuqing
    name: 余庆县
    timezone: Asia/Shanghai
    admins: [1001]
    townships: [白泥镇]
    categories: &common
      - {id: tea, name: 茶叶, name_en: Tea, keywords: [茶]}
      - {id: general, name: 综合, name_en: General}
  - id: meitan
    name: 湄潭县
    timezone: Asia/Shanghai
    admins: [1002]
    townships: [湄江镇]
    categories: *common
`
	counties, err := consult.ParseCounties([]byte(data), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := counties[1].Categorize("茶树").ID, "tea"; got != want {
		t.Errorf("meitan routes a tea question to %s, want %s", got, want)
	}
}

func TestParseCountiesNamesFileLineAndField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		want string
	}{
		{
			name: "a category id that is not lower-case ascii",
			data: strings.Replace(validCounty, "{id: rice,", `{id: "Rice!",`, 1),
			want: `test.yaml:8: counties[0].categories[0].id: "Rice!" is not a valid id (use a-z, 0-9, - and _)`,
		},
		{
			name: "a county id longer than 32 characters",
			data: strings.Replace(validCounty, "id: yuqing", "id: "+strings.Repeat("y", 33), 1),
			want: `test.yaml:2: counties[0].id: "` + strings.Repeat("y", 33) + `" is longer than 32 characters`,
		},
		{
			name: "a misspelt time zone",
			data: strings.Replace(validCounty, "Asia/Shanghai", "Asia/Shangai", 1),
			want: `test.yaml:4: counties[0].timezone: unknown time zone "Asia/Shangai"`,
		},
		{
			name: "the host's time zone",
			data: strings.Replace(validCounty, "Asia/Shanghai", "Local", 1),
			want: `test.yaml:4: counties[0].timezone: "Local" is not a time zone name; use an IANA name such as Asia/Shanghai`,
		},
		{
			name: "a county without townships",
			data: strings.Replace(validCounty, "    townships: [白泥镇, 龙溪镇]\n", "", 1),
			want: `test.yaml:2: counties[0]: missing field "townships"`,
		},
		{
			name: "an empty list of townships",
			data: strings.Replace(validCounty, "[白泥镇, 龙溪镇]", "[]", 1),
			want: `test.yaml:6: counties[0].townships: no townships; want at least one`,
		},
		{
			name: "a township listed twice",
			data: strings.Replace(validCounty, "[白泥镇, 龙溪镇]", "[白泥镇, 白泥镇]", 1),
			want: `test.yaml:6: counties[0].townships[1]: township "白泥镇" given twice (first on line 6)`,
		},
		{
			name: "a misspelt field",
			data: `counties:
  - id: yuqing
    name: 余庆县
    timezone: Asia/Shanghai
    admins: [1001]
    townships: [白泥镇]
    categories:
      - id: rice
        name: 水稻
        name_en: Rice
        keyword: [水稻, 稻]
      - {id: general, name: 综合, name_en: General}
`,
			want: `test.yaml:11: counties[0].categories[0]: unknown field "keyword" (want id, name, name_en, keywords)`,
		},
		{
			name: "a misspelt pesticides field",
			data: validCounty + "    pesticide: []\n",
			want: `test.yaml:10: counties[0]: unknown field "pesticide" (want id, name, timezone, admins, seniors, review, townships, categories, pesticides)`,
		},
		{
			name: "pesticides given as fields instead of a list",
			data: validCounty + "    pesticides:\n      name: 百草枯\n",
			want: `test.yaml:11: counties[0].pesticides: want a list of pesticides, got fields`,
		},
		{
			name: "a field given twice",
			data: strings.Replace(validCounty, "    timezone:", "    name: 湄潭县\n    timezone:", 1),
			want: `test.yaml:4: counties[0]: field "name" given twice (first on line 3)`,
		},
		{
			name: "a category without an English name",
			data: strings.Replace(validCounty, " name_en: Rice,", "", 1),
			want: `test.yaml:8: counties[0].categories[0]: missing field "name_en"`,
		},
		{
			name: "an empty county name",
			data: strings.Replace(validCounty, "name: 余庆县", "name: ", 1),
			want: `test.yaml:3: counties[0].name: is empty`,
		},
		{
			name: "two counties with one id",
			data: validCounty + strings.TrimPrefix(validCounty, "counties:\n"),
			want: `test.yaml:10: counties[1].id: county "yuqing" given twice (first on line 2)`,
		},
		{
			name: "two categories with one id",
			data: strings.Replace(validCounty, "{id: general,", "{id: rice,", 1),
			want: "test.yaml:9: counties[0].categories[1].id: category \"rice\" given twice (first on line 8)\n" +
				`test.yaml:7: counties[0].categories: no "general" category; every county needs it for questions that match no keyword`,
		},
		{
			name: "no general category",
			data: strings.Replace(validCounty, "      - {id: general, name: 综合, name_en: General}\n", "", 1),
			want: `test.yaml:7: counties[0].categories: no "general" category; every county needs it for questions that match no keyword`,
		},
		{
			name: "an empty keyword",
			data: strings.Replace(validCounty, "[水稻, 稻]", `[水稻, " "]`, 1),
			want: `test.yaml:8: counties[0].categories[0].keywords[1]: is empty`,
		},
		{
			name: "no admins",
			data: strings.Replace(validCounty, "[1001]", "[]", 1),
			want: `test.yaml:5: counties[0].admins: no admins; want at least one Telegram user id`,
		},
		{
			name: "a group chat id among the admins",
			data: strings.Replace(validCounty, "[1001]", "[1001, -1001234567890]", 1),
			want: `test.yaml:5: counties[0].admins[1]: "-1001234567890" is not a Telegram user id (a positive number; send /whoami to the bot to see yours)`,
		},
		{
			name: "a name among the admins",
			data: strings.Replace(validCounty, "admins: [1001]", "admins:\n      - 1001\n      - 王局长", 1),
			want: `test.yaml:7: counties[0].admins[1]: "王局长" is not a Telegram user id (a positive number; send /whoami to the bot to see yours)`,
		},
		{
			name: "an empty file",
			data: "",
			want: `test.yaml:1: empty file; want "counties:" with at least one county`,
		},
		{
			name: "a file of comments only",
			data: "# counties to come\n",
			want: `test.yaml:1: empty file; want "counties:" with at least one county`,
		},
		{
			name: "no counties",
			data: "counties: []\n",
			want: `test.yaml:1: counties: no counties; want at least one`,
		},
		{
			name: "counties given as fields instead of a list",
			data: "counties:\n  id: yuqing\n",
			want: `test.yaml:2: counties: want a list of counties, got fields`,
		},
		{
			name: "a misspelt top-level field",
			data: "county:\n  - id: yuqing\n",
			want: "test.yaml:1: unknown field \"county\" (want counties)\n" +
				`test.yaml:1: missing field "counties"`,
		},
		{
			name: "a YAML syntax error",
			data: strings.Replace(validCounty, "name: 余庆县", "name: 余庆县: 白泥镇", 1),
			want: `test.yaml:3: mapping values are not allowed in this context`,
		},
		{
			name: "several mistakes at once",
			data: strings.NewReplacer("Asia/Shanghai", "Asia/Shangai", "[1001]", "[]", "{id: rice,", "{id: Rice,").Replace(validCounty),
			want: "test.yaml:4: counties[0].timezone: unknown time zone \"Asia/Shangai\"\n" +
				"test.yaml:5: counties[0].admins: no admins; want at least one Telegram user id\n" +
				`test.yaml:8: counties[0].categories[0].id: "Rice" is not a valid id (use a-z, 0-9, - and _)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := consult.ParseCounties([]byte(tt.data), "test.yaml")
			if got := errString(err); got != tt.want {
				t.Errorf("error =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestLoadCountiesNamesThePathInProblems(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "counties.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(validCounty, "Asia/Shanghai", "Asia/Shangai", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := consult.LoadCounties(path)
	if got, want := errString(err), path+`:4: counties[0].timezone: unknown time zone "Asia/Shangai"`; got != want {
		t.Errorf("error = %s, want %s", got, want)
	}
}

func TestLoadCountiesReportsAMissingFile(t *testing.T) {
	t.Parallel()
	_, err := consult.LoadCounties(filepath.Join(t.TempDir(), "nope.yaml"))
	if got, want := errors.Is(err, fs.ErrNotExist), true; got != want {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = %v, want %v", err, got, want)
	}
}

func TestLoadCountiesReadsAGoodFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "counties.yaml")
	if err := os.WriteFile(path, []byte(validCounty), 0o600); err != nil {
		t.Fatal(err)
	}
	counties, err := consult.LoadCounties(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := counties[0].ID, "yuqing"; got != want {
		t.Errorf("county = %s, want %s", got, want)
	}
}

func example(t *testing.T) *consult.County {
	t.Helper()
	counties, err := consult.ParseCounties(consult.ExampleCounties, "yuqing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return &counties[0]
}

func TestCountyFindCategoryByIDOrEitherName(t *testing.T) {
	t.Parallel()
	c := example(t)
	tests := []struct {
		input string
		want  string // "" when nothing should be found
	}{
		{"rice", "rice"},
		{"RICE", "rice"},
		{"水稻", "rice"},
		{" 水稻\n", "rice"},
		{"prickly ash", "prickly_ash"},
		{"Soil and Fertiliser", "soil_fertiliser"},
		{"电商", "ecommerce"},
		{"稻", ""},
		{"香蕉", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got := ""
		if cat, ok := c.FindCategory(tt.input); ok {
			got = cat.ID
		}
		if got != tt.want {
			t.Errorf("FindCategory(%q) = %q, want %q", tt.input, got, tt.want)
		}
	}
}

func TestCountyCategoryMatchesTheExactID(t *testing.T) {
	t.Parallel()
	c := example(t)
	tests := []struct {
		id   string
		want bool
	}{
		{"tea", true},
		{"Tea", false},
		{"茶叶", false},
	}
	for _, tt := range tests {
		if _, got := c.Category(tt.id); got != tt.want {
			t.Errorf("Category(%q) found = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestCountyKnowsItsAdminsAndTownships(t *testing.T) {
	t.Parallel()
	counties, err := consult.ParseCounties([]byte(validCounty), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := &counties[0]
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"the listed admin", c.IsAdmin(1001), true},
		{"someone else", c.IsAdmin(1002), false},
		{"a listed township", c.HasTownship("龙溪镇"), true},
		{"a listed township with spaces", c.HasTownship(" 龙溪镇 "), true},
		{"a township of another county", c.HasTownship("湄江镇"), false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestCategoryLabelIsChineseUnlessEnglishIsAsked(t *testing.T) {
	t.Parallel()
	cat := consult.Category{ID: "rice", Name: "水稻", NameEn: "Rice"}
	tests := []struct {
		lang string
		want string
	}{
		{"zh", "水稻"},
		{"", "水稻"},
		{"zh-hans", "水稻"},
		{"en", "Rice"},
		{"en-GB", "Rice"},
		{"ru", "水稻"},
	}
	for _, tt := range tests {
		if got := cat.Label(tt.lang); got != tt.want {
			t.Errorf("Label(%q) = %q, want %q", tt.lang, got, tt.want)
		}
	}
}
