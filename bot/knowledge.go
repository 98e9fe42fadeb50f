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

// Callback actions of the archive.
const (
	actionPrevious = "prev" // show an earlier answer (id: the earlier question)
	actionArchive  = "arch" // the farmer's question is solved by an earlier answer
	actionShow     = "show" // show a found question's conversation to an expert or admin
	actionKeyword  = "kw"   // add a keyword: "kw:<county>:<category>:<word>"
)

// similarLines lists earlier answered questions under an acknowledgement.
func similarLines(l lang, similar []consult.SimilarAnswer) string {
	var b strings.Builder
	b.WriteString(l.T("knowledge.similar_questions_answered_before"))
	for _, s := range similar {
		fmt.Fprintf(&b, "\n#%d %s", s.Question.ID, esc(snippet(s.Question.Text, 30)))
	}
	b.WriteString(l.T("knowledge.press_button_see_answer"))
	return b.String()
}

func similarKeyboard(l lang, questionID int64, similar []consult.SimilarAnswer) tgbotapi.InlineKeyboardMarkup {
	var row []tgbotapi.InlineKeyboardButton
	for _, s := range similar {
		row = append(row, tgbotapi.NewInlineKeyboardButtonData(l.F("knowledge.answer", s.Question.ID), callbackData(actionPrevious, s.Question.ID)))
	}
	return tgbotapi.NewInlineKeyboardMarkup(row, tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData(l.T("knowledge.solved_button"), callbackData(actionArchive, questionID))))
}

// referenceLines shows an expert the earlier answers to questions like the one claimed.
func referenceLines(l lang, similar []consult.SimilarAnswer) string {
	if len(similar) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(l.T("knowledge.reference_earlier_answers"))
	for _, s := range similar {
		fmt.Fprintf(&b, "\n#%d %s\n→ %s（%s）", s.Question.ID, esc(snippet(s.Question.Text, 40)), esc(snippet(s.Answer.Text, 120)), esc(s.Answer.ExpertName))
	}
	return b.String()
}

// previousAnswer posts an earlier answer in the group, under the acknowledgement whose
// button was pressed, once per acknowledgement.
func (b *Bot) previousAnswer(ctx context.Context, cq *tgbotapi.CallbackQuery, earlierID, thread int64) error {
	if cq.Message == nil || cq.Message.Chat == nil {
		return nil
	}
	chat := cq.Message.Chat.ID
	l := b.chatLang(ctx, chat)
	v, err := b.svc.EarlierQuestionIn(ctx, chat, earlierID)
	switch {
	case errors.Is(err, consult.ErrNoSuchQuestion):
		b.answerCallback(ctx, cq, l.T("knowledge.no_such_question"), true)
		return nil
	case errors.Is(err, consult.ErrNotPermitted):
		b.answerCallback(ctx, cq, l.T("buttons.button_no_longer_works"), true)
		return nil
	case err != nil:
		return err
	}
	answers, err := b.db.Answers(ctx, earlierID)
	if err != nil {
		return err
	}
	if len(answers) == 0 {
		b.answerCallback(ctx, cq, l.T("knowledge.that_question_has_no"), true)
		return nil
	}
	posted, err := b.db.PostedUnder(ctx, chat, int64(cq.Message.MessageID), store.MessageArchiveAnswer, earlierID)
	if err != nil {
		return err
	}
	if posted {
		b.answerCallback(ctx, cq, l.T("knowledge.that_answer_already_above"), false)
		return nil
	}
	a := answers[len(answers)-1]
	text := l.F("knowledge.earlier_answer_q", v.Question.ID, categoryLabel(l, v.Category), esc(a.ExpertName), esc(snippet(v.Question.Text, 100)), esc(a.Text))
	msgs := remembered(inTopic(replyTo(chat, cq.Message.MessageID, text, nil), thread), store.MessageArchiveAnswer, earlierID, 0, l)
	if a.Kind != "" && a.FileID != "" {
		msgs = append(mediaMessages(chat, []store.Media{{Kind: a.Kind, FileID: a.FileID}}, int64(cq.Message.MessageID), thread), msgs...)
	}
	if err := b.db.Enqueue(ctx, msgs...); err != nil {
		return err
	}
	b.answerCallback(ctx, cq, "", false)
	return nil
}

