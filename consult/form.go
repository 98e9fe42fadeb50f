package consult

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/agriclinic/agriclinic/store"
)

// A form asks a person one thing at a time — a visit order, a visit's report, the reason a
// visit is declined — and keeps its answers in Postgres, so it survives restarts. The
// person's next message answers the step asked (in a group: their reply to one of the
// form's prompts, since privacy mode hides the rest), or a button does.

// Steps of the forms.
const (
	StepTopic      = "topic"      // what the visit is about: a category, or words
	StepCrops      = "crops"      // crops or herds
	StepProblem    = "problem"    // what is wrong
	StepHouseholds = "households" // how many households need it
	StepPlace      = "place"      // where
	StepDates      = "dates"      // when the township would like it

	StepFound  = "found"  // what the experts found
	StepAdvice = "advice" // what they advised
	StepServed = "served" // how many households they served
	StepPhotos = "photos" // photos, until Done

	StepReason = "reason" // why a visit is declined
)

var formSteps = map[string][]string{
	store.FormVisit:   {StepTopic, StepCrops, StepProblem, StepHouseholds, StepPlace, StepDates},
	store.FormReport:  {StepFound, StepAdvice, StepServed, StepPhotos},
	store.FormDecline: {StepReason},
}

// FormSteps returns a kind of form's steps in the order they are asked.
func FormSteps(kind string) []string { return formSteps[kind] }

// StepOptional reports whether a step may be skipped.
func StepOptional(step string) bool {
	switch step {
	case StepCrops, StepHouseholds, StepPlace, StepServed, StepPhotos:
		return true
	}
	return false
}

// The preferred dates offered as buttons; dates typed are kept as typed.
const (
	PreferThisWeek = "this_week"
	PreferNextWeek = "next_week"
	PreferAnyTime  = "any"
)

// HouseholdChoices are the household counts offered as buttons.
var HouseholdChoices = []int{5, 10, 20, 50, 100}

// FormTTL is how long a form waits for an answer; a person's message after that is read
// as if no form were under way.
const FormTTL = 24 * time.Hour

// MaxAnswer is the longest answer to one step, in UTF-16 units.
const MaxAnswer = 1000

// maxCount is the largest number of households a township orders a visit for.
const maxCount = 100000

// Errors of forms.
var (
	ErrNoForm      = errors.New("no form under way")
	ErrStaleForm   = errors.New("that form or step is over")
	ErrNotYourForm = errors.New("someone else's form")
	ErrNotANumber  = errors.New("not a number of households")
	ErrRequired    = errors.New("this step needs an answer")
	ErrPhotosOnly  = errors.New("send photos or press done")
)

// FormInput is a person's answer to their form: a message or a button.
type FormInput struct {
	ChatID int64
	Person Person
	// FormID names the form a button or a replied-to prompt belongs to (0: the person's
	// form in ChatID); Step the step a button answers ("": the current one).
	FormID int64
	Step   string
	// UpdateID is a message's update, so a redelivered one answers nothing twice (0 for a
	// button).
	UpdateID int64
	Text     string
	// Choice is a button's value; Skip, Cancel and Done are the buttons of those names.
	Choice             string
	Skip, Cancel, Done bool
	Photo              *store.Media
}

// FormResult is a form after an answer, or as it starts.
type FormResult struct {
	// Form is the form now: its Step is asked next. Once Ended it is the form as it was.
	Form   store.Form
	County *County
	// Answered is the step just answered ("" when none was: a form starting, a photo
	// added).
	Answered string
	// Photo says a photo was added to the form.
	Photo     bool
	Ended     bool
	Cancelled bool
	// Visit is what finishing the form did: a visit ordered (visit form), reported
	// (report form) or declined (decline form). With an error, the visit as it stands.
	Visit *VisitNews
}

// VisitFormInput is a /visit command.
type VisitFormInput struct {
	// ChatID is where the form runs: a township's group, or the person's private chat.
	ChatID   int64
	ThreadID int64
	Person   Person
	// Township is the one named in a private chat (/visit 白泥镇).
	Township string
}

