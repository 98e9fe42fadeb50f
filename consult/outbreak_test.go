package consult_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

func TestOutbreaksAreAlertedOnceAndNotOnUsualTraffic(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	if _, _, err := svc.Bind(ctx, -100, "白泥群", adminID, "白泥镇", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Bind(ctx, -300, "龙溪群", adminID, "龙溪镇", nil); err != nil {
		t.Fatal(err)
	}
	farmer := int64(100)
	ask := func(chat int64, text string) {
		t.Helper()
		farmer++
		if _, err := svc.Ask(ctx, consult.AskInput{ChatID: chat, MessageID: farmer, Farmer: consult.Person{ID: farmer, Name: "农户"}, Text: text, UpdateID: nextUpdate()}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// 龙溪镇 always has three planthopper questions a week.
	for range 8 {
		for i := range 3 {
			ask(-300, fmt.Sprintf("水稻稻飞虱多了，第%d块田", i))
		}
		b.clock.advance(7 * 24 * time.Hour)
	}
	var alerts []consult.Outbreak
	collect := func(o consult.Outbreak) []store.Message { alerts = append(alerts, o); return nil }

	// This week: two in 白泥镇 is not enough; 龙溪镇's usual three (and one more) is usual.
	ask(-100, "稻飞虱怎么防治")
	ask(-100, "田里飞虱很多")
	for i := range 4 {
		ask(-300, fmt.Sprintf("稻飞虱又来了 %d", i))
	}
	if n, err := svc.DetectOutbreaks(ctx, collect); err != nil || n != 0 {
		t.Fatalf("DetectOutbreaks on usual traffic = %d, %v (%+v); want none", n, err, alerts)
	}
	// A third in 白泥镇, which never had any: an outbreak.
	ask(-100, "褐飞虱把稻子吃倒了")
	if n, err := svc.DetectOutbreaks(ctx, collect); err != nil || n != 1 {
		t.Fatalf("DetectOutbreaks = %d, %v; want one alert", n, err)
	}
	o := alerts[0]
	if o.Alert.Township != "白泥镇" || o.Alert.Term != "稻飞虱" || o.Count != 3 || len(o.Questions) != 3 || o.Baseline != 0 {
		t.Errorf("alert = %+v (count %d, baseline %.1f, %d questions); want 白泥镇, 稻飞虱, 3, 0", o.Alert, o.Count, o.Baseline, len(o.Questions))
	}
	// Not again this week, even with more questions.
	ask(-100, "稻飞虱还在")
	if n, err := svc.DetectOutbreaks(ctx, collect); err != nil || n != 0 {
		t.Errorf("DetectOutbreaks again = %d, %v; want none", n, err)
	}

	// The alert's button orders one visit, for an admin only.
	if _, err := svc.VisitFromAlert(ctx, o.Alert.ID, 1); !errors.Is(err, consult.ErrNotAdmin) {
		t.Errorf("a farmer ordering the visit: %v, want ErrNotAdmin", err)
	}
	v, err := svc.VisitFromAlert(ctx, o.Alert.ID, adminID)
	if err != nil || v.Township != "白泥镇" || v.Topic != "稻飞虱" || v.Status != "ordered" {
		t.Fatalf("visit = %+v, %v", v, err)
	}
	if again, err := svc.VisitFromAlert(ctx, o.Alert.ID, adminID); !errors.Is(err, store.ErrDuplicate) || again.ID != v.ID {
		t.Errorf("second press = %+v, %v; want the same visit and ErrDuplicate", again, err)
	}
}

func TestQuestionsRecordTheirCropAndTroubleAndConfiguredWords(t *testing.T) {
	t.Parallel()
	svc, _ := setup(t, func(o *consult.Options) { o.Outbreaks = &consult.Outbreaks{Min: 3, Terms: []string{"烂秧"}} })
	res := bindAndAsk(t, svc, "水稻秧田烂秧了，叶子发黄，有稻飞虱")
	if res.Question.Crop != "水稻" || fmt.Sprint(res.Question.Terms) != "[稻飞虱 黄化 烂秧]" {
		t.Errorf("crop %q terms %v; want 水稻 [稻飞虱 黄化 烂秧]", res.Question.Crop, res.Question.Terms)
	}
}
