package consult

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// Senior review (复核, issue 22): an answer the pesticide check holds, or one the county
// reviews (County.ReviewMode), is kept from the group in held_answers until a senior of
// the county decides. An answer naming a banned pesticide waits for its expert first: a
// rewrite (any new answer) replaces it, or the expert sends it to review as a false alarm.

// DefaultReviewFirst is how many first answers of each expert go to a senior where the
// county reviews new experts (REVIEW_FIRST).
const DefaultReviewFirst = 5

// Why an answer is held (held_answers.reason).
const (
	HeldBanned     = "banned"     // names a banned pesticide: back to the expert first
	HeldNegated    = "negated"    // names a banned one only beside a negation: to review
	HeldRestricted = "restricted" // names one restricted on the question's crop: to review
	HeldNew        = "new"        // one of a new expert's first answers (review: new)
	HeldAll        = "all"        // the county reviews every answer (review: all)
)

var (
	// ErrNoSuchHeld: no held answer has that number (an old or forged button).
	ErrNoSuchHeld = errors.New("no such held answer")
	// ErrNotHeldExpert: only the expert whose answer it is may send it to review.
	ErrNotHeldExpert = errors.New("not the expert of the held answer")
	// ErrNotSenior: only a senior (or an admin) of the question's county decides.
	ErrNotSenior = errors.New("not a senior of the county")
	// ErrHeldSettled: the held answer was decided, replaced or sent on already; the
	// result carries it as it stands.
	ErrHeldSettled = errors.New("held answer already settled")
	// ErrSeniorBanned: a senior's corrected text names a banned pesticide itself.
	ErrSeniorBanned = errors.New("corrected text names a banned pesticide")
)

// CountyPesticides parses the national list (name is its file name in messages) and adds
// each county's own entries: the list each county's answers are checked against. A
// malformed list or entry is an error naming its line.
func CountyPesticides(national []byte, name string, counties []County) (map[string]*PesticideList, error) {
	base, err := ParsePesticides(national, name)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*PesticideList, len(counties))
	var errs []error
	for _, c := range counties {
		l, err := base.Merge(c.Pesticides)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[c.ID] = l
	}
	return out, errors.Join(errs...)
}

// HeldFinding is a pesticide check's finding as a held answer keeps it.
type HeldFinding struct {
	Name    string    `json:"name"`
	Matched string    `json:"matched"`
	Banned  bool      `json:"banned,omitempty"`
	Negated bool      `json:"negated,omitempty"`
	Notice  string    `json:"notice,omitempty"`
	Since   time.Time `json:"since"`
	Crop    string    `json:"crop,omitempty"`
}

// Findings decodes the findings a held answer keeps.
func Findings(h store.HeldAnswer) []HeldFinding {
	var out []HeldFinding
	_ = json.Unmarshal(h.Findings, &out) // written by this package; a bad row shows no reasons
	return out
}

// HeldView is a held answer with what its messages need.
type HeldView struct {
	QuestionView
	Held     store.HeldAnswer
	Findings []HeldFinding
	// FirstHold: the question had no held answer before; the group is told the answer is
	// coming once.
	FirstHold bool
	// Replaced are the seniors' copies of an answer this one replaced, to be updated.
	Replaced []store.BotMessage
	// Seniors are the county's seniors and admins with their languages (set when the
	// answer is in review), Media the question's photos for them.
	Seniors []AdminContact
	Media   []store.Media
	// ExpertLanguage and GroupLanguage are the expert's and the group's /lang.
	ExpertLanguage, GroupLanguage string
}

// pesticideCheck reads an answer for the question's county list.
func (s *Service) pesticideCheck(v QuestionView, text string) []HeldFinding {
	list := s.pesticides[v.County.ID]
	if list == nil || text == "" {
		return nil
	}
	found := list.Check(text, PesticideQuestion{Category: v.Category.ID + " " + v.Category.Name, Text: v.Question.Text}, s.now())
	out := make([]HeldFinding, len(found))
	for i, f := range found {
		out[i] = HeldFinding{Name: f.Name, Matched: f.Matched, Banned: f.Banned, Negated: f.Negated,
			Notice: f.Rule.Notice, Since: f.Rule.Since, Crop: f.Crop}
	}
	return out
}

