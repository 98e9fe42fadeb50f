package consult

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// GeneralID is the id of the category every county must have: questions that match no
// keyword go there, so none is left without an expert to see it.
const GeneralID = "general"

// County is one county bureau's configuration, loaded from the county file.
type County struct {
	ID         string         // short ascii id, [a-z0-9_-]{1,32}
	Name       string         // e.g. 余庆县
	Timezone   string         // IANA name
	Location   *time.Location // loaded from Timezone
	Admins     []int64        // Telegram user ids of the bureau's admins (at least one)
	Townships  []string       // at least one, unique
	Categories []Category     // at least one, ids unique, GeneralID among them; file order breaks routing ties
	// Pesticides are the county's own entries for the pesticide check (pesticides:, in the
	// shape of pesticides.yaml; optional): local bans, or a newer notice before the shipped
	// list has it. PesticideList.Merge adds them to the national list.
	Pesticides []Pesticide
	// Seniors decide the answers held for senior review (复核); admins count as seniors.
	Seniors []int64
	// Review is the review mode (ReviewOff…ReviewAll) by category id; "" is the county's
	// default. Empty: ReviewFlagged everywhere.
	Review map[string]string
}

// IsSenior reports whether the user may decide the county's held answers: a senior or
// an admin.
func (c *County) IsSenior(userID int64) bool {
	return c.IsAdmin(userID) || slices.Contains(c.Seniors, userID)
}

// SeniorIDs are the county's seniors and then its admins, each once.
func (c *County) SeniorIDs() []int64 {
	out := slices.Clone(c.Seniors)
	for _, id := range c.Admins {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// ReviewMode is the review mode of a category's answers.
func (c *County) ReviewMode(category string) string {
	if m, ok := c.Review[category]; ok {
		return m
	}
	if m, ok := c.Review[""]; ok {
		return m
	}
	return ReviewFlagged
}

// Category is a field of expertise questions are routed to.
type Category struct {
	ID       string   // [a-z0-9_-]{1,32}
	Name     string   // Chinese name
	NameEn   string   // English name
	Keywords []string // words that route a question here; see County.Categorize
}

// ExampleCounties is the shipped county file for Yuqing County (yuqing.yaml). The bot runs
// on it when AGRICLINIC_COUNTIES is unset, and a bureau copies it to start its own.
//
//go:embed yuqing.yaml
var ExampleCounties []byte

// IsAdmin reports whether the user is one of the county bureau's admins.
func (c *County) IsAdmin(userID int64) bool { return slices.Contains(c.Admins, userID) }

// Category returns the county's category with exactly this id.
func (c *County) Category(id string) (*Category, bool) {
	for i := range c.Categories {
		if c.Categories[i].ID == id {
			return &c.Categories[i], true
		}
	}
	return nil, false
}

// FindCategory returns the category a person named, by id, Chinese or English name,
// ignoring case and surrounding space: people type "Rice", "rice" or "水稻" alike.
func (c *County) FindCategory(s string) (*Category, bool) {
	s = strings.TrimSpace(s)
	for i := range c.Categories {
		cat := &c.Categories[i]
		if strings.EqualFold(s, cat.ID) || strings.EqualFold(s, cat.Name) || strings.EqualFold(s, cat.NameEn) {
			return cat, true
		}
	}
	return nil, false
}

// HasTownship reports whether the county has the named township.
func (c *County) HasTownship(name string) bool {
	return slices.Contains(c.Townships, strings.TrimSpace(name))
}

// Label is the category's name in a language: English for "en" and its regional forms
// ("en-GB"), Chinese for anything else, because most of the clinic's people read Chinese.
func (c Category) Label(lang string) string {
	if (lang == "en" || strings.HasPrefix(lang, "en-")) && c.NameEn != "" {
		return c.NameEn
	}
	return c.Name
}

// LoadCounties reads and parses the county file at path.
func LoadCounties(path string) ([]County, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read county file: %w", err)
	}
	return ParseCounties(data, path)
}

// ParseCounties parses a county file; name is the file name used in error messages.
//
// A bad file must stop start-up with something a bureau clerk can fix in one go, so every
// problem found is reported, joined with errors.Join, each on its own line in the form
// "name:line: field.path: what is wrong". A YAML syntax error stops parsing and is the
// only problem reported.
func ParseCounties(data []byte, name string) ([]County, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(name, err)
	}
	p := &parser{file: name}
	counties := p.document(&doc)
	if err := errors.Join(p.errs...); err != nil {
		return nil, err
	}
	return counties, nil
}

