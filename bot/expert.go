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
	_, _, err := b.svc.RequestExpert(ctx, consult.ExpertRequestInput{
		Person: person(in.msg.From), Args: strings.Fields(in.args), UpdateID: in.updateID,
	}, func(res consult.ExpertRequestResult) []store.Message {
		r, county := res.Request, res.County
		msgs := in.replyWith(l.F("expert.your_request_answer_questions", esc(county.Name), categoryNames(l, county, r.Categories)), nil)
		for _, admin := range county.Admins {
			notice := sendTo(admin, expertRequestText(zh, r, county), decisionKeyboard(zh, r.ID))
			msgs = append(msgs, remembered(notice, store.MessageExpertRequest, r.ID, admin, zh)...)
		}
		return msgs
	})
	switch {
	case errors.Is(err, consult.ErrNoCategories), errors.Is(err, consult.ErrUnknownCategory):
		var s strings.Builder
		if errors.Is(err, consult.ErrUnknownCategory) {
			fmt.Fprintf(&s, l.T("expert.unknown_category"), echo(strings.TrimPrefix(err.Error(), consult.ErrUnknownCategory.Error()+": ")))
		}
		s.WriteString(l.T("expert.usage_expert_category_e"))
		counties := b.svc.Counties()
		for i := range counties {
			if len(counties) > 1 {
				s.WriteString("\n" + esc(counties[i].Name) + " (" + esc(counties[i].ID) + "): ")
			}
			s.WriteString(categoryList(l, &counties[i]))
		}
		return b.reply(ctx, in, s.String(), nil)
	case errors.Is(err, consult.ErrAmbiguousCounty):
		var ids []string
		for _, c := range b.svc.Counties() {
			ids = append(ids, c.ID+" "+c.Name)
		}
		return b.reply(ctx, in, l.T("expert.name_county_first_e")+esc(b.svc.Counties()[0].ID)+" rice\n"+esc(strings.Join(ids, "\n")), nil)
	case errors.Is(err, store.ErrDuplicate):
		return nil
	}
	return err
}

// decideExpert handles an admin's Approve or Reject press.
func (b *Bot) decideExpert(ctx context.Context, q *tgbotapi.CallbackQuery, requestID int64, approve bool) error {
	l := b.langFor(ctx, q.From)
	adminName := personName(q.From)
	decided := DecisionMessages(adminName, approve)
	r, county, err := b.svc.DecideExpert(ctx, requestID, q.From.ID, approve, func(res consult.ExpertRequestResult) []store.Message {
		res.Notices = withPressed(res.Notices, q, store.MessageExpertRequest, res.Request.ID, l)
		return decided(res)
	})
	switch {
	case errors.Is(err, consult.ErrNotAdmin):
		b.answerCallback(ctx, q, l.T("expert.only_admin_county_can"), true)
		return nil
	case errors.Is(err, consult.ErrNoSuchRequest):
		b.answerCallback(ctx, q, l.T("expert.no_such_request"), true)
		return nil
	case errors.Is(err, consult.ErrAlreadyDecided):
		b.answerCallback(ctx, q, l.T("expert.request_was_already_decided"), false)
		// The pressed copy may still show buttons (a newer request replaced it); settle it.
		if q.Message != nil && q.Message.Chat != nil {
			return b.db.Enqueue(ctx, editTo(q.Message.Chat.ID, int64(q.Message.MessageID),
				expertRequestText(l, r, county)+"\n\n"+expertDecisionLine(l, r, "")))
		}
		return nil
	case err != nil:
		return err
	}
	b.answerCallback(ctx, q, l.T("expert.done"), false)
	return nil
}

// requestEdits updates every admin's copy of a decided request to show how it was decided
// and by whom, so no second admin acts on it.
func requestEdits(res consult.ExpertRequestResult, adminName string) []store.Message {
	var msgs []store.Message
	for _, m := range res.Notices {
		l := langFromCode(m.Language)
		msgs = append(msgs, editTo(m.ChatID, m.MessageID, expertRequestText(l, res.Request, res.County)+"\n\n"+expertDecisionLine(l, res.Request, adminName)))
	}
	return msgs
}

// withPressed adds the message whose button was pressed to the messages to update: it may
// have been delivered so recently that it is not yet recorded.
func withPressed(notices []store.BotMessage, q *tgbotapi.CallbackQuery, kind string, refID int64, l lang) []store.BotMessage {
	if q.Message == nil || q.Message.Chat == nil {
		return notices
	}
	for _, m := range notices {
		if m.ChatID == q.Message.Chat.ID && m.MessageID == int64(q.Message.MessageID) {
			return notices
		}
	}
	return append(notices, store.BotMessage{ChatID: q.Message.Chat.ID, MessageID: int64(q.Message.MessageID),
		Kind: kind, RefID: refID, UserID: q.From.ID, Language: l.Code()})
}

// DecisionMessages renders an admin's decision on an expert request, from a button in
// Telegram or from the dashboard: every admin's copy of the request shows it, and the
// applicant is told (an approved one also gets the expert commands in their menu).
func DecisionMessages(adminName string, approve bool) consult.Out[consult.ExpertRequestResult] {
	return func(res consult.ExpertRequestResult) []store.Message {
		r, county := res.Request, res.County
		msgs := requestEdits(res, adminName)
		el := langFromCode(r.Language)
		if !approve {
			return append(msgs, sendTo(r.UserID, el.T("expert.your_expert_request_was"), nil)...)
		}
		roles := []role{roleExpert}
		if county.IsAdmin(r.UserID) {
			roles = append(roles, roleAdmin)
		}
		msgs = append(msgs, personalMenu(r.UserID, roles...)...)
		return append(msgs, sendTo(r.UserID, el.F("expert.you_are_now_expert", esc(county.Name), categoryNames(el, county, r.Categories)), nil)...)
	}
}

// ExpertRemovedMessages tells an expert their registration in a county was ended.
func ExpertRemovedMessages(county string) consult.Out[store.Expert] {
	return func(e store.Expert) []store.Message {
		l := langFromCode(e.Language)
		return sendTo(e.UserID, l.F("expert.your_expert_registration_was", esc(county)), nil)
	}
}
