package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/i18n"
	"github.com/agriclinic/agriclinic/store"
)

// A form (consult/form.go) asks one thing per message. Each question — a prompt — is
// remembered, so that in a group the person's reply to it is read as the answer and not
// as a question; in a private chat their next message answers. A prompt's buttons are
// "vf:<form>:<step code>:<value>", where the value is "=<choice>", "-" (Skip), "!" (Done)
// or "x" (Cancel).
const actionForm = "vf"

// stepCodes keep a form button's data short: a category id may take 32 bytes.
var stepCodes = map[string]string{
	consult.StepTopic: "t", consult.StepCrops: "c", consult.StepProblem: "p", consult.StepHouseholds: "h",
	consult.StepPlace: "l", consult.StepDates: "d", consult.StepFound: "f", consult.StepAdvice: "a",
	consult.StepServed: "n", consult.StepPhotos: "i", consult.StepReason: "r",
}

func formData(formID int64, step, value string) string {
	return actionForm + ":" + strconv.FormatInt(formID, 10) + ":" + stepCodes[step] + ":" + value
}

// parseFormData reads a form button's data.
func parseFormData(data string) (formID int64, step, value string, ok bool) {
	parts := strings.SplitN(data, ":", 4)
	if len(parts) != 4 || parts[0] != actionForm {
		return 0, "", "", false
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || id <= 0 {
		return 0, "", "", false
	}
	for s, code := range stepCodes {
		if code == parts[2] {
			return id, s, parts[3], true
		}
	}
	return 0, "", "", false
}

// formPlace is where a form's messages go: its chat and topic, replying to the person's
// message when there is one.
type formPlace struct {
	chatID  int64
	replyTo int
	thread  int64
}

func (p formPlace) send(text string, markup any) []store.Message {
	msgs := sendTo(p.chatID, text, markup)
	if p.replyTo != 0 {
		msgs = replyTo(p.chatID, p.replyTo, text, markup)
	}
	return inTopic(msgs, p.thread)
}

// formMessages render a form after a step: the next question, or what finishing it did.
func formMessages(l lang, res consult.FormResult, place formPlace, who *tgbotapi.User) []store.Message {
	if !res.Ended {
		head := ""
		if res.Photo && res.Answered == "" {
			head = l.F("form.photos_received", len(res.Form.Files))
		}
		return formPrompt(l, res, place, who, head)
	}
	f := res.Form
	if res.Cancelled {
		return place.send(l.T("form.cancelled"), nil)
	}
	if res.Visit == nil {
		return nil
	}
	n := *res.Visit
	switch f.Kind {
	case store.FormVisit:
		whom := l.T("form.you")
		if f.ChatID < 0 {
			whom = l.T("form.group")
		}
		msgs := place.send(l.F("form.visit_order_county_bureau", n.Visit.ID, whom)+
			visitCard(l, n.VisitView), nil)
		return append(msgs, orderedMessages(n)...)
	case store.FormReport:
		told := l.T("form.county_bureau")
		if n.Visit.ChatID != 0 || n.Question.ID != 0 {
			told = l.T("form.county_bureau_township")
		}
		msgs := place.send(l.F("form.report_visit_archived_told", n.Visit.ID, told), nil)
		return append(msgs, reportedMessages(n)...)
	case store.FormDecline:
		msgs := place.send(l.F("form.visit_declined_township_told", n.Visit.ID), nil)
		return append(msgs, declinedMessages(n, personName(who))...)
	}
	return nil
}

// formPrompt asks the form's current step, remembered so that a reply to it answers.
func formPrompt(l lang, res consult.FormResult, place formPlace, who *tgbotapi.User, head string) []store.Message {
	f := res.Form
	steps := consult.FormSteps(f.Kind)
	n := 0
	for i, s := range steps {
		if s == f.Step {
			n = i + 1
		}
	}
	var s strings.Builder
	if f.ChatID < 0 && who != nil {
		fmt.Fprintf(&s, "%s：", esc(personName(who)))
	}
	s.WriteString(head)
	switch f.Kind {
	case store.FormVisit:
		fmt.Fprintf(&s, l.T("form.ordering_visit"), esc(f.Township), n, len(steps))
	case store.FormReport:
		fmt.Fprintf(&s, l.T("form.report_visit"), f.RefID, n, len(steps))
	case store.FormDecline:
		fmt.Fprintf(&s, l.T("form.declining_visit"), f.RefID)
	}
	s.WriteString(stepQuestion(l, f))
	if f.ChatID < 0 {
		s.WriteString(replyHint(l, true))
	}
	return remembered(place.send(s.String(), stepKeyboard(l, res)), store.MessageFormPrompt, f.ID, f.UserID, l)
}

// replyHint tells a person in a group how to answer a prompt; as HTML, or as the plain
// text Telegram gives back.
func replyHint(l lang, html bool) string {
	if html {
		return l.T("form.reply_hint_html")
	}
	return l.T("form.reply_hint_plain")
}

func stepQuestion(l lang, f store.Form) string {
	switch f.Step {
	case consult.StepTopic:
		return l.T("form.what_should_experts_look")
	case consult.StepCrops:
		return l.T("form.which_crops_herds_e")
	case consult.StepProblem:
		return l.T("form.what_wrong_describe_symptoms")
	case consult.StepHouseholds:
		return l.T("form.about_how_many_households")
	case consult.StepPlace:
		return l.T("form.where_should_experts_go")
	case consult.StepDates:
		return l.T("form.when_would_suit_you")
	case consult.StepFound:
		return l.T("form.what_did_you_find")
	case consult.StepAdvice:
		return l.T("form.what_did_you_advise")
	case consult.StepServed:
		return l.T("form.how_many_households_did")
	case consult.StepPhotos:
		return l.T("form.send_photos_from_visit")
	case consult.StepReason:
		return l.T("form.write_why_declined_township")
	}
	return ""
}

func stepKeyboard(l lang, res consult.FormResult) tgbotapi.InlineKeyboardMarkup {
	f := res.Form
	button := func(label, value string) tgbotapi.InlineKeyboardButton {
		return tgbotapi.NewInlineKeyboardButtonData(label, formData(f.ID, f.Step, value))
	}
	var rows [][]tgbotapi.InlineKeyboardButton
	switch f.Step {
	case consult.StepTopic:
		var row []tgbotapi.InlineKeyboardButton
		for _, c := range res.County.Categories {
			row = append(row, button(c.Label(l.Code()), "="+c.ID))
			if len(row) == 3 {
				rows, row = append(rows, row), nil
			}
		}
		if len(row) > 0 {
			rows = append(rows, row)
		}
	case consult.StepHouseholds, consult.StepServed:
		var row []tgbotapi.InlineKeyboardButton
		for _, n := range consult.HouseholdChoices {
			row = append(row, button(strconv.Itoa(n), "="+strconv.Itoa(n)))
		}
		rows = append(rows, row)
	case consult.StepDates:
		rows = append(rows, tgbotapi.NewInlineKeyboardRow(
			button(l.T("form.week"), "="+consult.PreferThisWeek),
			button(l.T("form.next_week"), "="+consult.PreferNextWeek),
			button(l.T("form.any_time"), "="+consult.PreferAnyTime)))
	}
	var last []tgbotapi.InlineKeyboardButton
	switch {
	case f.Step == consult.StepPhotos:
		last = append(last, button(l.T("form.done"), "!"))
	case consult.StepOptional(f.Step):
		last = append(last, button(l.T("form.skip"), "-"))
	}
	last = append(last, button(l.T("form.cancel"), "x"))
	return tgbotapi.NewInlineKeyboardMarkup(append(rows, last)...)
}

// answerLabel says how a step was answered, under a prompt whose button was pressed.
func answerLabel(l lang, res consult.FormResult, step string) string {
	a := res.Form.Answers
	v := a[step]
	switch {
	case res.Cancelled:
		return l.T("form.cancelled_button")
	case step == consult.StepPhotos:
		return l.F("form.done_photos", len(res.Form.Files))
	case v == "":
		return l.T("form.skipped")
	case step == consult.StepTopic && res.County != nil:
		if c, ok := res.County.Category(a["category"]); ok {
			return categoryLabel(l, c)
		}
	case step == consult.StepDates:
		return preferredLabel(l, v)
	case step == consult.StepHouseholds || step == consult.StepServed:
		return l.F("form.households", esc(v))
	}
	return esc(v)
}

// formReply takes a message that answers the sender's form. It reports false when the
// message is none: in a private chat no form is under way; in a group it is no reply to
// a form's prompt. A reply to someone else's prompt is taken and ignored: it is neither
// their form's answer nor a question.
func (b *Bot) formReply(ctx context.Context, in *incoming) (bool, error) {
	var formID int64
	if in.private() {
		_, err := b.svc.CurrentForm(ctx, in.msg.Chat.ID, in.msg.From.ID)
		if errors.Is(err, consult.ErrNoForm) {
			return false, nil
		}
		if err != nil {
			return true, err
		}
	} else {
		r := in.msg.ReplyToMessage
		if r == nil || r.From == nil || r.From.ID != b.self.ID {
			return false, nil
		}
		bm, err := b.db.BotMessage(ctx, in.msg.Chat.ID, int64(r.MessageID))
		if errors.Is(err, store.ErrNotFound) || (err == nil && bm.Kind != store.MessageFormPrompt) {
			return false, nil
		}
		if err != nil {
			return true, err
		}
		if bm.UserID != in.msg.From.ID {
			return true, nil
		}
		formID = bm.RefID
	}
	text := words(in.msg)
	if !in.private() {
		if t, ok := b.addressed(in.msg); ok {
			text = t
		}
	}
	var photo *store.Media
	if m := mediaOf(in.msg); m != nil && m.Kind == store.MediaPhoto {
		photo = m
	}
	l := in.lang
	place := formPlace{chatID: in.msg.Chat.ID, replyTo: in.msg.MessageID, thread: in.thread}
	res, err := b.svc.AnswerForm(ctx, consult.FormInput{ChatID: in.msg.Chat.ID, Person: person(in.msg.From), FormID: formID,
		UpdateID: in.updateID, Text: text, Photo: photo}, func(res consult.FormResult) []store.Message {
		return formMessages(l, res, place, in.msg.From)
	})
	return true, b.formRefused(ctx, l, err, text, res, place, in.msg.From, nil)
}

// formButton handles a press on a prompt's button.
func (b *Bot) formButton(ctx context.Context, q *tgbotapi.CallbackQuery, l lang) error {
	formID, step, value, ok := parseFormData(q.Data)
	if !ok || q.Message == nil || q.Message.Chat == nil {
		b.answerCallback(ctx, q, l.T("buttons.button_no_longer_works"), false)
		return nil
	}
	in := consult.FormInput{ChatID: q.Message.Chat.ID, Person: person(q.From), FormID: formID, Step: step}
	switch {
	case value == "-":
		in.Skip = true
	case value == "!":
		in.Done = true
	case value == "x":
		in.Cancel = true
	case strings.HasPrefix(value, "="):
		in.Choice = value[1:]
	default:
		b.answerCallback(ctx, q, l.T("buttons.button_no_longer_works"), false)
		return nil
	}
	var place formPlace
	res, err := b.svc.AnswerForm(ctx, in, func(res consult.FormResult) []store.Message {
		place = formPlace{chatID: res.Form.ChatID, thread: res.Form.ThreadID}
		// The prompt pressed shows its answer and loses its buttons (and its hint to reply).
		asked := q.Message.Text
		for _, hl := range i18n.Langs() {
			asked = strings.TrimSuffix(asked, replyHint(hl, false))
		}
		msgs := editPressed(q, pickerView{esc(asked) + "\n→ " + answerLabel(l, res, step), nil})
		if res.Cancelled {
			return msgs
		}
		return append(msgs, formMessages(l, res, place, q.From)...)
	})
	if err != nil {
		place = formPlace{chatID: res.Form.ChatID, thread: res.Form.ThreadID}
		return b.formRefused(ctx, l, err, in.Choice, res, place, q.From, q)
	}
	b.answerCallback(ctx, q, "", false)
	return nil
}

// formRefused answers an answer the form did not take: a bad one gets why and the same
// question again.
func (b *Bot) formRefused(ctx context.Context, l lang, err error, given string, res consult.FormResult, place formPlace, who *tgbotapi.User, q *tgbotapi.CallbackQuery) error {
	var why string
	switch {
	case err == nil, errors.Is(err, store.ErrDuplicate):
		return nil
	case errors.Is(err, consult.ErrNotANumber):
		why = l.F("form.not_number_households_write", esc(snippet(given, 40)))
	case errors.Is(err, consult.ErrRequired):
		why = l.T("form.step_needs_answer_please")
	case errors.Is(err, consult.ErrPhotosOnly):
		why = l.T("form.send_photos_press_done")
	case errors.Is(err, consult.ErrTooLong):
		why = l.F("form.that_too_long_please", consult.MaxAnswer)
	case errors.Is(err, consult.ErrStaleForm), errors.Is(err, consult.ErrNoForm):
		if q != nil {
			b.answerCallback(ctx, q, l.T("form.step_was_answered_already"), false)
			return nil
		}
		return b.db.Enqueue(ctx, place.send(l.T("form.that_form_over_start"), nil)...)
	case errors.Is(err, consult.ErrNotYourForm):
		if q != nil {
			b.answerCallback(ctx, q, l.T("form.someone_else_form"), true)
		}
		return nil
	case errors.Is(err, consult.ErrAlreadyDecided), errors.Is(err, consult.ErrAlreadyReported),
		errors.Is(err, consult.ErrNotApproved), errors.Is(err, consult.ErrNotVisitExpert):
		if q != nil {
			b.answerCallback(ctx, q, "", false)
		}
		text := l.T("form.visit_changed_meanwhile_form")
		if res.Visit != nil && res.Visit.County != nil {
			text += "\n\n" + visitCard(l, res.Visit.VisitView) + "\n\n" + visitStatusLine(l, res.Visit.VisitView)
		}
		return b.db.Enqueue(ctx, place.send(text, nil)...)
	default:
		return err
	}
	if q != nil {
		b.answerCallback(ctx, q, why, true)
		return nil
	}
	return b.db.Enqueue(ctx, formPrompt(l, res, place, who, why+"\n\n")...)
}