// StartVisitForm starts a visit order. In a group it is for the group's township, by a
// coordinator of it or an admin of its county. In a private chat it is for the township
// named, or for the one township the person coordinates (ErrNameTownship when they
// coordinate several or are an admin).
func (s *Service) StartVisitForm(ctx context.Context, in VisitFormInput, out Out[FormResult]) (FormResult, error) {
	roles, err := s.db.CoordinatorRoles(ctx, in.Person.ID)
	if err != nil {
		return FormResult{}, err
	}
	var county *County
	var township string
	if in.ChatID < 0 { // a group
		g, c, err := s.Group(ctx, in.ChatID)
		if err != nil {
			return FormResult{}, err
		}
		if !c.IsAdmin(in.Person.ID) && !coordinates(roles, c.ID, g.Township) {
			return FormResult{County: c}, ErrNotCoordinator
		}
		county, township = c, g.Township
	} else {
		county, township, err = s.orderingTownship(in.Person.ID, roles, strings.TrimSpace(in.Township))
		if err != nil {
			return FormResult{}, err
		}
	}
	now := s.now()
	return s.startForm(ctx, store.Form{ChatID: in.ChatID, UserID: in.Person.ID, Kind: store.FormVisit, Step: StepTopic,
		CountyID: county.ID, Township: township, ThreadID: in.ThreadID, StartedAt: now}, county, out)
}

// orderingTownship is the township a person orders for from a private chat.
func (s *Service) orderingTownship(userID int64, roles []store.Coordinator, name string) (*County, string, error) {
	admin := s.AdminCounties(userID)
	if name == "" {
		switch {
		case len(roles) == 1:
			if c, ok := s.byID[roles[0].CountyID]; ok {
				return c, roles[0].Township, nil
			}
			return nil, "", ErrNotCoordinator // its county left the file
		case len(roles) > 1 || len(admin) > 0:
			return nil, "", ErrNameTownship
		}
		return nil, "", ErrNotCoordinator
	}
	for _, r := range roles {
		if c, ok := s.byID[r.CountyID]; ok && r.Township == name {
			return c, name, nil
		}
	}
	for _, c := range admin {
		if c.HasTownship(name) {
			return c, name, nil
		}
	}
	if len(roles) == 0 && len(admin) == 0 {
		return nil, "", ErrNotCoordinator
	}
	return nil, "", ErrUnknownTownship
}

// StartReport starts the report of an approved visit, by one of its experts, in their
// private chat.
func (s *Service) StartReport(ctx context.Context, visitID int64, expert Person, out Out[FormResult]) (FormResult, error) {
	v, err := s.Visit(ctx, visitID)
	if err != nil {
		return FormResult{}, err
	}
	if !slices.ContainsFunc(v.Experts, func(e store.Expert) bool { return e.UserID == expert.ID }) {
		return FormResult{County: v.County}, ErrNotVisitExpert
	}
	switch v.Visit.Status {
	case store.VisitDone:
		return FormResult{County: v.County}, ErrAlreadyReported
	case store.VisitApproved:
	default:
		return FormResult{County: v.County}, ErrNotApproved
	}
	return s.startForm(ctx, store.Form{ChatID: expert.ID, UserID: expert.ID, Kind: store.FormReport, Step: StepFound,
		RefID: visitID, CountyID: v.County.ID, Township: v.Visit.Township, StartedAt: s.now()}, v.County, out)
}

// StartDecline asks an admin, in their private chat, why they decline an ordered visit;
// their answer declines it (see AnswerForm).
func (s *Service) StartDecline(ctx context.Context, visitID, adminID int64, out Out[FormResult]) (FormResult, error) {
	v, err := s.VisitToDecide(ctx, visitID, adminID)
	if err != nil {
		return FormResult{County: v.County, Visit: &VisitNews{VisitView: v}}, err
	}
	return s.startForm(ctx, store.Form{ChatID: adminID, UserID: adminID, Kind: store.FormDecline, Step: StepReason,
		RefID: visitID, CountyID: v.County.ID, Township: v.Visit.Township, StartedAt: s.now()}, v.County, out)
}