// syntaxError rewrites yaml's "yaml: line 3: msg" into the "name:3: msg" form every other
// problem of the file has, so a clerk reads one kind of message and an editor can jump to
// it. The rewritten error does not wrap yaml's: its text is all yaml's error carries. yaml
// leaves the line out of a few errors; those keep only the file name, and yaml's error.
func syntaxError(name string, err error) error {
	rest, ok := strings.CutPrefix(err.Error(), "yaml: line ")
	if line, msg, found := strings.Cut(rest, ": "); ok && found {
		if _, err := strconv.Atoi(line); err == nil {
			return fmt.Errorf("%s:%s: %s", name, line, msg)
		}
	}
	return fmt.Errorf("%s: %w", name, err)
}

// parser walks the yaml.Node tree rather than decoding into structs, because only the
// nodes know their lines, and a message without a line sends a clerk hunting.
type parser struct {
	file string
	errs []error
}

func (p *parser) errorf(n *yaml.Node, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	p.errs = append(p.errs, fmt.Errorf("%s:%d: %s", p.file, n.Line, msg))
}

// field is a mapping entry: its key for where the field is, its value for what it holds.
type field struct{ key, val *yaml.Node }

// fields returns a mapping's entries by key, reporting keys not in known (typos such as
// "keyword:") and keys given twice, which YAML itself lets pass with the last one winning.
func (p *parser) fields(n *yaml.Node, path string, known ...string) (map[string]field, bool) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "want fields (%s), got %s", strings.Join(known, ", "), describe(n))
		return nil, false
	}
	f := make(map[string]field, len(known))
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		switch first, dup := f[k.Value]; {
		case !slices.Contains(known, k.Value):
			p.errorf(k, path, "unknown field %q (want %s)", k.Value, strings.Join(known, ", "))
		case dup:
			p.errorf(k, path, "field %q given twice (first on line %d)", k.Value, first.key.Line)
		default:
			f[k.Value] = field{k, v}
		}
	}
	return f, true
}

// need returns a required field, reporting it on the mapping's line when it is absent.
func (p *parser) need(f map[string]field, n *yaml.Node, path, key string) (field, bool) {
	v, ok := f[key]
	if !ok {
		p.errorf(n, path, "missing field %q", key)
	}
	return v, ok
}

// list returns a sequence's items; an empty list in a field that needs items is reported
// on the field's key, where the clerk will look.
func (p *parser) list(fd field, path, what string) ([]*yaml.Node, bool) {
	n := fd.val
	if isNull(n) {
		p.errorf(fd.key, path, "no %s; want at least one", what)
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, path, "want a list of %s, got %s", what, describe(n))
		return nil, false
	}
	items := make([]*yaml.Node, len(n.Content))
	for i, item := range n.Content {
		items[i] = resolve(item)
	}
	return items, true
}

// text returns a scalar as a string; "" when it is null, so the caller says it is empty.
func (p *parser) text(n *yaml.Node, path string) (string, bool) {
	if isNull(n) {
		return "", true
	}
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, path, "want a text, got %s", describe(n))
		return "", false
	}
	return strings.TrimSpace(n.Value), true
}

// name returns a required, non-empty text.
func (p *parser) name(fd field, path string) string {
	s, ok := p.text(fd.val, path)
	if ok && s == "" {
		p.errorf(fd.key, path, "is empty")
	}
	return s
}

// id returns a valid id, or "" after reporting why it is not one. Ids go into commands,
// callback data and Redis keys, so they are kept short and plain; they are not trimmed,
// because a quoted " rice" is a typo to report, not to guess at.
func (p *parser) id(fd field, path string) string {
	_, ok := p.text(fd.val, path)
	switch {
	case !ok:
		return ""
	case isNull(fd.val) || fd.val.Value == "":
		p.errorf(fd.key, path, "is empty")
		return ""
	case len(fd.val.Value) > 32:
		p.errorf(fd.val, path, "%q is longer than 32 characters", fd.val.Value)
		return ""
	case !validID(fd.val.Value):
		p.errorf(fd.val, path, "%q is not a valid id (use a-z, 0-9, - and _)", fd.val.Value)
		return ""
	}
	return fd.val.Value
}

