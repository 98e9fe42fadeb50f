package consult

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// Errors of township ordering (乡镇点单).
var (
	ErrNotCoordinator  = errors.New("not a township coordinator")
	ErrNameTownship    = errors.New("township not named")
	ErrNoSuchVisit     = errors.New("no such visit")
	ErrNotVisitExpert  = errors.New("not an expert of this visit")
	ErrNotApproved     = errors.New("visit not approved")
	ErrAlreadyReported = errors.New("visit already reported")
	ErrNoExpertChosen  = errors.New("no expert chosen")
	ErrTimeNotOffered  = errors.New("time not offered")
	ErrNotTownship     = errors.New("only the township of the visit may answer")
)

// VisitSlots are the times of day a visit may start, in the county's time zone.
var VisitSlots = []string{"09:00", "10:00", "14:00", "15:00"}

// VisitDays is how many days, from tomorrow, an admin may set a visit on.
const VisitDays = 14

// MaxVisitExperts is how many experts an admin is offered for a visit: a phone shows
// that many buttons without scrolling far.
const MaxVisitExperts = 12

// VisitHorizon is how far ahead /visits looks.
const VisitHorizon = 30 * 24 * time.Hour

// CoordinatorResult is a person's coordination of a township, granted or revoked.
type CoordinatorResult struct {
	Coordinator store.Coordinator
	County      *County
	// Roles are the townships the person coordinates after the change.
	Roles []store.Coordinator
	// Expert and Admin say what else the person is, for their command menu.
	Expert bool
	Admin  bool
}

// GrantCoordinator makes a person a coordinator of the township of the group the
// command was sent in; only an admin of its county may.
func (s *Service) GrantCoordinator(ctx context.Context, chatID, adminID int64, p Person, out Out[CoordinatorResult]) (CoordinatorResult, error) {
	g, county, err := s.Group(ctx, chatID)
	if err != nil {
		return CoordinatorResult{}, err
	}
	if !county.IsAdmin(adminID) {
		return CoordinatorResult{County: county}, ErrNotAdmin
	}
	c := store.Coordinator{CountyID: county.ID, Township: g.Township, UserID: p.ID, Name: p.Name, Username: p.Username,
		Language: p.Language, GrantedBy: adminID, GrantedAt: s.now()}
	res := CoordinatorResult{Coordinator: c, County: county}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.GrantCoordinator(ctx, c); err != nil {
			return err
		}
		if err := s.rolesOf(ctx, tx, &res); err != nil {
			return err
		}
		for _, r := range res.Roles {
			if r.CountyID == c.CountyID && r.Township == c.Township {
				res.Coordinator = r // with the name kept from before, when none was given
			}
		}
		return tx.Enqueue(ctx, out.render(res)...)
	})
	return res, err
}

// RevokeCoordinator ends a person's coordination of the group's township; only an admin
// of its county may. A person who was none gets ErrNotCoordinator.
func (s *Service) RevokeCoordinator(ctx context.Context, chatID, adminID, userID int64, out Out[CoordinatorResult]) (CoordinatorResult, error) {
	g, county, err := s.Group(ctx, chatID)
	if err != nil {
		return CoordinatorResult{}, err
	}
	res := CoordinatorResult{County: county, Coordinator: store.Coordinator{CountyID: county.ID, Township: g.Township, UserID: userID}}
	if !county.IsAdmin(adminID) {
		return res, ErrNotAdmin
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.RevokeCoordinator(ctx, county.ID, g.Township, userID)
		if errors.Is(err, store.ErrNotFound) {
			return ErrNotCoordinator
		}
		if err != nil {
			return err
		}
		res.Coordinator = c
		if err := s.rolesOf(ctx, tx, &res); err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(res)...)
	})
	return res, err
}

// rolesOf fills in what the person of res is, read inside the transaction for the
// rendering.
func (s *Service) rolesOf(ctx context.Context, tx *store.Tx, res *CoordinatorResult) error {
	id := res.Coordinator.UserID
	var err error
	if res.Roles, err = tx.CoordinatorRoles(ctx, id); err != nil {
		return err
	}
	experts, err := tx.ExpertCounties(ctx, id)
	if err != nil {
		return err
	}
	res.Expert, res.Admin = len(experts) > 0, len(s.AdminCounties(id)) > 0
	return nil
}

