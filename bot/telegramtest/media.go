package telegramtest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Post is what a person posts: exactly one of a text, a kind of media (with an optional
// Caption, which a video note cannot have) or a location.
type Post struct {
	Text    string
	Caption string

	// Photo makes the fake issue three sizes (90, 320 and 800 px wide, smallest first,
	// each with its own file_id); the other kinds issue one file. Every file id can be
	// sent by the bot, given to getFile and downloaded.
	Photo, Voice, Video, Document, Audio, VideoNote, Animation bool
	// FileName names a document, audio, video or animation; a document without one is
	// "document.pdf".
	FileName string
	// Data is the file's content (a photo's largest size, which must then be a JPEG or
	// PNG, whose size it takes); nil makes up bytes that differ from file to file.
	Data []byte

	Location *tgbotapi.Location

	// ReplyTo is a message of the same chat the post replies to. In a forum the post
	// goes to ReplyTo's topic unless ThreadID says otherwise, which must then agree.
	ReplyTo *tgbotapi.Message
	// MediaGroupID makes a photo, video, document or audio part of an album; PostAlbum
	// sets it.
	MediaGroupID string
	// ThreadID posts in that topic of a forum group (see NewTopic); 0 is General.
	ThreadID int
}

// kinds lists what p holds, by the words the Bot API uses for it.
func (p Post) kinds() []string {
	var out []string
	add := func(set bool, kind string) {
		if set {
			out = append(out, kind)
		}
	}
	add(p.Text != "", "text")
	add(p.Photo, "photo")
	add(p.Voice, "voice")
	add(p.Video, "video")
	add(p.Document, "document")
	add(p.Audio, "audio")
	add(p.VideoNote, "video_note")
	add(p.Animation, "animation")
	add(p.Location != nil, "location")
	return out
}

// kind is the one thing p holds, or why p is not something a Telegram client can send.
func (p Post) kind() (string, error) {
	kinds := p.kinds()
	switch {
	case len(kinds) == 0:
		return "", fmt.Errorf("posts nothing: a Post needs Text, a kind of media or a Location")
	case len(kinds) > 1:
		return "", fmt.Errorf("posts %s at once; a Telegram message holds one of them (a caption goes in Caption)", strings.Join(kinds, " and "))
	}
	kind := kinds[0]
	_, isMedia := fileKinds[kind]
	switch {
	case p.Caption != "" && (!isMedia || kind == "video_note"):
		return "", fmt.Errorf("gives a %s a caption, which it cannot have", kind)
	case (p.Data != nil || p.FileName != "") && !isMedia:
		return "", fmt.Errorf("gives a %s Data or a FileName, which are for media", kind)
	case p.MediaGroupID != "" && !albumKinds[kind]:
		return "", fmt.Errorf("puts a %s in an album; only photos, videos, documents and audio files go in one", kind)
	}
	return kind, nil
}

// albumKinds are the media that go in albums.
var albumKinds = map[string]bool{"photo": true, "video": true, "document": true, "audio": true}

// albumMix says whether kinds can make one album: photos and videos mix, documents and
// audio files only go with their own kind.
func albumMix(kinds []string) bool {
	for _, k := range kinds {
		if !albumKinds[k] {
			return false
		}
		visual := k == "photo" || k == "video"
		if visual != (kinds[0] == "photo" || kinds[0] == "video") || !visual && k != kinds[0] {
			return false
		}
	}
	return true
}

// Post makes from post p in chat and returns the message as the bot would get it. The
// message gets the chat's next message id, the mention and bot_command entities Telegram
// marks in its text or caption, and for media the file ids the fake issues; it becomes
// an update if it reaches the bot (see SetPrivacyMode). Posting in the private chat with
// the bot starts the bot for from. A post a Telegram client cannot make (two kinds of
// content, a caption on a location, a topic the chat does not have…) fails the test.
func (s *Server) Post(chat tgbotapi.Chat, from tgbotapi.User, p Post) tgbotapi.Message {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m := s.newUserMessage(chat, from, p)
	out := s.render(c, m)
	s.deliverUserMessage(c, m, out)
	s.notify()
	return out
}

// PostAlbum makes from post items in chat in as one album: they share a new media_group_id and get
// consecutive message ids in item order, but their updates are queued in order (indexes
// into items; nil is item order), as Telegram's may arrive in any order. Each item is
// one photo, video, document or audio file; photos and videos mix, documents and audio
// files only with their own kind. Privacy mode judges each item alone: in a group, only
// the item whose caption is the command (or mentions the bot, or replies to it) reaches
// the bot. Each item's ReplyTo and ThreadID are its own; Telegram's clients give them
// all the same.
func (s *Server) PostAlbum(in tgbotapi.Chat, from tgbotapi.User, items []Post, order []int) []tgbotapi.Message {
	s.t.Helper()
	if len(items) < 2 || len(items) > 10 {
		s.t.Fatalf("telegramtest: an album has 2-10 items, not %d", len(items))
	}
	var kinds []string
	for i, it := range items {
		if it.MediaGroupID != "" {
			s.t.Fatalf("telegramtest: album item %d has MediaGroupID %q; PostAlbum assigns it", i, it.MediaGroupID)
		}
		kinds = append(kinds, strings.Join(it.kinds(), "+"))
	}
	if !albumMix(kinds) {
		s.t.Fatalf("telegramtest: an album of %v: it takes photos and videos, or documents, or audio files", kinds)
	}
	if order == nil {
		for i := range items {
			order = append(order, i)
		}
	}
	if !isPermutation(order, len(items)) {
		s.t.Fatalf("telegramtest: album order %v is not an order of its %d items", order, len(items))
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	group := s.newMediaGroupID()
	type made struct {
		c   *chat
		m   *stored
		out tgbotapi.Message
	}
	var all []made
	var outs []tgbotapi.Message
	for _, it := range items {
		it.MediaGroupID = group
		c, m := s.newUserMessage(in, from, it)
		all = append(all, made{c, m, s.render(c, m)})
		outs = append(outs, all[len(all)-1].out)
	}
	for _, i := range order {
		s.deliverUserMessage(all[i].c, all[i].m, all[i].out)
	}
	s.notify()
	return outs
}

// isPermutation says whether order lists each of 0…n-1 once.
func isPermutation(order []int, n int) bool {
	sorted := slices.Sorted(slices.Values(order))
	for i, v := range sorted {
		if v != i {
			return false
		}
	}
	return len(sorted) == n
}

// newMediaGroupID issues an album's id; Telegram's are long decimal numbers, as strings.
// The caller holds s.mu.
func (s *Server) newMediaGroupID() string {
	s.albumSeq++
	return strconv.FormatInt(13600000000000000+int64(s.albumSeq), 10)
}

// newUserMessage stores what from posts, failing the test for what a client cannot post.
// The caller holds s.mu.
func (s *Server) newUserMessage(info tgbotapi.Chat, from tgbotapi.User, p Post) (*chat, *stored) {
	s.t.Helper()
	if info.Type == "private" && info.ID != from.ID {
		s.t.Fatalf("telegramtest: %s (%d) cannot write in the private chat of user %d", from.FirstName, from.ID, info.ID)
	}
	kind, err := p.kind()
	if err != nil {
		s.t.Fatalf("telegramtest: %s %v", from.FirstName, err)
	}
	person := s.person(from)
	if info.Type == "private" {
		info = PrivateChat(from)
		s.unblock(person)
	}
	c := s.chatOf(info)
	topic, replyTo := s.userPlace(c, from, p)

	msg := tgbotapi.Message{MediaGroupID: p.MediaGroupID}
	switch kind {
	case "text":
		msg.Text, msg.Entities = p.Text, userEntities(p.Text)
	case "location":
		loc := *p.Location
		msg.Location = &loc
	default:
		media, err := s.issueMedia(kind, p.FileName, p.Data)
		if err != nil {
			s.t.Fatalf("telegramtest: %s posts a photo whose Data is %v", from.FirstName, err)
		}
		msg = withMedia(msg, media)
		msg.Caption, msg.CaptionEntities = p.Caption, userEntities(p.Caption)
	}
	c.lastID++
	f, ci := from, c.info
	msg.MessageID, msg.From, msg.Date, msg.Chat = c.lastID, &f, now(), &ci
	m := &stored{msg: msg, replyTo: replyTo, topic: topic}
	c.add(m)
	return c, m
}

// userPlace finds the topic and the message a post replies to: the one it names, or in
// a topic the topic's first message, as Telegram shows it. The caller holds s.mu.
func (s *Server) userPlace(c *chat, from tgbotapi.User, p Post) (topic, replyTo int) {
	s.t.Helper()
	var reply *stored
	if p.ReplyTo != nil {
		if reply = c.live(p.ReplyTo.MessageID); reply == nil {
			s.t.Fatalf("telegramtest: %s replies to message %d, which chat %d does not have", from.FirstName, p.ReplyTo.MessageID, c.info.ID)
		}
	}
	topic = p.ThreadID
	switch {
	case topic != 0 && !c.hasTopic(topic):
		s.t.Fatalf("telegramtest: %s posts in topic %d, which chat %d does not have (NewForumGroup and NewTopic make them)", from.FirstName, topic, c.info.ID)
	case reply != nil && topic == 0:
		topic = reply.topic
	case reply != nil && reply.topic != topic:
		s.t.Fatalf("telegramtest: %s posts in topic %d replying to message %d of topic %d; a client replies within the topic", from.FirstName, topic, reply.msg.MessageID, reply.topic)
	}
	switch {
	case reply != nil:
		replyTo = reply.msg.MessageID
	case topic != 0:
		replyTo = topic
	}
	return topic, replyTo
}

// deliverUserMessage queues a person's new message as an update if it reaches the bot.
// out is how it renders. The caller holds s.mu.
func (s *Server) deliverUserMessage(c *chat, m *stored, out tgbotapi.Message) {
	if s.reachesBot(c, m) {
		u := clone(out)
		s.enqueue(tgbotapi.Update{Message: &u})
	}
}

// userEntities are the entities Telegram marks in what a person writes.
func userEntities(text string) []tgbotapi.MessageEntity {
	ents := detectEntities(text, nil)
	if len(ents) == 0 {
		return nil
	}
	return ents
}

// EditText makes from edit their message msg to say newText: its text, or the caption
// of media (which may so get one, or lose it when newText is empty). The message gets an
// edit_date and, if it reaches the bot as it now reads (see SetPrivacyMode), an
// edited_message update. It returns the message as edited. Editing someone else's
// message, or to what it already says, fails the test, as no client can do it.
func (s *Server) EditText(chat tgbotapi.Chat, from tgbotapi.User, msg tgbotapi.Message, newText string) tgbotapi.Message {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chat.ID]
	var m *stored
	if c != nil {
		m = c.live(msg.MessageID)
	}
	switch {
	case m == nil:
		s.t.Fatalf("telegramtest: %s edits message %d, which chat %d does not have", from.FirstName, msg.MessageID, chat.ID)
	case m.msg.From == nil || m.msg.From.ID != from.ID:
		s.t.Fatalf("telegramtest: %s edits message %d of chat %d, which is not theirs", from.FirstName, msg.MessageID, chat.ID)
	case m.msg.Text != "":
		if newText == "" || newText == m.msg.Text {
			s.t.Fatalf("telegramtest: %s edits message %d to %q; a client edits a text to a different, non-empty one", from.FirstName, msg.MessageID, newText)
		}
		m.msg.Text, m.msg.Entities = newText, userEntities(newText)
	case canHaveCaption(m.msg):
		if newText == m.msg.Caption {
			s.t.Fatalf("telegramtest: %s edits the caption of message %d to what it already is, %q", from.FirstName, msg.MessageID, newText)
		}
		m.msg.Caption, m.msg.CaptionEntities = newText, userEntities(newText)
	default:
		s.t.Fatalf("telegramtest: %s edits message %d, which has neither text nor a caption", from.FirstName, msg.MessageID)
	}
	m.msg.EditDate = now()
	m.changed()
	out := s.render(c, m)
	if s.reachesBot(c, m) {
		u := clone(out)
		s.enqueue(tgbotapi.Update{EditedMessage: &u})
	}
	s.notify()
	return out
}

// describeContent shows a message's content in one line, for failures.
func describeContent(m tgbotapi.Message) string {
	var kind string
	switch {
	case m.Text != "":
		return strconv.Quote(m.Text)
	case len(m.Photo) > 0:
		kind = "photo"
	case m.Animation != nil:
		kind = "animation"
	case m.Voice != nil:
		kind = "voice"
	case m.Video != nil:
		kind = "video"
	case m.VideoNote != nil:
		kind = "video note"
	case m.Audio != nil:
		kind = "audio"
	case m.Document != nil:
		kind = "document " + strconv.Quote(m.Document.FileName)
	case m.Location != nil:
		return fmt.Sprintf("[location %g,%g]", m.Location.Latitude, m.Location.Longitude)
	case m.SenderChat != nil && m.From != nil && m.From.ID == groupAnonymousBot.ID:
		return "[service message]"
	default:
		return "[no content]"
	}
	if m.Caption != "" {
		return fmt.Sprintf("[%s] %q", kind, m.Caption)
	}
	return "[" + kind + "]"
}