func (s *Service) startForm(ctx context.Context, f store.Form, county *County, out Out[FormResult]) (FormResult, error) {
	res := FormResult{County: county}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if res.Form, err = tx.StartForm(ctx, f); err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(res)...)
	})
	return res, err
}

// CurrentForm returns the person's form in a chat, or ErrNoForm when there is none or it
// waited longer than FormTTL.
func (s *Service) CurrentForm(ctx context.Context, chatID, userID int64) (store.Form, error) {
	f, err := s.db.Form(ctx, chatID, userID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && s.now().Sub(f.UpdatedAt) > FormTTL) {
		return store.Form{}, ErrNoForm
	}
	return f, err
}

// AnswerForm takes a person's answer to their form's step. A bad answer returns an error
// (ErrNotANumber, ErrRequired, ErrPhotosOnly, ErrTooLong) with the form as it was, to
// ask the same step again. The last answer finishes the form: a visit form orders its
// visit, a report form reports its visit, a decline form declines its visit. A button of
// a form or step that is over gets ErrStaleForm; someone else's form ErrNotYourForm; a
// redelivered update store.ErrDuplicate.
func (s *Service) AnswerForm(ctx context.Context, in FormInput, out Out[FormResult]) (FormResult, error) {
	f, err := s.formFor(ctx, in)
	if err != nil {
		return FormResult{Form: f}, err
	}
	county, ok := s.byID[f.CountyID]
	if !ok {
		// Its county left the file: there is nothing to order or report there.
		return FormResult{Form: f}, errors.Join(ErrNoForm, s.db.EndForm(ctx, f.ID))
	}
	res := FormResult{Form: f, County: county}
	if in.UpdateID != 0 && in.UpdateID <= f.LastUpdate {
		// Redelivered: it answered its step already, and must not answer the next one.
		return res, store.ErrDuplicate
	}
	if in.Cancel {
		res.Ended, res.Cancelled = true, true
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.EndForm(ctx, f.ID); err != nil {
				return err
			}
			return tx.Enqueue(ctx, out.render(res)...)
		})
		return res, err
	}
	next := f
	next.Answers = map[string]string{}
	for k, v := range f.Answers {
		next.Answers[k] = v
	}
	next.Files = slices.Clone(f.Files)
	done, photo, err := s.apply(&next, county, in)
	if err != nil {
		return res, err
	}
	res.Photo = photo
	if next.Step != f.Step || done || !photo {
		res.Answered = f.Step
	}
	now := s.now()
	var finishErr error
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		saved, err := tx.SaveFormStep(ctx, next, f.Step, in.UpdateID, now)
		if errors.Is(err, store.ErrConflict) {
			if in.UpdateID != 0 {
				return store.ErrDuplicate
			}
			return ErrStaleForm
		}
		if err != nil {
			return err
		}
		res.Form = saved
		if !done {
			return tx.Enqueue(ctx, out.render(res)...)
		}
		res.Ended = true
		if err := tx.EndForm(ctx, f.ID); err != nil {
			return err
		}
		n, err := s.finish(ctx, tx, saved, county, in.Person)
		if err != nil {
			finishErr = err
			return err
		}
		res.Visit = &n
		return tx.Enqueue(ctx, out.render(res)...)
	})
	if finishErr != nil && errors.Is(err, finishErr) && isVisitStateError(finishErr) {
		// The visit moved on while the form was filled in: the form is over all the same.
		res.Ended = true
		current, verr := s.Visit(ctx, f.RefID)
		if verr == nil {
			res.Visit = &VisitNews{VisitView: current}
		}
		return res, errors.Join(finishErr, s.db.EndForm(ctx, f.ID))
	}
	return res, err
}

func isVisitStateError(err error) bool {
	return errors.Is(err, ErrAlreadyDecided) || errors.Is(err, ErrAlreadyReported) ||
		errors.Is(err, ErrNotApproved) || errors.Is(err, ErrNotVisitExpert)
}

