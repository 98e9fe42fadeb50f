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

// actionVisitFromAlert orders a visit to an outbreak's township (id: the alert).
const actionVisitFromAlert = "outbreakvisit"

// OutbreakMessages alerts every admin of the county to a pest or disease breaking out in
// one township, with its questions and a button to order a visit there.
func OutbreakMessages(o consult.Outbreak) []store.Message {
	var msgs []store.Message
	for _, admin := range o.County.Admins {
		l := langFromCode(o.AdminLanguages[admin])
		var b strings.Builder
		fmt.Fprintf(&b, l.pick("⚠️ <b>疑似病虫害暴发：%s · %s</b>\n近 7 天有 %d 个问题提到“%s”（以往每周约 %.1f 个）。",
			"⚠️ <b>Possible outbreak: %s · %s</b>\n%d questions in the last 7 days name “%s” (usually about %.1f a week)."),
			esc(o.Alert.Township), esc(o.Alert.Term), o.Count, esc(o.Alert.Term), o.Baseline)
		for _, q := range o.Questions {
			fmt.Fprintf(&b, "\n#%d %s · %s", q.ID, localTime(q.AskedAt, o.County), esc(snippet(q.Text, 40)))
		}
		kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(
			fmt.Sprintf(l.pick("🚜 安排专家到%s上门服务", "🚜 Order an expert visit to %s"), o.Alert.Township), callbackData(actionVisitFromAlert, o.Alert.ID))))
		msgs = append(msgs, sendTo(admin, b.String(), kb)...)
	}
	return msgs
}

// visitFromAlert orders the visit an outbreak alert offers.
func (b *Bot) visitFromAlert(ctx context.Context, cq *tgbotapi.CallbackQuery, alertID int64) error {
	l := b.langFor(ctx, cq.From)
	v, err := b.svc.VisitFromAlert(ctx, alertID, cq.From.ID)
	switch {
	case errors.Is(err, consult.ErrNotAdmin):
		b.answerCallback(ctx, cq, l.pick("只有本县管理员可以安排上门服务。", "Only an admin of this county can order a visit."), true)
		return nil
	case errors.Is(err, consult.ErrNoSuchRequest):
		b.answerCallback(ctx, cq, l.pick("这个按钮已失效。", "This button no longer works."), true)
		return nil
	case errors.Is(err, store.ErrDuplicate):
		b.answerCallback(ctx, cq, fmt.Sprintf(l.pick("已经有上门服务单 #%d 了。", "Visit order #%d exists already."), v.ID), false)
		return nil
	case err != nil:
		return err
	}
	b.answerCallback(ctx, cq, fmt.Sprintf(l.pick("已创建上门服务单 #%d", "Visit order #%d created"), v.ID), false)
	if cq.Message == nil || cq.Message.Chat == nil {
		return nil
	}
	return b.db.Enqueue(ctx, sendTo(cq.Message.Chat.ID, fmt.Sprintf(l.pick(
		"🚜 已创建上门服务单 <b>#%d</b>：%s · %s。请安排日期和专家。",
		"🚜 Visit order <b>#%d</b> created: %s · %s. Set its date and experts next."), v.ID, esc(v.Township), esc(v.Topic)),
		tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(
			fmt.Sprintf(l.pick("处理 #%d", "Decide #%d"), v.ID), callbackData(actionVisitOpen, v.ID)))))...)
}
