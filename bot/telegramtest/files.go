package telegramtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // uploaded photos may be PNGs, as Telegram accepts
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// file is a file the fake issued a file_id for: part of a user's post, or a bot's
// upload. Only such ids may be sent; Telegram's ids are opaque and bound to the bot, so
// a bot can have no others.
type file struct {
	kind     string // the media kind: the field of the send method that takes it
	id       string
	uniqueID string
	path     string // file_path, for getFile and the download URL
	data     []byte
	// media is what a message carrying the file shows: only the media fields are set,
	// for a photo all its sizes.
	media tgbotapi.Message
}

// fileKinds describe the media kinds: the start Telegram's file ids of the kind have,
// the folder of their file_path, and the usual extension.
var fileKinds = map[string]struct{ prefix, dir, ext string }{
	"photo":      {"AgACAgIAAxkBAA", "photos", "jpg"},
	"voice":      {"AwACAgIAAxkBAA", "voice", "oga"},
	"video":      {"BAACAgIAAxkBAA", "videos", "mp4"},
	"video_note": {"DQACAgIAAxkBAA", "video_notes", "mp4"},
	"audio":      {"CQACAgIAAxkBAA", "music", "mp3"},
	"document":   {"BQACAgIAAxkBAA", "documents", "pdf"},
	"animation":  {"CgACAgIAAxkBAA", "animations", "mp4"},
}

// maxDownload is the largest file getFile lets a bot download.
const maxDownload = 20 << 20

// defaultPhoto is the size of a posted photo unless its Data says otherwise: Telegram's
// "x" size, so that a post has the three sizes 90, 320 and 800 px wide.
var defaultPhoto = [2]int{800, 600}

// photoLimits are the longest sides of the smaller sizes Telegram makes of a photo.
var photoLimits = []int{90, 320, 800}

// newFile issues a file id of that kind, with its file_path. The caller holds s.mu and
// fills in the data and media.
func (s *Server) newFile(kind, ext string) *file {
	s.fileSeq++
	n := s.fileSeq
	k := fileKinds[kind]
	sum := sha256.Sum256([]byte(kind + "/" + strconv.Itoa(n)))
	enc := base64.RawURLEncoding.EncodeToString(sum[:])
	// As long as Telegram's, so that a column too short for real file ids fails here.
	f := &file{
		kind:     kind,
		id:       k.prefix + enc[:40] + strconv.Itoa(n),
		uniqueID: "AQAD" + enc[40:] + strconv.Itoa(n),
		path:     fmt.Sprintf("%s/file_%d.%s", k.dir, n, ext),
	}
	s.files[f.id] = f
	s.filePaths[f.path] = f
	return f
}

// issueMedia makes the file, or for a photo the files of its sizes, of something posted
// or uploaded, and returns the message fields that show it. data nil makes up the bytes.
// Only a photo can fail: its data must be an image. The caller holds s.mu.
func (s *Server) issueMedia(kind, name string, data []byte) (tgbotapi.Message, error) {
	if kind == "photo" {
		return s.issuePhoto(data)
	}
	ext := fileKinds[kind].ext
	if kind == "document" && name == "" {
		name = "document.pdf"
	}
	if e := strings.TrimPrefix(path.Ext(name), "."); e != "" {
		ext = strings.ToLower(e)
	}
	f := s.newFile(kind, ext)
	if data == nil {
		data = fakeBytes(kind, f.id)
	}
	f.data = data
	id, uid, size := f.id, f.uniqueID, len(data)
	var m tgbotapi.Message
	switch kind {
	case "voice":
		m.Voice = &tgbotapi.Voice{FileID: id, FileUniqueID: uid, Duration: 3, MimeType: "audio/ogg", FileSize: size}
	case "video":
		m.Video = &tgbotapi.Video{FileID: id, FileUniqueID: uid, Width: 640, Height: 360, Duration: 5, FileName: name, MimeType: "video/mp4", FileSize: size}
	case "video_note":
		m.VideoNote = &tgbotapi.VideoNote{FileID: id, FileUniqueID: uid, Length: 240, Duration: 4, FileSize: size}
	case "audio":
		m.Audio = &tgbotapi.Audio{FileID: id, FileUniqueID: uid, Duration: 30, FileName: name, MimeType: mimeType(name, "audio/mpeg"), FileSize: size}
	case "document":
		m.Document = &tgbotapi.Document{FileID: id, FileUniqueID: uid, FileName: name, MimeType: mimeType(name, "application/octet-stream"), FileSize: size}
	case "animation":
		m.Animation = &tgbotapi.Animation{FileID: id, FileUniqueID: uid, Width: 320, Height: 240, Duration: 2, FileName: name, MimeType: "video/mp4", FileSize: size}
		// "For backward compatibility, when this field is set, the document field will
		// also be set", says the Bot API.
		m.Document = &tgbotapi.Document{FileID: id, FileUniqueID: uid, FileName: name, MimeType: "video/mp4", FileSize: size}
	}
	f.media = m
	return m, nil
}