func validID(s string) bool {
	for _, r := range s {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return s != ""
}

func (p *parser) document(doc *yaml.Node) []County {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		line := max(doc.Line, 1)
		p.errs = append(p.errs, fmt.Errorf(`%s:%d: empty file; want "counties:" with at least one county`, p.file, line))
		return nil
	}
	root := resolve(doc.Content[0])
	f, ok := p.fields(root, "", "counties")
	if !ok {
		return nil
	}
	fd, ok := p.need(f, root, "", "counties")
	if !ok {
		return nil
	}
	items, ok := p.list(fd, "counties", "counties")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.errorf(fd.key, "counties", "no counties; want at least one")
	}
	counties := make([]County, 0, len(items))
	ids := map[string]int{} // county id → its line, to point at the first of two
	for i, item := range items {
		path := fmt.Sprintf("counties[%d]", i)
		c, idNode := p.county(item, path)
		if c.ID != "" {
			if line, dup := ids[c.ID]; dup {
				p.errorf(idNode, path+".id", "county %q given twice (first on line %d)", c.ID, line)
			} else {
				ids[c.ID] = idNode.Line
			}
		}
		counties = append(counties, c)
	}
	return counties
}

// county parses one county and returns the node of its id for duplicate reports.
func (p *parser) county(n *yaml.Node, path string) (County, *yaml.Node) {
	var c County
	f, ok := p.fields(n, path, "id", "name", "timezone", "admins", "seniors", "review", "townships", "categories", "pesticides")
	if !ok {
		return c, nil
	}
	var idNode *yaml.Node
	if fd, ok := p.need(f, n, path, "id"); ok {
		c.ID, idNode = p.id(fd, path+".id"), fd.val
	}
	if fd, ok := p.need(f, n, path, "name"); ok {
		c.Name = p.name(fd, path+".name")
	}
	if fd, ok := p.need(f, n, path, "timezone"); ok {
		c.Timezone, c.Location = p.timezone(fd, path+".timezone")
	}
	if fd, ok := p.need(f, n, path, "admins"); ok {
		c.Admins = p.admins(fd, path+".admins")
	}
	if fd, ok := p.need(f, n, path, "townships"); ok {
		c.Townships = p.townships(fd, path+".townships")
	}
	if fd, ok := p.need(f, n, path, "categories"); ok {
		c.Categories = p.categories(fd, path+".categories")
	}
	if fd, ok := f["seniors"]; ok && !isNull(fd.val) {
		c.Seniors = p.seniors(fd, path+".seniors")
	}
	if fd, ok := f["review"]; ok && !isNull(fd.val) {
		c.Review = p.review(fd, path+".review", c.Categories)
	}
	if fd, ok := f["pesticides"]; ok && !isNull(fd.val) {
		c.Pesticides = p.pesticides(fd, path+".pesticides")
	}
	return c, idNode
}

func (p *parser) timezone(fd field, path string) (string, *time.Location) {
	s := p.name(fd, path)
	if s == "" {
		return "", nil
	}
	// "Local" would make the county's clock whatever the host's is; a county is in one place.
	if s == "Local" {
		p.errorf(fd.val, path, `"Local" is not a time zone name; use an IANA name such as Asia/Shanghai`)
		return "", nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		p.errorf(fd.val, path, "unknown time zone %q", s)
		return "", nil
	}
	return s, loc
}

func (p *parser) admins(fd field, path string) []int64 {
	items, ok := p.list(fd, path, "admins")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.errorf(fd.key, path, "no admins; want at least one Telegram user id")
	}
	return p.userIDs(items, path, "admin")
}

// seniors reads seniors: the Telegram ids of the senior agronomists who decide held
// answers (senior review, 复核); the county's admins count as seniors without being here.
func (p *parser) seniors(fd field, path string) []int64 {
	items, ok := p.list(fd, path, "seniors")
	if !ok {
		return nil
	}
	return p.userIDs(items, path, "senior")
}

func (p *parser) userIDs(items []*yaml.Node, path, what string) []int64 {
	var out []int64
	lines := map[int64]int{}
	for i, n := range items {
		ipath := fmt.Sprintf("%s[%d]", path, i)
		id, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || err != nil || id <= 0 {
			// A negative number is a chat id pasted by mistake; user ids are positive.
			p.errorf(n, ipath, "%s is not a Telegram user id (a positive number; send /whoami to the bot to see yours)", describe(n))
			continue
		}
		if line, dup := lines[id]; dup {
			p.errorf(n, ipath, "%s %d given twice (first on line %d)", what, id, line)
			continue
		}
		lines[id] = n.Line
		out = append(out, id)
	}
	return out
}

