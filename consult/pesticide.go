package consult

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The pesticide check: an expert's answer is read for the pesticides it names, against
// the national list of banned and restricted ones (pesticides.yaml, built in) and the
// county's own entries (the county file's pesticides:). It lives here, beside the county
// file it extends, because the two files share one parser and one way of naming a line;
// the matcher itself (pesticide_match.go) needs nothing else of this package, and nothing
// of the store.

// NationalPesticides is the shipped national list of banned and restricted pesticides
// (pesticides.yaml). Parse it with ParsePesticides, and add a county's entries with
// PesticideList.Merge.
//
//go:embed pesticides.yaml
var NationalPesticides []byte

// The statuses of a rule.
const (
	PesticideBanned     = "banned"     // 禁用: on anything
	PesticideRestricted = "restricted" // 限用: not on the rule's crops
)

// PesticideAnyCrop, among a rule's crops, makes it hold for every question, whatever its
// crop (氟虫腈: only as a seed coating).
const PesticideAnyCrop = "所有作物"

// pesticideChina is the clock of the notices' dates: a rule is in force from 00:00 in
// China on its day. A fixed zone, so that the check needs no time zone database.
var pesticideChina = time.FixedZone("UTC+8", 8*60*60)

// Pesticide is one entry of the list: a pesticide, its names, and the rules on it.
type Pesticide struct {
	Name    string   // common name (通用名), as the notices write it
	Aliases []string // other names, looked for wherever they appear
	Codes   []string // code numbers and everyday words, counted only where they stand as a pesticide
	// Rules: the entry's own rule first, then its earlier restrictions, then any a county
	// added. Restrictions in force add up; a ban in force overrides them all.
	Rules []PesticideRule

	where string // "file:line: path" of the entry, for messages
}

// PesticideRule is one notice's rule on a pesticide.
type PesticideRule struct {
	Status string    // PesticideBanned or PesticideRestricted
	On     []string  // restricted: crop classes or crop words, or PesticideAnyCrop
	Notice string    // e.g. 农业部公告第199号
	Since  time.Time // in force from this day, 00:00 China time
	Note   string    // what the rule allows or what to check; may be empty

	onWhere []string // "file:line: path" of each word of On, for messages
}

// InForce reports whether the rule holds at t. The zero time means the latest list, in
// which every rule holds.
func (r PesticideRule) InForce(t time.Time) bool { return t.IsZero() || !t.Before(r.Since) }

// PesticideList is a checked list: entries, crop classes, and the matcher built on them.
// It is read-only once made, and safe for concurrent use.
type PesticideList struct {
	entries []Pesticide
	crops   []cropClass
	m       *pesticideMatcher
}

// cropClass is a class of crop words (蔬菜: 白菜, 甘蓝…), with its words' own classes
// expanded into it.
type cropClass struct {
	name  string
	words []string // as written, the class's own first
	where string   // "file:line: path"
}

// Entries returns the list's entries in file order (a county's new ones last).
func (l *PesticideList) Entries() []Pesticide { return l.entries }

// Lookup returns the entry with this name (or alias or code), as the matcher reads names.
func (l *PesticideList) Lookup(name string) (*Pesticide, bool) {
	i, ok := l.m.byName[string(foldPesticide(name))]
	if !ok {
		return nil, false
	}
	return &l.entries[i], true
}

// Words returns every name, alias and code of the list as the matcher reads them
// (FoldPesticideText): for tools and the benchmark.
func (l *PesticideList) Words() []string {
	out := make([]string, len(l.m.namePats))
	for i, p := range l.m.namePats {
		out[i] = p.word
	}
	return out
}

// LoadPesticides reads and parses a list of pesticides in the shape of pesticides.yaml.
func LoadPesticides(path string) (*PesticideList, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read pesticide list: %w", err)
	}
	return ParsePesticides(data, path)
}

// ParsePesticides parses a list of pesticides in the shape of pesticides.yaml; name is the
// file name used in messages. Like ParseCounties, it reports every problem found, each as
// "name:line: field.path: what is wrong", joined with errors.Join.
func ParsePesticides(data []byte, name string) (*PesticideList, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(name, err)
	}
	p := &parser{file: name}
	l := p.pesticideDocument(&doc)
	if err := errors.Join(p.errs...); err != nil {
		return nil, err
	}
	return l, nil
}

