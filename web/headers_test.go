package web_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/web"
)

// policy reads a Content-Security-Policy header into its directives.
func policy(header string) map[string][]string {
	out := map[string][]string{}
	for _, d := range strings.Split(header, ";") {
		if f := strings.Fields(d); len(f) > 0 {
			out[strings.ToLower(f[0])] = f[1:]
		}
	}
	return out
}

// checkPageHeaders says what a page of ours lacks: a policy that runs no inline script
// and lets no other site frame it, and no MIME sniffing.
func checkPageHeaders(h http.Header) []string {
	var lacks []string
	csp := policy(h.Get("Content-Security-Policy"))
	scripts, ok := csp["script-src"]
	if !ok {
		scripts, ok = csp["default-src"]
	}
	if !ok {
		lacks = append(lacks, "a script-src (or default-src)")
	}
	for _, s := range scripts {
		if s == "'unsafe-inline'" || s == "'unsafe-eval'" || s == "*" || s == "data:" || strings.HasPrefix(s, "http") {
			lacks = append(lacks, "scripts of this origin only, none inline (has "+s+")")
		}
	}
	if fa := csp["frame-ancestors"]; len(fa) != 1 || fa[0] != "'none'" {
		lacks = append(lacks, "frame-ancestors 'none'")
	}
	if bu := csp["base-uri"]; len(bu) != 1 || bu[0] != "'none'" {
		lacks = append(lacks, "base-uri 'none'")
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		lacks = append(lacks, "X-Content-Type-Options: nosniff")
	}
	return lacks
}

func TestEveryDashboardPageForbidsInlineScriptFramingAndSniffing(t *testing.T) {
	t.Parallel()
	d := newDash(t)
	admin, _ := d.signIn(t, 9001)
	pages := map[string]*http.Client{
		"/login?token=forged": {},
		"/archive":            {},
		"/archive?q=" + url.QueryEscape("稻飞虱"):        admin,
		fmt.Sprintf("/questions/%d", d.ids["hopper"]): admin,
		fmt.Sprintf("/questions/%d", d.ids["meitan"]): admin, // not found
		"/stats":      admin,
		"/experts":    admin,
		"/groups":     admin,
		"/categories": admin,
		"/visits":     admin,
		fmt.Sprintf("/media/%d/0", d.ids["hopper"]): admin, // no such file
		"/export.csv": admin,
		"/stats.csv":  admin,
	}
	for path, c := range pages {
		resp, err := c.Get(d.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if lacks := checkPageHeaders(resp.Header); len(lacks) > 0 {
			t.Errorf("%s (%d) lacks %s; CSP %q", path, resp.StatusCode, strings.Join(lacks, ", "), resp.Header.Get("Content-Security-Policy"))
		}
	}
}

// playChats is a local Telegram of nothing but files, for the playground's pages.
type playChats struct{ files map[string][]byte }

func (playChats) Messages(int64) []tgbotapi.Message            { return nil }
func (playChats) Post(int64, int64, string, []byte, int) error { return nil }
func (playChats) Changed() <-chan struct{}                     { return make(chan struct{}) }
func (p playChats) File(id string) ([]byte, bool)              { b, ok := p.files[id]; return b, ok }
func (playChats) Press(context.Context, int64, int64, int, string) (string, error) {
	return "", nil
}

func TestThePlaygroundServesItsPageAndFilesAsTheDashboardDoes(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	(&web.Play{Chats: playChats{files: map[string][]byte{"photo": pngBytes, "page": htmlBytes}}, GroupTitle: "白泥群",
		People: []web.PlayPerson{{ID: 1, Name: "王大伯", Role: "farmer"}}}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(path string) *http.Response {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get("/play"); resp.StatusCode != http.StatusOK {
		t.Errorf("/play: %d", resp.StatusCode)
	} else if lacks := checkPageHeaders(resp.Header); len(lacks) > 0 {
		t.Errorf("/play lacks %s; CSP %q", strings.Join(lacks, ", "), resp.Header.Get("Content-Security-Policy"))
	}
	for id, want := range map[string]string{"photo": "image/png", "page": "application/octet-stream"} {
		h := get("/play/file/" + id).Header
		if h.Get("Content-Type") != want || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != mediaCSP ||
			(want == "application/octet-stream") != strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
			t.Errorf("/play/file/%s: %v; want %s, nosniff, %q, an attachment unless an image", id, h, want, mediaCSP)
		}
	}
}

// TestTheTemplatesRunNoInlineScript keeps the policy true: every script the pages run is
// a file of ours, never an inline element, handler attribute or javascript: link.
func TestTheTemplatesRunNoInlineScript(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob("templates/*.html")
	if err != nil || len(paths) == 0 {
		t.Fatalf("templates: %v, %v", paths, err)
	}
	script := regexp.MustCompile(`(?is)<script\b([^>]*)>`)
	handler := regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		for _, m := range script.FindAllStringSubmatch(text, -1) {
			if !strings.Contains(m[1], "src=") && !strings.Contains(m[1], `type="application/json"`) {
				t.Errorf("%s: an inline script %s", p, m[0])
			}
		}
		if m := handler.FindString(text); m != "" {
			t.Errorf("%s: an event handler attribute in %s", p, m)
		}
		if strings.Contains(strings.ToLower(text), "javascript:") {
			t.Errorf("%s: a javascript: link", p)
		}
	}
}

func TestAnOversizedFormIsRefusedUnread(t *testing.T) {
	t.Parallel()
	d := newDash(t)
	admin, _ := d.signIn(t, 9001)
	csrf := csrfOf(t, admin, d.srv.URL+"/categories")
	padding := strings.Repeat("稻", 1<<20) // 3 MB
	if code, _ := post(t, admin, d.srv.URL+"/categories/rice/keywords", url.Values{"csrf": {csrf}, "keyword": {"烂秧"}, "pad": {padding}}); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a 3 MB form: %d, want 413", code)
	}
	if _, body := get(t, admin, d.srv.URL+"/categories"); strings.Contains(body, "烂秧") {
		t.Error("the oversized form's keyword was added")
	}
	if code, _ := post(t, admin, d.srv.URL+"/logout", url.Values{"csrf": {csrf}, "pad": {padding}}); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a 3 MB sign-out: %d, want 413", code)
	}
	if code, _ := get(t, admin, d.srv.URL+"/archive"); code != http.StatusOK {
		t.Errorf("after the oversized sign-out: %d, want still signed in", code)
	}
	// An ordinary form still goes through.
	if code, _ := post(t, admin, d.srv.URL+"/categories/rice/keywords", url.Values{"csrf": {csrf}, "keyword": {"烂秧"}}); code != http.StatusOK {
		t.Errorf("adding a keyword: %d", code)
	}
}

