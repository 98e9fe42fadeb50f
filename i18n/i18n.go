// Package i18n is the catalog of everything AgriClinic says, in the bot and on the
// dashboard: one file per language (zh.yaml, en.yaml), each mapping a message id to its
// text. A third language is a third file with the same ids; the tests check that every
// file has every id and that each text's placeholders match the Chinese one's.
//
// Texts are fmt formats: F fills their verbs (%s, %d, %[2]s …) with its arguments, so a
// translation may reorder them with explicit indexes. Texts the bot sends are Telegram
// HTML: whatever fills them is escaped by the caller.
//
// A small table of our own rather than golang.org/x/text's catalog or go-i18n: we need
// lookup by id and fmt verbs, nothing more. x/text's catalog is filled from Go code (or
// its gotext generator), so a new language would be a code change; go-i18n brings plural
// rules and template syntax that Chinese does not use and our English texts avoid.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Lang is a language of the catalog, named by its code (the file's name: "zh", "en").
type Lang string

// Default is the language of groups and of people whose language is unknown, and what a
// text missing from another language falls back to.
const Default Lang = "zh"

// nameKey is each file's own name for its language, as /lang and the dashboard show it.
const nameKey = "_name"

//go:embed *.yaml
var files embed.FS

var (
	texts = map[Lang]map[string]string{}
	langs []Lang // Default first, then by code
)

func init() {
	if err := load(files); err != nil {
		// The files are part of the binary and checked by the tests: a malformed one
		// is a build that must not ship.
		panic(err)
	}
}

func load(fsys fs.FS) error {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return err
	}
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		m := map[string]string{}
		if err := yaml.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("i18n: %s: %w", name, err)
		}
		l := Lang(strings.TrimSuffix(name, ".yaml"))
		texts[l] = m
		langs = append(langs, l)
	}
	if texts[Default] == nil {
		return fmt.Errorf("i18n: no %s.yaml", Default)
	}
	slices.SortFunc(langs, func(a, b Lang) int {
		switch {
		case a == b:
			return 0
		case a == Default:
			return -1
		case b == Default:
			return 1
		}
		return strings.Compare(string(a), string(b))
	})
	return nil
}

// Langs is every language of the catalog, Default first.
func Langs() []Lang { return slices.Clone(langs) }

// Find is the catalog's language for a code such as Telegram's language_code ("en-GB"
// is English) or a language's own name ("中文", "English"), case aside.
func Find(code string) (Lang, bool) {
	code = strings.ToLower(strings.TrimSpace(code))
	if code == "" {
		return Default, false
	}
	for _, l := range langs {
		if code == string(l) || strings.HasPrefix(code, string(l)+"-") || strings.HasPrefix(code, string(l)+"_") ||
			code == strings.ToLower(l.Name()) {
			return l, true
		}
	}
	return Default, false
}

// Of is the language for a code, Default when the catalog has none for it.
func Of(code string) Lang {
	l, _ := Find(code)
	return l
}

// Code is the language's code, as stored for a chat.
func (l Lang) Code() string { return string(l) }

// Name is the language's own name for itself.
func (l Lang) Name() string { return texts[l][nameKey] }

// T is the text of a message id. A text missing from the language is the Default's; an
// id missing from the catalog is shown as it is (the tests keep that from shipping).
func (l Lang) T(id string) string {
	if s, ok := texts[l][id]; ok {
		return s
	}
	if s, ok := texts[Default][id]; ok {
		return s
	}
	return id
}

// F is the text of a message id with its placeholders filled.
func (l Lang) F(id string, args ...any) string {
	return fmt.Sprintf(l.T(id), args...)
}

// Has reports whether the catalog has a message id.
func Has(id string) bool {
	_, ok := texts[Default][id]
	return ok
}
