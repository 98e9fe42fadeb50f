package i18n

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// TestEveryLanguageHasEveryID: a language file that lacks an id would show the Chinese
// text to its readers; one with an id the default lacks has a typo in it.
func TestEveryLanguageHasEveryID(t *testing.T) {
	if len(Langs()) < 2 {
		t.Fatalf("languages %v: want at least zh and en", Langs())
	}
	for _, l := range Langs() {
		if l.Name() == "" {
			t.Errorf("%s.yaml has no %s", l, nameKey)
		}
		for id := range texts[Default] {
			if _, ok := texts[l][id]; !ok {
				t.Errorf("%s.yaml lacks %s", l, id)
			}
		}
		for id := range texts[l] {
			if _, ok := texts[Default][id]; !ok {
				t.Errorf("%s.yaml has %s, which %s.yaml does not", l, id, Default)
			}
		}
	}
}

// verbRe is a fmt verb: %s, %d, %[2]s, %-4d, %.1f; %% is no placeholder.
var verbRe = regexp.MustCompile(`%(?:\[(\d+)\])?[-+# 0]*(?:\d+)?(?:\.\d+)?([a-zA-Z%])`)

// placeholders maps each argument a text uses (1-based, as fmt counts them with explicit
// indexes) to the verbs it is printed with.
func placeholders(s string) map[int]string {
	out := map[int]string{}
	next := 1
	for _, m := range verbRe.FindAllStringSubmatch(s, -1) {
		if m[2] == "%" {
			continue
		}
		n := next
		if m[1] != "" {
			n, _ = strconv.Atoi(m[1])
		}
		out[n] += m[2]
		next = n + 1
	}
	return out
}

// TestPlaceholdersMatch: every translation fills the same arguments, each with the same
// verb, as the Chinese text; only their order may differ.
func TestPlaceholdersMatch(t *testing.T) {
	for id, base := range texts[Default] {
		want := placeholders(base)
		for _, l := range Langs() {
			if got := placeholders(texts[l][id]); !maps.Equal(got, want) {
				t.Errorf("%s in %s.yaml fills %v, %s.yaml fills %v", id, l, got, Default, want)
			}
		}
	}
}

