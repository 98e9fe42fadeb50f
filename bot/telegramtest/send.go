package telegramtest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// outgoing is where a bot's new message goes: the parameters every send method shares.
type outgoing struct {
	chatID            int64
	thread            int
	replyTo           int
	allowWithoutReply bool
	markup            *tgbotapi.InlineKeyboardMarkup
}

func readOutgoing(p params) (outgoing, *apiError) {
	chatID, err := chatParam(p)
	if err != nil {
		return outgoing{}, err
	}
	markup, err := parseMarkup(p["reply_markup"])
	if err != nil {
		return outgoing{}, err
	}
	replyTo, allow, err := replyTarget(p)
	if err != nil {
		return outgoing{}, err
	}
	return outgoing{chatID: chatID, thread: threadParam(p), replyTo: replyTo, allowWithoutReply: allow, markup: markup}, nil
}

// place finds the chat, the topic and the replied-to message of a bot's new message, or
// why it cannot be sent. message_thread_id must name a topic of a forum group: General
// (1) or a thread of a chat without topics is "message thread not found". Without it a
// reply goes to the topic of the message it replies to; a reply to a message of another
// topic is taken as one to a missing message. A message in a topic that replies to
// nothing else shows the topic's first message as reply_to_message, as in Telegram.
// The caller holds s.mu.
func (s *Server) place(o outgoing) (*chat, int, int, *apiError) {
	c, err := s.botChat(o.chatID)
	if err != nil {
		return nil, 0, 0, err
	}
	if o.thread != 0 && !c.hasTopic(o.thread) {
		return nil, 0, 0, badRequest("message thread not found")
	}
	var reply *stored
	if o.replyTo != 0 {
		reply = c.live(o.replyTo)
		if reply != nil && o.thread != 0 && reply.topic != o.thread {
			reply = nil
		}
		if reply == nil && !o.allowWithoutReply {
			return nil, 0, 0, badRequest("message to reply not found")
		}
	}
	switch {
	case reply != nil:
		return c, reply.topic, reply.msg.MessageID, nil
	case o.thread != 0:
		return c, o.thread, o.thread, nil
	}
	return c, 0, 0, nil
}

// sendLocked makes one bot message at o with what content returns, which may look up
// files (hence the lock). The caller holds s.mu.
func (s *Server) sendLocked(o outgoing, content func() (tgbotapi.Message, *apiError)) (*chat, *stored, *apiError) {
	c, topic, replyTo, err := s.place(o)
	if err != nil {
		return nil, nil, err
	}
	msg, err := content()
	if err != nil {
		return nil, nil, err
	}
	return c, s.addBotMessage(c, msg, topic, replyTo, o.markup), nil
}

// send is sendLocked for the methods that return the new message.
func (s *Server) send(o outgoing, content func() (tgbotapi.Message, *apiError)) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, err := s.sendLocked(o, content)
	if err != nil {
		return nil, err
	}
	s.notify()
	return s.render(c, m), nil
}

// addBotMessage stores a new message of the bot holding content. The caller holds s.mu.
func (s *Server) addBotMessage(c *chat, content tgbotapi.Message, topic, replyTo int, markup *tgbotapi.InlineKeyboardMarkup) *stored {
	c.lastID++
	bot, ci := s.botUser(), c.info
	content.MessageID, content.From, content.Date, content.Chat = c.lastID, &bot, now(), &ci
	content.ReplyMarkup = markup
	m := &stored{msg: content, replyTo: replyTo, topic: topic}
	c.add(m)
	return m
}

// fileParam reads the parameter naming a send's file: the file uploaded in that field,
// "attach://<field>" naming an uploaded one, or a file id.
func fileParam(r *http.Request, p params, field string) (string, *upload) {
	ups := uploadsOf(r)
	if up, ok := ups[field]; ok {
		return "", &up
	}
	ref := strings.TrimSpace(p[field])
	if name, ok := strings.CutPrefix(ref, "attach://"); ok {
		if up, ok := ups[name]; ok {
			return "", &up
		}
		return "", nil
	}
	return ref, nil
}