// closeFromArchive closes the farmer's question because an earlier answer solved it.
func (b *Bot) closeFromArchive(ctx context.Context, cq *tgbotapi.CallbackQuery, questionID int64) error {
	l := b.langFor(ctx, cq.From)
	_, err := b.svc.CloseFromArchive(ctx, questionID, cq.From.ID, func(res consult.ArchiveResult) []store.Message {
		gl := langFromCode(res.GroupLanguage)
		var msgs []store.Message
		if m := cq.Message; m != nil && m.Chat != nil {
			msgs = append(msgs, removeButtons(m.Chat.ID, int64(m.MessageID)))
			msgs = append(msgs, inTopic(replyTo(m.Chat.ID, m.MessageID, gl.F("knowledge.was_solved_by_earlier", questionID), nil), res.Question.ThreadID)...)
		}
		return append(msgs, noticeEdits(res.Notices, res.InFlight, func(l lang, _ int64) string {
			return questionCard(l, res.QuestionView) + "\n\n" + l.T("knowledge.solved_by_earlier_answer")
		})...)
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchQuestion):
		b.answerCallback(ctx, cq, l.T("knowledge.no_such_question"), true)
	case errors.Is(err, consult.ErrNotAsker):
		b.answerCallback(ctx, cq, l.T("knowledge.only_farmer_who_asked"), true)
	case errors.Is(err, consult.ErrAlreadyRated):
		b.answerCallback(ctx, cq, l.T("knowledge.question_already_settled"), false)
	case err != nil:
		return err
	default:
		b.answerCallback(ctx, cq, l.T("knowledge.good_question_closed"), false)
	}
	return nil
}

// searchLimit is how many questions /search lists.
const searchLimit = 8