// formFor finds the form an answer is for.
func (s *Service) formFor(ctx context.Context, in FormInput) (store.Form, error) {
	if in.FormID == 0 {
		return s.CurrentForm(ctx, in.ChatID, in.Person.ID)
	}
	f, err := s.db.FormByID(ctx, in.FormID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return f, ErrStaleForm
	case err != nil:
		return f, err
	case f.UserID != in.Person.ID:
		return f, ErrNotYourForm
	case in.Step != "" && in.Step != f.Step:
		return f, ErrStaleForm
	}
	return f, nil
}

// apply checks an answer and writes it into the form, moving it to its next step. It
// reports whether that was the last step, and whether a photo was added.
func (s *Service) apply(f *store.Form, county *County, in FormInput) (done, photo bool, err error) {
	text := strings.TrimSpace(in.Text)
	if Blank(text) {
		text = ""
	}
	if UTF16Len(text) > MaxAnswer {
		return false, false, ErrTooLong
	}
	if f.Kind == store.FormReport && in.Photo != nil && in.Photo.Kind == store.MediaPhoto {
		f.Files = append(f.Files, in.Photo.FileID)
		photo = true
		if f.Step == StepPhotos || text == "" {
			return false, true, nil // photos are kept whenever they come; the step stays
		}
	}
	skip := in.Skip || (in.Choice == "" && isWord(text, skipWords))
	if skip && !StepOptional(f.Step) {
		return false, photo, ErrRequired
	}
	a := f.Answers
	switch f.Step {
	case StepTopic:
		switch {
		case in.Choice != "":
			cat, ok := county.Category(in.Choice)
			if !ok {
				return false, photo, ErrStaleForm
			}
			a[StepTopic], a["category"] = cat.Name, cat.ID
		case text != "":
			a[StepTopic] = text
			delete(a, "category") // routed from all the answers once they are in
		default:
			return false, photo, ErrRequired
		}
	case StepCrops, StepPlace, StepProblem, StepFound, StepAdvice, StepReason:
		switch {
		case skip:
			a[f.Step] = ""
		case text == "":
			return false, photo, ErrRequired
		default:
			a[f.Step] = text
		}
	case StepHouseholds, StepServed:
		value := in.Choice
		if value == "" {
			value = text
		}
		switch {
		case skip:
			a[f.Step] = ""
		case value == "":
			return false, photo, ErrRequired
		default:
			n, ok := parseCount(value)
			if !ok {
				return false, photo, ErrNotANumber
			}
			a[f.Step] = strconv.Itoa(n)
		}
	case StepDates:
		switch {
		case in.Choice != "":
			if in.Choice != PreferThisWeek && in.Choice != PreferNextWeek && in.Choice != PreferAnyTime {
				return false, photo, ErrStaleForm
			}
			a[StepDates] = in.Choice
		case text != "":
			a[StepDates] = text
		default:
			return false, photo, ErrRequired
		}
	case StepPhotos:
		if !in.Done && !skip && !isWord(text, doneWords) {
			return false, photo, ErrPhotosOnly
		}
	default:
		return false, photo, ErrStaleForm
	}
	steps := formSteps[f.Kind]
	i := slices.Index(steps, f.Step)
	if i < 0 || i == len(steps)-1 {
		return true, photo, nil
	}
	f.Step = steps[i+1]
	return false, photo, nil
}

var (
	skipWords = []string{"跳过", "略过", "skip"}
	doneWords = []string{"完成", "好了", "结束", "done", "ok", "finish"}
)

func isWord(text string, words []string) bool {
	for _, w := range words {
		if strings.EqualFold(text, w) {
			return true
		}
	}
	return false
}