// The review modes of review: (senior review, 复核): which answers go to a senior before
// the group. An answer naming a banned pesticide goes to one in every mode.
const (
	ReviewOff     = "off"     // only banned names (and their negated mentions)
	ReviewFlagged = "flagged" // what the pesticide check holds (the default)
	ReviewNew     = "new"     // also the first answers of each new expert (REVIEW_FIRST)
	ReviewAll     = "all"     // every answer
)

// review reads review: one mode for the county, or a mapping of "default" and category
// ids to modes.
func (p *parser) review(fd field, path string, cats []Category) map[string]string {
	mode := func(n *yaml.Node, path string) (string, bool) {
		s, _ := p.text(n, path)
		switch s {
		case ReviewOff, ReviewFlagged, ReviewNew, ReviewAll:
			return s, true
		}
		p.errorf(n, path, "%s is not a review mode (want off, flagged, new or all)", describe(n))
		return "", false
	}
	if fd.val.Kind == yaml.ScalarNode {
		if m, ok := mode(fd.val, path); ok {
			return map[string]string{"": m}
		}
		return nil
	}
	known := []string{"default"}
	for _, c := range cats {
		known = append(known, c.ID)
	}
	f, ok := p.fields(fd.val, path, known...)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for k, v := range f {
		if m, ok := mode(v.val, path+"."+k); ok {
			if k == "default" {
				k = ""
			}
			out[k] = m
		}
	}
	return out
}

func (p *parser) townships(fd field, path string) []string {
	items, ok := p.list(fd, path, "townships")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.errorf(fd.key, path, "no townships; want at least one")
	}
	var out []string
	lines := map[string]int{}
	for i, n := range items {
		ipath := fmt.Sprintf("%s[%d]", path, i)
		s, ok := p.text(n, ipath)
		switch {
		case !ok:
		case s == "":
			p.errorf(n, ipath, "is empty")
		case lines[s] != 0:
			p.errorf(n, ipath, "township %q given twice (first on line %d)", s, lines[s])
		default:
			lines[s] = n.Line
			out = append(out, s)
		}
	}
	return out
}

func (p *parser) categories(fd field, path string) []Category {
	items, ok := p.list(fd, path, "categories")
	if !ok {
		return nil
	}
	var out []Category
	lines := map[string]int{}
	for i, n := range items {
		cpath := fmt.Sprintf("%s[%d]", path, i)
		cat, idNode := p.category(n, cpath)
		if cat.ID != "" {
			if line, dup := lines[cat.ID]; dup {
				p.errorf(idNode, cpath+".id", "category %q given twice (first on line %d)", cat.ID, line)
				continue
			}
			lines[cat.ID] = idNode.Line
		}
		out = append(out, cat)
	}
	if _, ok := lines[GeneralID]; !ok {
		p.errorf(fd.key, path, "no %q category; every county needs it for questions that match no keyword", GeneralID)
	}
	return out
}

// category parses one category and returns the node of its id for duplicate reports.
func (p *parser) category(n *yaml.Node, path string) (Category, *yaml.Node) {
	var cat Category
	f, ok := p.fields(n, path, "id", "name", "name_en", "keywords")
	if !ok {
		return cat, nil
	}
	var idNode *yaml.Node
	if fd, ok := p.need(f, n, path, "id"); ok {
		cat.ID, idNode = p.id(fd, path+".id"), fd.val
	}
	if fd, ok := p.need(f, n, path, "name"); ok {
		cat.Name = p.name(fd, path+".name")
	}
	if fd, ok := p.need(f, n, path, "name_en"); ok {
		cat.NameEn = p.name(fd, path+".name_en")
	}
	// No keywords is fine: general has none, and a new category may be reached only by
	// experts' choice until the bureau learns its words.
	if fd, ok := f["keywords"]; ok && !isNull(fd.val) {
		items, _ := p.list(fd, path+".keywords", "keywords")
		for i, kn := range items {
			kpath := fmt.Sprintf("%s.keywords[%d]", path, i)
			s, ok := p.text(kn, kpath)
			switch {
			case !ok:
			case s == "":
				// An empty keyword would be found in every question.
				p.errorf(kn, kpath, "is empty")
			default:
				cat.Keywords = append(cat.Keywords, s)
			}
		}
	}
	return cat, idNode
}

// resolve follows an alias to the node it names, so anchors shared between counties
// (a common category list, say) read like the original.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names a node's value for messages: the value itself for a scalar, its shape
// otherwise.
func describe(n *yaml.Node) string {
	switch {
	case isNull(n):
		return "nothing"
	case n.Kind == yaml.ScalarNode:
		return strconv.Quote(n.Value)
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.MappingNode:
		return "fields"
	default:
		return "something else"
	}
}