// search handles /search <words>: the archive of the person's counties (experts and
// admins), best match first.
func (b *Bot) search(ctx context.Context, in *incoming) error {
	l := in.lang
	scope, err := b.svc.SearchScope(ctx, in.msg.From.ID)
	if errors.Is(err, consult.ErrNotPermitted) {
		return b.reply(ctx, in, l.T("knowledge.only_experts_county_admins"), nil)
	}
	if err != nil {
		return err
	}
	if blankText(in.args) {
		return b.reply(ctx, in, l.T("knowledge.usage_search_words_e"), nil)
	}
	res, err := b.svc.Search(ctx, scope, consult.SearchInput{Text: in.args, Limit: searchLimit})
	if err != nil {
		return err
	}
	if len(res.Hits) == 0 {
		return b.reply(ctx, in, l.F("knowledge.nothing_about_archive", echo(in.args)), nil)
	}
	var s strings.Builder
	fmt.Fprintf(&s, l.T("knowledge.found"), echo(in.args))
	var rows [][]tgbotapi.InlineKeyboardButton
	var row []tgbotapi.InlineKeyboardButton
	for _, v := range res.Hits {
		q := v.Question
		fmt.Fprintf(&s, "\n\n<b>#%d</b> · %s · %s · %s · %s\n%s", q.ID, categoryLabel(l, v.Category), esc(q.Township),
			localTime(q.AskedAt, v.County), statusLabel(l, q), esc(snippet(q.Text, 60)))
		row = append(row, tgbotapi.NewInlineKeyboardButtonData("#"+strconv.FormatInt(q.ID, 10), callbackData(actionShow, q.ID)))
		if len(row) == 4 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	if res.More {
		s.WriteString(l.T("knowledge.more_try_more_specific"))
	}
	return b.reply(ctx, in, s.String(), tgbotapi.NewInlineKeyboardMarkup(rows...))
}

func statusLabel(l lang, q store.Question) string {
	switch q.Status {
	case store.StatusOpen:
		return l.T("knowledge.open")
	case store.StatusClaimed:
		return l.T("knowledge.claimed")
	case store.StatusAnswered:
		return l.T("knowledge.answered")
	}
	switch q.Feedback {
	case store.FeedbackSolved:
		return l.T("knowledge.solved_word")
	case store.FeedbackArchive:
		return l.T("knowledge.solved_from_archive")
	}
	return l.T("knowledge.closed")
}

// show sends a found question's whole conversation to an expert or admin of its county.
func (b *Bot) show(ctx context.Context, cq *tgbotapi.CallbackQuery, questionID int64) error {
	l := b.langFor(ctx, cq.From)
	v, err := b.svc.QuestionFor(ctx, cq.From.ID, questionID)
	if errors.Is(err, consult.ErrNoSuchQuestion) {
		b.answerCallback(ctx, cq, l.F("claim.there_no_question", questionID), true)
		return nil
	}
	if err != nil {
		return err
	}
	answers, err := b.db.Answers(ctx, questionID)
	if err != nil {
		return err
	}
	followups, err := b.db.Followups(ctx, questionID)
	if err != nil {
		return err
	}
	media, err := b.db.QuestionMedia(ctx, questionID)
	if err != nil {
		return err
	}
	var s strings.Builder
	s.WriteString(questionCardFull(l, v, media, followups))
	fmt.Fprintf(&s, "\n%s", statusLabel(l, v.Question))
	for _, a := range answers {
		fmt.Fprintf(&s, l.T("knowledge.earlier_answer"), esc(a.ExpertName), localTime(a.AnsweredAt, v.County), esc(a.Text))
	}
	msgs := append(mediaMessages(cq.From.ID, media, 0, 0), sendTo(cq.From.ID, s.String(), nil)...)
	if err := b.db.Enqueue(ctx, msgs...); err != nil {
		return err
	}
	b.answerCallback(ctx, cq, "", false)
	return nil
}

// keywords handles /keywords: per category, words of questions experts transferred into
// it that its keywords miss, each with a button to add it (county admins).
func (b *Bot) keywords(ctx context.Context, in *incoming) error {
	l := in.lang
	sugg, err := b.svc.KeywordSuggestions(ctx, in.msg.From.ID, 5)
	if errors.Is(err, consult.ErrNotAdmin) {
		return b.reply(ctx, in, l.T("knowledge.only_county_admins_manage"), nil)
	}
	if err != nil {
		return err
	}
	if len(sugg) == 0 {
		return b.reply(ctx, in, l.T("knowledge.no_suggestions_yet_questions"), nil)
	}
	var s strings.Builder
	s.WriteString(l.T("knowledge.keyword_suggestions_from_questions"))
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, sg := range sugg {
		fmt.Fprintf(&s, l.T("knowledge.questions"), esc(sg.Word), categoryLabel(l, sg.Category), sg.Questions)
		data := strings.Join([]string{actionKeyword, sg.County.ID, sg.Category.ID, sg.Word}, ":")
		if len(data) <= 64 {
			rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(
				l.F("knowledge.add", sg.Word, sg.Category.Label(l.Code())), data)))
		}
	}
	return b.reply(ctx, in, s.String(), tgbotapi.NewInlineKeyboardMarkup(rows...))
}

// addKeyword handles a press on a keyword suggestion.
func (b *Bot) addKeyword(ctx context.Context, cq *tgbotapi.CallbackQuery) error {
	l := b.langFor(ctx, cq.From)
	parts := strings.SplitN(cq.Data, ":", 4)
	if len(parts) != 4 {
		b.answerCallback(ctx, cq, l.T("buttons.button_no_longer_works"), false)
		return nil
	}
	_, cat, err := b.svc.AddKeyword(ctx, cq.From.ID, parts[1], parts[2], parts[3])
	switch {
	case errors.Is(err, consult.ErrNotAdmin):
		b.answerCallback(ctx, cq, l.T("knowledge.only_admin_county_can"), true)
		return nil
	case errors.Is(err, consult.ErrUnknownCategory):
		b.answerCallback(ctx, cq, l.T("buttons.button_no_longer_works"), true)
		return nil
	case err != nil:
		return err
	}
	b.answerCallback(ctx, cq, l.F("knowledge.now_routes", parts[3], cat.Label(l.Code())), false)
	return nil
}
