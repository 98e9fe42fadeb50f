package bot

import (
	"context"
	"errors"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// correctCommand handles /correct <number> <text>: a correction of an answer already in
// the group, by the expert who answered, a senior or an admin. A last line "原因：…"
// (or "why: …") is the reason, kept with the revision and shown with it.
func (b *Bot) correctCommand(ctx context.Context, in *incoming) error {
	l := in.lang
	id, text, ok := parseAnswerArgs(in.args)
	if !ok {
		return b.reply(ctx, in, l.T("correct.usage"), nil)
	}
	text, why := splitReason(text)
	return b.correct(ctx, in, consult.CorrectInput{QuestionID: id, By: person(in.msg.From), Text: text, Why: why,
		Source: store.RevisionCommand, UpdateID: in.updateID}, false)
}

// reasonPrefixes start the line that gives a correction's reason.
var reasonPrefixes = []string{"原因：", "原因:", "理由：", "理由:", "why:", "reason:"}

// splitReason takes the reason off the end of a correction, when its last line gives one.
func splitReason(text string) (string, string) {
	text = strings.TrimSpace(text)
	i := strings.LastIndexByte(text, '\n')
	last := text[i+1:]
	for _, p := range reasonPrefixes {
		if len(last) >= len(p) && strings.EqualFold(last[:len(p)], p) {
			if i < 0 {
				return "", strings.TrimSpace(last[len(p):]) // only a reason: no correction
			}
			return strings.TrimSpace(text[:i]), strings.TrimSpace(last[len(p):])
		}
	}
	return text, ""
}

// correctEdit follows an expert's edit of their answer in their private chat with the
// bot — a /answer or a reply to the question's notice — as a correction. Edits of
// anything else, or by anyone but the expert who answered, change nothing.
func (b *Bot) correctEdit(ctx context.Context, msg *tgbotapi.Message) error {
	var id int64
	text := words(msg)
	if name, _, args, ok := parseCommand(text); ok {
		if name != "answer" {
			return nil
		}
		n, t, ok := parseAnswerArgs(args)
		if !ok {
			return nil
		}
		id, text = n, t
	} else if r := msg.ReplyToMessage; r != nil && r.From != nil && r.From.ID == b.self.ID {
		m, err := b.db.BotMessage(ctx, msg.Chat.ID, int64(r.MessageID))
		if errors.Is(err, store.ErrNotFound) || (err == nil && m.Kind != store.MessageQuestionNotice) {
			return nil
		}
		if err != nil {
			return err
		}
		id = m.RefID
	} else {
		return nil
	}
	a, err := b.db.LatestAnswer(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.ExpertID != msg.From.ID) {
		return nil // not answered, or not their answer: an edit of some other message
	}
	if err != nil {
		return err
	}
	in := &incoming{updateID: store.UpdateOf(ctx), msg: msg, lang: b.langFor(ctx, msg.From)}
	return b.correct(ctx, in, consult.CorrectInput{QuestionID: id, By: person(msg.From), Text: text,
		Why: in.lang.T("correct.why_edited"), Source: store.RevisionEdit, UpdateID: in.updateID}, true)
}

// correct stores a correction and posts it in the group as a reply to the original answer
// message; quiet leaves unsaid the refusals that only mean the edit was of something else.
func (b *Bot) correct(ctx context.Context, in *incoming, ci consult.CorrectInput, quiet bool) error {
	l := in.lang
	res, err := b.svc.Correct(ctx, ci, func(res consult.CorrectResult) []store.Message {
		q := res.Question
		gl := langFromCode(res.GroupLanguage)
		text := gl.F("correct.posted", q.ID, categoryLabel(gl, res.Category), esc(res.Revision.ByName), esc(res.Answer.Text))
		if res.Revision.Why != "" {
			text += gl.F("correct.posted_why", esc(res.Revision.Why))
		}
		posted := inTopic(replyTo(q.ChatID, int(res.Answer.GroupMessageID), text, nil), q.ThreadID)
		confirm := in.replyWith(l.F("correct.done", q.ID, res.Revision.Revision, esc(q.Township)), nil)
		confirm[0].After = len(posted) // said only once it is true
		return append(posted, confirm...)
	})
	id := ci.QuestionID
	var msg string
	switch {
	case errors.Is(err, store.ErrDuplicate):
		return nil
	case quiet && (errors.Is(err, consult.ErrCorrectionUnchanged) || errors.Is(err, consult.ErrMayNotCorrect) ||
		errors.Is(err, consult.ErrNotAnswered) || errors.Is(err, consult.ErrNoSuchQuestion)):
		return nil
	case errors.Is(err, consult.ErrNoSuchQuestion):
		msg = l.F("claim.there_no_question", id)
	case errors.Is(err, consult.ErrNotAnswered):
		msg = l.F("correct.not_answered", id)
	case errors.Is(err, consult.ErrMayNotCorrect):
		msg = l.F("correct.not_yours", id)
	case errors.Is(err, consult.ErrEmptyCorrection):
		msg = l.T("correct.empty")
	case errors.Is(err, consult.ErrCorrectionGarbled):
		msg = l.T("correct.garbled")
	case errors.Is(err, consult.ErrCorrectionTooLong):
		msg = l.F("correct.too_long", consult.CorrectionLimit)
	case errors.Is(err, consult.ErrCorrectionMarkup):
		msg = l.T("correct.markup")
	case errors.Is(err, consult.ErrCorrectionUnchanged):
		msg = l.F("correct.unchanged", id)
	case errors.Is(err, consult.ErrAnswerChanged):
		msg = l.F("correct.changed_meanwhile", id)
	case errors.Is(err, consult.ErrAnswerNotPosted):
		msg = l.F("correct.not_posted", id)
	case errors.Is(err, consult.ErrCorrectionBanned):
		msg = l.F("correct.banned", id, findingLines(l, res.Findings))
	case errors.Is(err, consult.ErrCorrectionNeedsReview):
		msg = l.F("correct.needs_review", id, findingLines(l, res.Findings))
	case err != nil:
		return err
	default:
		return nil
	}
	return b.reply(ctx, in, msg, nil)
}

// chinaTime is the zone the national notices date their rules in.
var chinaTime = time.FixedZone("CST", 8*3600)

// findingLines names what the pesticide check found, one line each: the words as
// written, the product, and the notice it comes from.
func findingLines(l lang, found []consult.PesticideFinding) string {
	var lines []string
	seen := map[string]bool{}
	for _, f := range found {
		key := f.Matched + "\x00" + f.Name
		if seen[key] {
			continue
		}
		seen[key] = true
		since := ""
		if !f.Rule.Since.IsZero() {
			since = f.Rule.Since.In(chinaTime).Format("2006-01-02") // the day in force, in China
		}
		switch {
		case f.Banned && f.Negated:
			lines = append(lines, l.F("correct.finding_negated", esc(f.Matched), esc(f.Name), esc(f.Rule.Notice), since))
		case f.Banned:
			lines = append(lines, l.F("correct.finding_banned", esc(f.Matched), esc(f.Name), esc(f.Rule.Notice), since))
		default:
			lines = append(lines, l.F("correct.finding_restricted", esc(f.Matched), esc(f.Name), esc(f.Crop), esc(f.Rule.Notice)))
		}
	}
	return strings.Join(lines, "\n")
}
