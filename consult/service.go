package consult

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// Service runs the consultation loop over the archive and the queues.
type Service struct {
	db        *store.DB
	queue     *store.Queue
	quota     *store.Quota
	limits    Limits
	pace      Pace
	counties  []County
	byID      map[string]*County
	now       func() time.Time
	log       *slog.Logger
	similar   Similar
	outbreaks Outbreaks
	reminders Reminders
	learned   learnedKeywords
	// bursts says when a group's questions share one acknowledgement (burst.go).
	bursts store.BurstRule
	// presses settles the races of claims pressed at the same moment together.
	presses combiner[*pendingPress]
	// claimReads reads the questions of claims pressed at the same moment together.
	claimReads combiner[*claimRead]
	// claims stores the claims won at the same moment in one transaction.
	claims combiner[*pendingClaim]
	// asks stores the questions asked at the same moment in one transaction.
	asks combiner[*pendingAsk]
	// later looks up earlier answers for questions stored in a batch (similar_later.go).
	later similarLater
	// merge merges the search index's pending list after a burst (index_merge.go).
	merge burstMerge
	// memo keeps what recent lookups of earlier answers found (similar_memo.go).
	memo similarMemo
	// bg runs later and merge on Run's context (background.go).
	bg background
	// pesticides is each county's pesticide list: the national one and its own entries.
	pesticides map[string]*PesticideList
	// reviewFirst is how many first answers of a new expert go to review (review: new).
	reviewFirst int
}

// Limits keep one farmer from flooding the experts.
type Limits struct {
	// Questions a farmer may ask per Window; 0 means no limit.
	Questions int
	Window    time.Duration
	// Repeat is how long the same words from the same farmer count as the same question.
	Repeat time.Duration
	// Pushes is how many questions an expert is pushed one by one per PushWindow; past
	// that, new questions are gathered into one bundle sent when the window ends
	// (0: no bundle).
	Pushes     int
	PushWindow time.Duration
}

// DefaultLimits suit a village group: a farmer with several problems can ask them all,
// a stuck key cannot flood the experts, and an outbreak morning does not ring an
// expert's phone fifty times.
var DefaultLimits = Limits{Questions: 5, Window: 10 * time.Minute, Repeat: 10 * time.Minute, Pushes: 3, PushWindow: 2 * time.Minute}

