package bot_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/redis/go-redis/v9"

	"github.com/agriclinic/agriclinic/bot"
	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// claimNotice presses Claim on the expert's notice of question id and returns the card
// that tells them it is theirs (reply to it to answer).
func (c *clinic) claimNotice(t *testing.T, expert tgbotapi.User, id string) tgbotapi.Message {
	t.Helper()
	notice := c.tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:"+id) })
	c.tg.Press(telegramtest.PrivateChat(expert), expert, notice, "claim:"+id)
	card := c.tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "#"+id) && (strings.Contains(m.Text, "你已认领") || strings.Contains(m.Text, "Yours now")) && !hasButton(m, "claim:"+id) && m.MessageID != notice.MessageID
	})
	// The bot learns where the card landed just after Telegram has it; a person takes
	// longer than that to reply, a test must wait for it: the chat's next message goes
	// out only after the card is recorded.
	probe := c.tg.SendText(telegramtest.PrivateChat(expert), expert, "/whoami")
	c.tg.WaitMessage(t, expert.ID, repliesTo(probe, "Telegram"))
	return card
}

// claimAndAnswer has the expert claim question id and answer it with text by replying to
// the claimed card; it returns the answer as posted in the group, once the group's
// chat has settled (so the bot knows where the answer landed).
func (c *clinic) claimAndAnswer(t *testing.T, expert tgbotapi.User, id, text string) tgbotapi.Message {
	t.Helper()
	card := c.claimNotice(t, expert, id)
	c.tg.ReplyText(telegramtest.PrivateChat(expert), expert, card, text)
	posted := c.tg.WaitMessage(t, c.group.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, text) && hasButton(m, "solved:"+id)
	})
	c.settled(t, c.farmer)
	return posted
}

// settled waits until the group's earlier updates were handled: one chat's updates are
// handled in order, so once /whoami sent after them is answered, they were too.
func (c *clinic) settled(t *testing.T, from tgbotapi.User) {
	t.Helper()
	probe := c.tg.SendText(c.group, from, "/whoami")
	c.tg.WaitMessage(t, c.group.ID, repliesTo(probe, "Telegram ID"))
}

func (c *clinic) question(t *testing.T, id int64) store.Question {
	t.Helper()
	q, err := c.db.Question(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestAPhotoQuestionReachesTheExpertWithItsPhoto(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	c.approveExpert(t, c.experts[0], "水稻")
	expert := c.experts[0]

	photo := tg.Post(c.group, c.farmer, telegramtest.Post{Photo: true, Caption: "/ask 稻叶上有褐色斑点"})
	tg.WaitMessage(t, c.group.ID, repliesTo(photo, "#1"))
	sent := tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return len(m.Photo) > 0 })
	largest := photo.Photo[len(photo.Photo)-1]
	if sent.Photo[len(sent.Photo)-1].FileUniqueID != largest.FileUniqueID {
		t.Errorf("the expert got %+v, want the largest size %s", sent.Photo, largest.FileUniqueID)
	}
	card := tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:1") })
	if !strings.Contains(card.Text, "稻叶上有褐色斑点") || !strings.Contains(card.Text, "📷×1") {
		t.Errorf("card = %q, want the caption and 📷×1", card.Text)
	}
	media, err := c.db.QuestionMedia(context.Background(), 1)
	if err != nil || len(media) != 1 || media[0].FileID != largest.FileID || media[0].Kind != store.MediaPhoto {
		t.Errorf("archived media = %+v, %v; want the largest photo", media, err)
	}

	// A bare photo mentioning nobody is the farmers' own business in privacy mode; a
	// location replying to the bot is a question of its own when someone else sends it.
	neighbour := tg.NewUser("赵", "四", "zh-hans")
	ack := tg.WaitMessage(t, c.group.ID, repliesTo(photo, "#1"))
	loc := tg.Post(c.group, neighbour, telegramtest.Post{Location: &tgbotapi.Location{Latitude: 27.22, Longitude: 107.88}, ReplyTo: &ack})
	tg.WaitMessage(t, c.group.ID, repliesTo(loc, "#2"))
	media, err = c.db.QuestionMedia(context.Background(), 2)
	if err != nil || len(media) != 1 || media[0].Kind != store.MediaLocation || media[0].Latitude != 27.22 {
		t.Errorf("archived location = %+v, %v", media, err)
	}
}