// issuePhoto makes the sizes of a photo, smallest first as Telegram lists them, each
// its own file. The largest serves data when given; the others, and it when not, are
// small valid JPEGs of their size.
func (s *Server) issuePhoto(data []byte) (tgbotapi.Message, error) {
	w, h := defaultPhoto[0], defaultPhoto[1]
	if data != nil {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width == 0 || cfg.Height == 0 {
			return tgbotapi.Message{}, fmt.Errorf("not an image: %v", err)
		}
		w, h = cfg.Width, cfg.Height
	}
	dims := photoSizes(w, h)
	var (
		m     tgbotapi.Message
		files []*file
	)
	for i, d := range dims {
		f := s.newFile("photo", "jpg")
		if i == len(dims)-1 && data != nil {
			f.data = data
		} else {
			f.data = fakeJPEG(d[0], d[1], f.id)
		}
		m.Photo = append(m.Photo, tgbotapi.PhotoSize{FileID: f.id, FileUniqueID: f.uniqueID, Width: d[0], Height: d[1], FileSize: len(f.data)})
		files = append(files, f)
	}
	for _, f := range files {
		f.media = m
	}
	return m, nil
}

// photoSizes are the sizes Telegram keeps of a w×h photo: one for each of photoLimits
// the photo is larger than, and the photo itself.
func photoSizes(w, h int) [][2]int {
	var out [][2]int
	for _, limit := range photoLimits {
		if max(w, h) <= limit {
			break
		}
		if w >= h {
			out = append(out, [2]int{limit, max(1, (h*limit+w/2)/w)})
		} else {
			out = append(out, [2]int{max(1, (w*limit+h/2)/h), limit})
		}
	}
	return append(out, [2]int{w, h})
}

// mimeTypes are the types Telegram reports for the extensions a clinic's documents and
// audio have; a fixed table, unlike mime.TypeByExtension, is the same on every machine.
var mimeTypes = map[string]string{
	"pdf": "application/pdf", "txt": "text/plain", "csv": "text/csv", "zip": "application/zip",
	"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
	"doc": "application/msword", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"xls": "application/vnd.ms-excel", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"mp3": "audio/mpeg", "m4a": "audio/mp4", "ogg": "audio/ogg", "oga": "audio/ogg", "mp4": "video/mp4",
}

func mimeType(name, fallback string) string {
	if t, ok := mimeTypes[strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))]; ok {
		return t
	}
	return fallback
}

// fileMagic starts the made-up bytes of a kind as real files of the kind start.
var fileMagic = map[string]string{
	"voice":      "OggS\x00\x02",
	"video":      "\x00\x00\x00\x18ftypmp42",
	"video_note": "\x00\x00\x00\x18ftypmp42",
	"animation":  "\x00\x00\x00\x18ftypmp42",
	"audio":      "ID3\x04\x00\x00\x00\x00\x00\x00",
}

// fakeBytes are a file's made-up content: deterministic, and different for every file,
// so that a bot that downloads the wrong file is caught.
func fakeBytes(kind, id string) []byte {
	return []byte(fileMagic[kind] + "telegramtest " + kind + " " + id + "\n")
}

// jpegCache holds one encoded JPEG per size; fakeJPEG makes each file's own from it.
var jpegCache sync.Map // [2]int → []byte