// Options are the Service's optional parts.
type Options struct {
	// Quota counts questions per farmer (nil: no flood limit).
	Quota *store.Quota
	// Limits default to DefaultLimits.
	Limits *Limits
	// Pace defaults to DefaultPace; it counts with Quota, so without one nobody is paced.
	Pace *Pace
	// Similar defaults to DefaultSimilar.
	Similar *Similar
	// Outbreaks defaults to DefaultOutbreaks.
	Outbreaks *Outbreaks
	// Reminders defaults to DefaultReminders.
	Reminders *Reminders
	// Bursts defaults to DefaultBursts.
	Bursts *store.BurstRule
	// Pesticides is each county's pesticide list by county id (CountyPesticides); nil: the
	// shipped national list with each county's entries.
	Pesticides map[string]*PesticideList
	// ReviewFirst is how many first answers of each expert go to a senior where the county
	// reviews new experts (review: new); nil: DefaultReviewFirst.
	ReviewFirst *int
	// Now is the clock; tests inject their own. Default time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// NewService returns a Service for the given counties.
func NewService(db *store.DB, queue *store.Queue, counties []County, opts Options) *Service {
	s := &Service{db: db, queue: queue, quota: opts.Quota, limits: DefaultLimits, counties: counties, byID: map[string]*County{}, now: opts.Now, log: opts.Logger, learned: learnedKeywords{byCounty: map[string]map[string][]string{}}}
	if opts.Limits != nil {
		s.limits = *opts.Limits
	}
	s.pace = DefaultPace
	if opts.Pace != nil {
		s.pace = *opts.Pace
	}
	s.similar = DefaultSimilar
	if opts.Similar != nil {
		s.similar = *opts.Similar
	}
	s.outbreaks = DefaultOutbreaks
	if opts.Outbreaks != nil {
		s.outbreaks = *opts.Outbreaks
	}
	s.reminders = DefaultReminders
	if opts.Reminders != nil {
		s.reminders = *opts.Reminders
	}
	s.bursts = DefaultBursts
	if opts.Bursts != nil {
		s.bursts = *opts.Bursts
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.later.now = s.now
	if s.log == nil {
		s.log = slog.Default()
	}
	for i := range s.counties {
		s.byID[s.counties[i].ID] = &s.counties[i]
	}
	s.reviewFirst = DefaultReviewFirst
	if opts.ReviewFirst != nil {
		s.reviewFirst = *opts.ReviewFirst
	}
	s.pesticides = opts.Pesticides
	if s.pesticides == nil {
		var err error
		if s.pesticides, err = CountyPesticides(NationalPesticides, "pesticides.yaml", s.counties); err != nil {
			// The shipped list is tested; a county's entries were checked when its file
			// was loaded (serve refuses to start on them).
			panic(fmt.Sprintf("pesticide lists: %v", err))
		}
	}
	return s
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// County returns a configured county by id.
func (s *Service) County(id string) (*County, bool) {
	c, ok := s.byID[id]
	return c, ok
}

// Counties returns every configured county, in file order.
func (s *Service) Counties() []County { return s.counties }

// AdminCounties returns the counties the person administers.
func (s *Service) AdminCounties(userID int64) []*County {
	var out []*County
	for i := range s.counties {
		if s.counties[i].IsAdmin(userID) {
			out = append(out, &s.counties[i])
		}
	}
	return out
}

// SaveCounties writes the county file into the archive. It runs at start, before any
// update is handled.
func (s *Service) SaveCounties(ctx context.Context) error {
	records := make([]store.CountyRecord, 0, len(s.counties))
	for _, c := range s.counties {
		r := store.CountyRecord{ID: c.ID, Name: c.Name, Timezone: c.Timezone, Admins: c.Admins, Townships: c.Townships}
		for _, cat := range c.Categories {
			r.Categories = append(r.Categories, store.CategoryRecord{ID: cat.ID, Name: cat.Name, NameEn: cat.NameEn, Keywords: cat.Keywords})
		}
		records = append(records, r)
	}
	if err := s.db.UpsertCounties(ctx, records); err != nil {
		return fmt.Errorf("save counties: %w", err)
	}
	return nil
}

// ReconcileQueues makes the Redis queues agree with Postgres: every open question is in
// its queue (after Redis lost everything, or missed a push while it was down) and nothing
// else is. It only adds and removes what differs, so it is safe while the bot works: a
// member is removed only after Postgres confirms its question is no longer open.
func (s *Service) ReconcileQueues(ctx context.Context) error {
	open, err := s.db.OpenQuestions(ctx)
	if err != nil {
		return fmt.Errorf("reconcile queues: %w", err)
	}
	want := map[string]map[int64]store.Question{} // county/category → open questions
	for _, q := range open {
		key := q.CountyID + "/" + q.CategoryID
		if want[key] == nil {
			want[key] = map[int64]store.Question{}
		}
		want[key][q.ID] = q
	}
	added, removed := 0, 0
	for _, c := range s.counties {
		for _, cat := range c.Categories {
			key := c.ID + "/" + cat.ID
			members, err := s.queue.Members(ctx, c.ID, cat.ID)
			if err != nil {
				return fmt.Errorf("reconcile queues: %w", err)
			}
			present := map[int64]bool{}
			var stale []int64
			for _, id := range members {
				present[id] = true
				if _, ok := want[key][id]; !ok {
					stale = append(stale, id)
				}
			}
			for id, q := range want[key] {
				if present[id] {
					continue
				}
				if err := s.queue.Push(ctx, c.ID, q.Entry()); err != nil {
					return fmt.Errorf("reconcile queues: %w", err)
				}
				added++
			}
			if len(stale) == 0 {
				continue
			}
			// Asked after the snapshot above, or really gone? Ask Postgres again.
			current, err := s.db.Questions(ctx, stale)
			if err != nil {
				return fmt.Errorf("reconcile queues: %w", err)
			}
			stillOpen := map[int64]bool{}
			for _, q := range current {
				if q.Status == store.StatusOpen && q.CategoryID == cat.ID && q.CountyID == c.ID {
					stillOpen[q.ID] = true
				}
			}
			for _, id := range stale {
				if stillOpen[id] {
					continue
				}
				if err := s.queue.Remove(ctx, c.ID, cat.ID, id); err != nil {
					return fmt.Errorf("reconcile queues: %w", err)
				}
				removed++
			}
		}
	}
	if added > 0 || removed > 0 {
		s.log.Info("queues reconciled with the archive", "added", added, "removed", removed)
	}
	return nil
}

// Out renders what a step caused into the messages to send; it runs inside the step's
// transaction, so the messages are stored if and only if the step is. Package bot supplies
// it; nil sends nothing. It must not query the database itself: it would wait for a second
// connection while holding one, and a busy pool would stall.
type Out[T any] func(T) []store.Message

func (o Out[T]) render(v T) []store.Message {
	if o == nil {
		return nil
	}
	return o(v)
}

// BindResult is a group's new binding.
type BindResult struct {
	Group  store.Group
	County *County
}

// Bind binds a group to a township of a county the person administers. A group bound
// already stays its county's: an admin of another county gets ErrBoundElsewhere with the
// binding as it stands, and the group's own admins may move it to another township.
func (s *Service) Bind(ctx context.Context, chatID int64, title string, userID int64, township string, out Out[BindResult]) (store.Group, *County, error) {
	counties := s.AdminCounties(userID)
	if len(counties) == 0 {
		return store.Group{}, nil, ErrNotAdmin
	}
	switch g, county, err := s.Group(ctx, chatID); {
	case err == nil && !county.IsAdmin(userID):
		return g, county, ErrBoundElsewhere
	case err != nil && !errors.Is(err, ErrGroupNotBound):
		return store.Group{}, nil, err
	}
	township = strings.TrimSpace(township)
	for _, c := range counties {
		if !c.HasTownship(township) {
			continue
		}
		g := store.Group{ChatID: chatID, CountyID: c.ID, Township: township, Title: title, BoundBy: userID, BoundAt: s.now()}
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.BindGroup(ctx, g); err != nil {
				return err
			}
			return tx.Enqueue(ctx, out.render(BindResult{Group: g, County: c})...)
		})
		if err != nil {
			return store.Group{}, nil, err
		}
		return g, c, nil
	}
	return store.Group{}, nil, ErrUnknownTownship
}

// Group returns the binding of a chat and its county, or ErrGroupNotBound.
func (s *Service) Group(ctx context.Context, chatID int64) (store.Group, *County, error) {
	g, err := s.db.Group(ctx, chatID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Group{}, nil, ErrGroupNotBound
	}
	if err != nil {
		return store.Group{}, nil, err
	}
	c, ok := s.byID[g.CountyID]
	if !ok {
		// The county left the file: its groups are unbound until it comes back.
		return store.Group{}, nil, ErrGroupNotBound
	}
	return g, c, nil
}

// MigrateGroup follows a group to its new supergroup chat id.
func (s *Service) MigrateGroup(ctx context.Context, from, to int64) error {
	return s.db.MigrateGroup(ctx, from, to)
}

// Person is who sent an update.
type Person struct {
	ID       int64
	Name     string
	Username string
	Language string // Telegram's language_code
}

// ExpertRequestInput is an /expert command.
type ExpertRequestInput struct {
	Person   Person
	Args     []string // an optional county id or name, then category ids or names
	UpdateID int64
}

// RequestExpert records a request to become an expert of some categories. The county is
// the first argument when it names one, else the only county, else the one county where
// every category is known.
func (s *Service) RequestExpert(ctx context.Context, in ExpertRequestInput, out Out[ExpertRequestResult]) (store.ExpertRequest, *County, error) {
	args := in.Args
	var candidates []*County
	if len(args) > 0 {
		for i := range s.counties {
			c := &s.counties[i]
			if strings.EqualFold(args[0], c.ID) || args[0] == c.Name {
				candidates = []*County{c}
				args = args[1:]
				break
			}
		}
	}
	if len(args) == 0 {
		return store.ExpertRequest{}, nil, ErrNoCategories
	}
	if candidates == nil {
		for i := range s.counties {
			candidates = append(candidates, &s.counties[i])
		}
	}
	var matched []*County
	var matchedCats [][]string
	var unknown string
	for _, c := range candidates {
		var ids []string
		for _, a := range args {
			cat, ok := c.FindCategory(a)
			if !ok {
				unknown = a
				ids = nil
				break
			}
			if !slices.Contains(ids, cat.ID) {
				ids = append(ids, cat.ID)
			}
		}
		if ids != nil {
			matched = append(matched, c)
			matchedCats = append(matchedCats, ids)
		}
	}
	switch {
	case len(matched) == 0:
		return store.ExpertRequest{}, candidates[0], fmt.Errorf("%w: %s", ErrUnknownCategory, unknown)
	case len(matched) > 1:
		return store.ExpertRequest{}, nil, ErrAmbiguousCounty
	}
	var r store.ExpertRequest
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		r, err = tx.CreateExpertRequest(ctx, store.ExpertRequest{
			CountyID: matched[0].ID, UserID: in.Person.ID, Name: in.Person.Name, Username: in.Person.Username, Language: in.Person.Language,
			Categories: matchedCats[0], RequestedAt: s.now(),
		}, in.UpdateID)
		if err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(ExpertRequestResult{Request: r, County: matched[0]})...)
	})
	if err != nil {
		return store.ExpertRequest{}, nil, err
	}
	return r, matched[0], nil
}

