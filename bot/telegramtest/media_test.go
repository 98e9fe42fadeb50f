package telegramtest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "image/jpeg" // to decode the fake's photos

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// call makes a raw Bot API call, as the bot does for the methods tgbotapi lacks.
func call(api *tgbotapi.BotAPI, method string, p tgbotapi.Params) (json.RawMessage, error) {
	resp, err := api.MakeRequest(method, p)
	if err != nil {
		return nil, err
	}
	return resp.Result, nil
}

// mustCall is call for calls that must succeed; it decodes the result into out unless
// out is nil.
func mustCall(t *testing.T, api *tgbotapi.BotAPI, method string, p tgbotapi.Params, out any) json.RawMessage {
	t.Helper()
	raw, err := call(api, method, p)
	if err != nil {
		t.Fatalf("%s %v: %v", method, p, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s result %s: %v", method, raw, err)
		}
	}
	return raw
}

// rawUpdates fetches and confirms the pending updates as JSON objects, to see the
// fields tgbotapi's types have no room for.
func rawUpdates(t *testing.T, api *tgbotapi.BotAPI) []map[string]any {
	t.Helper()
	var ups []map[string]any
	mustCall(t, api, "getUpdates", nil, &ups)
	if len(ups) > 0 {
		last := ups[len(ups)-1]["update_id"].(float64)
		mustCall(t, api, "getUpdates", tgbotapi.Params{"offset": strconv.Itoa(int(last) + 1), "limit": "1"}, nil)
	}
	return ups
}

// updates fetches and confirms the pending updates.
func updates(t *testing.T, api *tgbotapi.BotAPI) []tgbotapi.Update {
	t.Helper()
	ups, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) > 0 {
		if _, err := api.GetUpdates(tgbotapi.UpdateConfig{Offset: ups[len(ups)-1].UpdateID + 1, Limit: 1}); err != nil {
			t.Fatal(err)
		}
	}
	return ups
}

// field follows keys into decoded JSON; nil when a step is missing.
func field(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// download fetches a file as the bot does after getFile.
func download(t *testing.T, s *telegramtest.Server, api *tgbotapi.BotAPI, fileID string) (tgbotapi.File, []byte) {
	t.Helper()
	f, err := api.GetFile(tgbotapi.FileConfig{FileID: fileID})
	if err != nil {
		t.Fatalf("getFile %s: %v", fileID, err)
	}
	resp, err := http.Get(fmt.Sprintf(s.FileEndpoint(), s.Token(), f.FilePath))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("download %s = %d %s", f.FilePath, resp.StatusCode, data)
	}
	return f, data
}

func TestPostPhotoIssuesDownloadableSizes(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	farmer := s.NewUser("张", "", "zh-hans")
	dm := telegramtest.PrivateChat(farmer)

	posted := s.Post(dm, farmer, telegramtest.Post{Photo: true, Caption: "稻叶发黄 @li_ming_expert"})
	ups := updates(t, api)
	if len(ups) != 1 || ups[0].Message == nil || ups[0].Message.MessageID != posted.MessageID {
		t.Fatalf("updates = %+v, want the photo", ups)
	}
	m := ups[0].Message
	if m.Text != "" || m.Caption != "稻叶发黄 @li_ming_expert" || len(m.CaptionEntities) != 1 || m.CaptionEntities[0].Type != "mention" || m.CaptionEntities[0].Offset != 5 {
		t.Errorf("message = %+v, want the caption with its mention", m)
	}
	wantDims := [][2]int{{90, 68}, {320, 240}, {800, 600}}
	if len(m.Photo) != len(wantDims) {
		t.Fatalf("photo = %+v, want three sizes", m.Photo)
	}
	seen := map[string]bool{}
	for i, ps := range m.Photo {
		if [2]int{ps.Width, ps.Height} != wantDims[i] || ps.FileID == "" || ps.FileUniqueID == "" || seen[ps.FileID] || len(ps.FileID) < 50 {
			t.Errorf("size %d = %+v, want %v with its own, realistically long, file id", i, ps, wantDims[i])
		}
		seen[ps.FileID] = true
		f, data := download(t, s, api, ps.FileID)
		if f.FileID != ps.FileID || f.FileUniqueID != ps.FileUniqueID || f.FileSize != len(data) || ps.FileSize != len(data) || !strings.HasPrefix(f.FilePath, "photos/") {
			t.Errorf("file = %+v (%d bytes), size %+v", f, len(data), ps)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil || format != "jpeg" || cfg.Width != ps.Width || cfg.Height != ps.Height {
			t.Errorf("size %d downloads as %s %dx%d (%v), want a %dx%d JPEG", i, format, cfg.Width, cfg.Height, err, ps.Width, ps.Height)
		}
		if stored, ok := s.FileBytes(ps.FileID); !ok || !bytes.Equal(stored, data) {
			t.Errorf("FileBytes(%s) differs from the download", ps.FileID)
		}
	}
	a, _ := s.FileBytes(m.Photo[0].FileID)
	b, _ := s.FileBytes(m.Photo[0].FileID)
	other := s.Post(dm, farmer, telegramtest.Post{Photo: true})
	c, _ := s.FileBytes(other.Photo[0].FileID)
	if !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Errorf("two photos of the same size have the same bytes; a bot that downloads the wrong one would pass")
	}

	_, err := api.GetFile(tgbotapi.FileConfig{FileID: "AgACAgIAAxkBAAnope"})
	wantAPIErr(t, err, 400, "Bad Request: invalid file_id")
	f, _ := api.GetFile(tgbotapi.FileConfig{FileID: m.Photo[0].FileID})
	for url, want := range map[string]int{
		fmt.Sprintf(s.FileEndpoint(), "1000001:wrong", f.FilePath):  401,
		fmt.Sprintf(s.FileEndpoint(), s.Token(), "photos/nope.jpg"): 404,
	} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", url, resp.StatusCode, want)
		}
	}
}