// Merge returns the list with a county's entries (County.Pesticides) added. An entry
// whose name is a name of the list extends that entry: its aliases and codes are added,
// and its rules are added to the entry's, so that a county can make an entry stricter or
// add a newer notice, never lift a ban (a ban in force overrides every restriction). An
// entry with a new name is added at the end. A county entry's alias that is a name of
// another entry, or a name that is an alias of one, is a mistake, reported with the
// county file's line, as are crops the list does not know.
func (l *PesticideList) Merge(local []Pesticide) (*PesticideList, error) {
	if len(local) == 0 {
		return l, nil
	}
	entries := make([]Pesticide, len(l.entries), len(l.entries)+len(local))
	for i, e := range l.entries {
		e.Aliases, e.Codes, e.Rules = slices.Clone(e.Aliases), slices.Clone(e.Codes), slices.Clone(e.Rules)
		entries[i] = e
	}
	owner := map[string]int{} // folded name → entry
	for i, e := range entries {
		for _, n := range e.allNames() {
			owner[string(foldPesticide(n))] = i
		}
	}
	var errs []error
	for _, e := range local {
		target, extends := -1, false
		if i, ok := owner[string(foldPesticide(e.Name))]; ok {
			if string(foldPesticide(entries[i].Name)) != string(foldPesticide(e.Name)) {
				errs = append(errs, fmt.Errorf("%s: name %q is already a name of %s; to add to that entry, name it %s", e.where, e.Name, entries[i].Name, entries[i].Name))
				continue
			}
			target, extends = i, true
		}
		if !extends {
			target = len(entries)
			entries = append(entries, Pesticide{Name: e.Name, where: e.where})
		}
		t := &entries[target]
		for _, group := range []struct {
			names []string
			into  *[]string
			what  string
		}{{e.Aliases, &t.Aliases, "alias"}, {e.Codes, &t.Codes, "code"}} {
			for _, n := range group.names {
				k := string(foldPesticide(n))
				switch i, ok := owner[k]; {
				case ok && i == target:
					// already a name of the entry it extends
				case ok:
					errs = append(errs, fmt.Errorf("%s: %s %q of %s is already a name of %s", e.where, group.what, n, e.Name, entries[i].Name))
				default:
					owner[k] = target
					*group.into = append(*group.into, n)
				}
			}
		}
		if !extends {
			owner[string(foldPesticide(e.Name))] = target
		}
		t.Rules = append(t.Rules, e.Rules...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out, err := compilePesticides(entries, l.crops)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// allNames is the entry's name, aliases and codes.
func (e *Pesticide) allNames() []string {
	return append(append([]string{e.Name}, e.Aliases...), e.Codes...)
}

// pesticideDocument parses the national list: crops: and pesticides:.
func (p *parser) pesticideDocument(doc *yaml.Node) *PesticideList {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		line := max(doc.Line, 1)
		p.errs = append(p.errs, fmt.Errorf(`%s:%d: empty file; want "crops:" and "pesticides:"`, p.file, line))
		return nil
	}
	root := resolve(doc.Content[0])
	f, ok := p.fields(root, "", "crops", "pesticides")
	if !ok {
		return nil
	}
	var crops []cropClass
	if fd, ok := p.need(f, root, "", "crops"); ok {
		crops = p.cropClasses(fd, "crops")
	}
	var entries []Pesticide
	if fd, ok := p.need(f, root, "", "pesticides"); ok {
		entries = p.pesticides(fd, "pesticides")
		if len(entries) == 0 && !isNull(fd.val) && fd.val.Kind == yaml.SequenceNode {
			p.errorf(fd.key, "pesticides", "no pesticides; want at least one")
		}
	}
	if len(p.errs) > 0 {
		// The crops named by rules are checked all the same, so that one run reports
		// every mistake.
		if _, errs := pesticideCropSets(entries, crops); len(errs) > 0 {
			p.errs = append(p.errs, errs...)
		}
		return nil
	}
	l, err := compilePesticides(entries, crops)
	if err != nil {
		p.errs = append(p.errs, err)
		return nil
	}
	return l
}

// cropClasses parses crops: a mapping of class names to their words.
func (p *parser) cropClasses(fd field, path string) []cropClass {
	n := fd.val
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		p.errorf(fd.key, path, "want crop classes (蔬菜: [白菜, 甘蓝…]), got %s", describe(n))
		return nil
	}
	var out []cropClass
	lines := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		name, ok := p.text(k, path)
		if !ok {
			continue
		}
		cpath := path + "." + name
		key := string(foldPesticide(name))
		switch {
		case key == "":
			p.errorf(k, path, "a crop class with no name")
			continue
		case name == PesticideAnyCrop:
			p.errorf(k, cpath, "%s means every crop; it needs no class", PesticideAnyCrop)
			continue
		case lines[key] != 0:
			p.errorf(k, cpath, "crop class %q given twice (first on line %d)", name, lines[key])
			continue
		}
		lines[key] = k.Line
		c := cropClass{name: name, words: []string{name}, where: fmt.Sprintf("%s:%d: %s", p.file, k.Line, cpath)}
		items, ok := p.list(field{k, v}, cpath, "crop words")
		if !ok {
			continue
		}
		seen := map[string]int{key: -1} // folded word → its line; -1 for the class's own name
		for j, w := range items {
			wpath := fmt.Sprintf("%s[%d]", cpath, j)
			s, ok := p.text(w, wpath)
			if !ok {
				continue
			}
			wk := string(foldPesticide(s))
			switch {
			case wk == "":
				p.errorf(w, wpath, "is empty")
			case !p.pesticideWordFits(w, wpath, s, 1):
			case seen[wk] == -1: // the class's own name: it is there already
			case seen[wk] != 0:
				p.errorf(w, wpath, "crop word %q given twice in %s (first on line %d)", s, name, seen[wk])
			default:
				seen[wk] = w.Line
				c.words = append(c.words, s)
			}
		}
		out = append(out, c)
	}
	return out
}

