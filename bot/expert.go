package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// expertRequest handles /expert <category>… in a private chat: the request goes to every
// admin of the county with Approve and Reject buttons.
func (b *Bot) expertRequest(ctx context.Context, in *incoming) error {
	l := in.lang
	r, county, err := b.svc.RequestExpert(ctx, consult.ExpertRequestInput{
		Person: person(in.msg.From), Args: strings.Fields(in.args), UpdateID: in.updateID,
	})
	switch {
	case errors.Is(err, consult.ErrNoCategories), errors.Is(err, consult.ErrUnknownCategory):
		var b2 strings.Builder
		if errors.Is(err, consult.ErrUnknownCategory) {
			fmt.Fprintf(&b2, l.pick("没有这个类别：%s\n", "Unknown category: %s\n"), esc(strings.TrimPrefix(err.Error(), consult.ErrUnknownCategory.Error()+": ")))
		}
		b2.WriteString(l.pick("用法：/expert 类别…，例如 /expert 水稻 茶叶\n可选类别：", "Usage: /expert &lt;category&gt;…, e.g. /expert rice tea\nCategories: "))
		for i := range b.svc.Counties() {
			c := &b.svc.Counties()[i]
			if len(b.svc.Counties()) > 1 {
				b2.WriteString("\n" + esc(c.Name) + " (" + esc(c.ID) + "): ")
			}
			b2.WriteString(categoryList(l, c))
		}
		b.reply(ctx, in.msg, b2.String(), nil)
		return nil
	case errors.Is(err, consult.ErrAmbiguousCounty):
		var ids []string
		for _, c := range b.svc.Counties() {
			ids = append(ids, c.ID+" "+c.Name)
		}
		b.reply(ctx, in.msg, l.pick("请先写县名，例如 /expert ", "Name the county first, e.g. /expert ")+esc(b.svc.Counties()[0].ID)+" rice\n"+esc(strings.Join(ids, "\n")), nil)
		return nil
	case errors.Is(err, store.ErrDuplicate):
		return nil
	case err != nil:
		return err
	}
	b.reply(ctx, in.msg, fmt.Sprintf(l.pick("已提交专家申请：%s %s。县农业农村局管理员审核后会通知你。",
		"Your request to answer %s questions about %s is sent; a county admin will review it."),
		esc(county.Name), categoryNames(l, county, r.Categories)), nil)
	for _, admin := range county.Admins {
		if sent, ok := b.send(ctx, admin, expertRequestText(zh, r, county), decisionKeyboard(zh, r.ID)); ok {
			b.remember(ctx, sent, store.MessageExpertRequest, r.ID, admin, zh)
		}
	}
	return nil
}

// decideExpert handles an admin's Approve or Reject press.
func (b *Bot) decideExpert(ctx context.Context, q *tgbotapi.CallbackQuery, requestID int64, approve bool) error {
	l := langOf(q.From)
	r, county, err := b.svc.DecideExpert(ctx, requestID, q.From.ID, approve)
	switch {
	case errors.Is(err, consult.ErrNotAdmin):
		b.answerCallback(ctx, q, l.pick("只有本县管理员可以审核。", "Only an admin of this county can decide."), true)
		return nil
	case errors.Is(err, consult.ErrNoSuchRequest):
		b.answerCallback(ctx, q, l.pick("申请不存在。", "No such request."), true)
		return nil
	case errors.Is(err, consult.ErrAlreadyDecided):
		b.answerCallback(ctx, q, l.pick("这个申请已经处理过了。", "This request was already decided."), false)
		b.refreshRequestMessages(ctx, r, county, "")
		return nil
	case err != nil:
		return err
	}
	b.answerCallback(ctx, q, l.pick("已处理", "Done"), false)
	b.refreshRequestMessages(ctx, r, county, personName(q.From))

	el := langFromCode(r.Language)
	if approve {
		b.send(ctx, r.UserID, fmt.Sprintf(el.pick(
			"✅ 你已成为 %s 的专家：%s。现在是值班状态，新问题会私信通知你；发送 /queue 查看待认领的问题。",
			"✅ You are now an expert of %s for %s, and on duty: new questions come to you here; send /queue to see the open ones."),
			esc(county.Name), categoryNames(el, county, r.Categories)), nil)
	} else {
		b.send(ctx, r.UserID, el.pick("你的专家申请没有通过。如有疑问请联系县农业农村局。",
			"Your expert request was not approved. Please contact the county bureau if you have questions."), nil)
	}
	return nil
}

// refreshRequestMessages edits every admin's copy of a request to show how it was decided
// (and by whom, when known), so no second admin acts on it.
func (b *Bot) refreshRequestMessages(ctx context.Context, r store.ExpertRequest, county *consult.County, adminName string) {
	msgs, err := b.db.BotMessagesFor(ctx, store.MessageExpertRequest, r.ID)
	if err != nil {
		b.log.Warn("list request messages failed", "request", r.ID, "err", err)
		return
	}
	for _, m := range msgs {
		l := langFromCode(m.Language)
		b.edit(ctx, m.ChatID, int(m.MessageID), expertRequestText(l, r, county)+"\n\n"+expertDecisionLine(l, r, adminName), nil)
	}
}