func TestPostEveryKind(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	u := s.NewUser("Li", "", "en")
	dm := telegramtest.PrivateChat(u)
	pdf := []byte("%PDF-1.4 soil report")

	voice := s.Post(dm, u, telegramtest.Post{Voice: true, Caption: "listen"})
	video := s.Post(dm, u, telegramtest.Post{Video: true})
	doc := s.Post(dm, u, telegramtest.Post{Document: true, FileName: "土壤报告.PDF", Data: pdf})
	audio := s.Post(dm, u, telegramtest.Post{Audio: true})
	note := s.Post(dm, u, telegramtest.Post{VideoNote: true})
	anim := s.Post(dm, u, telegramtest.Post{Animation: true})
	loc := s.Post(dm, u, telegramtest.Post{Location: &tgbotapi.Location{Latitude: 30.66, Longitude: 104.06}})

	checks := []struct {
		name   string
		ok     bool
		fileID string
		dir    string
	}{
		{"voice", voice.Voice != nil && voice.Voice.MimeType == "audio/ogg" && voice.Caption == "listen", fileIDOf(voice), "voice/"},
		{"video", video.Video != nil && video.Video.Width > 0, fileIDOf(video), "videos/"},
		{"document", doc.Document != nil && doc.Document.FileName == "土壤报告.PDF" && doc.Document.MimeType == "application/pdf" && doc.Document.FileSize == len(pdf), fileIDOf(doc), "documents/"},
		{"audio", audio.Audio != nil && audio.Audio.Duration > 0, fileIDOf(audio), "music/"},
		{"video note", note.VideoNote != nil && note.VideoNote.Length > 0, fileIDOf(note), "video_notes/"},
		// Telegram sets document on an animation too.
		{"animation", anim.Animation != nil && anim.Document != nil && anim.Document.FileID == anim.Animation.FileID, fileIDOf(anim), "animations/"},
	}
	for _, c := range checks {
		if !c.ok || c.fileID == "" {
			t.Errorf("%s: message does not carry it as Telegram does", c.name)
			continue
		}
		f, data := download(t, s, api, c.fileID)
		if !strings.HasPrefix(f.FilePath, c.dir) || len(data) == 0 || f.FileSize != len(data) {
			t.Errorf("%s: file %+v, %d bytes", c.name, f, len(data))
		}
	}
	if _, data := download(t, s, api, doc.Document.FileID); !bytes.Equal(data, pdf) {
		t.Errorf("document downloads as %q, want the posted Data", data)
	}
	if loc.Location == nil || loc.Location.Latitude != 30.66 || loc.Location.Longitude != 104.06 {
		t.Errorf("location = %+v", loc.Location)
	}
	if n := len(updates(t, api)); n != 7 {
		t.Errorf("%d updates, want all 7 posts in the private chat", n)
	}
	if msgs := s.Messages(u.ID); len(msgs) != 7 || msgs[2].Document == nil || msgs[6].Location == nil {
		t.Errorf("Messages = %+v, want the media in order", msgs)
	}
}

// fileIDOf is the file id of a media message's file (a photo's largest size).
func fileIDOf(m tgbotapi.Message) string {
	switch {
	case len(m.Photo) > 0:
		return m.Photo[len(m.Photo)-1].FileID
	case m.Animation != nil:
		return m.Animation.FileID
	case m.Voice != nil:
		return m.Voice.FileID
	case m.Video != nil:
		return m.Video.FileID
	case m.VideoNote != nil:
		return m.VideoNote.FileID
	case m.Audio != nil:
		return m.Audio.FileID
	case m.Document != nil:
		return m.Document.FileID
	}
	return ""
}