func TestAnAlbumArrivingOutOfOrderIsOneQuestion(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.privacyOffInGroup(t) // the bot sees every photo of the album, not only the captioned one
	c.bindGroup(t)
	c.approveExpert(t, c.experts[0], "水稻")
	expert := c.experts[0]

	items := []telegramtest.Post{
		{Photo: true, Caption: "/ask 水稻叶子卷了，看看这几张"},
		{Photo: true},
		{Video: true},
	}
	album := tg.PostAlbum(c.group, c.farmer, items, []int{2, 1, 0})
	c.settled(t, c.farmer)
	if n, err := c.svc.FlushAlbums(context.Background(), 0, bot.AskMessages); err != nil || n != 1 {
		t.Fatalf("FlushAlbums = %d, %v; want one question", n, err)
	}
	tg.WaitMessage(t, c.group.ID, repliesTo(album[0], "#1"))
	q := c.question(t, 1)
	if q.Text != "水稻叶子卷了，看看这几张" || q.MessageID != int64(album[0].MessageID) || q.CategoryID != "rice" {
		t.Errorf("question = %q at %d in %s; want the caption, the first item, rice", q.Text, q.MessageID, q.CategoryID)
	}
	media, err := c.db.QuestionMedia(context.Background(), 1)
	if err != nil || len(media) != 3 || media[2].Kind != store.MediaVideo {
		t.Fatalf("media = %+v, %v; want photo, photo, video", media, err)
	}
	call := tg.WaitCall(t, "sendMediaGroup", func(call telegramtest.Call) bool { return call.Params["chat_id"] == itoa(expert.ID) })
	for _, m := range media {
		if !strings.Contains(call.Params["media"], m.FileID) {
			t.Errorf("the album sent to the expert lacks %s: %s", m.FileID, call.Params["media"])
		}
	}
	tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool {
		return hasButton(m, "claim:1") && strings.Contains(m.Text, "📷×2 🎬×1")
	})

	// Claimed from /queue by an expert who was not pushed it: the album comes with the card.
	c.approveExpert(t, c.experts[1], "rice")
	late := c.experts[1]
	tg.SendText(telegramtest.PrivateChat(late), late, "/queue")
	c.claimNotice(t, late, "1")
	tg.WaitCall(t, "sendMediaGroup", func(call telegramtest.Call) bool { return call.Params["chat_id"] == itoa(late.ID) })
}

func TestFollowupsReachTheHolderAndAnswersMayBePhotos(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	c.approveExpert(t, c.experts[0], "水稻")
	expert := c.experts[0]

	question := tg.SendText(c.group, c.farmer, "/ask 秧苗发黄")
	ack := tg.WaitMessage(t, c.group.ID, repliesTo(question, "#1"))
	card := c.claimNotice(t, expert, "1")

	// The farmer adds a voice message by replying to the acknowledgement.
	voice := tg.Post(c.group, c.farmer, telegramtest.Post{Voice: true, ReplyTo: &ack})
	tg.WaitMessage(t, c.group.ID, repliesTo(voice, "已转给专家"))
	tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool {
		return m.Voice != nil && m.Voice.FileUniqueID == voice.Voice.FileUniqueID
	})
	tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "#1 农户追问") })

	// The expert answers with a photo and a caption, replying to the card.
	answer := tg.Post(telegramtest.PrivateChat(expert), expert, telegramtest.Post{Photo: true, Caption: "这是缺氮，追施尿素", ReplyTo: &card})
	posted := tg.WaitMessage(t, c.group.ID, func(m tgbotapi.Message) bool {
		return len(m.Photo) > 0 && m.ReplyToMessage != nil && m.ReplyToMessage.MessageID == question.MessageID
	})
	if posted.Photo[len(posted.Photo)-1].FileUniqueID != answer.Photo[len(answer.Photo)-1].FileUniqueID {
		t.Errorf("the group got another photo than the expert's")
	}
	words := tg.WaitMessage(t, c.group.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "追施尿素") })
	if !hasButton(words, "solved:1") || !hasButton(words, "unsolved:1") {
		t.Errorf("answer %q lacks the feedback buttons", words.Text)
	}
	followups, err := c.db.Followups(context.Background(), 1)
	if err != nil || len(followups) != 1 || followups[0].Kind != store.MediaVoice {
		t.Errorf("follow-ups = %+v, %v; want the voice", followups, err)
	}

	// A follow-up on the answered question goes back to the same expert.
	c.settled(t, c.farmer)
	more := tg.ReplyText(c.group, c.farmer, words, "追了尿素还是黄")
	tg.WaitMessage(t, c.group.ID, repliesTo(more, "已转给专家"))
	a, err := c.db.LastAnswer(context.Background(), 1)
	if err != nil || a.Kind != store.MediaPhoto || a.Text != "这是缺氮，追施尿素" || a.GroupMessageID != int64(words.MessageID) {
		t.Errorf("archived answer = %+v, %v", a, err)
	}
	tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "追了尿素还是黄") })
	if q := c.question(t, 1); q.Status != store.StatusClaimed || q.ExpertID != expert.ID {
		t.Errorf("after a follow-up on the answer: %s by %d, want claimed by the expert", q.Status, q.ExpertID)
	}
}

