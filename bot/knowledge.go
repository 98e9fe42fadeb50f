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
	actionShow     = "show" // show a found question's thread to an expert or admin
	actionKeyword  = "kw"   // add a keyword: "kw:<county>:<category>:<word>"
)

// similarLines lists earlier answered questions under an acknowledgement.
func similarLines(l lang, similar []consult.SimilarAnswer) string {
	var b strings.Builder
	b.WriteString(l.pick("\n\n📚 以前解答过的类似问题：", "\n\n📚 Similar questions answered before:"))
	for _, s := range similar {
		fmt.Fprintf(&b, "\n#%d %s", s.Question.ID, esc(snippet(s.Question.Text, 30)))
	}
	b.WriteString(l.pick("\n点按钮看解答；如果已经解决，请点“这解决了我的问题”。专家仍会回复你。",
		"\nPress a button to see an answer; if one solves it, press “This solved it”. An expert will still reply otherwise."))
	return b.String()
}

func similarKeyboard(l lang, questionID int64, similar []consult.SimilarAnswer) tgbotapi.InlineKeyboardMarkup {
	var row []tgbotapi.InlineKeyboardButton
	for _, s := range similar {
		row = append(row, tgbotapi.NewInlineKeyboardButtonData(fmt.Sprintf(l.pick("看 #%d 的解答", "Answer to #%d"), s.Question.ID), callbackData(actionPrevious, s.Question.ID)))
	}
	return tgbotapi.NewInlineKeyboardMarkup(row, tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData(l.pick("✅ 这解决了我的问题", "✅ This solved it"), callbackData(actionArchive, questionID))))
}

// referenceLines shows an expert the earlier answers to questions like the one claimed.
func referenceLines(l lang, similar []consult.SimilarAnswer) string {
	if len(similar) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(l.pick("\n\n📚 <b>参考：以前的类似解答</b>", "\n\n📚 <b>For reference: earlier answers</b>"))
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
		b.answerCallback(ctx, cq, l.pick("没有这个问题。", "No such question."), true)
		return nil
	case errors.Is(err, consult.ErrNotPermitted):
		b.answerCallback(ctx, cq, l.pick("这个按钮已失效。", "This button no longer works."), true)
		return nil
	case err != nil:
		return err
	}
	answers, err := b.db.Answers(ctx, earlierID)
	if err != nil {
		return err
	}
	if len(answers) == 0 {
		b.answerCallback(ctx, cq, l.pick("这个问题还没有解答。", "That question has no answer yet."), true)
		return nil
	}
	posted, err := b.db.PostedUnder(ctx, chat, int64(cq.Message.MessageID), store.MessageArchiveAnswer, earlierID)
	if err != nil {
		return err
	}
	if posted {
		b.answerCallback(ctx, cq, l.pick("上面已经发过这条解答了。", "That answer is already above."), false)
		return nil
	}
	a := answers[len(answers)-1]
	text := fmt.Sprintf(l.pick("📚 <b>#%d 以前的解答</b>（%s · %s）\n问：%s\n答：%s", "📚 <b>Earlier answer to #%d</b> (%s · %s)\nQ: %s\nA: %s"),
		v.Question.ID, categoryLabel(l, v.Category), esc(a.ExpertName), esc(snippet(v.Question.Text, 100)), esc(a.Text))
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
			msgs = append(msgs, inTopic(replyTo(m.Chat.ID, m.MessageID, fmt.Sprintf(gl.pick(
				"✅ #%d 已由农户根据以前的解答解决，问题已关闭。", "✅ #%d was solved by an earlier answer and is closed."), questionID), nil), res.Question.ThreadID)...)
		}
		return append(msgs, noticeEdits(res.Notices, res.InFlight, func(l lang, _ int64) string {
			return questionCard(l, res.QuestionView) + "\n\n" + l.pick("📚 农户已根据以前的解答解决，无需再答。", "📚 Solved by an earlier answer; no need to answer.")
		})...)
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchQuestion):
		b.answerCallback(ctx, cq, l.pick("没有这个问题。", "No such question."), true)
	case errors.Is(err, consult.ErrNotAsker):
		b.answerCallback(ctx, cq, l.pick("只有提问的农户可以关闭这个问题。", "Only the farmer who asked can close this question."), true)
	case errors.Is(err, consult.ErrAlreadyRated):
		b.answerCallback(ctx, cq, l.pick("这个问题已经处理完了。", "This question is already settled."), false)
	case err != nil:
		return err
	default:
		b.answerCallback(ctx, cq, l.pick("好的，问题已关闭。", "Good; the question is closed."), false)
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
		return b.reply(ctx, in, l.pick("只有专家和县局管理员可以查询问题档案。", "Only experts and county admins can search the archive."), nil)
	}
	if err != nil {
		return err
	}
	if blankText(in.args) {
		return b.reply(ctx, in, l.pick("用法：/search 关键词，例如 /search 稻飞虱", "Usage: /search &lt;words&gt;, e.g. /search planthopper"), nil)
	}
	res, err := b.svc.Search(ctx, scope, consult.SearchInput{Text: in.args, Limit: searchLimit})
	if err != nil {
		return err
	}
	if len(res.Hits) == 0 {
		return b.reply(ctx, in, fmt.Sprintf(l.pick("档案里没有找到“%s”。", "Nothing about “%s” in the archive."), echo(in.args)), nil)
	}
	var s strings.Builder
	fmt.Fprintf(&s, l.pick("🔎 <b>“%s”的查询结果</b>", "🔎 <b>Found for “%s”</b>"), echo(in.args))
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
		s.WriteString(l.pick("\n\n……还有更多，请用更具体的词。", "\n\n…and more; try more specific words."))
	}
	return b.reply(ctx, in, s.String(), tgbotapi.NewInlineKeyboardMarkup(rows...))
}

