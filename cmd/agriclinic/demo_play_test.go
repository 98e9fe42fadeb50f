//go:build !nodemo

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/store/storetest"
)

// postForm sends a multipart form to the playground as a browser would, with the page's
// language cookie.
func postForm(t *testing.T, target, lang string, fields map[string]string, photo []byte) (int, string) {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		for k, v := range fields {
			_ = mw.WriteField(k, v)
		}
		if photo != nil {
			f, _ := mw.CreateFormFile("photo", "photo.bin")
			_, _ = f.Write(photo)
		}
		pw.CloseWithError(mw.Close())
	}()
	req, err := http.NewRequest(http.MethodPost, target, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: "lang", Value: lang})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestThePlaygroundAnswersBadInputInTheVisitorsLanguage sends the playground what its
// page never would: each gets a 4xx with a sentence in the visitor's language, never a
// crash, and nothing reaches the chats.
func TestThePlaygroundAnswersBadInputInTheVisitorsLanguage(t *testing.T) {
	t.Parallel()
	base := startDemo(t)
	farmer, expert := "700001", "710001"
	cases := []struct {
		name   string
		lang   string
		fields map[string]string
		photo  []byte
		want   string
	}{
		{"someone not in the demo", "zh", map[string]string{"pane": "group", "as": "42", "text": "你好"}, nil, "没有这个演示人物"},
		{"an expert posing as a farmer", "en", map[string]string{"pane": "group", "as": expert, "text": "hi"}, nil, "No such person"},
		{"an unknown pane", "zh", map[string]string{"pane": "secret", "as": farmer, "text": "你好"}, nil, "没有这个演示人物"},
		{"nothing to send", "en", map[string]string{"pane": "group", "as": farmer, "text": "  "}, nil, "Type something"},
		{"a reply to no message", "zh", map[string]string{"pane": "group", "as": farmer, "text": "追问", "reply_to": "99"}, nil, "回复的消息不存在"},
		{"a photo that is no image", "en", map[string]string{"pane": "group", "as": farmer}, []byte("#!/bin/sh\necho hi\n"), "JPEG or PNG"},
		{"too long a message", "zh", map[string]string{"pane": "group", "as": farmer, "text": strings.Repeat("稻", 4097)}, nil, "太长"},
	}
	for _, c := range cases {
		status, body := postForm(t, base+"/play/send", c.lang, c.fields, c.photo)
		if status < 400 || status >= 500 || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s; want a 4xx saying %q", c.name, status, body, c.want)
		}
	}

	resp, err := http.PostForm(base+"/play/press", url.Values{"pane": {"expert"}, "as": {expert}, "message": {"1"}, "data": {"claim:1"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "按钮已经没有了") {
		t.Errorf("pressing a button that is not there: %d %s", resp.StatusCode, body)
	}

	resp, err = http.Get(base + "/play/state?expert=" + expert + "&admin=123456789")
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Panes map[string]struct{ Messages []json.RawMessage }
	}
	err = json.NewDecoder(resp.Body).Decode(&state)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(state.Panes["group"].Messages); n != 0 {
		t.Errorf("the group has %d messages after refused posts, want none", n)
	}
	resp, err = http.Get(base + "/play/state?expert=" + farmer + "&admin=123456789")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("state with a farmer as the expert: %d, want 400", resp.StatusCode)
	}
}

// waitGroupPane follows the playground's long poll until a message of the group pane
// contains words, and returns the pane's messages' texts.
func waitGroupPane(t *testing.T, base, words string) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	since := ""
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/play/state?expert=710001&admin=123456789&since=" + since)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == http.StatusNoContent {
			resp.Body.Close()
			continue
		}
		var state struct {
			Version string
			Panes   map[string]struct{ Messages []struct{ Text string } }
		}
		err = json.NewDecoder(resp.Body).Decode(&state)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		since = state.Version
		var texts []string
		for _, m := range state.Panes["group"].Messages {
			texts = append(texts, m.Text)
		}
		if strings.Contains(strings.Join(texts, "\n"), words) {
			return texts
		}
	}
	t.Fatalf("the group pane never showed %q", words)
	return nil
}

// TestASecondStartKeepsTheClinicAndTakesNewQuestions stops the demo and starts it again
// on the same archive: the seed is not added twice, and a question asked after the
// restart is a new question, not taken for a redelivery of the first run's updates.
func TestASecondStartKeepsTheClinicAndTakesNewQuestions(t *testing.T) {
	t.Parallel()
	_, prefix := storetest.NewRedis(t)
	dbURL := storetest.NewDatabase(t)
	ask := func(base, text string) {
		t.Helper()
		if status, body := postForm(t, base+"/play/send", "zh", map[string]string{"pane": "group", "as": "700002", "text": text}, nil); status != http.StatusNoContent {
			t.Fatalf("asking: %d %s", status, body)
		}
	}
	base, stop := runDemo(t, demoTestEnv(dbURL, prefix))
	ask(base, "/ask 花椒叶子上有蚜虫怎么办？")
	// The seed's archive, then its question with an answer held for review (seedHeld).
	waitGroupPane(t, base, fmt.Sprintf("#%d", demoArchiveSize+2))
	stop()

	base, stop = runDemo(t, demoTestEnv(dbURL, prefix))
	defer stop()
	ask(base, "/ask 茶园里小绿叶蝉很多怎么办？")
	texts := waitGroupPane(t, base, fmt.Sprintf("#%d", demoArchiveSize+3))
	if len(texts) < 2 || !strings.Contains(texts[0], "茶园") {
		t.Errorf("after the restart the group shows %q; want only this run's question and its acknowledgement", texts)
	}
}