// Coordinates returns the townships a person coordinates.
func (s *Service) Coordinates(ctx context.Context, userID int64) ([]store.Coordinator, error) {
	return s.db.CoordinatorRoles(ctx, userID)
}

// coordinates reports whether roles include the township.
func coordinates(roles []store.Coordinator, countyID, township string) bool {
	return slices.ContainsFunc(roles, func(r store.Coordinator) bool { return r.CountyID == countyID && r.Township == township })
}

// VisitView is a visit with its county, the category whose experts go, and the experts
// assigned.
type VisitView struct {
	Visit    store.Visit
	County   *County
	Category *Category
	Experts  []store.Expert
}

// Visit returns a visit by number with its county, category and experts.
func (s *Service) Visit(ctx context.Context, id int64) (VisitView, error) {
	v, err := s.db.Visit(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return VisitView{}, ErrNoSuchVisit
	}
	if err != nil {
		return VisitView{}, err
	}
	view, err := s.visitView(v)
	if err != nil {
		return view, err
	}
	experts, err := s.db.VisitExperts(ctx, []int64{id})
	view.Experts = experts[id]
	return view, err
}

func (s *Service) visitView(v store.Visit) (VisitView, error) {
	county, ok := s.byID[v.CountyID]
	if !ok {
		return VisitView{Visit: v}, ErrNoSuchVisit // its county left the file
	}
	return VisitView{Visit: v, County: county, Category: s.visitCategory(county, v)}, nil
}

// visitCategory is the category whose experts a visit needs: the one chosen or routed
// when it was ordered, else the one its words route to.
func (s *Service) visitCategory(c *County, v store.Visit) *Category {
	if cat, ok := c.Category(v.CategoryID); ok {
		return cat
	}
	return s.categorize(c, strings.Join([]string{v.Topic, v.Crops, v.Problem}, " "))
}

// VisitNews is a visit after a step of its flow, with everyone to tell and the messages
// to update.
type VisitNews struct {
	VisitView
	Admins []AdminContact
	// OrdererLanguage is the language of the person who ordered it ("" for the default).
	OrdererLanguage string
	// Question is the question it came from (zero for other sources); GroupLanguage the
	// language of the group to tell: the visit's own, or the question's.
	Question      store.Question
	GroupLanguage string
	// Orders are the admins' copies of the order and Proposals the township's copies of a
	// proposed time, to be updated; the InFlight ones are on their way and need an edit
	// once delivered.
	Orders            []store.BotMessage
	OrdersInFlight    []store.PendingMessage
	Proposals         []store.BotMessage
	ProposalsInFlight []store.PendingMessage
	// Candidates are the experts to choose from when the admins choose next (a proposed
	// time accepted).
	Candidates []store.VisitCandidate
	// Report is the visit's report, once done.
	Report store.VisitReport
}

// Messages about a visit that a step supersedes.
const (
	settleOrders    = 1 << iota // the admins' copies of the order
	settleProposals             // the township's copies of a proposal
)

// news gathers, inside the step's transaction, what the rendering of a step needs.
func (s *Service) news(ctx context.Context, tx *store.Tx, v store.Visit, settle int) (VisitNews, error) {
	view, err := s.visitView(v)
	if err != nil {
		return VisitNews{}, err
	}
	n := VisitNews{VisitView: view}
	experts, err := tx.VisitExperts(ctx, []int64{v.ID})
	if err != nil {
		return n, err
	}
	n.Experts = experts[v.ID]
	if n.Admins, err = adminContacts(ctx, tx, view.County); err != nil {
		return n, err
	}
	prefs, err := tx.LanguagePrefs(ctx, []int64{v.OrderedBy})
	if err != nil {
		return n, err
	}
	n.OrdererLanguage = v.OrdererLanguage
	if l := prefs[v.OrderedBy]; l != "" {
		n.OrdererLanguage = l
	}
	group := v.ChatID
	if v.QuestionID != 0 {
		if n.Question, err = tx.Question(ctx, v.QuestionID); err != nil {
			return n, err
		}
		if group == 0 {
			group = n.Question.ChatID
		}
	}
	if group != 0 {
		if n.GroupLanguage, err = tx.Language(ctx, group); err != nil && !errors.Is(err, store.ErrNotFound) {
			return n, err
		}
	}
	now := s.now()
	if settle&settleOrders != 0 {
		if n.OrdersInFlight, err = tx.SupersedePending(ctx, store.MessageVisitOrder, v.ID, now); err != nil {
			return n, err
		}
		if n.Orders, err = tx.BotMessagesFor(ctx, store.MessageVisitOrder, v.ID); err != nil {
			return n, err
		}
	}
	if settle&settleProposals != 0 {
		if n.ProposalsInFlight, err = tx.SupersedePending(ctx, store.MessageVisitProposal, v.ID, now); err != nil {
			return n, err
		}
		if n.Proposals, err = tx.BotMessagesFor(ctx, store.MessageVisitProposal, v.ID); err != nil {
			return n, err
		}
	}
	return n, nil
}

