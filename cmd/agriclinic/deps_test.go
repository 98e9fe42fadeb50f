package main

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The production build (-tags nodemo, as the Dockerfile builds it) is the binary that
// serve runs in a container; the fake Telegram, the embedded Redis and the testing
// package have no business in it. Only the demo links them. Each name stands for its
// subpackages too.
var notInProduction = []string{
	"testing",
	"net/http/httptest",
	"github.com/alicebob/miniredis/v2",
	"github.com/agriclinic/agriclinic/bot/telegramtest",
}

// goTool runs the go command in this package's directory and returns its output. go test
// puts its own GOROOT/bin first on PATH, so this is the go that runs the test.
func goTool(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// notAllowed returns the packages of deps that notInProduction names.
func notAllowed(deps []string) []string {
	var found []string
	for _, p := range deps {
		for _, bad := range notInProduction {
			if p == bad || strings.HasPrefix(p, bad+"/") {
				found = append(found, p)
			}
		}
	}
	return found
}

func TestProductionBuildLinksNoTestCodeAndNoDemo(t *testing.T) {
	t.Parallel()
	deps := strings.Fields(goTool(t, "list", "-deps", "-tags", "nodemo", "."))
	if !slices.Contains(deps, "github.com/agriclinic/agriclinic/bot") {
		t.Fatalf("go list -deps -tags nodemo does not list the bot package; is this the right directory?\n%s", strings.Join(deps, "\n"))
	}
	if found := notAllowed(deps); len(found) > 0 {
		t.Errorf("the production build (-tags nodemo) imports %v; only the demo (demo*.go) may", found)
	}
}

func TestDefaultBuildHasTheDemo(t *testing.T) {
	t.Parallel()
	deps := strings.Fields(goTool(t, "list", "-deps", "."))
	for _, want := range []string{"github.com/alicebob/miniredis/v2", "github.com/agriclinic/agriclinic/bot/telegramtest"} {
		if !slices.Contains(deps, want) {
			t.Errorf("the default build does not import %s: `go run ./cmd/agriclinic demo` needs it", want)
		}
	}
	// It links the fake Telegram without the testing package, so the demo carries no
	// test code either.
	if slices.Contains(deps, "testing") {
		t.Errorf("the default build imports testing; bot/telegramtest must take its TB, not testing.TB")
	}
}

// The binary built as the Dockerfile builds it shows the help, names the demo as missing
// rather than calling it unknown, and records neither miniredis nor the tag's absence.
func TestProductionBinaryExplainsTheMissingDemo(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "agriclinic")
	goTool(t, "build", "-tags", "nodemo", "-o", bin, ".")

	help, err := exec.Command(bin, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("agriclinic --help: %v\n%s", err, help)
	}
	for _, want := range []string{"  serve", "  demo      not in this build", "  migrate", "  health", "TELEGRAM_TOKEN"} {
		if !strings.Contains(string(help), want) {
			t.Errorf("--help of the nodemo build does not say %q:\n%s", want, help)
		}
	}

	out, err := exec.Command(bin, "demo").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "not in this build") || !strings.Contains(string(out), "go run ./cmd/agriclinic demo") {
		t.Errorf("agriclinic demo in the nodemo build: err %v, output %q; want a failure that says how to run the demo", err, out)
	}

	info := goTool(t, "version", "-m", bin)
	if !strings.Contains(info, "-tags=nodemo") {
		t.Errorf("go version -m does not show the nodemo tag:\n%s", info)
	}
	if strings.Contains(info, "miniredis") {
		t.Errorf("the nodemo binary carries miniredis:\n%s", info)
	}
}
