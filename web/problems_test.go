package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// TestTheGroupsPageListsEveryFailedMessageOfTheCountyWithItsReason: each outbox row given
// up on is listed with its chat, reason and time to the admins of the county that knows
// the chat (a group, an expert), and to every county when none knows it (a farmer's
// private chat); a message superseded by a newer version is no failure. The groups that
// removed the bot are listed too.
func TestTheGroupsPageListsEveryFailedMessageOfTheCountyWithItsReason(t *testing.T) {
	t.Parallel()
	d := newDash(t)
	ctx := context.Background()
	d.expert(t, 501, "李专家", "yuqing", "水稻", 9001)
	d.expert(t, 502, "王专家", "meitan", "综合", 9002)
	chats := []int64{-100, -200, 501, 502, 777777}
	fail := func(reason func(chat int64) string) {
		t.Helper()
		for _, chat := range chats {
			if err := d.db.Enqueue(ctx, store.Message{ChatID: chat, Method: store.MethodSend, Text: "x"}); err != nil {
				t.Fatal(err)
			}
		}
		taken, err := d.db.ClaimDue(ctx, time.Now().Add(time.Hour), time.Minute, 100)
		if err != nil || len(taken) != len(chats) {
			t.Fatalf("taken %d, %v; want one per chat", len(taken), err)
		}
		for _, m := range taken {
			if err := d.db.Fail(ctx, m.ID, time.Now(), reason(m.ChatID)); err != nil {
				t.Fatal(err)
			}
		}
	}
	fail(func(chat int64) string { return fmt.Sprintf("Forbidden: refused in chat %d", chat) })
	fail(func(int64) string { return "superseded before delivery" })
	if _, err := d.svc.GroupRemoved(ctx, -100, "banned from the group", nil); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		admin      int64
		see, hide  []int64
		removed    string
		notRemoved string
	}{
		{9001, []int64{-100, 501, 777777}, []int64{-200, 502}, "白泥群", "湄江群"},
		{9002, []int64{-200, 502, 777777}, []int64{-100, 501}, "", "白泥群"},
	} {
		c, _ := d.signIn(t, tt.admin)
		_, body := get(t, c, d.srv.URL+"/groups")
		for _, chat := range tt.see {
			if !strings.Contains(body, fmt.Sprintf("refused in chat %d", chat)) || !strings.Contains(body, fmt.Sprintf("<td>%d</td>", chat)) {
				t.Errorf("admin %d: the failed message to chat %d is not listed with its chat and reason", tt.admin, chat)
			}
		}
		for _, chat := range tt.hide {
			if strings.Contains(body, fmt.Sprintf("refused in chat %d", chat)) {
				t.Errorf("admin %d sees the failed message to chat %d of another county", tt.admin, chat)
			}
		}
		if strings.Contains(body, "superseded before delivery") {
			t.Errorf("admin %d: a superseded message is listed as failed", tt.admin)
		}
		removed := body[strings.Index(body, `id="removed"`):]
		if tt.removed != "" && (!strings.Contains(removed, `<tr class="removed"><td>白泥镇</td><td>`+tt.removed) || !strings.Contains(removed, "banned from the group")) {
			t.Errorf("admin %d: the removed group is not listed:\n%s", tt.admin, removed)
		}
		if strings.Contains(removed[:strings.Index(removed, `id="failed"`)], tt.notRemoved) {
			t.Errorf("admin %d: %s is listed as removed", tt.admin, tt.notRemoved)
		}
	}
}