// holdReason says whether an answer is held and why ("" when it goes out): the pesticide
// check first, then the county's review mode.
func (s *Service) holdReason(ctx context.Context, v QuestionView, expertID int64, findings []HeldFinding) (string, error) {
	banned, negated, restricted := false, false, false
	for _, f := range findings {
		switch {
		case f.Banned && !f.Negated:
			banned = true
		case f.Banned:
			negated = true
		default:
			restricted = true
		}
	}
	mode := v.County.ReviewMode(v.Category.ID)
	switch {
	case banned:
		return HeldBanned, nil
	case negated:
		return HeldNegated, nil // never out without a senior, whatever the mode
	case restricted && mode != ReviewOff:
		return HeldRestricted, nil
	case mode == ReviewAll:
		return HeldAll, nil
	case mode == ReviewNew && s.reviewFirst > 0:
		n, err := s.db.ExpertAnswerCount(ctx, v.County.ID, expertID)
		if err != nil {
			return "", err
		}
		if n < s.reviewFirst {
			return HeldNew, nil
		}
	}
	return "", nil
}

// hold stores an answer held for reason, replacing one held before, with its messages.
func (s *Service) hold(ctx context.Context, v QuestionView, a store.Answer, reason string, findings []HeldFinding, updateID int64, out Out[AnswerResult]) (AnswerResult, error) {
	res := AnswerResult{QuestionView: v, GroupLanguage: s.language(ctx, v.Question.ChatID)}
	fj, err := json.Marshal(findings)
	if err != nil {
		return res, err
	}
	h := store.HeldAnswer{QuestionID: v.Question.ID, CountyID: v.County.ID, ExpertID: a.ExpertID, ExpertName: a.ExpertName,
		Text: a.Text, Kind: a.Kind, FileID: a.FileID, Reason: reason, Findings: fj, State: store.HeldReview, HeldAt: s.now()}
	if reason == HeldBanned {
		h.State = store.HeldWaiting
	}
	hv := &HeldView{QuestionView: v, Findings: findings, GroupLanguage: res.GroupLanguage}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		held, replaced, first, err := tx.HoldAnswer(ctx, h, updateID)
		if err != nil {
			return err
		}
		hv.Held, hv.FirstHold = held, first
		for _, r := range replaced {
			copies, err := tx.BotMessagesFor(ctx, store.MessageHeldReview, r.ID)
			if err != nil {
				return err
			}
			hv.Replaced = append(hv.Replaced, copies...)
		}
		if err := tx.AddEvent(ctx, store.Event{QuestionID: v.Question.ID, Kind: "held", ActorID: a.ExpertID,
			Detail: map[string]any{"held": held.ID, "reason": reason}, At: held.HeldAt}); err != nil {
			return err
		}
		if err := s.fillHeld(ctx, tx, hv); err != nil {
			return err
		}
		res.Held = hv
		return tx.Enqueue(ctx, out.render(res)...)
	})
	return res, err
}

// fillHeld reads, inside the transaction, what the held answer's messages need.
func (s *Service) fillHeld(ctx context.Context, tx *store.Tx, hv *HeldView) error {
	ids := []int64{hv.Held.ExpertID}
	if hv.Held.State == store.HeldReview {
		ids = append(ids, hv.County.SeniorIDs()...)
		media, err := tx.QuestionMedia(ctx, hv.Question.ID)
		if err != nil {
			return err
		}
		hv.Media = media
	}
	prefs, err := tx.LanguagePrefs(ctx, ids)
	if err != nil {
		return err
	}
	hv.ExpertLanguage = prefs[hv.Held.ExpertID]
	hv.Seniors = nil
	if hv.Held.State == store.HeldReview {
		for _, id := range hv.County.SeniorIDs() {
			hv.Seniors = append(hv.Seniors, AdminContact{UserID: id, Language: prefs[id]})
		}
	}
	return nil
}