func statusLabel(l lang, q store.Question) string {
	switch q.Status {
	case store.StatusOpen:
		return l.pick("待认领", "open")
	case store.StatusClaimed:
		return l.pick("已认领", "claimed")
	case store.StatusAnswered:
		return l.pick("已解答", "answered")
	}
	switch q.Feedback {
	case store.FeedbackSolved:
		return l.pick("已解决", "solved")
	case store.FeedbackArchive:
		return l.pick("已由往期解答解决", "solved from the archive")
	}
	return l.pick("已关闭", "closed")
}

// show sends a found question's whole thread to an expert or admin of its county.
func (b *Bot) show(ctx context.Context, cq *tgbotapi.CallbackQuery, questionID int64) error {
	l := b.langFor(ctx, cq.From)
	v, err := b.svc.QuestionFor(ctx, cq.From.ID, questionID)
	if errors.Is(err, consult.ErrNoSuchQuestion) {
		b.answerCallback(ctx, cq, fmt.Sprintf(l.pick("没有 #%d 号问题。", "There is no question #%d."), questionID), true)
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
		fmt.Fprintf(&s, l.pick("\n\n💬 <b>%s</b>（%s）：%s", "\n\n💬 <b>%s</b> (%s): %s"), esc(a.ExpertName), localTime(a.AnsweredAt, v.County), esc(a.Text))
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
		return b.reply(ctx, in, l.pick("只有县局管理员可以管理分类关键词。", "Only county admins manage the routing keywords."), nil)
	}
	if err != nil {
		return err
	}
	if len(sugg) == 0 {
		return b.reply(ctx, in, l.pick("暂时没有建议：专家转交过来的问题里，没有各类别关键词漏掉的常见词。",
			"No suggestions yet: questions experts moved between categories share no word the keywords miss."), nil)
	}
	var s strings.Builder
	s.WriteString(l.pick("<b>关键词建议</b>（来自专家转交的问题；加上后，同样的问题会直接分到该类别）",
		"<b>Keyword suggestions</b> (from questions experts moved; once added, such questions go there at once)"))
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, sg := range sugg {
		fmt.Fprintf(&s, l.pick("\n• %s → %s（%d 个问题）", "\n• %s → %s (%d questions)"), esc(sg.Word), categoryLabel(l, sg.Category), sg.Questions)
		data := strings.Join([]string{actionKeyword, sg.County.ID, sg.Category.ID, sg.Word}, ":")
		if len(data) <= 64 {
			rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(
				fmt.Sprintf(l.pick("➕ “%s” 加入 %s", "➕ Add “%s” to %s"), sg.Word, sg.Category.Label(l.code())), data)))
		}
	}
	return b.reply(ctx, in, s.String(), tgbotapi.NewInlineKeyboardMarkup(rows...))
}

// addKeyword handles a press on a keyword suggestion.
func (b *Bot) addKeyword(ctx context.Context, cq *tgbotapi.CallbackQuery) error {
	l := b.langFor(ctx, cq.From)
	parts := strings.SplitN(cq.Data, ":", 4)
	if len(parts) != 4 {
		b.answerCallback(ctx, cq, l.pick("这个按钮已失效。", "This button no longer works."), false)
		return nil
	}
	_, cat, err := b.svc.AddKeyword(ctx, cq.From.ID, parts[1], parts[2], parts[3])
	switch {
	case errors.Is(err, consult.ErrNotAdmin):
		b.answerCallback(ctx, cq, l.pick("只有本县管理员可以添加关键词。", "Only an admin of this county can add keywords."), true)
		return nil
	case errors.Is(err, consult.ErrUnknownCategory):
		b.answerCallback(ctx, cq, l.pick("这个按钮已失效。", "This button no longer works."), true)
		return nil
	case err != nil:
		return err
	}
	b.answerCallback(ctx, cq, fmt.Sprintf(l.pick("已把“%s”加入%s的关键词。", "“%s” now routes to %s."), parts[3], cat.Label(l.code())), false)
	return nil
}