func TestPostMisuseFailsTheTest(t *testing.T) {
	misuse := func(f func(s *telegramtest.Server, g tgbotapi.Chat, u tgbotapi.User)) string {
		rec := &fatalRecorder{TB: t}
		s := telegramtest.NewServer(rec)
		g, u := s.NewGroup("群"), s.NewUser("张", "", "zh-hans")
		return fatalOf(rec, func() { f(s, g, u) })
	}
	other := tgbotapi.User{ID: 777, FirstName: "Wang"}
	tests := []struct {
		name string
		f    func(s *telegramtest.Server, g tgbotapi.Chat, u tgbotapi.User)
		want string
	}{
		{"nothing", func(s *telegramtest.Server, g tgbotapi.Chat, u tgbotapi.User) { s.Post(g, u, telegramtest.Post{}) }, "posts nothing"},
		{"text and photo", func(s *telegramtest.Server, g tgbotapi.Chat, u tgbotapi.User) {
			s.Post(g, u, telegramtest.Post{Text: "x", Photo: true})
		}, "posts text and photo at once"},
		{"caption on a location", func(s *telegramtest.Server, g tgbotapi.Chat, u tgbotapi.User) {
			s.Post(g, u, telegramtest.Post{Location: &tgbotapi.Location{}, Caption: "here"})
		}, "gives a location a caption"},
		{"caption on a video note", func(s *telegramtest.Server, g tgbotapi.Chat, u tgbotapi.User) {
			s.Post(g, u, telegramtest.Post{VideoNote: true, Caption: "hi"})
		}, "gives a video_note a caption"},
		{"photo data that is no image", func(s *telegramtest.Server, g tgbotapi.Chat, u tgbotapi.User) {
			s.Post(g, u, telegramtest.Post{Photo: true, Data: []byte("not a jpeg")})
		}, "posts a photo whose Data is not an image"},
		{"topic in a group without topics", func(s *telegramtest.Server, g tgbotapi.Chat, u tgbotapi.User) {
			s.Post(g, u, telegramtest.Post{Text: "x", ThreadID: 5})
		}, "posts in topic 5, which chat"},
		{"album of one", func(s *telegramtest.Server, g tgbotapi.Chat, u tgbotapi.User) {
			s.PostAlbum(g, u, []telegramtest.Post{{Photo: true}}, nil)
		}, "an album has 2-10 items, not 1"},
		{"album of a photo and a document", func(s *telegramtest.Server, g tgbotapi.Chat, u tgbotapi.User) {
			s.PostAlbum(g, u, []telegramtest.Post{{Photo: true}, {Document: true}}, nil)
		}, "an album of [photo document]"},
		{"album order that is no order", func(s *telegramtest.Server, g tgbotapi.Chat, u tgbotapi.User) {
			s.PostAlbum(g, u, []telegramtest.Post{{Photo: true}, {Photo: true}}, []int{1, 1})
		}, "album order [1 1] is not an order"},
		{"editing someone else's message", func(s *telegramtest.Server, g tgbotapi.Chat, u tgbotapi.User) {
			m := s.SendText(g, u, "mine")
			s.EditText(g, other, m, "theirs")
		}, "which is not theirs"},
		{"editing a location", func(s *telegramtest.Server, g tgbotapi.Chat, u tgbotapi.User) {
			m := s.Post(g, u, telegramtest.Post{Location: &tgbotapi.Location{Latitude: 1}})
			s.EditText(g, u, m, "x")
		}, "has neither text nor a caption"},
		{"editing to the same text", func(s *telegramtest.Server, g tgbotapi.Chat, u tgbotapi.User) {
			m := s.SendText(g, u, "same")
			s.EditText(g, u, m, "same")
		}, "a client edits a text to a different"},
	}
	for _, tt := range tests {
		if got := misuse(tt.f); !strings.Contains(got, tt.want) {
			t.Errorf("%s: failure = %q, want it to contain %q", tt.name, got, tt.want)
		}
	}
}

func TestPrivacyModeJudgesCaptions(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("白泥镇农户群")
	u := s.NewUser("张", "", "zh-hans")
	botMsg, err := api.Send(tgbotapi.NewMessage(g.ID, "请发照片"))
	if err != nil {
		t.Fatal(err)
	}

	s.Post(g, u, telegramtest.Post{Photo: true})
	s.Post(g, u, telegramtest.Post{Photo: true, Caption: "/ask 稻瘟病?"})
	s.Post(g, u, telegramtest.Post{Photo: true, Caption: "/ask@other_bot x"})
	s.Post(g, u, telegramtest.Post{Document: true, Caption: "看看 @agriclinic_test_bot"})
	s.Post(g, u, telegramtest.Post{Voice: true, ReplyTo: &botMsg})
	s.Post(g, u, telegramtest.Post{Location: &tgbotapi.Location{Latitude: 30, Longitude: 104}})
	var got []string
	for _, up := range updates(t, api) {
		m := up.Message
		got = append(got, fmt.Sprintf("%d:%s", m.MessageID, m.Caption))
	}
	if want := []string{"3:/ask 稻瘟病?", "6:"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("updates = %q, want the command and the reply to the bot (a mention makes none)", got)
	}
	if n := len(s.Messages(g.ID)); n != 7 {
		t.Errorf("history has %d messages, want all 7", n)
	}
}

func TestPostAlbumArrivesOutOfOrder(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	u := s.NewUser("张", "", "zh-hans")
	dm := telegramtest.PrivateChat(u)
	s.SendText(dm, u, "first")

	items := []telegramtest.Post{{Photo: true, Caption: "叶片"}, {Video: true}, {Photo: true}}
	album := s.PostAlbum(dm, u, items, []int{2, 0, 1})
	if len(album) != 3 {
		t.Fatalf("album = %+v", album)
	}
	group := album[0].MediaGroupID
	for i, m := range album {
		if m.MessageID != 2+i || m.MediaGroupID != group || group == "" {
			t.Errorf("item %d = #%d in group %q, want #%d in one group", i, m.MessageID, m.MediaGroupID, 2+i)
		}
	}
	if album[0].Caption != "叶片" || len(album[0].Photo) != 3 || album[1].Video == nil || len(album[2].Photo) != 3 {
		t.Errorf("album items do not carry their media: %+v", album)
	}
	ups := updates(t, api)
	var order []int
	for i, up := range ups[1:] {
		order = append(order, up.Message.MessageID)
		if up.UpdateID != ups[0].UpdateID+1+i || up.Message.MediaGroupID != group {
			t.Errorf("update %+v out of sequence or album", up)
		}
	}
	if fmt.Sprint(order) != "[4 2 3]" {
		t.Errorf("album updates arrived as messages %v, want [4 2 3]", order)
	}

	// In a group with privacy mode, only the item with the command reaches the bot.
	g := s.NewGroup("群")
	s.PostAlbum(g, u, []telegramtest.Post{{Document: true}, {Document: true, Caption: "/ask 报告"}}, nil)
	ups = updates(t, api)
	if len(ups) != 1 || ups[0].Message.Caption != "/ask 报告" || ups[0].Message.MediaGroupID == "" || ups[0].Message.MediaGroupID == group {
		t.Errorf("group album updates = %+v, want only the captioned item, in a new album", ups)
	}
}

