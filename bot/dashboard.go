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
		return b.reply(ctx, in, l.pick("网页后台还没有开通（需要设置 PUBLIC_URL）。", "The web dashboard is off (PUBLIC_URL is not set)."), nil)
	}
	links, err := b.svc.DashboardLinks(ctx, in.msg.From.ID)
	if errors.Is(err, consult.ErrNotPermitted) {
		return b.reply(ctx, in, l.pick("网页后台只给县局管理员和审阅人。", "The dashboard is for county admins and reviewers."), nil)
	}
	if err != nil {
		return err
	}
	var lines []string
	for _, k := range links {
		role := l.pick("管理员", "admin")
		if k.Role == store.RoleReviewer {
			role = l.pick("审阅", "reviewer")
		}
		link := strings.TrimRight(b.PublicURL, "/") + "/login?token=" + k.Token
		lines = append(lines, fmt.Sprintf("%s（%s）：%s", esc(k.County.Name), role, esc(link)))
	}
	return b.reply(ctx, in, l.pick("🔐 网页后台登录链接（10 分钟内有效，只能用一次，请勿转发）：\n", "🔐 Dashboard sign-in (valid 10 minutes, once; do not forward):\n")+strings.Join(lines, "\n"), nil)
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
		return b.reply(ctx, in, l.pick("用法：/reviewer Telegram ID（授予只读的网页后台权限），/reviewer off Telegram ID（收回）。对方可以发 /whoami 查看自己的 ID。",
			"Usage: /reviewer &lt;telegram id&gt; (read-only dashboard access), /reviewer off &lt;telegram id&gt; (take it back). People see their id with /whoami."), nil)
	}
	county, had, err := b.svc.SetReviewer(ctx, in.msg.From.ID, id, grant)
	switch {
	case errors.Is(err, consult.ErrNotAdmin):
		return b.reply(ctx, in, l.pick("只有县局管理员可以授予审阅权限。", "Only county admins grant reviewer access."), nil)
	case errors.Is(err, consult.ErrAmbiguousCounty):
		return b.reply(ctx, in, l.pick("你管理多个县，暂不支持在这里授权。", "You run several counties; grant from one county's admin account."), nil)
	case err != nil:
		return err
	case grant:
		return b.reply(ctx, in, fmt.Sprintf(l.pick("✅ %d 现在可以只读查看%s的网页后台（私聊机器人发 /dashboard）。", "✅ %d may now read %s's dashboard (they send /dashboard to the bot)."), id, esc(county.Name)), nil)
	case !had:
		return b.reply(ctx, in, fmt.Sprintf(l.pick("%d 本来就没有审阅权限。", "%d had no reviewer access."), id), nil)
	}
	return b.reply(ctx, in, fmt.Sprintf(l.pick("✅ 已收回 %d 的审阅权限，其登录已失效。", "✅ %d's reviewer access is taken back and their sessions ended."), id), nil)
}