// VisitFromQuestion orders a visit for a question that needs an expert on the spot,
// pressed by an expert of its county and category, or by the expert who holds or answered
// it: the township, topic and problem are the question's. An expert of another category
// knows no more of the trouble than the farmer, and gets ErrNotExpert like anyone else.
// A question with a visit under way returns that visit and store.ErrDuplicate.
func (s *Service) VisitFromQuestion(ctx context.Context, questionID int64, by Person, out Out[VisitNews]) (VisitNews, error) {
	qv, err := s.Question(ctx, questionID)
	if err != nil {
		return VisitNews{}, err
	}
	expert, err := s.db.Expert(ctx, qv.County.ID, by.ID)
	if errors.Is(err, store.ErrNotFound) {
		return VisitNews{}, ErrNotExpert
	}
	if err != nil {
		return VisitNews{}, err
	}
	if !slices.Contains(expert.Categories, qv.Category.ID) && qv.Question.ExpertID != by.ID {
		return VisitNews{}, ErrNotExpert
	}
	q := qv.Question
	v := store.Visit{CountyID: q.CountyID, Township: q.Township, Topic: qv.Category.Name, Crops: q.Crop, Problem: q.Text,
		Source: store.SourceQuestion, OrderedBy: by.ID, OrderedAt: s.now(), QuestionID: q.ID, CategoryID: qv.Category.ID,
		OrderedByName: expert.Name, OrdererLanguage: expert.Language}
	var n VisitNews
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if v, err = tx.CreateVisitOrder(ctx, v); err != nil {
			return err
		}
		if err := tx.AddEvent(ctx, store.Event{QuestionID: q.ID, Kind: "visit_ordered", ActorID: by.ID,
			Detail: map[string]any{"visit": v.ID}, At: v.OrderedAt}); err != nil {
			return err
		}
		if n, err = s.news(ctx, tx, v, 0); err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(n)...)
	})
	if errors.Is(err, store.ErrDuplicate) {
		view, verr := s.visitView(v)
		if verr != nil {
			return VisitNews{}, verr
		}
		return VisitNews{VisitView: view}, store.ErrDuplicate
	}
	return n, err
}

// VisitToDecide returns an ordered visit for an admin of its county to decide. A visit
// decided already comes with ErrAlreadyDecided, as it stands.
func (s *Service) VisitToDecide(ctx context.Context, visitID, adminID int64) (VisitView, error) {
	v, err := s.Visit(ctx, visitID)
	if err != nil {
		return v, err
	}
	if !v.County.IsAdmin(adminID) {
		return v, ErrNotAdmin
	}
	if v.Visit.Status != store.VisitOrdered {
		return v, ErrAlreadyDecided
	}
	return v, nil
}

// VisitDates are the dates an admin may set a visit on: from tomorrow, VisitDays of them,
// each at midnight in the county's time zone.
func (s *Service) VisitDates(c *County) []time.Time {
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := s.now().In(loc).Date()
	out := make([]time.Time, VisitDays)
	for i := range out {
		out[i] = time.Date(y, m, d+1+i, 0, 0, 0, 0, loc)
	}
	return out
}

// offered reports whether a visit may be set at t: in the days offered, at a slot.
func (s *Service) offered(c *County, t time.Time) bool {
	days := s.VisitDates(c)
	if t.Before(days[0]) || !t.Before(days[len(days)-1].AddDate(0, 0, 1)) {
		return false
	}
	return slices.Contains(VisitSlots, t.In(days[0].Location()).Format("15:04"))
}