func TestUserEditsMakeEditedMessageUpdates(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("群")
	u := s.NewUser("张", "", "zh-hans")

	ask := s.SendText(g, u, "/ask 水稻 发黄")
	photo := s.Post(g, u, telegramtest.Post{Photo: true, Caption: "/ask 看图"})
	plain := s.SendText(g, u, "随便聊聊")
	updates(t, api)

	edited := s.EditText(g, u, ask, "/ask 水稻 叶尖发黄")
	if edited.Text != "/ask 水稻 叶尖发黄" || edited.EditDate == 0 || edited.MessageID != ask.MessageID {
		t.Errorf("edited = %+v", edited)
	}
	s.EditText(g, u, photo, "/ask 看这张图 @agriclinic_test_bot")
	s.EditText(g, u, plain, "还是随便聊聊") // not for the bot in privacy mode
	ups := updates(t, api)
	if len(ups) != 2 || ups[0].EditedMessage == nil || ups[1].EditedMessage == nil || ups[0].Message != nil {
		t.Fatalf("updates = %+v, want two edited messages", ups)
	}
	if e := ups[0].EditedMessage; e.Text != "/ask 水稻 叶尖发黄" || e.EditDate == 0 || !e.IsCommand() || e.CommandArguments() != "水稻 叶尖发黄" {
		t.Errorf("edited text = %+v", e)
	}
	if e := ups[1].EditedMessage; e.Caption != "/ask 看这张图 @agriclinic_test_bot" || e.Text != "" || len(e.Photo) != 3 || len(e.CaptionEntities) != 2 {
		t.Errorf("edited caption = %+v", e)
	}
	if m, _ := s.Message(g.ID, plain.MessageID); m.Text != "还是随便聊聊" || m.EditDate == 0 {
		t.Errorf("stored = %+v, want the edit kept though the bot did not get it", m)
	}
}

