package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
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
			head = fmt.Sprintf(l.pick("📷 已收到 %d 张照片。\n", "📷 %d photos received.\n"), len(res.Form.Files))
		}
		return formPrompt(l, res, place, who, head)
	}
	f := res.Form
	if res.Cancelled {
		return place.send(l.pick("已取消。", "Cancelled."), nil)
	}
	if res.Visit == nil {
		return nil
	}
	n := *res.Visit
	switch f.Kind {
	case store.FormVisit:
		whom := l.pick("你", "you")
		if f.ChatID < 0 {
			whom = l.pick("本群", "this group")
		}
		msgs := place.send(fmt.Sprintf(l.pick("✅ 已提交上门服务预约 <b>#%d</b>。县农业农村局安排好后会通知%s。\n\n",
			"✅ Visit order <b>#%d</b> is in. The county bureau will tell %s once it is arranged.\n\n"), n.Visit.ID, whom)+
			visitCard(l, n.VisitView), nil)
		return append(msgs, orderedMessages(n)...)
	case store.FormReport:
		told := l.pick("县局", "the county bureau")
		if n.Visit.ChatID != 0 || n.Question.ID != 0 {
			told = l.pick("县局和乡镇", "the county bureau and the township")
		}
		msgs := place.send(fmt.Sprintf(l.pick("✅ 上门服务 #%d 的记录已存档，已告知%s。谢谢！",
			"✅ The report of visit #%d is archived, and %s is told. Thank you!"), n.Visit.ID, told), nil)
		return append(msgs, reportedMessages(n)...)
	case store.FormDecline:
		msgs := place.send(fmt.Sprintf(l.pick("已谢绝上门服务 #%d，已告知乡镇。", "Visit #%d is declined; the township is told."), n.Visit.ID), nil)
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
		fmt.Fprintf(&s, l.pick("🚜 <b>预约上门服务 · %s</b>（%d/%d）\n", "🚜 <b>Ordering a visit · %s</b> (%d/%d)\n"), esc(f.Township), n, len(steps))
	case store.FormReport:
		fmt.Fprintf(&s, l.pick("📝 <b>上门服务 #%d 记录</b>（%d/%d）\n", "📝 <b>Report of visit #%d</b> (%d/%d)\n"), f.RefID, n, len(steps))
	case store.FormDecline:
		fmt.Fprintf(&s, l.pick("❌ <b>谢绝上门服务 #%d</b>\n", "❌ <b>Declining visit #%d</b>\n"), f.RefID)
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
		return l.pick("\n（请<b>回复本消息</b>作答）", "\n(<b>Reply to this message</b> to answer.)")
	}
	return l.pick("\n（请回复本消息作答）", "\n(Reply to this message to answer.)")
}

func stepQuestion(l lang, f store.Form) string {
	switch f.Step {
	case consult.StepTopic:
		return l.pick("这次请专家上门，主要看哪方面？点下面的类别，或直接写。", "What should the experts look at? Pick a field below, or write it.")
	case consult.StepCrops:
		return l.pick("涉及哪些作物或畜禽？例如：水稻、生猪。", "Which crops or herds? E.g. rice, pigs.")
	case consult.StepProblem:
		return l.pick("遇到了什么问题？请简单描述症状、面积或头数。", "What is wrong? Describe the symptoms, and how much land or how many animals.")
	case consult.StepHouseholds:
		return l.pick("大约有多少户需要服务？点一个数字，或写一个数字。", "About how many households need it? Press a number or write one.")
	case consult.StepPlace:
		return l.pick("专家到哪里？写村、组或集合地点。", "Where should the experts go? The village, group or meeting place.")
	case consult.StepDates:
		return l.pick("希望什么时候来？也可以写具体日期。", "When would suit you? You may also write dates.")
	case consult.StepFound:
		return l.pick("这次上门发现了什么问题？", "What did you find?")
	case consult.StepAdvice:
		return l.pick("给了哪些建议或处置措施？", "What did you advise or do?")
	case consult.StepServed:
		return l.pick("实际服务了多少户？", "How many households did you serve?")
	case consult.StepPhotos:
		return l.pick("请发送现场照片（可以多张），发完点“完成”；没有照片也可以直接点“完成”。",
			"Send photos from the visit (several are fine), then press Done; with none, just press Done.")
	case consult.StepReason:
		return l.pick("请写下谢绝的理由，会转告乡镇。", "Write why it is declined; the township will be told.")
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
			row = append(row, button(c.Label(l.code()), "="+c.ID))
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
			button(l.pick("本周", "This week"), "="+consult.PreferThisWeek),
			button(l.pick("下周", "Next week"), "="+consult.PreferNextWeek),
			button(l.pick("时间不限", "Any time"), "="+consult.PreferAnyTime)))
	}
	var last []tgbotapi.InlineKeyboardButton
	switch {
	case f.Step == consult.StepPhotos:
		last = append(last, button(l.pick("✔️ 完成", "✔️ Done"), "!"))
	case consult.StepOptional(f.Step):
		last = append(last, button(l.pick("⏭ 跳过", "⏭ Skip"), "-"))
	}
	last = append(last, button(l.pick("✖️ 取消", "✖️ Cancel"), "x"))
	return tgbotapi.NewInlineKeyboardMarkup(append(rows, last)...)
}

