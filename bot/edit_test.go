package bot_test

import (
	"context"
	"strings"
	"testing"
)

// TestAnEditAfterTheAnswerLeavesTheAnsweredQuestionAsItWas: the farmer edits their /ask
// after the expert's answer is in the group. The archive keeps the words the expert
// answered and shows the edit as a step after the answer; once the farmer asks more and
// the question is back with the expert, an edit reaches the expert with its words.
func TestAnEditAfterTheAnswerLeavesTheAnsweredQuestionAsItWas(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	expert := c.experts[0]
	c.approveExpert(t, expert, "水稻")
	question := tg.SendText(c.group, c.farmer, "/ask 水稻卷叶怎么办")
	ack := tg.WaitMessage(t, c.group.ID, repliesTo(question, "#1"))
	c.claimAndAnswer(t, expert, "1", "稻纵卷叶螟为害，用氯虫苯甲酰胺")

	tg.EditText(c.group, c.farmer, question, "/ask 水稻烂根怎么办")
	c.settled(t, c.farmer)
	if q := c.question(t, 1); q.Text != "水稻卷叶怎么办" || q.OriginalText != "" {
		t.Errorf("after an edit after the answer: %q (first %q), want the words answered", q.Text, q.OriginalText)
	}
	events, err := c.db.Events(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if last := events[len(events)-1]; last.Kind != "edited" || last.Detail["text"] != "水稻烂根怎么办" {
		t.Errorf("the timeline ends with %+v, want the edit and its words", last)
	}

	// A follow-up gives the question back to the expert; an edit now is told to them.
	tg.ReplyText(c.group, c.farmer, ack, "叶子还是卷")
	tg.WaitMessage(t, expert.ID, contains("叶子还是卷"))
	tg.EditText(c.group, c.farmer, question, "/ask 水稻卷叶，叶尖发白怎么办")
	notice := tg.WaitMessage(t, expert.ID, contains("农户在解答后修改了问题"))
	if !strings.Contains(notice.Text, "叶尖发白") || !strings.Contains(notice.Text, "水稻卷叶怎么办") {
		t.Errorf("the expert's notice = %q, want the edit and the question answered", notice.Text)
	}
	if q := c.question(t, 1); q.Text != "水稻卷叶怎么办" {
		t.Errorf("after an edit of a question given back: %q, want the words answered", q.Text)
	}
}
