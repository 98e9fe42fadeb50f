package consult

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/agriclinic/agriclinic/store"
)

// learnedKeywords are the routing keywords admins added from the archive, by county and
// category, read by every question routed.
type learnedKeywords struct {
	mu       sync.RWMutex
	byCounty map[string]map[string][]string
}

func (l *learnedKeywords) of(county string) map[string][]string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.byCounty[county]
}

func (l *learnedKeywords) set(all map[string]map[string][]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.byCounty = all
}

// categorize routes a question by the county file's keywords and the learned ones.
func (s *Service) categorize(c *County, text string) *Category {
	return c.categorizeWith(text, s.learned.of(c.ID))
}

// RefreshKeywords reads the learned keywords, so that every instance routes with those
// any admin added. It runs at start and with the periodic jobs.
func (s *Service) RefreshKeywords(ctx context.Context) error {
	rows, err := s.db.LearnedKeywords(ctx)
	if err != nil {
		return err
	}
	all := map[string]map[string][]string{}
	for _, r := range rows {
		if all[r.CountyID] == nil {
			all[r.CountyID] = map[string][]string{}
		}
		all[r.CountyID][r.CategoryID] = append(all[r.CountyID][r.CategoryID], r.Keyword)
	}
	s.learned.set(all)
	return nil
}

// KeywordSuggestion is a word of questions experts moved into a category that the
// category's keywords miss: had it been a keyword, they would have gone there at once.
type KeywordSuggestion struct {
	County   *County
	Category *Category
	Word     string
	// Questions is how many transferred questions had the word.
	Questions int
}

// suggestWindow is how far back transfers are read for suggestions.
const suggestWindow = 180 * 24 * time.Hour

// KeywordSuggestions lists, for every category of the counties the admin runs, up to
// perCategory words found in at least two questions transferred into it and missing
// from its keywords: lexicon words first (the names of pests, crops and symptoms), then
// two-character words, most frequent first.
func (s *Service) KeywordSuggestions(ctx context.Context, adminID int64, perCategory int) ([]KeywordSuggestion, error) {
	counties := s.AdminCounties(adminID)
	if len(counties) == 0 {
		return nil, ErrNotAdmin
	}
	var out []KeywordSuggestion
	for _, c := range counties {
		learned := s.learned.of(c.ID)
		for i := range c.Categories {
			cat := &c.Categories[i]
			texts, err := s.db.TransferredInto(ctx, c.ID, cat.ID, s.now().Add(-suggestWindow))
			if err != nil {
				return nil, err
			}
			known := append(slices.Clone(cat.Keywords), learned[cat.ID]...)
			out = append(out, suggestFrom(c, cat, texts, known, perCategory)...)
		}
	}
	return out, nil
}

func suggestFrom(c *County, cat *Category, texts []string, known []string, limit int) []KeywordSuggestion {
	type candidate struct {
		word    string
		lexicon bool
		count   int
	}
	counts := map[string]*candidate{}
	for _, text := range texts {
		seen := map[string]bool{}
		add := func(word string, lexicon bool) {
			if seen[word] || covered(word, known) {
				return
			}
			seen[word] = true
			if counts[word] == nil {
				counts[word] = &candidate{word: word, lexicon: lexicon}
			}
			counts[word].count++
		}
		norm := normalize(text)
		for _, t := range Terms(text) {
			for _, v := range t.Variants {
				if utf8.RuneCountInString(v) >= 2 && strings.Contains(norm, normalize(v)) {
					add(normalize(v), true)
				}
			}
		}
		for _, t := range tokenize(text) {
			if utf8.RuneCountInString(t.text) >= 2 && !stopBigrams[t.text] {
				add(t.text, false)
			}
		}
	}
	var cands []*candidate
	for _, c := range counts {
		if c.count >= 2 {
			cands = append(cands, c)
		}
	}
	slices.SortFunc(cands, func(a, b *candidate) int {
		if a.lexicon != b.lexicon {
			if a.lexicon {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(b.count, a.count), cmp.Compare(a.word, b.word))
	})
	var out []KeywordSuggestion
	for _, cd := range cands {
		if len(out) == limit {
			break
		}
		// A bigram inside a lexicon word already suggested adds nothing.
		inside := slices.ContainsFunc(out, func(s KeywordSuggestion) bool { return strings.Contains(s.Word, cd.word) })
		if !inside {
			out = append(out, KeywordSuggestion{County: c, Category: cat, Word: cd.word, Questions: cd.count})
		}
	}
	return out
}

// covered reports whether a keyword already finds word (it is in the word).
func covered(word string, keywords []string) bool {
	for _, k := range keywords {
		if strings.Contains(word, strings.ToLower(k)) {
			return true
		}
	}
	return false
}

// AddKeyword adds a routing keyword to a county's category; only its admins may.
func (s *Service) AddKeyword(ctx context.Context, adminID int64, countyID, categoryID, word string) (*County, *Category, error) {
	c, ok := s.County(countyID)
	if !ok || !c.IsAdmin(adminID) {
		return nil, nil, ErrNotAdmin
	}
	cat, ok := c.Category(categoryID)
	if !ok {
		return c, nil, ErrUnknownCategory
	}
	word = strings.TrimSpace(normalize(word))
	if Blank(word) || utf8.RuneCountInString(word) > 20 {
		return c, cat, ErrUnknownCategory
	}
	if err := s.db.AddLearnedKeyword(ctx, store.LearnedKeyword{CountyID: c.ID, CategoryID: cat.ID, Keyword: word, AddedBy: adminID, AddedAt: s.now()}); err != nil {
		return c, cat, err
	}
	return c, cat, s.RefreshKeywords(ctx)
}
