package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// dashboard handles /dashboard: one-time sign-in links to the web dashboard, one per
// county the person runs or reviews.
func (b *Bot) dashboard(ctx context.Context, in *incoming) error {
	l := in.lang
	if b.PublicURL == "" {
		return b.reply(ctx, in, l.T("dashboard.web_dashboard_off_public"), nil)
	}
	links, err := b.svc.DashboardLinks(ctx, in.msg.From.ID)
	if errors.Is(err, consult.ErrNotPermitted) {
		return b.reply(ctx, in, l.T("dashboard.dashboard_county_admins_reviewers"), nil)
	}
	if err != nil {
		return err
	}
	var lines []string
	for _, k := range links {
		role := l.T("dashboard.admin")
		if k.Role == store.RoleReviewer {
			role = l.T("dashboard.reviewer")
		}
		link := strings.TrimRight(b.PublicURL, "/") + "/login?token=" + k.Token
		lines = append(lines, fmt.Sprintf("%s（%s）：%s", esc(k.County.Name), role, esc(link)))
	}
	return b.reply(ctx, in, l.T("dashboard.dashboard_sign_valid_10")+strings.Join(lines, "\n"), nil)
}

// reviewer handles /reviewer <telegram id> and /reviewer off <telegram id> (admins):
// read-only access to the county's archive on the dashboard.
func (b *Bot) reviewer(ctx context.Context, in *incoming) error {
	l := in.lang
	args := strings.Fields(in.args)
	grant := true
	if len(args) == 2 && strings.EqualFold(args[0], "off") {
		grant, args = false, args[1:]
	}
	var id int64
	var err error
	if len(args) == 1 {
		id, err = strconv.ParseInt(args[0], 10, 64)
	}
	if len(args) != 1 || err != nil || id <= 0 {
		return b.reply(ctx, in, l.T("dashboard.usage_reviewer_telegram_id"), nil)
	}
	county, had, err := b.svc.SetReviewer(ctx, in.msg.From.ID, id, grant)
	switch {
	case errors.Is(err, consult.ErrNotAdmin):
		return b.reply(ctx, in, l.T("dashboard.only_county_admins_grant"), nil)
	case errors.Is(err, consult.ErrAmbiguousCounty):
		return b.reply(ctx, in, l.T("dashboard.you_run_several_counties"), nil)
	case err != nil:
		return err
	case grant:
		return b.reply(ctx, in, l.F("dashboard.may_now_read_dashboard", id, esc(county.Name)), nil)
	case !had:
		return b.reply(ctx, in, l.F("dashboard.had_no_reviewer_access", id), nil)
	}
	return b.reply(ctx, in, l.F("dashboard.reviewer_access_taken_back", id), nil)
}