// fakeJPEG is a valid w×h JPEG, an even leaf green, whose bytes are its own: a comment
// segment right after the start of image carries note (the file id).
func fakeJPEG(w, h int, note string) []byte {
	key := [2]int{w, h}
	base, ok := jpegCache.Load(key)
	if !ok {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		green := color.RGBA{0x4c, 0xaf, 0x50, 0xff}
		for y := range h {
			for x := range w {
				img.SetRGBA(x, y, green)
			}
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 60}); err != nil {
			panic(fmt.Sprintf("telegramtest: encode a %dx%d JPEG: %v", w, h, err))
		}
		base, _ = jpegCache.LoadOrStore(key, b.Bytes())
	}
	jpg := base.([]byte)
	n := len(note) + 2
	out := make([]byte, 0, len(jpg)+n+2)
	out = append(out, jpg[:2]...) // SOI
	out = append(out, 0xff, 0xfe, byte(n>>8), byte(n))
	out = append(out, note...)
	return append(out, jpg[2:]...)
}

// mediaFor returns the media fields a bot's message gets for the file ref names, or for
// up when the file was uploaded with the request. Telegram takes a file id of the kind
// the method sends (an animation may go as a document, as it is one); the fake knows no
// other ids, and fetches no HTTP URLs. The caller holds s.mu.
func (s *Server) mediaFor(kind, ref string, up *upload) (tgbotapi.Message, *apiError) {
	if up != nil {
		if len(up.data) == 0 {
			return tgbotapi.Message{}, badRequest("file must be non-empty")
		}
		m, err := s.issueMedia(kind, up.name, up.data)
		if err != nil {
			return tgbotapi.Message{}, badRequest("IMAGE_PROCESS_FAILED")
		}
		return m, nil
	}
	f := s.files[strings.TrimSpace(ref)]
	switch {
	case f == nil:
		return tgbotapi.Message{}, badRequest("wrong file identifier/HTTP URL specified")
	case f.kind != kind && !(kind == "document" && f.kind == "animation"):
		return tgbotapi.Message{}, badRequest("type of file mismatch")
	}
	return clone(f.media), nil
}

// withMedia returns m carrying media's media fields.
func withMedia(m, media tgbotapi.Message) tgbotapi.Message {
	m.Photo, m.Voice, m.Video, m.VideoNote = media.Photo, media.Voice, media.Video, media.VideoNote
	m.Audio, m.Document, m.Animation = media.Audio, media.Document, media.Animation
	return m
}

// hasMedia says whether a message carries a file.
func hasMedia(m tgbotapi.Message) bool {
	return len(m.Photo) > 0 || m.Voice != nil || m.Video != nil || m.VideoNote != nil ||
		m.Audio != nil || m.Document != nil || m.Animation != nil
}

// canHaveCaption says whether a message is media that takes a caption: all but video
// notes (locations and texts are not media).
func canHaveCaption(m tgbotapi.Message) bool {
	return hasMedia(m) && m.VideoNote == nil
}

// getFile describes a file for download. As in Telegram, files over 20 MB cannot be
// downloaded by bots.
func (s *Server) getFile(_ *http.Request, p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[strings.TrimSpace(p["file_id"])]
	if f == nil {
		return nil, badRequest("invalid file_id")
	}
	if len(f.data) > maxDownload {
		return nil, badRequest("file is too big")
	}
	return tgbotapi.File{FileID: f.id, FileUniqueID: f.uniqueID, FileSize: len(f.data), FilePath: f.path}, nil
}

// serveFile serves a file's bytes at /file/bot<token>/<file_path>, where Telegram
// serves them.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	token, filePath, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/file/bot"), "/")
	if token != botToken {
		s.writeAnswer(w, nil, errUnauthorized)
		return
	}
	s.mu.Lock()
	f := s.filePaths[filePath]
	s.mu.Unlock()
	if f == nil || len(f.data) > maxDownload || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		s.writeAnswer(w, nil, errNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
	if r.Method == http.MethodGet {
		_, _ = w.Write(f.data)
	}
}

// FileEndpoint is URL()+"/file/bot%s/%s", the download URL format with the token and the
// file_path, like tgbotapi.FileEndpoint (which File.Link always uses, so a bot must build
// download URLs from its own setting to reach the fake).
func (s *Server) FileEndpoint() string { return s.http.URL + "/file/bot%s/%s" }

// FileBytes returns the content of a file the fake issued an id for: made-up bytes for
// what the test posted without Data, the uploaded bytes for what the bot uploaded.
func (s *Server) FileBytes(fileID string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[fileID]
	if f == nil {
		return nil, false
	}
	return bytes.Clone(f.data), true
}