// heldView reads a held answer with its question.
func (s *Service) heldView(ctx context.Context, id int64) (HeldView, error) {
	h, err := s.db.Held(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return HeldView{}, ErrNoSuchHeld
	}
	if err != nil {
		return HeldView{}, err
	}
	v, err := s.Question(ctx, h.QuestionID)
	if err != nil {
		return HeldView{}, err
	}
	return HeldView{QuestionView: v, Held: h, Findings: Findings(h)}, nil
}

// SendHeldToReview sends an answer held for a banned name to the seniors, on the word of
// its expert (a false alarm: "千万不要用百草枯"). Anyone else gets ErrNotHeldExpert; an
// answer no longer waiting (replaced, sent already, the question gone elsewhere) gets
// ErrHeldSettled with it as it stands.
func (s *Service) SendHeldToReview(ctx context.Context, heldID, userID int64, out Out[HeldView]) (HeldView, error) {
	hv, err := s.heldView(ctx, heldID)
	if err != nil {
		return hv, err
	}
	if hv.Held.ExpertID != userID {
		return hv, ErrNotHeldExpert
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		h, err := tx.SendHeldToReview(ctx, heldID, userID, s.now())
		if err != nil {
			return err
		}
		hv.Held = h
		if err := s.fillHeld(ctx, tx, &hv); err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(hv)...)
	})
	if errors.Is(err, store.ErrConflict) {
		return hv, ErrHeldSettled
	}
	return hv, err
}

// HeldDecision is a senior's decision on a held answer.
type HeldDecision struct {
	HeldView
	// Senior is who decided (for ErrHeldSettled: who did, in Held.DecidedBy/Name).
	Senior Person
	// Answer is the answer archived and posted, when approved.
	Answer store.Answer
	// Copies are the seniors' copies of the held answer, to say who decided and how.
	Copies []store.BotMessage
	// Reach says whether the question's group still has the bot (gone.go).
	Reach store.Reach
	// Refused are the banned names of a senior's corrected text (ErrSeniorBanned).
	Refused []HeldFinding
}

// DecideHeld records a senior's decision on an answer in review: approve (with corrected
// text, when the senior wrote one: 修改后通过) or return it to its expert. Exactly one
// senior decides; the others get ErrHeldSettled with the decision as it stands. Only a
// senior or admin of the question's county may (ErrNotSenior). A corrected text passes the
// pesticide check too: one naming a banned pesticide is refused (ErrSeniorBanned).
func (s *Service) DecideHeld(ctx context.Context, heldID int64, senior Person, approve bool, corrected string, out Out[HeldDecision]) (HeldDecision, error) {
	hv, err := s.heldView(ctx, heldID)
	res := HeldDecision{HeldView: hv, Senior: senior}
	if err != nil {
		return res, err
	}
	if !hv.County.IsSenior(senior.ID) {
		return res, ErrNotSenior
	}
	if hv.Held.State != store.HeldReview {
		return res, ErrHeldSettled
	}
	corrected = cleanText(corrected)
	if corrected != "" {
		for _, f := range s.pesticideCheck(hv.QuestionView, corrected) {
			if f.Banned && !f.Negated {
				res.Refused = append(res.Refused, f)
			}
		}
		if len(res.Refused) > 0 {
			return res, ErrSeniorBanned
		}
	}
	state := store.HeldReturned
	if approve {
		state = store.HeldApproved
	}
	res.GroupLanguage = s.language(ctx, hv.Question.ChatID)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		h, q, a, err := tx.DecideHeld(ctx, heldID, state, senior.ID, senior.Name, corrected, s.now())
		if err != nil {
			return err
		}
		res.Held, res.Answer = h, a
		if q.ID != 0 {
			res.Question = q
		}
		detail := map[string]any{"held": h.ID, "senior": senior.ID, "decision": state}
		kind := "held_returned"
		if approve {
			kind, detail["answer"] = "answered", a.ID
			if err := tx.AppendSearch(ctx, q.ID, SearchVector(a.Text, 'B'), true); err != nil {
				return err
			}
			if res.Reach, err = tx.ReachOf(ctx, q.ChatID, q.FarmerID); err != nil {
				return err
			}
		}
		if err := tx.AddEvent(ctx, store.Event{QuestionID: h.QuestionID, Kind: kind, ActorID: senior.ID, Detail: detail, At: h.DecidedAt}); err != nil {
			return err
		}
		if res.Copies, err = tx.BotMessagesFor(ctx, store.MessageHeldReview, h.ID); err != nil {
			return err
		}
		prefs, err := tx.LanguagePrefs(ctx, []int64{h.ExpertID})
		if err != nil {
			return err
		}
		res.ExpertLanguage = prefs[h.ExpertID]
		return tx.Enqueue(ctx, out.render(res)...)
	})
	if errors.Is(err, store.ErrConflict) {
		// Another senior decided first, or the question left its expert meanwhile.
		if h, rerr := s.db.Held(ctx, heldID); rerr == nil {
			res.Held = h
		}
		return res, ErrHeldSettled
	}
	if err == nil && approve {
		s.memo.forget()
	}
	return res, err
}