func TestPlaceholdersAreRead(t *testing.T) {
	for _, c := range []struct {
		text string
		want map[int]string
	}{
		{"no verbs, 100%% sure", map[int]string{}},
		{"#%d is %s", map[int]string{1: "d", 2: "s"}},
		{"%[2]s then %[1]d then %s", map[int]string{1: "d", 2: "ss"}},
		{"%-4d%.1f", map[int]string{1: "d", 2: "f"}},
	} {
		if got := placeholders(c.text); !maps.Equal(got, c.want) {
			t.Errorf("placeholders(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

func TestFindReadsCodesAndNames(t *testing.T) {
	for code, want := range map[string]Lang{"en": "en", "en-GB": "en", "EN_us": "en", "zh-hans": "zh", "English": "en", "中文": "zh"} {
		if got, ok := Find(code); !ok || got != want {
			t.Errorf("Find(%q) = %q, %v; want %q", code, got, ok, want)
		}
	}
	for _, code := range []string{"", "fr", "e", "eng"} {
		if got, ok := Find(code); ok || got != Default {
			t.Errorf("Find(%q) = %q, %v; want the default, not found", code, got, ok)
		}
	}
	if Langs()[0] != Default {
		t.Errorf("Langs() = %v: the default first", Langs())
	}
}

// TestAThirdLanguageIsAFile: loading reads whatever files there are, so a language is
// added without a code change; a missing text falls back to the default's.
func TestAThirdLanguageIsAFile(t *testing.T) {
	saved, savedLangs := texts, langs
	t.Cleanup(func() { texts, langs = saved, savedLangs })
	texts, langs = map[Lang]map[string]string{}, nil
	err := load(fstest.MapFS{
		"zh.yaml": {Data: []byte("_name: 中文\nhi: \"你好 %s\"\nbye: 再见\n")},
		"ug.yaml": {Data: []byte("_name: ئۇيغۇرچە\nhi: \"ياخشىمۇسىز %s\"\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	ug, ok := Find("ug")
	if !ok || ug.F("hi", "Ali") != "ياخشىمۇسىز Ali" || ug.T("bye") != "再见" || ug.T("nope") != "nope" {
		t.Errorf("ug: found %v, hi %q, bye %q, nope %q", ok, ug.F("hi", "Ali"), ug.T("bye"), ug.T("nope"))
	}
	if err := load(fstest.MapFS{"zh.yaml": {Data: []byte("hi: [not, text]\n")}}); err == nil {
		t.Error("a file whose text is not a string loaded")
	}
}

// use is an id as the code uses it, with the number of arguments passed to fill it (-1
// when they are passed as a slice).
type use struct {
	id   string
	args int
	at   string
}

// usesIn reads the ids the Go files of dir look up: T("id"), F("id", …), everyLang("id",
// …), tr(lang, "key") (the dashboard's web.* ids), and fmt.Fprintf(w, l.T("id"), …). It
// adds every string literal of the files to literals.
func usesIn(t *testing.T, dir string, literals map[string]bool) []use {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []use
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		formats := map[*ast.CallExpr]int{} // a T call that is a printf format: its arguments
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				literals[s] = true
			}
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "fmt" {
					at := map[string]int{"Sprintf": 0, "Fprintf": 1, "Errorf": 0}
					if i, ok := at[sel.Sel.Name]; ok && len(call.Args) > i {
						if format, ok := call.Args[i].(*ast.CallExpr); ok {
							formats[format] = len(call.Args) - i - 1
						}
					}
				}
			}
			var fn string
			switch x := call.Fun.(type) {
			case *ast.SelectorExpr:
				fn = x.Sel.Name
			case *ast.Ident:
				fn = x.Name
			}
			arg, prefix := 0, ""
			switch fn {
			case "T", "F", "everyLang":
			case "tr":
				arg, prefix = 1, "web."
			default:
				return true
			}
			if len(call.Args) <= arg {
				return true
			}
			lit, ok := call.Args[arg].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			id, _ := strconv.Unquote(lit.Value)
			args := len(call.Args) - arg - 1
			if call.Ellipsis.IsValid() {
				args = -1
			}
			if fn == "T" || fn == "tr" {
				args = formats[call]
			}
			out = append(out, use{prefix + id, args, fset.Position(lit.Pos()).String()})
			return true
		})
	}
	return out
}

// templateIDRe is a dashboard template's {{t .Lang "key"}}.
var templateIDRe = regexp.MustCompile(`\bt \$?\.Lang "([^"]+)"`)

// TestEveryIDTheCodeUsesExistsAndGetsItsArguments: an id missing from the catalog would
// be shown to people as it is, and a text filled with too few or too many arguments
// shows %!s(MISSING) or %!(EXTRA …) — what go vet's printf check caught while the texts
// were in the code.
func TestEveryIDTheCodeUsesExistsAndGetsItsArguments(t *testing.T) {
	var uses []use
	literals := map[string]bool{}
	for _, dir := range []string{"../bot", "../web", "../consult", "../cmd/agriclinic"} {
		uses = append(uses, usesIn(t, dir, literals)...)
	}
	pages, _ := filepath.Glob("../web/templates/*.html")
	for _, p := range pages {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range templateIDRe.FindAllStringSubmatch(string(raw), -1) {
			uses = append(uses, use{"web." + m[1], 0, p})
		}
	}
	if len(uses) < 400 {
		t.Fatalf("found %d uses of the catalog: is the scan still reading the code?", len(uses))
	}
	used := map[string]bool{}
	for _, u := range uses {
		used[u.id] = true
		text, ok := texts[Default][u.id]
		if !ok {
			t.Errorf("%s: %s is not in the catalog", u.at, u.id)
			continue
		}
		if u.args < 0 {
			continue
		}
		if want := len(placeholders(text)); u.args != want {
			t.Errorf("%s: %s is filled with %d arguments, its text has %d", u.at, u.id, u.args, want)
		}
	}
	// The bot's ids are all written out in the code, except those built from a name: a
	// command's menu line and usage, a weekday, the dashboard's statuses.
	built := []string{"cmd.", "date.weekday.", "web."}
	var unused []string
	for id := range texts[Default] {
		if !used[id] && !literals[id] && id != nameKey && !slices.ContainsFunc(built, func(p string) bool { return strings.HasPrefix(id, p) }) {
			unused = append(unused, id)
		}
	}
	slices.Sort(unused)
	if len(unused) > 0 {
		t.Errorf("texts no code uses: %v", unused)
	}
}

// Example: what a caller writes.
func ExampleLang_F() {
	fmt.Println(Lang("en").F("claim.claimed_by", "Li Ming"))
	fmt.Println(Lang("zh").F("claim.claimed_by", "李明"))
	// Output:
	// ✅ Claimed by Li Ming
	// ✅ 已由 李明 认领
}
