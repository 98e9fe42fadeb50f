package consult_test

import (
	"testing"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// TestAnOpenGroupTellsQuestionsFromChitChat: what an open group's plain message must
// hold to become a question.
func TestAnOpenGroupTellsQuestionsFromChitChat(t *testing.T) {
	counties, err := consult.ParseCounties(consult.ExampleCounties, "yuqing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := &counties[0]
	for _, tt := range []struct {
		text, media string
		want        bool
	}{
		{"", store.MediaPhoto, true},
		{"", store.MediaVoice, true},
		{"哈哈哈哈", store.MediaAnimation, false},
		{"好的", "", false},
		{"谢谢大家👍", "", false},
		{"这个叶子发黄是咋回事", "", true},
		{"有人知道吗", "", true},
		{"今年水稻长得不错啊", "", true}, // a category's word
		{"明天去赶集买东西", "", false},
		{"why are leaves yellow", "", true},
		{"\uFFFD\uFFFD\uFFFD\uFFFD", "", false},
	} {
		if got := c.LooksLikeQuestion(tt.text, tt.media); got != tt.want {
			t.Errorf("LooksLikeQuestion(%q, %q) = %v, want %v", tt.text, tt.media, got, tt.want)
		}
	}
}