// weekAround is the Monday-to-Monday week of t in the county's time zone.
func weekAround(t time.Time, c *County) (time.Time, time.Time) {
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	y, m, d := t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7)).Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, loc)
	return from, from.AddDate(0, 0, 7)
}

// candidates are the experts offered for a visit at a time: those of its category, or
// every expert of the county when its category has none.
func (s *Service) candidates(ctx context.Context, tx *store.Tx, v VisitView, at time.Time) ([]store.VisitCandidate, error) {
	from, to := weekAround(at, v.County)
	out, err := tx.VisitCandidates(ctx, v.County.ID, v.Category.ID, v.Visit.ID, from, to, MaxVisitExperts)
	if err != nil || len(out) > 0 {
		return out, err
	}
	return tx.VisitCandidates(ctx, v.County.ID, "", v.Visit.ID, from, to, MaxVisitExperts)
}

// ExpertChoice is what an admin approving a visit picked so far, and the experts to pick
// from with their other visits that week.
type ExpertChoice struct {
	VisitView
	Draft      store.VisitDraft
	Candidates []store.VisitCandidate
}

// ChooseTime records the time an admin picked for approving an ordered visit and returns
// the experts to choose from.
func (s *Service) ChooseTime(ctx context.Context, visitID, adminID int64, at time.Time, out Out[ExpertChoice]) (ExpertChoice, error) {
	v, err := s.VisitToDecide(ctx, visitID, adminID)
	if err != nil {
		return ExpertChoice{VisitView: v}, err
	}
	if !s.offered(v.County, at) {
		return ExpertChoice{VisitView: v}, ErrTimeNotOffered
	}
	res := ExpertChoice{VisitView: v}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if res.Draft, err = tx.SetDraftTime(ctx, visitID, adminID, at, s.now()); err != nil {
			return err
		}
		if res.Candidates, err = s.candidates(ctx, tx, v, at); err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(res)...)
	})
	return res, err
}

// ChooseExpert adds an expert to, or takes them off, what an admin picked for a visit:
// an ordered visit whose time the admin picked, or an approved visit still without
// experts (its proposed time was accepted).
func (s *Service) ChooseExpert(ctx context.Context, visitID, adminID, expertID int64, on bool, out Out[ExpertChoice]) (ExpertChoice, error) {
	v, err := s.Visit(ctx, visitID)
	if err != nil {
		return ExpertChoice{}, err
	}
	res := ExpertChoice{VisitView: v}
	if !v.County.IsAdmin(adminID) {
		return res, ErrNotAdmin
	}
	if !s.awaitsExperts(v) {
		return res, ErrAlreadyDecided
	}
	if _, err := s.db.Expert(ctx, v.County.ID, expertID); errors.Is(err, store.ErrNotFound) {
		return res, ErrNotExpert
	} else if err != nil {
		return res, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.now()
		if v.Visit.Status == store.VisitApproved {
			if _, err := tx.SetDraftTime(ctx, visitID, adminID, v.Visit.ScheduledAt, now); err != nil {
				return err
			}
		}
		var err error
		res.Draft, err = tx.SetDraftExpert(ctx, visitID, adminID, expertID, on, now)
		if errors.Is(err, store.ErrNotFound) {
			return ErrTimeNotOffered // no time picked yet: a button from a message long gone
		}
		if err != nil {
			return err
		}
		if res.Candidates, err = s.candidates(ctx, tx, v, res.Draft.ScheduledAt); err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(res)...)
	})
	return res, err
}

// awaitsExperts reports whether experts may be chosen for a visit now.
func (s *Service) awaitsExperts(v VisitView) bool {
	return v.Visit.Status == store.VisitOrdered || (v.Visit.Status == store.VisitApproved && len(v.Experts) == 0)
}