// sendMedia is the method that sends one file of that kind (sendPhoto and the like),
// named in the parameter of the kind's name.
func sendMedia(kind string) method {
	return func(s *Server, r *http.Request, p params) (any, *apiError) {
		o, err := readOutgoing(p)
		if err != nil {
			return nil, err
		}
		var (
			caption string
			ents    []tgbotapi.MessageEntity
		)
		if kind != "video_note" { // sendVideoNote has no caption
			if caption, ents, err = formatCaption(p["caption"], p["parse_mode"], p["caption_entities"]); err != nil {
				return nil, err
			}
		}
		ref, up := fileParam(r, p, kind)
		if ref == "" && up == nil {
			return nil, badRequest("there is no " + strings.ReplaceAll(kind, "_", " ") + " in the request")
		}
		return s.send(o, func() (tgbotapi.Message, *apiError) {
			m, err := s.mediaFor(kind, ref, up)
			if err != nil {
				return tgbotapi.Message{}, err
			}
			m.Caption, m.CaptionEntities = caption, ents
			return m, nil
		})
	}
}

// sendLocation follows Telegram, which reads a coordinate that is not a number as 0.
func (s *Server) sendLocation(_ *http.Request, p params) (any, *apiError) {
	o, err := readOutgoing(p)
	if err != nil {
		return nil, err
	}
	lat, lon := strings.TrimSpace(p["latitude"]), strings.TrimSpace(p["longitude"])
	switch {
	case lat == "":
		return nil, badRequest("latitude is empty")
	case lon == "":
		return nil, badRequest("longitude is empty")
	}
	loc := tgbotapi.Location{Latitude: number(lat), Longitude: number(lon), HorizontalAccuracy: number(p["horizontal_accuracy"])}
	return s.send(o, func() (tgbotapi.Message, *apiError) {
		l := loc
		return tgbotapi.Message{Location: &l}, nil
	})
}

func number(s string) float64 {
	f, _ := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f
}

// inputMedia is one item of sendMediaGroup's media.
type inputMedia struct {
	Type            string          `json:"type"`
	Media           string          `json:"media"`
	Caption         string          `json:"caption"`
	ParseMode       string          `json:"parse_mode"`
	CaptionEntities json.RawMessage `json:"caption_entities"`
}

// albumItem is an item of an album to send, read and formatted.
type albumItem struct {
	kind, ref string
	up        *upload
	caption   string
	ents      []tgbotapi.MessageEntity
}

