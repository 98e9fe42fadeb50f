package web

import (
	"cmp"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/agriclinic/agriclinic/bot"
	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// The management pages: experts, groups, categories and visits of the session's county.
// Reviewers read them; only admins change anything, and every change is a POST carrying
// the session's CSRF token.

type expertsPage struct {
	page
	Experts  []store.ExpertLoadRow
	Requests []store.ExpertRequest
	Admin    bool
}

func (d *Dashboard) experts(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	lang := langOf(r)
	rows, err := d.DB.CountyExpertLoad(r.Context(), s.County.ID, d.now())
	if err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "experts"), tr(lang, "down"))
		return
	}
	requests, err := d.DB.PendingExpertRequests(r.Context(), s.County.ID)
	if err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "experts"), tr(lang, "down"))
		return
	}
	d.render(w, r, http.StatusOK, "experts", expertsPage{page: page{Lang: lang, Title: tr(lang, "experts"), Session: s},
		Experts: rows, Requests: requests, Admin: s.Role == store.RoleAdmin})
}

// decideRequest approves or rejects an expert request from the experts page; the
// applicant and every admin's copy of the request in Telegram are told, as when an admin
// presses the button there.
func (d *Dashboard) decideRequest(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	d.change(w, r, s, "experts", "/experts", func() error {
		id, err := pathID(r, consult.ErrNoSuchRequest)
		if err != nil {
			return err
		}
		req, _, err := d.Svc.ExpertRequest(r.Context(), id)
		if err == nil && req.CountyID != s.County.ID {
			err = consult.ErrNoSuchRequest
		}
		if err != nil {
			return err
		}
		approve := r.PostFormValue("decision") == "approve"
		_, _, err = d.Svc.DecideExpert(r.Context(), id, s.UserID, approve, bot.DecisionMessages(tr(langOf(r), "viadashboard"), approve))
		return err
	}, outcome{consult.ErrNoSuchRequest, http.StatusNotFound, "norequest"}, outcome{consult.ErrAlreadyDecided, http.StatusConflict, "decided"})
}

// outcome is how one of a change's errors is shown: its status and text.
type outcome struct {
	err    error
	status int
	text   string
}

// change runs an admin's change posted from a page (title names it, back is where to
// return): it checks the form (postedBy: its size and the session's CSRF token) and the
// admin role, runs do, and answers with a redirect back, the message of the first outcome
// whose error do returned (a non-admin gets 403), or 503 when the archive could not be
// reached.
func (d *Dashboard) change(w http.ResponseWriter, r *http.Request, s *consult.Session, title, back string, do func() error, known ...outcome) {
	lang := langOf(r)
	fail := func(status int, text string) { d.message(w, r, status, s, tr(lang, title), tr(lang, text)) }
	if !d.postedBy(w, r, s, title) {
		return
	}
	if s.Role != store.RoleAdmin {
		fail(http.StatusForbidden, "readonly")
		return
	}
	err := do()
	if err == nil {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	for _, o := range append(known, outcome{consult.ErrNotAdmin, http.StatusForbidden, "readonly"}) {
		if errors.Is(err, o.err) {
			fail(o.status, o.text)
			return
		}
	}
	fail(http.StatusServiceUnavailable, "down")
}

// pathID reads the {id} of a change's address; a malformed one is as absent as notFound.
func pathID(r *http.Request, notFound error) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, notFound
	}
	return id, nil
}

// editExpert saves an expert's categories and duty from the experts page.
func (d *Dashboard) editExpert(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	d.change(w, r, s, "experts", "/experts", func() error {
		id, err := pathID(r, consult.ErrNotExpert)
		if err != nil {
			return err
		}
		onDuty := r.PostFormValue("duty") == "on"
		return d.Svc.EditExpert(r.Context(), s.UserID, s.County.ID, id, r.PostForm["category"], &onDuty)
	}, outcome{consult.ErrNotExpert, http.StatusNotFound, "noexpert"},
		outcome{consult.ErrNoCategories, http.StatusBadRequest, "needcategory"},
		outcome{consult.ErrUnknownCategory, http.StatusBadRequest, "needcategory"})
}

type groupsPage struct {
	page
	Groups []store.GroupRow
	// Dead are the updates set aside (see problems.go); Admin may retry them.
	Dead  []store.DeadUpdate
	Admin bool
	// Asking says how farmers can ask in each group, by chat id (standing.go).
	Asking map[int64]string
	// Failed are the messages given up on, Removed the groups that removed the bot
	// (problems.go).
	Failed  []store.FailedMessage
	Removed []store.RemovedGroup
}

func (d *Dashboard) groups(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	lang := langOf(r)
	rows, err := d.DB.CountyGroupRows(r.Context(), s.County.ID)
	if err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "groups"), tr(lang, "down"))
		return
	}
	dead, err := d.DB.DeadUpdates(r.Context(), s.County.ID, deadShown)
	if err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "groups"), tr(lang, "down"))
		return
	}
	failed, removed, err := d.gone(r.Context(), s.County.ID)
	if err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "groups"), tr(lang, "down"))
		return
	}
	d.render(w, r, http.StatusOK, "groups", groupsPage{page: page{Lang: lang, Title: tr(lang, "groups"), Session: s}, Groups: rows,
		Dead: dead, Admin: s.Role == store.RoleAdmin, Asking: d.asking(r.Context(), lang, rows), Failed: failed, Removed: removed})
}

type categoriesPage struct {
	page
	Learned map[string][]string
	Admin   bool
}