// answerLabel says how a step was answered, under a prompt whose button was pressed.
func answerLabel(l lang, res consult.FormResult, step string) string {
	a := res.Form.Answers
	v := a[step]
	switch {
	case res.Cancelled:
		return l.pick("✖️ 已取消", "✖️ Cancelled")
	case step == consult.StepPhotos:
		return fmt.Sprintf(l.pick("✔️ 完成（%d 张照片）", "✔️ Done (%d photos)"), len(res.Form.Files))
	case v == "":
		return l.pick("（跳过）", "(skipped)")
	case step == consult.StepTopic && res.County != nil:
		if c, ok := res.County.Category(a["category"]); ok {
			return categoryLabel(l, c)
		}
	case step == consult.StepDates:
		return preferredLabel(l, v)
	case step == consult.StepHouseholds || step == consult.StepServed:
		return fmt.Sprintf(l.pick("%s 户", "%s households"), esc(v))
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
		b.answerCallback(ctx, q, l.pick("这个按钮已失效。", "This button no longer works."), false)
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
		b.answerCallback(ctx, q, l.pick("这个按钮已失效。", "This button no longer works."), false)
		return nil
	}
	var place formPlace
	res, err := b.svc.AnswerForm(ctx, in, func(res consult.FormResult) []store.Message {
		place = formPlace{chatID: res.Form.ChatID, thread: res.Form.ThreadID}
		// The prompt pressed shows its answer and loses its buttons (and its hint to reply).
		asked := strings.TrimSuffix(strings.TrimSuffix(q.Message.Text, replyHint(zh, false)), replyHint(en, false))
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
		why = fmt.Sprintf(l.pick("“%s”不是户数。请写一个数字，例如 30；不清楚可以点“跳过”。",
			"“%s” is not a number of households. Write a number, e.g. 30, or press Skip if you do not know."), esc(snippet(given, 40)))
	case errors.Is(err, consult.ErrRequired):
		why = l.pick("这一步需要填写，请写几个字。", "This step needs an answer; please write a few words.")
	case errors.Is(err, consult.ErrPhotosOnly):
		why = l.pick("请发送照片，或点“完成”。", "Send photos, or press Done.")
	case errors.Is(err, consult.ErrTooLong):
		why = fmt.Sprintf(l.pick("太长了，请简短一些（%d 字以内）。", "That is too long; please keep it under %d characters."), consult.MaxAnswer)
	case errors.Is(err, consult.ErrStaleForm), errors.Is(err, consult.ErrNoForm):
		if q != nil {
			b.answerCallback(ctx, q, l.pick("这一步已经回答过了，或表单已结束。", "This step was answered already, or the form is over."), false)
			return nil
		}
		return b.db.Enqueue(ctx, place.send(l.pick("这个表单已经结束了。需要的话请重新开始，例如发送 /visit。",
			"That form is over. Start again if needed, e.g. with /visit."), nil)...)
	case errors.Is(err, consult.ErrNotYourForm):
		if q != nil {
			b.answerCallback(ctx, q, l.pick("这是别人的表单。", "This is someone else's form."), true)
		}
		return nil
	case errors.Is(err, consult.ErrAlreadyDecided), errors.Is(err, consult.ErrAlreadyReported),
		errors.Is(err, consult.ErrNotApproved), errors.Is(err, consult.ErrNotVisitExpert):
		if q != nil {
			b.answerCallback(ctx, q, "", false)
		}
		text := l.pick("这个上门服务的状态已经变了，表单已结束。", "The visit changed meanwhile; the form is over.")
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