// parseCount reads a number of households as people type it: "30", "30户", "约 30 户",
// "３０". Words for numbers ("很多", "三十") and ranges ("20-30") are not numbers; nor is 0.
func parseCount(s string) (int, bool) {
	var digits []string
	var run strings.Builder
	for _, r := range s {
		if r >= '０' && r <= '９' {
			r = '0' + (r - '０')
		}
		switch {
		case r >= '0' && r <= '9':
			run.WriteRune(r)
			continue
		case strings.ContainsRune("十百千万亿一二三四五六七八九两", r):
			return 0, false
		case unicode.IsDigit(r):
			return 0, false
		}
		if run.Len() > 0 {
			digits = append(digits, run.String())
			run.Reset()
		}
	}
	if run.Len() > 0 {
		digits = append(digits, run.String())
	}
	if len(digits) != 1 || len(digits[0]) > 6 {
		return 0, false
	}
	n, err := strconv.Atoi(digits[0])
	if err != nil || n <= 0 || n > maxCount {
		return 0, false
	}
	return n, true
}

// finish does what a completed form is for, inside its transaction.
func (s *Service) finish(ctx context.Context, tx *store.Tx, f store.Form, county *County, by Person) (VisitNews, error) {
	a := f.Answers
	now := s.now()
	switch f.Kind {
	case store.FormVisit:
		households, _ := strconv.Atoi(a[StepHouseholds])
		cat, ok := county.Category(a["category"])
		if !ok {
			cat = s.categorize(county, strings.Join([]string{a[StepTopic], a[StepCrops], a[StepProblem]}, " "))
		}
		var chat int64
		if f.ChatID < 0 {
			chat = f.ChatID // ordered in the township's group, which is kept told
		}
		v, err := tx.CreateVisitOrder(ctx, store.Visit{CountyID: county.ID, Township: f.Township, Topic: a[StepTopic],
			Crops: a[StepCrops], Problem: a[StepProblem], Households: households, Place: a[StepPlace], Preferred: a[StepDates],
			Source: store.SourceOrder, OrderedBy: f.UserID, OrderedAt: now, ChatID: chat, CategoryID: cat.ID,
			OrderedByName: by.Name, OrdererLanguage: by.Language, ThreadID: f.ThreadID})
		if err != nil {
			return VisitNews{}, err
		}
		return s.news(ctx, tx, v, 0)
	case store.FormReport:
		served, _ := strconv.Atoi(a[StepServed])
		name := by.Name
		if e, err := tx.Expert(ctx, county.ID, f.UserID); err == nil {
			name = e.Name
		}
		before, err := tx.Visit(ctx, f.RefID)
		if err != nil {
			return VisitNews{}, err
		}
		r := store.VisitReport{VisitID: f.RefID, QuestionID: before.QuestionID, ExpertID: f.UserID, ExpertName: name,
			Found: a[StepFound], Advice: a[StepAdvice], Households: served, Photos: f.Files, ReportedAt: now}
		v, err := tx.FileVisitReport(ctx, r)
		if errors.Is(err, store.ErrConflict) {
			if v.Status == store.VisitDone {
				return VisitNews{}, ErrAlreadyReported
			}
			return VisitNews{}, ErrNotApproved
		}
		if err != nil {
			return VisitNews{}, err
		}
		if v.QuestionID != 0 {
			if err := tx.AddEvent(ctx, store.Event{QuestionID: v.QuestionID, Kind: "visit_reported", ActorID: f.UserID,
				Detail: map[string]any{"visit": v.ID}, At: now}); err != nil {
				return VisitNews{}, err
			}
		}
		n, err := s.news(ctx, tx, v, 0)
		n.Report = r
		return n, err
	case store.FormDecline:
		if !county.IsAdmin(f.UserID) {
			return VisitNews{}, ErrNotAdmin
		}
		v, err := tx.DeclineVisit(ctx, f.RefID, f.UserID, a[StepReason], now)
		if errors.Is(err, store.ErrConflict) {
			return VisitNews{}, ErrAlreadyDecided
		}
		if err != nil {
			return VisitNews{}, err
		}
		if err := tx.DropDrafts(ctx, v.ID, 0); err != nil {
			return VisitNews{}, err
		}
		return s.news(ctx, tx, v, settleOrders)
	}
	return VisitNews{}, ErrStaleForm
}
