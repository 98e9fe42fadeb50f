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
		fmt.Fprintf(&b, l.T("outbreak.possible_outbreak_questions_last"),
			esc(o.Alert.Township), esc(o.Alert.Term), o.Count, esc(o.Alert.Term), o.Baseline)
		for _, q := range o.Questions {
			fmt.Fprintf(&b, "\n#%d %s · %s", q.ID, localTime(q.AskedAt, o.County), esc(snippet(q.Text, 40)))
		}
		kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(
			l.F("outbreak.order_expert_visit", o.Alert.Township), callbackData(actionVisitFromAlert, o.Alert.ID))))
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
		b.answerCallback(ctx, cq, l.T("outbreak.only_admin_county_can"), true)
		return nil
	case errors.Is(err, consult.ErrNoSuchRequest):
		b.answerCallback(ctx, cq, l.T("buttons.button_no_longer_works"), true)
		return nil
	case errors.Is(err, store.ErrDuplicate):
		b.answerCallback(ctx, cq, l.F("outbreak.visit_order_exists_already", v.ID), false)
		return nil
	case err != nil:
		return err
	}
	b.answerCallback(ctx, cq, l.F("outbreak.visit_order_created", v.ID), false)
	if cq.Message == nil || cq.Message.Chat == nil {
		return nil
	}
	return b.db.Enqueue(ctx, sendTo(cq.Message.Chat.ID, l.F("outbreak.visit_order_created_set", v.ID, esc(v.Township), esc(v.Topic)),
		tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(
			l.F("outbreak.decide", v.ID), callbackData(actionVisitOpen, v.ID)))))...)
}