// pesticides parses a list of entries: the national list's, or a county's.
func (p *parser) pesticides(fd field, path string) []Pesticide {
	items, ok := p.list(fd, path, "pesticides")
	if !ok {
		return nil
	}
	var out []Pesticide
	type first struct {
		line  int
		entry string
	}
	names := map[string]first{} // folded name, alias or code → where it was first given
	for i, n := range items {
		epath := fmt.Sprintf("%s[%d]", path, i)
		e, nodes := p.pesticide(n, epath)
		for _, nn := range nodes {
			k := string(foldPesticide(nn.text))
			if k == "" {
				continue
			}
			if f, dup := names[k]; dup {
				if f.entry == e.Name {
					p.errorf(nn.node, nn.path, "%q given twice (first on line %d)", nn.text, f.line)
				} else {
					p.errorf(nn.node, nn.path, "%q is already a name of %s (line %d)", nn.text, f.entry, f.line)
				}
				continue
			}
			names[k] = first{nn.node.Line, e.Name}
		}
		if e.Name != "" {
			out = append(out, e)
		}
	}
	return out
}

// pesticideName is a name, alias or code as written, for duplicate reports.
type pesticideName struct {
	text string
	node *yaml.Node
	path string
}

// pesticide parses one entry and returns its names' nodes, for duplicate reports.
func (p *parser) pesticide(n *yaml.Node, path string) (Pesticide, []pesticideName) {
	var e Pesticide
	f, ok := p.fields(n, path, "name", "aliases", "codes", "status", "on", "notice", "since", "note", "earlier")
	if !ok {
		return e, nil
	}
	e.where = fmt.Sprintf("%s:%d: %s", p.file, n.Line, path)
	var names []pesticideName
	var name string
	if fd, ok := p.need(f, n, path, "name"); ok {
		if s := p.name(fd, path+".name"); s != "" && p.pesticideWordFits(fd.val, path+".name", s, 2) {
			name = s
			names = append(names, pesticideName{s, fd.val, path + ".name"})
		}
	}
	for _, key := range []string{"aliases", "codes"} {
		fd, ok := f[key]
		if !ok || isNull(fd.val) {
			continue
		}
		items, _ := p.list(fd, path+"."+key, key)
		for i, an := range items {
			apath := fmt.Sprintf("%s.%s[%d]", path, key, i)
			s, ok := p.text(an, apath)
			switch {
			case !ok:
			case s == "":
				p.errorf(an, apath, "is empty")
			case !p.pesticideWordFits(an, apath, s, 2):
			case key == "aliases" && allASCIIDigits(string(foldPesticide(s))):
				p.errorf(an, apath, "%q is a number: put it under codes, so that it counts only where it stands as a pesticide (not in 1605亩)", s)
			default:
				names = append(names, pesticideName{s, an, apath})
				if key == "aliases" {
					e.Aliases = append(e.Aliases, s)
				} else {
					e.Codes = append(e.Codes, s)
				}
			}
		}
	}

	rule := PesticideRule{}
	if fd, ok := p.need(f, n, path, "status"); ok {
		s, _ := p.text(fd.val, path+".status")
		switch s {
		case PesticideBanned, PesticideRestricted:
			rule.Status = s
		case "":
			p.errorf(fd.key, path+".status", "is empty (want banned or restricted)")
		default:
			p.errorf(fd.val, path+".status", "%q is not a status (want banned or restricted)", s)
		}
	}
	p.ruleBody(f, n, path, &rule)
	switch fd, has := f["on"]; {
	case rule.Status == PesticideBanned && has:
		p.errorf(fd.key, path+".on", "a ban holds on every crop; on is for restricted")
	case rule.Status == PesticideRestricted && !has:
		p.errorf(n, path, `missing field "on" (the crops it is restricted on)`)
	}
	e.Rules = append(e.Rules, rule)

	if fd, ok := f["earlier"]; ok && !isNull(fd.val) {
		items, _ := p.list(fd, path+".earlier", "earlier rules")
		for i, en := range items {
			rpath := fmt.Sprintf("%s.earlier[%d]", path, i)
			rf, ok := p.fields(en, rpath, "on", "notice", "since", "note")
			if !ok {
				continue
			}
			r := PesticideRule{Status: PesticideRestricted}
			p.ruleBody(rf, en, rpath, &r)
			if _, has := rf["on"]; !has {
				p.errorf(en, rpath, `missing field "on" (the crops it was restricted on)`)
			}
			if !r.Since.IsZero() && !rule.Since.IsZero() && r.Since.After(rule.Since) {
				p.errorf(rf["since"].val, rpath+".since", "%s is after the entry's own rule (%s): the entry's rule is the latest, earlier ones come before it",
					r.Since.Format(time.DateOnly), rule.Since.Format(time.DateOnly))
			}
			e.Rules = append(e.Rules, r)
		}
	}
	e.Name = name
	return e, names
}