func TestFeedbackButtonsCloseOrReopen(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	c.approveExpert(t, c.experts[0], "水稻")
	expert := c.experts[0]
	neighbour := tg.NewUser("赵", "四", "zh-hans")

	question := tg.SendText(c.group, c.farmer, "/ask 稻瘟病怎么防")
	tg.WaitMessage(t, c.group.ID, repliesTo(question, "#1"))
	posted := c.claimAndAnswer(t, expert, "1", "喷三环唑")

	press := tg.Press(c.group, neighbour, posted, "unsolved:1")
	if a := tg.WaitCallbackAnswer(t, press); !a.ShowAlert || !strings.Contains(a.Text, "只有提问的农户") {
		t.Errorf("a neighbour's press answered %+v, want an alert", a)
	}
	tg.Press(c.group, c.farmer, posted, "unsolved:1")
	tg.WaitMessage(t, c.group.ID, func(m tgbotapi.Message) bool {
		return m.MessageID == posted.MessageID && strings.Contains(m.Text, "没解决") && m.ReplyMarkup == nil
	})
	tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "没有解决") && hasButton(m, "claim:1")
	})
	if q := c.question(t, 1); q.Status != store.StatusOpen || q.Feedback != store.FeedbackUnsolved {
		t.Errorf("after not solved: %s %s, want open and unsolved", q.Status, q.Feedback)
	}

	posted = c.claimAndAnswer(t, expert, "1", "改用稻瘟灵，隔七天再喷一次")
	tg.Press(c.group, c.farmer, posted, "solved:1")
	tg.WaitMessage(t, c.group.ID, func(m tgbotapi.Message) bool {
		return m.MessageID == posted.MessageID && strings.Contains(m.Text, "已解决")
	})
	if q := c.question(t, 1); q.Status != store.StatusClosed || q.Feedback != store.FeedbackSolved {
		t.Errorf("after solved: %s %s, want closed and solved", q.Status, q.Feedback)
	}
}

func TestTransferTellsTheGroupAndTheOtherCategory(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	c.approveExpert(t, c.experts[0], "水稻")
	c.approveExpert(t, c.experts[1], "tea")
	rice, tea := c.experts[0], c.experts[1]

	question := tg.SendText(c.group, c.farmer, "/ask 水稻叶子上有虫眼")
	tg.WaitMessage(t, c.group.ID, repliesTo(question, "#1"))
	c.claimNotice(t, rice, "1")
	cmd := tg.SendText(telegramtest.PrivateChat(rice), rice, "/transfer 1 茶叶")
	tg.WaitMessage(t, rice.ID, repliesTo(cmd, "已转到茶叶"))
	tg.WaitMessage(t, c.group.ID, repliesTo(question, "已转给茶叶专家"))
	tg.WaitMessage(t, tea.ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:1") && strings.Contains(m.Text, "李 明") })
	if q := c.question(t, 1); q.CategoryID != "tea" || q.Status != store.StatusOpen {
		t.Errorf("after transfer: %s %s, want tea and open", q.CategoryID, q.Status)
	}
	refused := tg.SendText(telegramtest.PrivateChat(rice), rice, "/transfer 1 水稻")
	tg.WaitMessage(t, rice.ID, repliesTo(refused, "只有认领 #1 的专家"))
}

func TestManyQuestionsAtOnceBecomeOneBundle(t *testing.T) {
	t.Parallel()
	c := newClinic(t, func(o *consult.Options, rdb redis.UniversalClient, prefix string) {
		o.Quota = store.NewQuota(rdb, prefix)
		o.Limits = &consult.Limits{Pushes: 2, PushWindow: time.Hour}
	})
	tg := c.tg
	c.bindGroup(t)
	c.approveExpert(t, c.experts[0], "水稻")
	expert := c.experts[0]

	for i, text := range []string{"水稻黄叶", "水稻倒伏", "稻飞虱多", "秧苗烂根"} {
		q := tg.SendText(c.group, c.farmer, "/ask "+text)
		tg.WaitMessage(t, c.group.ID, repliesTo(q, "#"+itoa(int64(i+1))))
	}
	if n, err := c.svc.FlushBundles(context.Background(), 0, bot.BundleMessages); err != nil || n != 1 {
		t.Fatalf("FlushBundles = %d, %v; want one bundle", n, err)
	}
	bundle := tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "又有 2 个新问题") })
	notices := 0
	for _, m := range tg.Messages(expert.ID) {
		if hasButton(m, "claim:1") || hasButton(m, "claim:2") || hasButton(m, "claim:3") || hasButton(m, "claim:4") {
			notices++
		}
	}
	if notices != 2 {
		t.Errorf("the expert got %d pushes, want 2 and a bundle", notices)
	}
	tg.Press(telegramtest.PrivateChat(expert), expert, bundle, "queue:1")
	tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "待认领的问题（共 4 个）") })
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