func TestSendMediaByFileID(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	farmer := s.NewUser("张", "", "zh-hans")
	expert := s.NewUser("李", "明", "zh-hans")
	farmerDM, expertDM := telegramtest.PrivateChat(farmer), telegramtest.PrivateChat(expert)
	photo := s.Post(farmerDM, farmer, telegramtest.Post{Photo: true, Caption: "稻叶"})
	voice := s.Post(farmerDM, farmer, telegramtest.Post{Voice: true})
	s.Start(expert)

	largest := photo.Photo[2].FileID
	var sent tgbotapi.Message
	mustCall(t, api, "sendPhoto", tgbotapi.Params{
		"chat_id": strconv.FormatInt(expert.ID, 10), "photo": largest,
		"caption": "问题 <b>#1</b>", "parse_mode": "HTML",
		"reply_markup": `{"inline_keyboard":[[{"text":"认领","callback_data":"claim:1"}]]}`,
	}, &sent)
	if len(sent.Photo) != 3 || sent.Photo[2].FileID != largest || sent.Photo[0].FileID != photo.Photo[0].FileID {
		t.Errorf("sent photo = %+v, want the farmer's photo with all its sizes", sent.Photo)
	}
	if sent.Caption != "问题 #1" || len(sent.CaptionEntities) != 1 || sent.CaptionEntities[0] != (tgbotapi.MessageEntity{Type: "bold", Offset: 3, Length: 2}) || sent.Text != "" {
		t.Errorf("sent caption = %q %+v", sent.Caption, sent.CaptionEntities)
	}
	got := s.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return len(m.Photo) > 0 })
	if got.MessageID != sent.MessageID || got.ReplyMarkup == nil {
		t.Errorf("WaitMessage = %+v, want the photo with its keyboard", got)
	}
	id := s.Press(expertDM, expert, got, "claim:1")
	ups := updates(t, api)
	if q := ups[len(ups)-1].CallbackQuery; q == nil || q.ID != id || len(q.Message.Photo) != 3 || q.Message.Caption != "问题 #1" {
		t.Errorf("callback query = %+v, want it on the photo", ups[len(ups)-1])
	}

	// Every kind goes by the file id a person's post got; an animation goes as a document too.
	for _, k := range []struct{ method, field string }{
		{"sendVoice", "voice"}, {"sendVideo", "video"}, {"sendDocument", "document"}, {"sendAudio", "audio"},
		{"sendVideoNote", "video_note"}, {"sendAnimation", "animation"},
	} {
		var p telegramtest.Post
		switch k.field {
		case "voice":
			p.Voice = true
		case "video":
			p.Video = true
		case "document":
			p.Document = true
		case "audio":
			p.Audio = true
		case "video_note":
			p.VideoNote = true
		case "animation":
			p.Animation = true
		}
		posted := s.Post(farmerDM, farmer, p)
		var m tgbotapi.Message
		mustCall(t, api, k.method, tgbotapi.Params{"chat_id": strconv.FormatInt(expert.ID, 10), k.field: fileIDOf(posted), "caption": "c"}, &m)
		if fileIDOf(m) != fileIDOf(posted) || m.Chat.ID != expert.ID || m.From.ID != s.Bot().ID {
			t.Errorf("%s = %+v, want the posted file", k.method, m)
		}
		if wantCaption := k.field != "video_note"; (m.Caption == "c") != wantCaption {
			t.Errorf("%s caption = %q; a video note has none", k.method, m.Caption)
		}
		if k.field == "animation" {
			var asDoc tgbotapi.Message
			mustCall(t, api, "sendDocument", tgbotapi.Params{"chat_id": strconv.FormatInt(expert.ID, 10), "document": fileIDOf(posted)}, &asDoc)
			if asDoc.Animation == nil || asDoc.Animation.FileID != fileIDOf(posted) {
				t.Errorf("an animation sent as a document = %+v", asDoc)
			}
		}
	}
	// The bot's own send issued nothing new: its file id works again.
	if _, err := call(api, "sendPhoto", tgbotapi.Params{"chat_id": strconv.FormatInt(expert.ID, 10), "photo": sent.Photo[1].FileID}); err != nil {
		t.Errorf("resending a size of a sent photo: %v", err)
	}

	chat := strconv.FormatInt(expert.ID, 10)
	errs := []struct {
		method string
		p      tgbotapi.Params
		code   int
		want   string
	}{
		{"sendPhoto", tgbotapi.Params{"chat_id": chat, "photo": "AgACAgIAAxkBAAmadeup"}, 400, "Bad Request: wrong file identifier/HTTP URL specified"},
		{"sendPhoto", tgbotapi.Params{"chat_id": chat, "photo": "https://example.org/rice.jpg"}, 400, "wrong file identifier/HTTP URL specified"},
		{"sendPhoto", tgbotapi.Params{"chat_id": chat, "photo": voice.Voice.FileID}, 400, "Bad Request: type of file mismatch"},
		{"sendVoice", tgbotapi.Params{"chat_id": chat, "voice": largest}, 400, "type of file mismatch"},
		{"sendPhoto", tgbotapi.Params{"chat_id": chat}, 400, "Bad Request: there is no photo in the request"},
		{"sendVideoNote", tgbotapi.Params{"chat_id": chat}, 400, "there is no video note in the request"},
		{"sendPhoto", tgbotapi.Params{"chat_id": chat, "photo": largest, "caption": strings.Repeat("🌾", 513)}, 400, "Bad Request: message caption is too long"},
		{"sendPhoto", tgbotapi.Params{"chat_id": chat, "photo": largest, "caption": "<b>x", "parse_mode": "HTML"}, 400, "can't parse entities: Can't find end tag corresponding to start tag b"},
		{"sendPhoto", tgbotapi.Params{"chat_id": chat, "photo": largest, "reply_markup": `{"inline_keyboard":[[{"text":"b","callback_data":""}]]}`}, 400, "BUTTON_DATA_INVALID"},
		{"sendPhoto", tgbotapi.Params{"chat_id": chat, "photo": largest, "reply_to_message_id": "999"}, 400, "message to reply not found"},
		{"sendPhoto", tgbotapi.Params{"chat_id": "987654321", "photo": largest}, 400, "chat not found"},
		{"sendVoice", tgbotapi.Params{"chat_id": strconv.FormatInt(s.NewUser("Wang", "", "en").ID, 10), "voice": voice.Voice.FileID}, 403, "Forbidden: bot can't initiate conversation with a user"},
	}
	before := len(s.Messages(expert.ID))
	for _, e := range errs {
		_, err := call(api, e.method, e.p)
		wantAPIErr(t, err, e.code, e.want)
	}
	if after := len(s.Messages(expert.ID)); after != before {
		t.Errorf("failed sends added %d messages", after-before)
	}
	if _, err := call(api, "sendPhoto", tgbotapi.Params{"chat_id": chat, "photo": largest, "caption": strings.Repeat("🌾", 512)}); err != nil {
		t.Errorf("a caption of 1024 UTF-16 code units: %v", err)
	}
	var noReply tgbotapi.Message
	mustCall(t, api, "sendVoice", tgbotapi.Params{"chat_id": chat, "voice": voice.Voice.FileID, "reply_to_message_id": "999", "allow_sending_without_reply": "true"}, &noReply)
	if noReply.ReplyToMessage != nil || noReply.Voice == nil {
		t.Errorf("allow_sending_without_reply = %+v, want the voice without a reply", noReply)
	}
	s.FailNext("sendPhoto", 429, "Too Many Requests: retry after 3", 3)
	_, err := call(api, "sendPhoto", tgbotapi.Params{"chat_id": chat, "photo": largest})
	if e := apiErr(t, err); e.Code != 429 || e.RetryAfter != 3 {
		t.Errorf("FailNext sendPhoto = %+v", e)
	}
}