// ruleBody parses what every rule has: on, notice, since and note.
func (p *parser) ruleBody(f map[string]field, n *yaml.Node, path string, r *PesticideRule) {
	if fd, ok := f["on"]; ok {
		items, ok := p.list(fd, path+".on", "crops")
		if ok && len(items) == 0 {
			p.errorf(fd.key, path+".on", "no crops; want at least one (or %s)", PesticideAnyCrop)
		}
		for i, cn := range items {
			cpath := fmt.Sprintf("%s.on[%d]", path, i)
			s, ok := p.text(cn, cpath)
			switch {
			case !ok:
			case s == "":
				p.errorf(cn, cpath, "is empty")
			default:
				r.On = append(r.On, s)
				r.onWhere = append(r.onWhere, fmt.Sprintf("%s:%d: %s", p.file, cn.Line, cpath))
			}
		}
	}
	if fd, ok := p.need(f, n, path, "notice"); ok {
		r.Notice = p.name(fd, path+".notice")
	}
	if fd, ok := p.need(f, n, path, "since"); ok {
		s, ok := p.text(fd.val, path+".since")
		switch t, err := time.ParseInLocation(time.DateOnly, s, pesticideChina); {
		case !ok:
		case s == "":
			p.errorf(fd.key, path+".since", "is empty (want the day it is in force from, as 2002-06-05)")
		case err != nil:
			p.errorf(fd.val, path+".since", "%q is not a date (want the day it is in force from, as 2002-06-05)", s)
		default:
			r.Since = t
		}
	}
	if fd, ok := f["note"]; ok {
		r.Note, _ = p.text(fd.val, path+".note")
	}
}

// pesticideWordFits reports whether a name or crop word can be looked for: at least min
// characters once folded (a one-character name would be found everywhere), at most
// pesticideMaxRunes, and no character beyond the matcher's table.
func (p *parser) pesticideWordFits(n *yaml.Node, path, s string, min int) bool {
	k := foldPesticide(s)
	switch {
	case len(k) < min:
		p.errorf(n, path, "%q is too short to look for (want at least %d characters, spaces and dashes left out)", s, min)
		return false
	case len(k) > pesticideMaxRunes:
		p.errorf(n, path, "%q is longer than %d characters", s, pesticideMaxRunes)
		return false
	}
	for _, r := range k {
		if r > 0xffff || r == utf8.RuneError || !unicode.IsGraphic(r) {
			p.errorf(n, path, "%q has a character the matcher cannot look for (%U)", s, r)
			return false
		}
	}
	return true
}

func allASCIIDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// resolveCrops expands classes named inside other classes, reporting loops, and returns
// every class's words (folded, unique) by class key.
func resolveCrops(crops []cropClass) (map[string][]string, []error) {
	byKey := map[string]int{}
	for i, c := range crops {
		byKey[string(foldPesticide(c.name))] = i
	}
	out := map[string][]string{}
	var errs []error
	state := make([]int, len(crops)) // 0 new, 1 expanding, 2 done
	var expand func(i int, chain []string) []string
	expand = func(i int, chain []string) []string {
		key := string(foldPesticide(crops[i].name))
		switch state[i] {
		case 2:
			return out[key]
		case 1:
			errs = append(errs, fmt.Errorf("%s: crop class %s includes itself (%s)", crops[i].where, crops[i].name, strings.Join(append(chain, crops[i].name), " → ")))
			return nil
		}
		state[i] = 1
		seen := map[string]bool{}
		var words []string
		add := func(w string) {
			if !seen[w] {
				seen[w] = true
				words = append(words, w)
			}
		}
		for _, w := range crops[i].words {
			k := string(foldPesticide(w))
			add(k)
			if j, ok := byKey[k]; ok && j != i {
				for _, sub := range expand(j, append(chain, crops[i].name)) {
					add(sub)
				}
			}
		}
		state[i] = 2
		out[key] = words
		return words
	}
	for i := range crops {
		expand(i, nil)
	}
	return out, errs
}