// readAlbum reads sendMediaGroup's media, with Telegram's errors.
func readAlbum(r *http.Request, raw string) ([]albumItem, *apiError) {
	if strings.TrimSpace(raw) == "" {
		return nil, badRequest(`parameter "media" is required`)
	}
	var list []json.RawMessage
	var anyJSON any
	if json.Unmarshal([]byte(raw), &anyJSON) != nil {
		return nil, badRequest("can't parse media JSON object")
	}
	if json.Unmarshal([]byte(raw), &list) != nil {
		return nil, badRequest("expected an Array of InputMedia")
	}
	ups := uploadsOf(r)
	var items []albumItem
	for _, rawItem := range list {
		var im inputMedia
		if json.Unmarshal(rawItem, &im) != nil {
			return nil, badRequest("can't parse InputMedia: expected an Object")
		}
		switch {
		case im.Type == "animation":
			return nil, badRequest(`can't parse InputMedia: type "animation" can't be used in sendMediaGroup`)
		case !albumKinds[im.Type]:
			return nil, badRequest(fmt.Sprintf(`can't parse InputMedia: type "%s" is unsupported`, im.Type))
		}
		it := albumItem{kind: im.Type, ref: strings.TrimSpace(im.Media)}
		if name, ok := strings.CutPrefix(it.ref, "attach://"); ok {
			up, ok := ups[name]
			if !ok {
				return nil, badRequest("can't parse InputMedia: media not found")
			}
			it.ref, it.up = "", &up
		}
		if it.ref == "" && it.up == nil {
			return nil, badRequest("can't parse InputMedia: media not found")
		}
		var err *apiError
		if it.caption, it.ents, err = formatCaption(im.Caption, im.ParseMode, string(im.CaptionEntities)); err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	var kinds []string
	for _, it := range items {
		kinds = append(kinds, it.kind)
	}
	switch {
	case len(items) > 10:
		return nil, badRequest("too much messages to send as an album")
	case len(items) < 2:
		// The Bot API documents 2-10 items; Telegram's answer to fewer has changed
		// between versions, so these words are the fake's own.
		return nil, badRequest(fmt.Sprintf("wrong number of media in the album: %d, must be 2-10", len(items)))
	case !albumMix(kinds):
		return nil, badRequest("can't use the media of the specified type in the album")
	}
	return items, nil
}

// sendMediaGroup sends an album: its messages share a new media_group_id, and all reply
// to the message reply_to_message_id names, as Telegram's do. Telegram ignores
// reply_markup here, as its apps cannot show a keyboard under an album; so does the fake.
func (s *Server) sendMediaGroup(r *http.Request, p params) (any, *apiError) {
	withoutMarkup := maps.Clone(p)
	delete(withoutMarkup, "reply_markup") // not even read
	o, err := readOutgoing(withoutMarkup)
	if err != nil {
		return nil, err
	}
	items, err := readAlbum(r, p["media"])
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c, topic, replyTo, err := s.place(o)
	if err != nil {
		return nil, err
	}
	var contents []tgbotapi.Message
	for _, it := range items {
		m, err := s.mediaFor(it.kind, it.ref, it.up)
		if err != nil {
			return nil, err
		}
		m.Caption, m.CaptionEntities = it.caption, it.ents
		contents = append(contents, m)
	}
	group := s.newMediaGroupID()
	var out []tgbotapi.Message
	for _, content := range contents {
		content.MediaGroupID = group
		out = append(out, s.render(c, s.addBotMessage(c, content, topic, replyTo, o.markup)))
	}
	s.notify()
	return out, nil
}

// copyMessage sends a copy of any message the bot can see, without a link to the
// original: its text, or its media with the caption (replaced when caption is given,
// even empty), or its location. The copy is not part of an album and has only the
// keyboard reply_markup gives it. Telegram answers with the new message's id alone.
func (s *Server) copyMessage(_ *http.Request, p params) (any, *apiError) {
	o, err := readOutgoing(p)
	if err != nil {
		return nil, err
	}
	fromRaw := strings.TrimSpace(p["from_chat_id"])
	if fromRaw == "" {
		return nil, badRequest(`parameter "from_chat_id" is required`)
	}
	fromID, perr := strconv.ParseInt(fromRaw, 10, 64)
	if perr != nil {
		return nil, badRequest("chat not found")
	}
	id, err := messageParam(p)
	if err != nil {
		return nil, err
	}
	_, replaceCaption := p["caption"]
	caption, ents, err := formatCaption(p["caption"], p["parse_mode"], p["caption_entities"])
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	from := s.chats[fromID]
	if from == nil {
		return nil, badRequest("chat not found")
	}
	src := from.live(id)
	switch {
	case src == nil:
		return nil, badRequest("message to copy not found")
	case src.topicCreated != "":
		return nil, badRequest("message can't be copied")
	}
	orig := clone(src.msg)
	content := withMedia(tgbotapi.Message{
		Text: orig.Text, Entities: orig.Entities,
		Caption: orig.Caption, CaptionEntities: orig.CaptionEntities,
		Location: orig.Location,
	}, orig)
	if replaceCaption && canHaveCaption(content) {
		content.Caption, content.CaptionEntities = caption, ents
	}
	_, m, err := s.sendLocked(o, func() (tgbotapi.Message, *apiError) { return content, nil })
	if err != nil {
		return nil, err
	}
	s.notify()
	return tgbotapi.MessageID{MessageID: m.msg.MessageID}, nil
}

// editMessageCaption replaces a media message's caption.
func (s *Server) editMessageCaption(_ *http.Request, p params) (any, *apiError) {
	caption, ents, err := formatCaption(p["caption"], p["parse_mode"], p["caption_entities"])
	if err != nil {
		return nil, err
	}
	return s.edit(p, func(msg *tgbotapi.Message) *apiError {
		if !canHaveCaption(*msg) {
			return badRequest("there is no caption in the message to edit")
		}
		msg.Caption, msg.CaptionEntities = caption, ents
		return nil
	})
}