func TestUploadsGetFileIDs(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("群")
	img := image.NewRGBA(image.Rect(0, 0, 400, 100))
	var pngData bytes.Buffer
	if err := png.Encode(&pngData, img); err != nil {
		t.Fatal(err)
	}

	sent, err := api.Send(tgbotapi.NewPhoto(g.ID, tgbotapi.FileBytes{Name: "chart.png", Bytes: pngData.Bytes()}))
	if err != nil {
		t.Fatal(err)
	}
	var dims []string
	for _, p := range sent.Photo {
		dims = append(dims, fmt.Sprintf("%dx%d", p.Width, p.Height))
	}
	if fmt.Sprint(dims) != "[90x23 320x80 400x100]" {
		t.Errorf("uploaded photo sizes = %v, want Telegram's smaller sizes and the original", dims)
	}
	if _, data := download(t, s, api, sent.Photo[2].FileID); !bytes.Equal(data, pngData.Bytes()) {
		t.Errorf("the largest size downloads as %d bytes, want the upload", len(data))
	}
	// tgbotapi's UploadFiles leaves the error code out of its errors: only the words tell.
	_, err = api.Send(tgbotapi.NewPhoto(g.ID, tgbotapi.FileBytes{Name: "x.jpg", Bytes: []byte("not an image")}))
	if e := apiErr(t, err); e.Message != "Bad Request: IMAGE_PROCESS_FAILED" {
		t.Errorf("uploading no image = %q", e.Message)
	}
	_, err = api.Send(tgbotapi.NewDocument(g.ID, tgbotapi.FileBytes{Name: "empty.txt", Bytes: []byte{}}))
	if e := apiErr(t, err); e.Message != "Bad Request: file must be non-empty" {
		t.Errorf("uploading an empty file = %q", e.Message)
	}
	if calls := s.Calls("sendPhoto"); calls[len(calls)-1].Status != 400 {
		t.Errorf("failed upload = %+v, want status 400", calls[len(calls)-1])
	}
	// Every upload is a new file.
	again, err := api.Send(tgbotapi.NewPhoto(g.ID, tgbotapi.FileBytes{Name: "chart.png", Bytes: pngData.Bytes()}))
	if err != nil || again.Photo[2].FileID == sent.Photo[2].FileID {
		t.Errorf("second upload = %+v, %v; want new file ids", again.Photo, err)
	}

	// Files over 20 MB cannot be downloaded by bots.
	u := s.NewUser("张", "", "zh-hans")
	big := s.Post(telegramtest.PrivateChat(u), u, telegramtest.Post{Video: true, Data: make([]byte, 20<<20+1)})
	_, err = api.GetFile(tgbotapi.FileConfig{FileID: big.Video.FileID})
	wantAPIErr(t, err, 400, "Bad Request: file is too big")
}

func TestSendLocation(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("群")
	sent, err := api.Send(tgbotapi.NewLocation(g.ID, 30.66, 104.06))
	if err != nil {
		t.Fatal(err)
	}
	if sent.Location == nil || sent.Location.Latitude != 30.66 || sent.Location.Longitude != 104.06 || sent.Text != "" {
		t.Errorf("sent = %+v", sent)
	}
	if m, _ := s.Message(g.ID, sent.MessageID); m.Location == nil {
		t.Errorf("stored = %+v, want the location", m)
	}
	_, err = call(api, "sendLocation", tgbotapi.Params{"chat_id": strconv.FormatInt(g.ID, 10), "longitude": "104"})
	wantAPIErr(t, err, 400, "Bad Request: latitude is empty")
	_, err = call(api, "sendLocation", tgbotapi.Params{"chat_id": strconv.FormatInt(g.ID, 10), "latitude": "30"})
	wantAPIErr(t, err, 400, "longitude is empty")
	edit := tgbotapi.NewEditMessageText(g.ID, sent.MessageID, "x")
	_, err = api.Request(edit)
	wantAPIErr(t, err, 400, "Bad Request: there is no text in the message to edit")
}