// ApproveVisit decides a visit as an admin picked: an ordered visit is approved for the
// time and experts picked; an approved visit without experts gets them. Nothing picked is
// ErrTimeNotOffered, no expert ErrNoExpertChosen. A visit decided meanwhile comes as it
// stands with ErrAlreadyDecided.
func (s *Service) ApproveVisit(ctx context.Context, visitID, adminID int64, out Out[VisitNews]) (VisitNews, error) {
	v, err := s.Visit(ctx, visitID)
	if err != nil {
		return VisitNews{}, err
	}
	n := VisitNews{VisitView: v}
	if !v.County.IsAdmin(adminID) {
		return n, ErrNotAdmin
	}
	if !s.awaitsExperts(v) {
		return n, ErrAlreadyDecided
	}
	d, err := s.db.Draft(ctx, visitID, adminID)
	if errors.Is(err, store.ErrNotFound) {
		// Deciding the visit ends the drafts: another admin's press may have done it since
		// the visit was read.
		if now, err := s.Visit(ctx, visitID); err == nil && !s.awaitsExperts(now) {
			return VisitNews{VisitView: now}, ErrAlreadyDecided
		}
	}
	switch {
	case errors.Is(err, store.ErrNotFound) && v.Visit.Status == store.VisitApproved:
		return n, ErrNoExpertChosen // its time is set; nobody was picked yet
	case errors.Is(err, store.ErrNotFound):
		return n, ErrTimeNotOffered
	case err != nil:
		return n, err
	case len(d.Experts) == 0:
		return n, ErrNoExpertChosen
	}
	return s.decide(ctx, v, out, settleOrders, func(tx *store.Tx) (store.Visit, error) {
		if v.Visit.Status == store.VisitOrdered {
			return tx.ApproveVisit(ctx, visitID, adminID, d.ScheduledAt, d.Experts, s.now())
		}
		return tx.AssignVisitExperts(ctx, visitID, adminID, d.Experts, s.now())
	}, nil)
}

// ProposeVisit answers an ordered visit with another time, for the township to accept.
func (s *Service) ProposeVisit(ctx context.Context, visitID, adminID int64, at time.Time, out Out[VisitNews]) (VisitNews, error) {
	v, err := s.VisitToDecide(ctx, visitID, adminID)
	if err != nil {
		return VisitNews{VisitView: v}, err
	}
	if !s.offered(v.County, at) {
		return VisitNews{VisitView: v}, ErrTimeNotOffered
	}
	return s.decide(ctx, v, out, settleOrders, func(tx *store.Tx) (store.Visit, error) {
		return tx.ProposeVisit(ctx, visitID, adminID, at, s.now())
	}, nil)
}

// decide runs a change of a visit's state, gathers the news (and more, if given) and
// renders it; a visit changed meanwhile comes as it stands with ErrAlreadyDecided.
func (s *Service) decide(ctx context.Context, v VisitView, out Out[VisitNews], settle int,
	change func(tx *store.Tx) (store.Visit, error), more func(tx *store.Tx, n *VisitNews) error) (VisitNews, error) {
	var n VisitNews
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		after, err := change(tx)
		if errors.Is(err, store.ErrConflict) {
			return ErrAlreadyDecided
		}
		if err != nil {
			return err
		}
		if err := tx.DropDrafts(ctx, after.ID, 0); err != nil {
			return err
		}
		if n, err = s.news(ctx, tx, after, settle); err != nil {
			return err
		}
		if more != nil {
			if err := more(tx, &n); err != nil {
				return err
			}
		}
		return tx.Enqueue(ctx, out.render(n)...)
	})
	if errors.Is(err, ErrAlreadyDecided) {
		current, cerr := s.Visit(ctx, v.Visit.ID)
		if cerr != nil {
			return VisitNews{VisitView: v}, cerr
		}
		return VisitNews{VisitView: current}, ErrAlreadyDecided
	}
	return n, err
}

