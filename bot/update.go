package bot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Update is a Telegram update with what tgbotapi v5.5.1 does not decode: the forum topic
// its message belongs to.
type Update struct {
	tgbotapi.Update
	// ThreadID is the forum topic of the update's message (a message, an edited message or
	// the message under a pressed button); 0 outside forum topics. Every reply in the
	// group is sent to it, or it would land in the General topic.
	ThreadID int64
	// Raw is the update as received, cleaned (see clean): what is set aside when handling
	// it keeps failing, and what is handed back to the handler from there.
	Raw []byte
	// DecodeErr is why the update could not be read; such an update is set aside at once
	// (see Guard), since no try will read it.
	DecodeErr error
}

// topicFields are the parts of a message that place it in a forum topic. A reply in an
// ordinary supergroup also carries message_thread_id (its reply thread), which is not a
// topic: sending there with it would fail, so only is_topic_message counts.
type topicFields struct {
	ThreadID int64 `json:"message_thread_id"`
	IsTopic  bool  `json:"is_topic_message"`
}

func (t *topicFields) thread() int64 {
	if t == nil || !t.IsTopic {
		return 0
	}
	return t.ThreadID
}

// UnmarshalJSON decodes the update as tgbotapi does, then the topic. Every string in it is
// clean (see clean) before anything else sees it.
func (u *Update) UnmarshalJSON(data []byte) error {
	data = clean(data)
	// The decoder's buffer is not ours to keep.
	u.Raw = bytes.Clone(data)
	if err := json.Unmarshal(data, &u.Update); err != nil {
		return err
	}
	var extra struct {
		Message       *topicFields `json:"message"`
		EditedMessage *topicFields `json:"edited_message"`
		CallbackQuery *struct {
			Message *topicFields `json:"message"`
		} `json:"callback_query"`
	}
	if err := json.Unmarshal(data, &extra); err != nil {
		return err
	}
	u.ThreadID = extra.Message.thread()
	if u.ThreadID == 0 {
		u.ThreadID = extra.EditedMessage.thread()
	}
	if u.ThreadID == 0 && extra.CallbackQuery != nil {
		u.ThreadID = extra.CallbackQuery.Message.thread()
	}
	return nil
}

// clean makes an update's JSON safe for every part of the bot to take as it is. Postgres
// refuses text holding NUL (so a NUL in a farmer's name or question would fail every try),
// and invalid UTF-8 is no text at all: both become U+FFFD, the character that says
// "something unreadable was here". encoding/json already turns invalid UTF-8 and lone
// surrogates inside strings into U+FFFD, but it decodes the escape \u0000 to a NUL, so
// that escape is rewritten here, and invalid bytes are replaced so that the raw JSON can be
// stored as text too. Cleaning the JSON once, before it is decoded, reaches every string
// field of every kind of update, including ones added later.
func clean(data []byte) []byte {
	if !utf8.Valid(data) {
		data = bytes.ToValidUTF8(data, []byte("\uFFFD"))
	}
	if !bytes.Contains(data, []byte(`\u0000`)) {
		return data
	}
	out := make([]byte, 0, len(data))
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c != '\\' || i+1 >= len(data) {
			out = append(out, c)
			continue
		}
		// An escape: \u0000 becomes \ufffd; any other (\\ included) is kept whole, so
		// that the text "\\u0000" (a backslash, then "u0000") is not mistaken for one.
		if data[i+1] == 'u' && i+6 <= len(data) && string(data[i+2:i+6]) == "0000" {
			out = append(out, `\ufffd`...)
			i += 5
			continue
		}
		out = append(out, c, data[i+1])
		i++
	}
	return out
}

// decodeUpdates reads a getUpdates result one update at a time: an update that cannot be
// read (no real Telegram sends one, but a fake or a proxy might) is kept with its id and
// DecodeErr, to be set aside, instead of failing the whole batch forever.
func decodeUpdates(result []byte) ([]Update, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(result, &raws); err != nil {
		return nil, err
	}
	out := make([]Update, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			var id struct {
				UpdateID int `json:"update_id"`
			}
			if json.Unmarshal(raw, &id) != nil || id.UpdateID <= 0 {
				return nil, fmt.Errorf("getUpdates: update %d has no update_id: %w", i, err)
			}
			out[i] = Update{Raw: clean(raw), DecodeErr: err}
			out[i].UpdateID = id.UpdateID
		}
	}
	return out, nil
}