func TestSendMediaGroup(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("群")
	u := s.NewUser("张", "", "zh-hans")
	q := s.SendText(g, u, "/ask 看图")
	p1 := s.Post(g, u, telegramtest.Post{Photo: true})
	v := s.Post(g, u, telegramtest.Post{Video: true})
	d := s.Post(g, u, telegramtest.Post{Document: true})
	voice := s.Post(g, u, telegramtest.Post{Voice: true})
	chat := strconv.FormatInt(g.ID, 10)
	media := func(items ...string) string { return "[" + strings.Join(items, ",") + "]" }
	item := func(typ, id string) string { return fmt.Sprintf(`{"type":%q,"media":%q}`, typ, id) }

	var album []tgbotapi.Message
	mustCall(t, api, "sendMediaGroup", tgbotapi.Params{
		"chat_id": chat, "reply_to_message_id": strconv.Itoa(q.MessageID),
		"reply_markup": `{"inline_keyboard":[[{"text":"b","callback_data":""}]]}`, // ignored, not even checked
		"media":        media(`{"type":"photo","media":"`+p1.Photo[2].FileID+`","caption":"<b>叶</b>","parse_mode":"HTML"}`, item("video", v.Video.FileID)),
	}, &album)
	if len(album) != 2 {
		t.Fatalf("album = %+v", album)
	}
	a, b := album[0], album[1]
	if a.MediaGroupID == "" || a.MediaGroupID != b.MediaGroupID || b.MessageID != a.MessageID+1 {
		t.Errorf("album ids = #%d %q, #%d %q; want consecutive messages of one group", a.MessageID, a.MediaGroupID, b.MessageID, b.MediaGroupID)
	}
	if len(a.Photo) != 3 || a.Caption != "叶" || len(a.CaptionEntities) != 1 || b.Video == nil || b.Caption != "" {
		t.Errorf("album content = %+v", album)
	}
	for _, m := range album {
		if m.ReplyToMessage == nil || m.ReplyToMessage.MessageID != q.MessageID || m.ReplyMarkup != nil {
			t.Errorf("album message #%d = reply %v, markup %v; want a reply to the question without a keyboard", m.MessageID, m.ReplyToMessage, m.ReplyMarkup)
		}
	}

	var docs []tgbotapi.Message
	mustCall(t, api, "sendMediaGroup", tgbotapi.Params{"chat_id": chat, "media": media(item("document", d.Document.FileID), item("document", d.Document.FileID))}, &docs)
	if len(docs) != 2 || docs[0].MediaGroupID == a.MediaGroupID {
		t.Errorf("document album = %+v, want a new group", docs)
	}

	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = item("photo", p1.Photo[0].FileID)
	}
	errs := []struct {
		media string
		want  string
	}{
		{"", `Bad Request: parameter "media" is required`},
		{"[{", "can't parse media JSON object"},
		{`{"type":"photo"}`, "expected an Array of InputMedia"},
		{media(item("photo", p1.Photo[0].FileID)), "wrong number of media in the album: 1, must be 2-10"},
		{media(eleven...), "Bad Request: too much messages to send as an album"},
		{media(item("photo", p1.Photo[0].FileID), item("document", d.Document.FileID)), "Bad Request: can't use the media of the specified type in the album"},
		{media(item("audio", d.Document.FileID), item("document", d.Document.FileID)), "can't use the media of the specified type in the album"},
		{media(item("animation", p1.Photo[0].FileID), item("photo", p1.Photo[0].FileID)), `can't parse InputMedia: type "animation" can't be used in sendMediaGroup`},
		{media(item("sticker", p1.Photo[0].FileID), item("photo", p1.Photo[0].FileID)), `type "sticker" is unsupported`},
		{media(item("photo", ""), item("photo", p1.Photo[0].FileID)), "can't parse InputMedia: media not found"},
		{media(item("photo", "attach://file-9"), item("photo", p1.Photo[0].FileID)), "can't parse InputMedia: media not found"},
		{media(item("photo", "AgACnope"), item("photo", p1.Photo[0].FileID)), "wrong file identifier/HTTP URL specified"},
		{media(item("photo", voice.Voice.FileID), item("photo", p1.Photo[0].FileID)), "type of file mismatch"},
		{media(`{"type":"photo","media":"`+p1.Photo[0].FileID+`","caption":"`+strings.Repeat("x", 1025)+`"}`, item("photo", p1.Photo[0].FileID)), "message caption is too long"},
	}
	before := len(s.Messages(g.ID))
	for _, e := range errs {
		_, err := call(api, "sendMediaGroup", tgbotapi.Params{"chat_id": chat, "media": e.media})
		wantAPIErr(t, err, 400, e.want)
	}
	if after := len(s.Messages(g.ID)); after != before {
		t.Errorf("failed albums added %d messages", after-before)
	}

	// tgbotapi uploads album files as attach://file-N parts.
	img := image.NewRGBA(image.Rect(0, 0, 50, 50))
	var pngData bytes.Buffer
	_ = png.Encode(&pngData, img)
	up, err := api.SendMediaGroup(tgbotapi.NewMediaGroup(g.ID, []any{
		tgbotapi.NewInputMediaPhoto(tgbotapi.FileBytes{Name: "a.png", Bytes: pngData.Bytes()}),
		tgbotapi.NewInputMediaPhoto(tgbotapi.FileID(p1.Photo[1].FileID)),
	}))
	if err != nil || len(up) != 2 || len(up[0].Photo) != 1 || up[0].Photo[0].Width != 50 || up[1].Photo[1].FileID != p1.Photo[1].FileID {
		t.Errorf("uploaded album = %+v, %v", up, err)
	}
}

