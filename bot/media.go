package bot

import (
	"encoding/json"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/store"
)

// mediaOf reads the photo, voice, video, document or location a message carries, or nil.
// Of a photo's sizes it keeps the largest: the expert needs to see the lesion.
func mediaOf(msg *tgbotapi.Message) *store.Media {
	m := &store.Media{ChatID: msg.Chat.ID, MessageID: int64(msg.MessageID)}
	switch {
	case len(msg.Photo) > 0:
		best := msg.Photo[0]
		for _, p := range msg.Photo[1:] {
			if p.Width*p.Height > best.Width*best.Height || (p.Width*p.Height == best.Width*best.Height && p.FileSize > best.FileSize) {
				best = p
			}
		}
		m.Kind, m.FileID, m.FileUniqueID = store.MediaPhoto, best.FileID, best.FileUniqueID
	case msg.Animation != nil: // before Document: an animation also carries a document
		m.Kind, m.FileID, m.FileUniqueID = store.MediaAnimation, msg.Animation.FileID, msg.Animation.FileUniqueID
	case msg.Voice != nil:
		m.Kind, m.FileID, m.FileUniqueID = store.MediaVoice, msg.Voice.FileID, msg.Voice.FileUniqueID
	case msg.Video != nil:
		m.Kind, m.FileID, m.FileUniqueID = store.MediaVideo, msg.Video.FileID, msg.Video.FileUniqueID
	case msg.VideoNote != nil:
		m.Kind, m.FileID, m.FileUniqueID = store.MediaVideoNote, msg.VideoNote.FileID, msg.VideoNote.FileUniqueID
	case msg.Audio != nil:
		m.Kind, m.FileID, m.FileUniqueID = store.MediaAudio, msg.Audio.FileID, msg.Audio.FileUniqueID
	case msg.Document != nil:
		m.Kind, m.FileID, m.FileUniqueID = store.MediaDocument, msg.Document.FileID, msg.Document.FileUniqueID
	case msg.Location != nil:
		m.Kind, m.Latitude, m.Longitude = store.MediaLocation, msg.Location.Latitude, msg.Location.Longitude
	default:
		return nil
	}
	return m
}

// words is what a message says: its text, or a media message's caption.
func words(msg *tgbotapi.Message) string {
	if msg.Text != "" {
		return msg.Text
	}
	return msg.Caption
}

// sendMethods maps a media kind to the Bot API method and field that send it by file id.
var sendMethods = map[string][2]string{
	store.MediaPhoto:     {"sendPhoto", "photo"},
	store.MediaVoice:     {"sendVoice", "voice"},
	store.MediaVideo:     {"sendVideo", "video"},
	store.MediaVideoNote: {"sendVideoNote", "video_note"},
	store.MediaAudio:     {"sendAudio", "audio"},
	store.MediaDocument:  {"sendDocument", "document"},
	store.MediaAnimation: {"sendAnimation", "animation"},
}

// albumClass says which kinds Telegram lets share an album: photos with videos,
// documents with documents, audio with audio; the rest go one by one.
func albumClass(kind string) string {
	switch kind {
	case store.MediaPhoto, store.MediaVideo:
		return "visual"
	case store.MediaDocument, store.MediaAudio:
		return kind
	}
	return ""
}

// mediaMessages sends items to a chat by file id — Telegram keeps the files, so nothing
// is uploaded — as albums where Telegram allows, the first replying to replyTo. The words
// go in a message of their own after them: a caption holds only 1024 characters and an
// album's shows under one photo only.
func mediaMessages(chatID int64, items []store.Media, replyTo, thread int64) []store.Message {
	var out []store.Message
	flush := func(chunk []store.Media) {
		if len(chunk) == 0 {
			return
		}
		m := store.Message{ChatID: chatID, Method: store.MethodCall, ThreadID: thread, Params: map[string]string{}}
		if len(out) == 0 {
			m.ReplyTo = replyTo
		}
		switch {
		case len(chunk) > 1:
			type inputMedia struct {
				Type  string `json:"type"`
				Media string `json:"media"`
			}
			list := make([]inputMedia, len(chunk))
			for i, it := range chunk {
				list[i] = inputMedia{Type: it.Kind, Media: it.FileID}
			}
			data, _ := json.Marshal(list)
			m.API, m.Params["media"] = "sendMediaGroup", string(data)
		case chunk[0].Kind == store.MediaLocation:
			m.API = "sendLocation"
			m.Params["latitude"] = strconv.FormatFloat(chunk[0].Latitude, 'f', -1, 64)
			m.Params["longitude"] = strconv.FormatFloat(chunk[0].Longitude, 'f', -1, 64)
		default:
			send := sendMethods[chunk[0].Kind]
			m.API, m.Params[send[1]] = send[0], chunk[0].FileID
		}
		out = append(out, m)
	}
	var chunk []store.Media
	for _, it := range items {
		class := albumClass(it.Kind)
		if len(chunk) > 0 && (class == "" || class != albumClass(chunk[0].Kind) || len(chunk) == 10) {
			flush(chunk)
			chunk = nil
		}
		chunk = append(chunk, it)
		if class == "" {
			flush(chunk)
			chunk = nil
		}
	}
	flush(chunk)
	return out
}

// mediaSummary names what a question came with, e.g. "📷×3 🎤×1".
func mediaSummary(l lang, items []store.Media) string {
	if len(items) == 0 {
		return ""
	}
	icons := map[string]string{
		store.MediaPhoto: "📷", store.MediaVoice: "🎤", store.MediaVideo: "🎬", store.MediaVideoNote: "🎬",
		store.MediaAudio: "🎵", store.MediaDocument: "📄", store.MediaAnimation: "🎞", store.MediaLocation: "📍",
	}
	counts := map[string]int{}
	var order []string
	for _, it := range items {
		icon := icons[it.Kind]
		if counts[icon] == 0 {
			order = append(order, icon)
		}
		counts[icon]++
	}
	s := l.T("media.attached")
	for i, icon := range order {
		if i > 0 {
			s += " "
		}
		s += icon + "×" + strconv.Itoa(counts[icon])
	}
	return s
}