// webSources parses the package's own Go files (not its tests).
func webSources(t *testing.T) (*token.FileSet, map[string]*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*ast.File{}
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = f
	}
	return fset, files
}

// TestCSRFTokensAreComparedInConstantTime finds every == or != that touches a CSRF token
// (a field named CSRF, or the form's "csrf" value): a byte-by-byte comparison that stops
// at the first difference tells a patient attacker the token, byte by byte.
func TestCSRFTokensAreComparedInConstantTime(t *testing.T) {
	t.Parallel()
	fset, files := webSources(t)
	touchesCSRF := func(e ast.Expr) bool {
		found := false
		ast.Inspect(e, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SelectorExpr:
				found = found || strings.EqualFold(x.Sel.Name, "csrf")
			case *ast.BasicLit:
				if s, err := strconv.Unquote(x.Value); err == nil && strings.EqualFold(s, "csrf") {
					found = true
				}
			}
			return !found
		})
		return found
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			b, ok := n.(*ast.BinaryExpr)
			if !ok || (b.Op != token.EQL && b.Op != token.NEQ) {
				return true
			}
			// Against a constant (ConstantTimeCompare's 1, an empty check) nothing leaks.
			_, xConst := b.X.(*ast.BasicLit)
			_, yConst := b.Y.(*ast.BasicLit)
			if !xConst && !yConst && (touchesCSRF(b.X) || touchesCSRF(b.Y)) {
				t.Errorf("%s: a CSRF token compared with %s; use crypto/subtle", fset.Position(b.Pos()), b.Op)
			}
			return true
		})
	}
}

// TestEveryCSVGoesThroughTheNeutralisingWriter keeps the one place: no file of the
// package but csv.go writes CSV itself, so an export added later cannot forget.
func TestEveryCSVGoesThroughTheNeutralisingWriter(t *testing.T) {
	t.Parallel()
	_, files := webSources(t)
	for path, f := range files {
		for _, imp := range f.Imports {
			if imp.Path.Value == `"encoding/csv"` && path != "csv.go" {
				t.Errorf("%s imports encoding/csv; write CSV with newCSV (csv.go), which neutralises formulas", path)
			}
		}
	}
}