func (d *Dashboard) categories(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	lang := langOf(r)
	d.render(w, r, http.StatusOK, "categories", categoriesPage{page: page{Lang: lang, Title: tr(lang, "categories"), Session: s},
		Learned: d.Svc.LearnedFor(s.County.ID), Admin: s.Role == store.RoleAdmin})
}

// addKeyword adds a routing keyword to a category from the categories page.
func (d *Dashboard) addKeyword(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	d.change(w, r, s, "categories", "/categories", func() error {
		_, _, err := d.Svc.AddKeyword(r.Context(), s.UserID, s.County.ID, r.PathValue("id"), r.PostFormValue("keyword"))
		return err
	}, outcome{consult.ErrUnknownCategory, http.StatusBadRequest, "badkeyword"})
}

type visitsPage struct {
	page
	Admin         bool
	Dates         []time.Time
	Slots         []string
	Candidates    []store.ExpertLoadRow
	Month         string
	Prev, Next    string
	Visits        []store.Visit
	Experts       map[int64][]store.Expert
	Reports       map[int64]store.VisitReport
	Pending, Done int
}

// visits shows a month of the county's visits and the orders waiting for a decision.
func (d *Dashboard) visits(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	lang := langOf(r)
	loc := time.UTC
	if s.County.Location != nil {
		loc = s.County.Location
	}
	month, err := time.ParseInLocation("2006-01", r.URL.Query().Get("month"), loc)
	if err != nil {
		now := d.now().In(loc)
		month = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	}
	list, err := d.DB.MonthVisits(r.Context(), s.County.ID, month, month.AddDate(0, 1, 0))
	if err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "visits"), tr(lang, "down"))
		return
	}
	ids := make([]int64, len(list))
	p := visitsPage{page: page{Lang: lang, Title: tr(lang, "visits"), Session: s}, Visits: list,
		Admin: s.Role == store.RoleAdmin, Dates: d.Svc.VisitDates(s.County), Slots: consult.VisitSlots,
		Month: month.Format("2006-01"), Prev: month.AddDate(0, -1, 0).Format("2006-01"), Next: month.AddDate(0, 1, 0).Format("2006-01")}
	p.Reports = map[int64]store.VisitReport{}
	for i, v := range list {
		ids[i] = v.ID
		switch v.Status {
		case store.VisitOrdered, store.VisitProposed:
			p.Pending++
		case store.VisitDone:
			p.Done++
			if rep, err := d.DB.VisitReportOf(r.Context(), v.ID); err == nil {
				p.Reports[v.ID] = rep
			}
		}
	}
	if p.Admin && p.Pending > 0 {
		if p.Candidates, err = d.DB.CountyExpertLoad(r.Context(), s.County.ID, d.now()); err != nil {
			d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "visits"), tr(lang, "down"))
			return
		}
	}
	if p.Experts, err = d.DB.VisitExperts(r.Context(), ids); err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "visits"), tr(lang, "down"))
		return
	}
	d.render(w, r, http.StatusOK, "visits", p)
}

// approveVisit schedules an ordered visit from the visits page: a day, a time and the
// experts, as the buttons in Telegram do, and tells everyone the same way.
func (d *Dashboard) approveVisit(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	ctx := r.Context()
	d.change(w, r, s, "visits", "/visits", func() error {
		id, err := pathID(r, consult.ErrNoSuchVisit)
		if err != nil {
			return err
		}
		if v, err := d.Svc.Visit(ctx, id); err != nil || v.County.ID != s.County.ID {
			return cmp.Or(err, consult.ErrNoSuchVisit)
		}
		loc := time.UTC
		if s.County.Location != nil {
			loc = s.County.Location
		}
		at, err := time.ParseInLocation("2006-01-02 15:04", r.PostFormValue("date")+" "+r.PostFormValue("time"), loc)
		if err != nil {
			return consult.ErrTimeNotOffered
		}
		if _, err := d.Svc.ChooseTime(ctx, id, s.UserID, at, nil); err != nil {
			return err
		}
		for _, e := range r.PostForm["expert"] {
			uid, err := strconv.ParseInt(e, 10, 64)
			if err != nil {
				return consult.ErrNotExpert
			}
			if _, err := d.Svc.ChooseExpert(ctx, id, s.UserID, uid, true, nil); err != nil {
				return err
			}
		}
		_, err = d.Svc.ApproveVisit(ctx, id, s.UserID, bot.VisitApprovedMessages(s.UserID, tr(langOf(r), "viadashboard")))
		return err
	}, outcome{consult.ErrNoSuchVisit, http.StatusNotFound, "novisit"},
		outcome{consult.ErrTimeNotOffered, http.StatusBadRequest, "badtime"},
		outcome{consult.ErrNoExpertChosen, http.StatusBadRequest, "pickexpert"},
		outcome{consult.ErrNotExpert, http.StatusBadRequest, "pickexpert"},
		outcome{consult.ErrAlreadyDecided, http.StatusConflict, "decided"})
}

// removeExpert ends an expert's registration from the experts page.
func (d *Dashboard) removeExpert(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	d.change(w, r, s, "experts", "/experts", func() error {
		id, err := pathID(r, consult.ErrNotExpert)
		if err != nil {
			return err
		}
		return d.Svc.RemoveExpert(r.Context(), s.UserID, s.County.ID, id, bot.ExpertRemovedMessages(s.County.Name))
	}, outcome{consult.ErrNotExpert, http.StatusNotFound, "noexpert"})
}
