package bot

import (
	"encoding/json"

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

// UnmarshalJSON decodes the update as tgbotapi does, then the topic.
func (u *Update) UnmarshalJSON(data []byte) error {
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