func TestCopyMessage(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("群")
	farmer, expert := s.NewUser("张", "", "zh-hans"), s.NewUser("李", "", "zh-hans")
	s.Start(expert)
	album := s.PostAlbum(g, farmer, []telegramtest.Post{{Photo: true, Caption: "稻叶 @li_ming"}, {Photo: true}}, nil)
	text := s.SendText(g, farmer, "/ask 水稻 <发黄>")
	to, from := strconv.FormatInt(expert.ID, 10), strconv.FormatInt(g.ID, 10)

	var id tgbotapi.MessageID
	raw := mustCall(t, api, "copyMessage", tgbotapi.Params{"chat_id": to, "from_chat_id": from, "message_id": strconv.Itoa(album[0].MessageID),
		"reply_markup": `{"inline_keyboard":[[{"text":"认领","callback_data":"claim:1"}]]}`}, &id)
	if string(raw) != fmt.Sprintf(`{"message_id":%d}`, id.MessageID) || id.MessageID == 0 {
		t.Errorf("copyMessage result = %s, want only the message id", raw)
	}
	c, ok := s.Message(expert.ID, id.MessageID)
	if !ok || len(c.Photo) != 3 || c.Photo[2].FileID != album[0].Photo[2].FileID || c.Caption != "稻叶 @li_ming" || len(c.CaptionEntities) != 1 ||
		c.MediaGroupID != "" || c.From.ID != s.Bot().ID || c.ForwardFrom != nil || c.ForwardDate != 0 || c.ReplyMarkup == nil {
		t.Errorf("copy = %+v, want the photo and caption, not in an album, not a forward, with the new keyboard", c)
	}
	s.Press(telegramtest.PrivateChat(expert), expert, c, "claim:1")

	mustCall(t, api, "copyMessage", tgbotapi.Params{"chat_id": to, "from_chat_id": from, "message_id": strconv.Itoa(album[1].MessageID), "caption": "<i>第二张</i>", "parse_mode": "HTML"}, &id)
	if c, _ := s.Message(expert.ID, id.MessageID); c.Caption != "第二张" || len(c.CaptionEntities) != 1 || c.CaptionEntities[0].Type != "italic" {
		t.Errorf("copy with a new caption = %q %+v", c.Caption, c.CaptionEntities)
	}
	mustCall(t, api, "copyMessage", tgbotapi.Params{"chat_id": to, "from_chat_id": from, "message_id": strconv.Itoa(album[0].MessageID), "caption": ""}, &id)
	if c, _ := s.Message(expert.ID, id.MessageID); c.Caption != "" || len(c.Photo) != 3 {
		t.Errorf("copy with an empty caption = %+v, want the photo without one", c)
	}
	mustCall(t, api, "copyMessage", tgbotapi.Params{"chat_id": to, "from_chat_id": from, "message_id": strconv.Itoa(text.MessageID), "caption": "ignored"}, &id)
	if c, _ := s.Message(expert.ID, id.MessageID); c.Text != text.Text || !c.IsCommand() || c.Caption != "" {
		t.Errorf("copied text = %+v", c)
	}

	for _, e := range []struct {
		p    tgbotapi.Params
		code int
		want string
	}{
		{tgbotapi.Params{"chat_id": to, "from_chat_id": from, "message_id": "999"}, 400, "Bad Request: message to copy not found"},
		{tgbotapi.Params{"chat_id": to, "from_chat_id": "-100555", "message_id": "1"}, 400, "chat not found"},
		{tgbotapi.Params{"chat_id": to, "message_id": "1"}, 400, `parameter "from_chat_id" is required`},
		{tgbotapi.Params{"chat_id": to, "from_chat_id": from}, 400, "message identifier is not specified"},
		{tgbotapi.Params{"chat_id": strconv.FormatInt(farmer.ID, 10), "from_chat_id": from, "message_id": "1"}, 403, "bot can't initiate conversation"},
	} {
		_, err := call(api, "copyMessage", e.p)
		wantAPIErr(t, err, e.code, e.want)
	}
}

func TestEditMessageCaption(t *testing.T) {
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)
	g := s.NewGroup("群")
	u := s.NewUser("张", "", "zh-hans")
	posted := s.Post(g, u, telegramtest.Post{Photo: true, Caption: "原图"})
	chat := strconv.FormatInt(g.ID, 10)
	var sent tgbotapi.Message
	mustCall(t, api, "sendPhoto", tgbotapi.Params{"chat_id": chat, "photo": posted.Photo[0].FileID, "caption": "#1 待认领",
		"reply_markup": `{"inline_keyboard":[[{"text":"认领","callback_data":"claim:1"}]]}`}, &sent)

	edit := tgbotapi.NewEditMessageCaption(g.ID, sent.MessageID, "#1 已被 <b>李明</b> 认领")
	edit.ParseMode = tgbotapi.ModeHTML
	if _, err := api.Request(edit); err != nil {
		t.Fatal(err)
	}
	m := s.WaitMessage(t, g.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Caption, "李明") })
	if m.Caption != "#1 已被 李明 认领" || len(m.CaptionEntities) != 1 || m.EditDate == 0 || m.ReplyMarkup != nil || len(m.Photo) != 3 {
		t.Errorf("edited = %+v, want the new caption, no keyboard, the photo kept", m)
	}
	_, err := api.Request(edit)
	wantAPIErr(t, err, 400, "message is not modified")

	_, err = api.Request(tgbotapi.NewEditMessageText(g.ID, sent.MessageID, "text"))
	wantAPIErr(t, err, 400, "Bad Request: there is no text in the message to edit")
	text, _ := api.Send(tgbotapi.NewMessage(g.ID, "text"))
	_, err = api.Request(tgbotapi.NewEditMessageCaption(g.ID, text.MessageID, "caption"))
	wantAPIErr(t, err, 400, "Bad Request: there is no caption in the message to edit")
	_, err = api.Request(tgbotapi.NewEditMessageCaption(g.ID, posted.MessageID, "caption"))
	wantAPIErr(t, err, 400, "message can't be edited")
	_, err = api.Request(tgbotapi.NewEditMessageCaption(g.ID, sent.MessageID, strings.Repeat("长", 1025)))
	wantAPIErr(t, err, 400, "message caption is too long")
	if _, err := api.Request(tgbotapi.NewEditMessageCaption(g.ID, sent.MessageID, "")); err != nil {
		t.Errorf("removing the caption: %v", err)
	}
	if m, _ := s.Message(g.ID, sent.MessageID); m.Caption != "" || len(m.Photo) != 3 {
		t.Errorf("after removing the caption = %+v", m)
	}
}

func TestFailureShowsMedia(t *testing.T) {
	rec := &fatalRecorder{TB: t}
	s := telegramtest.NewServer(rec)
	s.SetWaitTimeout(50 * time.Millisecond)
	u := s.NewUser("张", "", "zh-hans")
	dm := telegramtest.PrivateChat(u)
	s.Post(dm, u, telegramtest.Post{Photo: true, Caption: "看看"})
	s.Post(dm, u, telegramtest.Post{Document: true, FileName: "报告.pdf"})
	msg := fatalOf(rec, func() { s.WaitMessage(rec, u.ID, nil) })
	if !strings.Contains(msg, `[photo] "看看"`) || !strings.Contains(msg, `[document "报告.pdf"]`) {
		t.Errorf("failure = %q, want the media shown", msg)
	}
}