// AnswerProposal accepts or turns down the time an admin proposed, on the word of the
// person who ordered the visit, a coordinator of its township or a county admin. Accepted,
// the visit is approved for that time and the admins choose its experts (Candidates);
// turned down, it is ordered again for the admins to decide anew.
func (s *Service) AnswerProposal(ctx context.Context, visitID int64, by Person, accept bool, out Out[VisitNews]) (VisitNews, error) {
	v, err := s.Visit(ctx, visitID)
	if err != nil {
		return VisitNews{}, err
	}
	if by.ID != v.Visit.OrderedBy && !v.County.IsAdmin(by.ID) {
		roles, err := s.db.CoordinatorRoles(ctx, by.ID)
		if err != nil {
			return VisitNews{VisitView: v}, err
		}
		if !coordinates(roles, v.County.ID, v.Visit.Township) {
			return VisitNews{VisitView: v}, ErrNotTownship
		}
	}
	if v.Visit.Status != store.VisitProposed {
		return VisitNews{VisitView: v}, ErrAlreadyDecided
	}
	if !accept {
		return s.decide(ctx, v, out, settleOrders|settleProposals, func(tx *store.Tx) (store.Visit, error) {
			return tx.RejectProposal(ctx, visitID, by.ID, s.now())
		}, nil)
	}
	return s.decide(ctx, v, out, settleOrders|settleProposals, func(tx *store.Tx) (store.Visit, error) {
		return tx.AcceptProposal(ctx, visitID, by.ID, s.now())
	}, func(tx *store.Tx, n *VisitNews) error {
		// The admins choose the experts next.
		var err error
		n.Candidates, err = s.candidates(ctx, tx, n.VisitView, n.Visit.ScheduledAt)
		return err
	})
}

// CalendarFeeds says which visit calendars a person may subscribe to: every visit of the
// counties they administer, and their own visits when they are an expert. Anyone else
// gets ErrNotPermitted.
func (s *Service) CalendarFeeds(ctx context.Context, userID int64) (counties []*County, own bool, err error) {
	experts, err := s.db.ExpertCounties(ctx, userID)
	if err != nil {
		return nil, false, err
	}
	counties, own = s.AdminCounties(userID), len(experts) > 0
	if len(counties) == 0 && !own {
		return nil, false, ErrNotPermitted
	}
	return counties, own, nil
}

// The roles a list of visits is for.
const (
	RoleAdmin       = "admin"
	RoleCoordinator = "coordinator"
	RoleExpert      = "expert"
)

// VisitList is the visits one of a person's roles sees: a county's (admins), a
// township's (coordinators) or their own (experts).
type VisitList struct {
	Role     string
	County   *County
	Township string
	Visits   []VisitView
}

// UpcomingVisits lists, for each of the person's roles, the visits waiting for a decision
// and those approved for the next VisitHorizon; an expert's list also keeps the visits
// gone by that still want a report. Someone of none of these roles gets
// ErrNotCoordinator.
func (s *Service) UpcomingVisits(ctx context.Context, userID int64) ([]VisitList, error) {
	now := s.now()
	until := now.Add(VisitHorizon)
	// A visit of today stays listed for the day.
	from := now.Add(-12 * time.Hour)
	var lists []VisitList
	admin := s.AdminCounties(userID)
	for _, c := range admin {
		vs, err := s.db.CountyVisits(ctx, c.ID, from, until)
		if err != nil {
			return nil, err
		}
		lists = append(lists, VisitList{Role: RoleAdmin, County: c, Visits: s.views(vs)})
	}
	roles, err := s.db.CoordinatorRoles(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		c, ok := s.byID[r.CountyID]
		if !ok || slices.Contains(admin, c) {
			continue // the county's list has it already
		}
		vs, err := s.db.TownshipVisits(ctx, c.ID, r.Township, from, until)
		if err != nil {
			return nil, err
		}
		lists = append(lists, VisitList{Role: RoleCoordinator, County: c, Township: r.Township, Visits: s.views(vs)})
	}
	experts, err := s.db.ExpertCounties(ctx, userID)
	if err != nil {
		return nil, err
	}
	if len(experts) > 0 {
		vs, err := s.db.ExpertVisits(ctx, userID, now.Add(-VisitHorizon), until)
		if err != nil {
			return nil, err
		}
		lists = append(lists, VisitList{Role: RoleExpert, Visits: s.views(vs)})
	}
	if len(lists) == 0 {
		return nil, ErrNotCoordinator
	}
	var ids []int64
	for _, l := range lists {
		for _, v := range l.Visits {
			ids = append(ids, v.Visit.ID)
		}
	}
	assigned, err := s.db.VisitExperts(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, l := range lists {
		for i := range l.Visits {
			l.Visits[i].Experts = assigned[l.Visits[i].Visit.ID]
		}
	}
	return lists, nil
}

// views resolves visits, leaving out those whose county left the file.
func (s *Service) views(vs []store.Visit) []VisitView {
	out := make([]VisitView, 0, len(vs))
	for _, v := range vs {
		if view, err := s.visitView(v); err == nil {
			out = append(out, view)
		}
	}
	return out
}
