package web

import (
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
	lang := langOf(r)
	if !d.change(w, r, s) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		d.message(w, r, http.StatusNotFound, s, tr(lang, "experts"), tr(lang, "norequest"))
		return
	}
	approve := r.PostFormValue("decision") == "approve"
	req, _, err := d.Svc.ExpertRequest(r.Context(), id)
	if err == nil && req.CountyID != s.County.ID {
		err = consult.ErrNoSuchRequest
	}
	if err == nil {
		_, _, err = d.Svc.DecideExpert(r.Context(), id, s.UserID, approve, bot.DecisionMessages(tr(lang, "viadashboard"), approve))
	}
	switch {
	case errors.Is(err, consult.ErrNoSuchRequest):
		d.message(w, r, http.StatusNotFound, s, tr(lang, "experts"), tr(lang, "norequest"))
	case errors.Is(err, consult.ErrAlreadyDecided):
		d.message(w, r, http.StatusConflict, s, tr(lang, "experts"), tr(lang, "decided"))
	case errors.Is(err, consult.ErrNotAdmin):
		d.message(w, r, http.StatusForbidden, s, tr(lang, "experts"), tr(lang, "readonly"))
	case err != nil:
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "experts"), tr(lang, "down"))
	default:
		http.Redirect(w, r, "/experts", http.StatusSeeOther)
	}
}

// change guards a POST: the session's CSRF token, and the admin role.
func (d *Dashboard) change(w http.ResponseWriter, r *http.Request, s *consult.Session) bool {
	lang := langOf(r)
	switch {
	case r.PostFormValue("csrf") != s.CSRF:
		d.message(w, r, http.StatusForbidden, s, tr(lang, "experts"), tr(lang, "csrf"))
		return false
	case s.Role != store.RoleAdmin:
		d.message(w, r, http.StatusForbidden, s, tr(lang, "experts"), tr(lang, "readonly"))
		return false
	}
	return true
}

// editExpert saves an expert's categories and duty from the experts page.
func (d *Dashboard) editExpert(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	lang := langOf(r)
	if !d.change(w, r, s) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		d.message(w, r, http.StatusNotFound, s, tr(lang, "experts"), tr(lang, "noexpert"))
		return
	}
	onDuty := r.PostFormValue("duty") == "on"
	err = d.Svc.EditExpert(r.Context(), s.UserID, s.County.ID, id, r.PostForm["category"], &onDuty)
	switch {
	case errors.Is(err, consult.ErrNotExpert):
		d.message(w, r, http.StatusNotFound, s, tr(lang, "experts"), tr(lang, "noexpert"))
	case errors.Is(err, consult.ErrNoCategories), errors.Is(err, consult.ErrUnknownCategory):
		d.message(w, r, http.StatusBadRequest, s, tr(lang, "experts"), tr(lang, "needcategory"))
	case errors.Is(err, consult.ErrNotAdmin):
		d.message(w, r, http.StatusForbidden, s, tr(lang, "experts"), tr(lang, "readonly"))
	case err != nil:
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "experts"), tr(lang, "down"))
	default:
		http.Redirect(w, r, "/experts", http.StatusSeeOther)
	}
}

type groupsPage struct {
	page
	Groups []store.GroupRow
}

func (d *Dashboard) groups(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	lang := langOf(r)
	rows, err := d.DB.CountyGroupRows(r.Context(), s.County.ID)
	if err != nil {
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "groups"), tr(lang, "down"))
		return
	}
	d.render(w, r, http.StatusOK, "groups", groupsPage{page: page{Lang: lang, Title: tr(lang, "groups"), Session: s}, Groups: rows})
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
	lang := langOf(r)
	if !d.change(w, r, s) {
		return
	}
	if _, _, err := d.Svc.AddKeyword(r.Context(), s.UserID, s.County.ID, r.PathValue("id"), r.PostFormValue("keyword")); err != nil {
		d.message(w, r, http.StatusBadRequest, s, tr(lang, "categories"), tr(lang, "badkeyword"))
		return
	}
	http.Redirect(w, r, "/categories", http.StatusSeeOther)
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
	lang := langOf(r)
	if !d.change(w, r, s) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	v, verr := d.Svc.Visit(r.Context(), id)
	if err != nil || verr != nil || v.County.ID != s.County.ID {
		d.message(w, r, http.StatusNotFound, s, tr(lang, "visits"), tr(lang, "novisit"))
		return
	}
	loc := time.UTC
	if s.County.Location != nil {
		loc = s.County.Location
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", r.PostFormValue("date")+" "+r.PostFormValue("time"), loc)
	if err != nil {
		d.message(w, r, http.StatusBadRequest, s, tr(lang, "visits"), tr(lang, "badtime"))
		return
	}
	ctx := r.Context()
	if _, err = d.Svc.ChooseTime(ctx, id, s.UserID, at, nil); err == nil {
		for _, e := range r.PostForm["expert"] {
			uid, perr := strconv.ParseInt(e, 10, 64)
			if perr != nil {
				err = consult.ErrNotExpert
				break
			}
			if _, err = d.Svc.ChooseExpert(ctx, id, s.UserID, uid, true, nil); err != nil {
				break
			}
		}
	}
	if err == nil {
		_, err = d.Svc.ApproveVisit(ctx, id, s.UserID, bot.VisitApprovedMessages(s.UserID, tr(lang, "viadashboard")))
	}
	switch {
	case errors.Is(err, consult.ErrTimeNotOffered):
		d.message(w, r, http.StatusBadRequest, s, tr(lang, "visits"), tr(lang, "badtime"))
	case errors.Is(err, consult.ErrNoExpertChosen), errors.Is(err, consult.ErrNotExpert):
		d.message(w, r, http.StatusBadRequest, s, tr(lang, "visits"), tr(lang, "pickexpert"))
	case errors.Is(err, consult.ErrAlreadyDecided):
		d.message(w, r, http.StatusConflict, s, tr(lang, "visits"), tr(lang, "decided"))
	case errors.Is(err, consult.ErrNotAdmin):
		d.message(w, r, http.StatusForbidden, s, tr(lang, "visits"), tr(lang, "readonly"))
	case err != nil:
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "visits"), tr(lang, "down"))
	default:
		http.Redirect(w, r, "/visits", http.StatusSeeOther)
	}
}

// removeExpert ends an expert's registration from the experts page.
func (d *Dashboard) removeExpert(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	lang := langOf(r)
	if !d.change(w, r, s) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		err = d.Svc.RemoveExpert(r.Context(), s.UserID, s.County.ID, id, bot.ExpertRemovedMessages(s.County.Name))
	}
	switch {
	case err != nil && (errors.Is(err, consult.ErrNotExpert) || errors.Is(err, strconv.ErrSyntax)):
		d.message(w, r, http.StatusNotFound, s, tr(lang, "experts"), tr(lang, "noexpert"))
	case errors.Is(err, consult.ErrNotAdmin):
		d.message(w, r, http.StatusForbidden, s, tr(lang, "experts"), tr(lang, "readonly"))
	case err != nil:
		d.message(w, r, http.StatusServiceUnavailable, s, tr(lang, "experts"), tr(lang, "down"))
	default:
		http.Redirect(w, r, "/experts", http.StatusSeeOther)
	}
}