// ExpertRequestResult is a stored request, or a decided one with the admins' copies of it.
type ExpertRequestResult struct {
	Request store.ExpertRequest
	County  *County
	// Notices are the admins' messages showing the request, to be updated once decided.
	Notices []store.BotMessage
}

// ExpertRequest returns a request and its county.
func (s *Service) ExpertRequest(ctx context.Context, id int64) (store.ExpertRequest, *County, error) {
	r, err := s.db.ExpertRequest(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return r, nil, ErrNoSuchRequest
	}
	if err != nil {
		return r, nil, err
	}
	c, ok := s.byID[r.CountyID]
	if !ok {
		return r, nil, ErrNoSuchRequest
	}
	return r, c, nil
}

// DecideExpert approves or rejects a request; only an admin of the request's county may.
// A request already decided returns it as it stands with ErrAlreadyDecided.
func (s *Service) DecideExpert(ctx context.Context, id, adminID int64, approve bool, out Out[ExpertRequestResult]) (store.ExpertRequest, *County, error) {
	r, c, err := s.ExpertRequest(ctx, id)
	if err != nil {
		return r, nil, err
	}
	if !c.IsAdmin(adminID) {
		return r, c, ErrNotAdmin
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		r, err = tx.DecideExpertRequest(ctx, id, approve, adminID, s.now())
		if err != nil {
			return err
		}
		notices, err := tx.BotMessagesFor(ctx, store.MessageExpertRequest, id)
		if err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(ExpertRequestResult{Request: r, County: c, Notices: notices})...)
	})
	if errors.Is(err, store.ErrConflict) {
		current, cerr := s.db.ExpertRequest(ctx, id)
		if cerr != nil {
			return r, c, cerr
		}
		return current, c, ErrAlreadyDecided
	}
	return r, c, err
}
