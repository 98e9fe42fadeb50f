package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// bind handles /bind <township> in a group.
func (b *Bot) bind(ctx context.Context, in *incoming) error {
	g, county, err := b.svc.Bind(ctx, in.msg.Chat.ID, in.msg.Chat.Title, in.msg.From.ID, in.args, func(r consult.BindResult) []store.Message {
		return in.replyWith(fmt.Sprintf("✅ 本群已绑定到 %s %s。\n大家可以发送 /ask 问题 提问（也可以@我或回复我的消息），农技专家会在群里解答。\n"+
			"This group is now bound to %s. Ask with /ask, by mentioning me, or by replying to me.",
			esc(r.County.Name), esc(r.Group.Township), esc(r.Group.Township)), nil)
	})
	switch {
	case errors.Is(err, consult.ErrNotAdmin):
		return b.reply(ctx, in, "只有县农业农村局的管理员可以绑定本群。\nOnly a county bureau admin can bind this group.", nil)
	case errors.Is(err, consult.ErrBoundElsewhere):
		return b.reply(ctx, in, fmt.Sprintf("本群已绑定到%s %s，只有%s的管理员可以更改。\nThis group is already bound to %s %s; only an admin of %s can change that.",
			esc(county.Name), esc(g.Township), esc(county.Name), esc(county.Name), esc(g.Township), esc(county.Name)), nil)
	case errors.Is(err, consult.ErrUnknownTownship):
		head := "请写上乡镇名，例如：/bind 白泥镇\nName the township, e.g. /bind 白泥镇"
		if in.args != "" {
			head = fmt.Sprintf("没有“%s”这个乡镇。\nNo township called “%s”.", echo(in.args), echo(in.args))
		}
		return b.reply(ctx, in, head+"\n可选 Known:"+townshipList(b.svc.AdminCounties(in.msg.From.ID)), nil)
	}
	return err
}

func (b *Bot) askCommand(ctx context.Context, in *incoming) error {
	return b.ask(ctx, in)
}

// ask turns a farmer's message into a numbered question, acknowledges it in the group and
// tells the on-duty experts of its category.
func (b *Bot) ask(ctx context.Context, in *incoming) error {
	res, err := b.svc.Ask(ctx, askInput(in), AskMessages)
	return b.asked(ctx, in, res, err)
}

func askInput(in *incoming) consult.AskInput {
	var media []store.Media
	if m := mediaOf(in.msg); m != nil {
		media = append(media, *m)
	}
	return consult.AskInput{
		ChatID: in.msg.Chat.ID, MessageID: int64(in.msg.MessageID), Farmer: person(in.msg.From),
		Text: in.args, UpdateID: in.updateID, ThreadID: in.thread, Media: media,
	}
}

// asked tells the farmer why a question was not taken; a question taken was acknowledged
// with AskMessages.
func (b *Bot) asked(ctx context.Context, in *incoming, res consult.AskResult, err error) error {
	switch {
	case errors.Is(err, consult.ErrRepeated):
		return b.reply(ctx, in, fmt.Sprintf("这个问题刚才已经收到了（#%d），专家正在处理，请耐心等待。\n"+
			"This question was already received as #%d; an expert will answer it.", res.Question.ID, res.Question.ID), nil)
	case errors.Is(err, consult.ErrTooManyQuestions):
		minutes := int(res.RetryIn.Minutes()) + 1
		return b.reply(ctx, in, fmt.Sprintf("你提问太频繁了，请 %d 分钟后再问。已提的问题专家会逐一解答。\n"+
			"You have asked many questions in a short time; please wait %d minutes. Your earlier questions will be answered.", minutes, minutes), nil)
	case errors.Is(err, consult.ErrTooLong):
		return b.reply(ctx, in, "问题太长了，请简短一些（4096 字以内），或分几次问。\nThe question is too long; please keep it under 4096 characters.", nil)
	case errors.Is(err, consult.ErrGroupNotBound):
		return b.reply(ctx, in, notBoundText, nil)
	case errors.Is(err, consult.ErrEmptyQuestion):
		return b.reply(ctx, in, "请把问题写在 /ask 后面，例如：/ask 水稻叶子卷起来了怎么办？\n"+
			"Write your question after /ask, e.g. /ask Why are my rice leaves curling?", nil)
	case errors.Is(err, store.ErrDuplicate):
		return nil // Telegram sent this update again; it was handled the first time
	}
	return err
}

// AskMessages acknowledges a question in its group and pushes it, with its photos, to
// the on-duty experts of its category.
func AskMessages(res consult.AskResult) []store.Message {
	gl := langFromCode(res.GroupLanguage)
	v := consult.QuestionView{Question: res.Question, County: res.County, Category: res.Category}
	text, markup := ackText(gl, v, len(res.Experts)+len(res.Digested)), any(nil)
	if len(res.Similar) > 0 {
		text += similarLines(gl, res.Similar)
		markup = similarKeyboard(gl, res.Question.ID, res.Similar)
	}
	msgs := remembered(toQuestion(res.Question, text, markup), store.MessageAck, res.Question.ID, 0, gl)
	for _, e := range res.Experts {
		msgs = append(msgs, questionNotice(e, v, res.Media, nil, "")...)
	}
	return msgs
}

// questionNotice shows a question to an expert: its photos and voice first, then the
// card with a Claim button, remembered so that replying to it answers.
func questionNotice(e store.Expert, v consult.QuestionView, media []store.Media, followups []store.Followup, head string) []store.Message {
	l := langFromCode(e.Language)
	msgs := mediaMessages(e.UserID, media, 0, 0)
	text := head + questionCardFull(l, v, media, followups)
	return append(msgs, remembered(sendTo(e.UserID, text, claimKeyboard(l, v.Question.ID)), store.MessageQuestionNotice, v.Question.ID, e.UserID, l)...)
}

// DigestMessages tells an expert how many questions arrived while they were not pushed
// one by one, with a button to list them.
func DigestMessages(d store.Digest) []store.Message {
	l := langFromCode(d.Language)
	text := fmt.Sprintf(l.pick("📬 又有 <b>%d</b> 个新问题等待认领。", "📬 <b>%d</b> more new questions are waiting to be claimed."), d.Questions)
	return sendTo(d.UserID, text, queueKeyboard(l))
}
