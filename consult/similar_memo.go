package consult

import (
	"sync"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// similarMemo keeps, for a short while, the earlier questions a lookup of earlier
// answers found. Questions asked at once are mostly about the same few troubles (an
// outbreak morning is a hundred farmers asking about one pest), and each lookup walks the
// archive for the same candidates: on the ingest benchmark that walk was the largest
// user of Postgres (docs/benchmarks.md). Only the candidates' words are kept (about 150
// bytes each), and at most memoRefs of them.
//
// An answer or a rating given through this instance forgets everything at once, so the
// next farmer sees an answer given a moment ago. What another instance changes, and edits
// of answers and questions, show after at most memoTTL.
type similarMemo struct {
	mu      sync.Mutex
	gen     uint64 // counts forget calls: a lookup begun before one is not kept
	entries map[similarKey]memoEntry
	refs    int // candidates held, over all entries
}

type similarKey struct{ county, category, query string }

type memoEntry struct {
	at   time.Time
	refs []store.SimilarRef
}

const (
	memoTTL  = 30 * time.Second
	memoRefs = 20_000
)

// get returns the candidates kept for key if they are fresh at now, and the generation
// to hand back to put.
func (m *similarMemo) get(key similarKey, now time.Time) ([]store.SimilarRef, uint64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if ok && now.Sub(e.at) < memoTTL && !now.Before(e.at) {
		return e.refs, m.gen, true
	}
	return nil, m.gen, false
}

// put keeps what a lookup found at at, unless something was forgotten since it began
// (gen). When full it starts again empty: a burst of new troubles replaces the old ones.
func (m *similarMemo) put(key similarKey, refs []store.SimilarRef, at time.Time, gen uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if gen != m.gen || len(refs) > memoRefs {
		return
	}
	if old, ok := m.entries[key]; ok {
		m.refs -= len(old.refs)
	}
	if m.entries == nil || m.refs+len(refs) > memoRefs {
		m.entries, m.refs = map[similarKey]memoEntry{}, 0
	}
	m.entries[key] = memoEntry{at: at, refs: refs}
	m.refs += len(refs)
}

// forget drops everything: the archive's answers changed.
func (m *similarMemo) forget() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	m.entries, m.refs = nil, 0
}