// NoteHeld passes the note of the senior who returned an answer to its expert, and keeps
// it. Anyone else, or an answer not returned by them, gets ErrHeldSettled.
func (s *Service) NoteHeld(ctx context.Context, heldID int64, senior Person, note string, out Out[HeldDecision]) (HeldDecision, error) {
	hv, err := s.heldView(ctx, heldID)
	res := HeldDecision{HeldView: hv, Senior: senior}
	if err != nil {
		return res, err
	}
	note = cleanText(note)
	if note == "" {
		return res, ErrEmptyAnswer
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		h, err := tx.SetHeldNote(ctx, heldID, senior.ID, note)
		if err != nil {
			return err
		}
		res.Held = h
		prefs, err := tx.LanguagePrefs(ctx, []int64{h.ExpertID})
		if err != nil {
			return err
		}
		res.ExpertLanguage = prefs[h.ExpertID]
		return tx.Enqueue(ctx, out.render(res)...)
	})
	if errors.Is(err, store.ErrConflict) {
		return res, ErrHeldSettled
	}
	return res, err
}

// HeldPush is a held answer in review past REVIEW_SLA, shown again: Pushes 1 to the
// seniors, 2 to the admins.
type HeldPush struct {
	HeldView
	Pushes int
	// To are those it goes to, with their languages.
	To []AdminContact
}

// PushLateHeld shows each answer in review undecided for sla to the seniors once more,
// and after another sla to the county's admins; each push once. It returns how many it
// pushed. Like the question's SLAs (EscalateLate), sla is counted on the clock.
func (s *Service) PushLateHeld(ctx context.Context, sla time.Duration, out Out[HeldPush]) (int, error) {
	late, err := s.db.LateHeld(ctx, s.now().Add(-sla))
	if err != nil {
		return 0, err
	}
	pushed := 0
	for _, h := range late {
		v, err := s.Question(ctx, h.QuestionID)
		if err != nil {
			continue // its county left the file
		}
		res := HeldPush{HeldView: HeldView{QuestionView: v, Findings: Findings(h)}}
		err = s.db.InTx(ctx, func(tx *store.Tx) error {
			h, err := tx.MarkHeldPushed(ctx, h.ID, h.Pushes, s.now())
			if err != nil {
				return err
			}
			res.Held, res.Pushes = h, h.Pushes
			if err := s.fillHeld(ctx, tx, &res.HeldView); err != nil {
				return err
			}
			res.To = res.Seniors
			if h.Pushes >= 2 {
				if res.To, err = adminContacts(ctx, tx, v.County); err != nil {
					return err
				}
			}
			return tx.Enqueue(ctx, out.render(res)...)
		})
		if errors.Is(err, store.ErrConflict) {
			continue // decided, or pushed by another instance, meanwhile
		}
		if err != nil {
			return pushed, fmt.Errorf("push held answer %d: %w", h.ID, err)
		}
		pushed++
	}
	return pushed, nil
}

// cleanText trims a text and makes a blank one empty.
func cleanText(s string) string {
	s = strings.TrimSpace(s)
	if Blank(s) {
		return ""
	}
	return s
}
