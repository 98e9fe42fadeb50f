package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// The crash test runs the real binary as a child process against the fake Bot API, feeds
// it a few hundred questions, claims and answers, SIGKILLs it at random moments and starts
// it again, and then checks that nothing was lost and nothing was done twice.

const (
	crashQuestions = 240 // questions asked in all
	crashKills     = 3   // SIGKILLs, each followed by a restart
	crashWindow    = 200 // questions asked but not yet answered, at most, while the bot is up
	// crashWait bounds every wait of the load and of the end. The killed process's leases
	// end at the kill (see endLeases); were they waited out, it would have to cover the
	// outbox lease a killed sender leaves (15 s) plus the poller's lease (6 s).
	crashWait = 50 * time.Second
)

// crashTopics are what farmers ask about; each text routes to its category.
var crashTopics = []struct{ category, text string }{
	{"rice", "水稻卷叶怎么办？Q%d"},
	{"tea", "茶树叶子发黄是什么原因？Q%d"},
}

// crashExpertSpecs are the experts: every question reaches three of them. The sender
// delivers one message per chat at a time, so an expert of both categories would be the
// slowest lane of the test.
var crashExpertSpecs = []struct {
	first, last, lang, args string
	categories              []string
}{
	{"李", "明", "zh-hans", "水稻", []string{"rice"}},
	{"Chen", "Wei", "en", "rice", []string{"rice"}},
	{"王", "芳", "zh-hans", "水稻", []string{"rice"}},
	{"赵", "强", "zh-hans", "茶叶", []string{"tea"}},
	{"Anna", "Smith", "en", "tea", []string{"tea"}},
	{"周", "敏", "zh-hans", "茶叶", []string{"tea"}},
}

var (
	crashAckRe     = regexp.MustCompile(`^已收到问题 #(\d+)（`)
	crashPostedRe  = regexp.MustCompile(`^#(\d+) 专家解答（`)
	crashCardRe    = regexp.MustCompile(`^(?:问题|Question) #(\d+) ·`)
	crashConfirmRe = regexp.MustCompile(`^✅ (?:#(\d+) 的解答已发到|Your answer to #(\d+) is posted)`)
)

// TestCrashesLoseNothingAndDoubleNothing kills the running bot with SIGKILL several times
// while farmers ask, experts claim and experts answer, and starts it again each time; the
// people carry on while it is down, as they would. Afterwards every question is stored
// once and acknowledged once, every answer is posted once, no question was ever given to
// two experts, and the outbox is empty.
func TestCrashesLoseNothingAndDoubleNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it repeatedly under load; about a minute")
	}
	// Beside the other tests: its waits are bounded by crashWait, not timed, and most of
	// its run is waiting on the child process, which the others' work overlaps.
	t.Parallel()
	began := time.Now()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("CRASH_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	notes := &crashNotes{}
	t.Cleanup(func() { notes.printIfFailed(t) })
	// The seed repeats the choices (who asks, who presses, when to kill), not the timing.
	notes.add("CRASH_SEED=%d", seed)

	bin := filepath.Join(t.TempDir(), "agriclinic")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	built := time.Now()

	tg := telegramtest.NewServer(crashTB{t})
	c := &crashTest{
		t:          t,
		notes:      notes,
		tg:         tg,
		rng:        rand.New(rand.NewPCG(seed, 1)),
		byQID:      map[int64]*crashAsk{},
		byAsk:      map[crashKey]*crashAsk{},
		presses:    map[int64][]*crashPress{},
		winners:    map[int64][]*crashExpert{},
		holder:     map[int64]*crashExpert{},
		mode:       map[int64]string{},
		answers:    map[int64]*crashAnswer{},
		mine:       map[crashKey]int64{},
		confirmed:  map[int64]bool{},
		actedDown:  make(chan int64, crashKills),
		killerDone: make(chan struct{}),
	}
	c.admin = tg.NewUser("王", "局长", "zh-hans")
	c.watcher = tg.NewUser("守", "望", "zh-hans")
	for _, township := range []string{"白泥镇", "龙溪镇", "小腮镇"} {
		c.groups = append(c.groups, &crashGroup{chat: tg.NewGroup(township + "农户群"), township: township})
	}
	for i, name := range []string{"张", "刘", "陈", "杨", "黄", "周"} {
		c.farmers = append(c.farmers, crashFarmer{user: tg.NewUser(name, "大伯", "zh-hans"), group: c.groups[i%len(c.groups)]})
	}
	for _, s := range crashExpertSpecs {
		c.experts = append(c.experts, &crashExpert{user: tg.NewUser(s.first, s.last, s.lang), args: s.args,
			categories: s.categories, notices: map[int64]int{}, yours: map[int64][]int{}})
	}

	dbURL := storetest.NewDatabase(t)
	c.pool = storetest.NewPoolAt(t, dbURL)
	rdb, prefix := storetest.NewRedis(t)
	c.rdb, c.prefix = rdb, prefix
	redisURL := storetest.DefaultRedisURL
	if v := os.Getenv("TEST_REDIS_URL"); v != "" {
		redisURL = v
	}
	example, err := os.ReadFile("../../consult/yuqing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	counties := filepath.Join(dir, "county.yaml")
	// The test's admin alone: the example's placeholder id is nobody, and sends to it fail.
	text := regexp.MustCompile(`admins: \[[^\]]*\]`).ReplaceAllString(string(example), fmt.Sprintf("admins: [%d]", c.admin.ID))
	if err := os.WriteFile(counties, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "agriclinic.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		logFile.Close()
		if t.Failed() {
			t.Logf("agriclinic's log (%s), warnings, errors and crash test marks, then the last lines:\n%s", logPath, crashLogExcerpt(logPath))
		}
	})
	c.proc = &crashProcess{bin: bin, log: logFile, onExit: c.poke, env: []string{
		"TELEGRAM_TOKEN=" + tg.Token(),
		"TELEGRAM_API_URL=" + tg.URL(),
		"DATABASE_URL=" + dbURL,
		"REDIS_URL=" + redisURL,
		"REDIS_PREFIX=" + prefix,
		"HTTP_ADDR=" + freeAddr(t),
		"METRICS_ADDR=off",
		"AGRICLINIC_COUNTIES=" + counties,
		// Telegram's pace would make a few hundred questions take many minutes. The limiter
		// spaces sends by whole milliseconds, rounded up, so only rates above 1000/s (60000
		// a minute for groups) mean no spacing at all.
		"SEND_RATE_GLOBAL=10000000",
		"SEND_RATE_CHAT=10000000",
		"SEND_RATE_GROUP=1000000000",
		// Six farmers ask 240 questions: counted, but never refused.
		"ASK_LIMIT=100000",
		// Each expert claims and answers a hundred questions within seconds, far past
		// a person's pace.
		"PRESS_LIMIT=0",
		"COMMAND_LIMIT=0",
		// The experts claim from their pushes, one per question: no digests here.
		"PUSH_BURST=0",
		"LOG_LEVEL=debug",
	}}
	t.Cleanup(c.proc.stop)
	c.proc.start()

	c.setUp()
	setUpDone := time.Now()
	tg.SetWaitTimeout(crashWait)
	c.load(rand.New(rand.NewPCG(seed, 2)))
	loadDone := time.Now()
	c.waitQuiet()
	notes.add("build %v, set-up %v, load with %d kills %v, quiet after %v; %d questions, %d presses, %d contested, %d late taps",
		built.Sub(began).Round(time.Millisecond), setUpDone.Sub(built).Round(time.Millisecond), crashKills, loadDone.Sub(setUpDone).Round(time.Millisecond),
		time.Since(loadDone).Round(time.Millisecond), len(c.asks), c.pressCount(), c.contested(), c.lateTaps)
	c.check(began)
}

// crashNotes keeps what the crash test found out along the way (the seed, when each kill
// came, the at-least-once copies it tolerated and why) for a failing run to print. A
// passing run prints none of it: tolerated findings are expected, and a page of "SIGKILL"
// and "FINDING" lines on every green run reads like a failure.
type crashNotes struct {
	mu    sync.Mutex
	lines []string
}

func (n *crashNotes) add(format string, args ...any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lines = append(n.lines, fmt.Sprintf(format, args...))
}

func (n *crashNotes) printIfFailed(t *testing.T) {
	if !t.Failed() {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	t.Logf("what the crash test noted before it failed:\n%s", strings.Join(n.lines, "\n"))
}

// crashTB hands the fake Bot API a testing.TB whose Fatal and Fatalf panic with a
// crashRefusal instead of ending the test, so that crashRefused can recover: an expert
// tapping a Claim button the bot removed a moment ago is a race the test expects, and a
// wait that runs out is better reported with what the crash test knows.
type crashTB struct{ *testing.T }

type crashRefusal string

func (crashTB) Fatalf(format string, args ...any) { panic(crashRefusal(fmt.Sprintf(format, args...))) }
func (crashTB) Fatal(args ...any)                 { panic(crashRefusal(fmt.Sprint(args...))) }

// crashRefused runs f and returns what the fake refused, if it did.
func crashRefused(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			ref, ok := r.(crashRefusal)
			if !ok {
				panic(r)
			}
			err = errors.New(string(ref))
		}
	}()
	f()
	return nil
}

// crashProcess is the agriclinic binary as a child process, started again after each kill.
type crashProcess struct {
	bin    string
	env    []string
	log    *os.File
	onExit func()
	// updates counts the updates the running process has handled, from its log: one line
	// per update. It is how the killer sees the process at work.
	updates atomic.Int64

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	killing bool
	starts  []time.Time
	kills   []time.Time
	handled []int64 // updates each killed process had handled
	ended   string  // how the process ended on its own, if it did
}

func (p *crashProcess) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := exec.Command(p.bin, "serve")
	cmd.Env = p.env
	cmd.Stdout = p.log
	cmd.Stderr = &crashLogTap{p: p}
	p.updates.Store(0)
	fmt.Fprintf(p.log, "=== crash test: start %d at %s\n", len(p.starts)+1, time.Now().Format(time.StampMicro))
	if err := cmd.Start(); err != nil {
		p.ended = fmt.Sprintf("start: %v", err)
		return
	}
	done := make(chan struct{})
	p.cmd, p.done, p.killing = cmd, done, false
	p.starts = append(p.starts, time.Now())
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		if !p.killing {
			p.ended = fmt.Sprintf("agriclinic ended by itself: %v", err)
		}
		p.mu.Unlock()
		close(done)
		p.onExit()
	}()
}

// kill sends SIGKILL and waits for the process to be gone; it returns when the signal was
// sent: a Bot API call that arrived before then was made by the killed process.
func (p *crashProcess) kill() time.Time {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.killing = true
	p.mu.Unlock()
	at := time.Now()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	p.mu.Lock()
	p.kills = append(p.kills, at)
	p.handled = append(p.handled, p.updates.Load())
	fmt.Fprintf(p.log, "=== crash test: SIGKILL %d at %s, after %d updates\n", len(p.kills), at.Format(time.StampMicro), p.updates.Load())
	p.mu.Unlock()
	return at
}

func (p *crashProcess) stop() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.killing = true
	p.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

// crashLogTap copies the process's log to the file and counts the updates it handled.
type crashLogTap struct {
	p    *crashProcess
	part []byte
}

func (w *crashLogTap) Write(b []byte) (int, error) {
	w.part = append(w.part, b...)
	for {
		i := slices.Index(w.part, '\n')
		if i < 0 {
			break
		}
		line := string(w.part[:i])
		w.part = w.part[i+1:]
		if strings.Contains(line, `"msg":"update"`) || strings.Contains(line, "msg=update ") {
			w.p.updates.Add(1)
		}
	}
	return w.p.log.Write(b)
}

func (p *crashProcess) endedBy() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ended
}

func (p *crashProcess) timeline() (starts, kills []time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.starts), slices.Clone(p.kills)
}

func (p *crashProcess) handledBeforeKill(i int) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.handled[i]
}

// crashLogExcerpt is what of the bot's log helps with a failure: the warnings, errors and
// the test's marks, then the last lines.
func crashLogExcerpt(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var marked, all []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		all = append(all, line)
		if strings.HasPrefix(line, "=== crash test") || strings.Contains(line, `"level":"WARN"`) ||
			strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") ||
			strings.HasPrefix(line, "agriclinic:") || strings.HasPrefix(line, "panic") {
			marked = append(marked, line)
		}
	}
	if len(marked) > 300 {
		marked = append(marked[:150:150], append([]string{"…"}, marked[len(marked)-150:]...)...)
	}
	return strings.Join(marked, "\n") + "\n--- last lines ---\n" + strings.Join(all[max(0, len(all)-60):], "\n")
}

type crashKey struct {
	chat int64
	id   int
}

type crashGroup struct {
	chat     tgbotapi.Chat
	township string
	cursor   int // the last message id looked at
}

type crashFarmer struct {
	user  tgbotapi.User
	group *crashGroup
}

type crashExpert struct {
	user       tgbotapi.User
	args       string
	categories []string
	cursor     int
	notices    map[int64]int   // question → the notice with its Claim button
	todo       []int64         // questions whose notice the expert has not tapped yet
	yours      map[int64][]int // question → the "yours now" messages
}

func (e *crashExpert) name() string {
	return strings.TrimSpace(e.user.FirstName + " " + e.user.LastName)
}

// crashAsk is one /ask a farmer sent.
type crashAsk struct {
	n      int
	topic  string
	farmer crashFarmer
	msg    tgbotapi.Message
	qid    int64 // from the acknowledgement
}

type crashPress struct {
	e      *crashExpert
	qid    int64
	id     string // callback query
	answer string
}

type crashAnswer struct {
	e     *crashExpert
	mode  string
	msgID int
	to    int // the bot message replied to, if a reply
	at    time.Time
	prev  *crashAnswer // the reply refused with a hint, when this is the /answer after it
}

// crashOdd is a bot message the test did not expect, kept for the report.
type crashOdd struct {
	chat int64
	id   int
	qid  int64
	at   time.Time
	text string
}

type crashTest struct {
	t     *testing.T
	notes *crashNotes
	tg    *telegramtest.Server
	pool  *pgxpool.Pool
	rdb   *redis.Client
	// prefix is the bot's REDIS_PREFIX.
	prefix string
	proc   *crashProcess
	rng    *rand.Rand

	admin   tgbotapi.User
	watcher tgbotapi.User
	groups  []*crashGroup
	farmers []crashFarmer
	experts []*crashExpert

	asks      []*crashAsk
	byQID     map[int64]*crashAsk
	byAsk     map[crashKey]*crashAsk
	pending   []*crashPress
	presses   map[int64][]*crashPress
	winners   map[int64][]*crashExpert // experts told they won the claim
	holder    map[int64]*crashExpert   // the first of them, who answers
	mode      map[int64]string
	toAnswer  []int64
	answers   map[int64]*crashAnswer
	mine      map[crashKey]int64 // an expert's answer message → its question
	confirmed map[int64]bool
	lateTaps  int // Claim buttons removed between looking and tapping

	oddities        []crashOdd // bot messages or callback answers nobody expected
	alreadyAnswered []crashOdd // "already answered" after a single answer
	hints           []crashOdd // a reply to a question message was not taken as an answer

	// Shared with the killer.
	progress   atomic.Int64 // bot messages and button answers seen
	downGen    atomic.Int64 // the kill whose downtime it is, or was
	actedGen   int64        // the last downtime the people acted in
	actedDown  chan int64
	killerDone chan struct{}
	killerMu   sync.Mutex
	killerErr  string
}

// poke makes the fake re-check what everyone waits for; the watcher pressing Start again
// changes nothing else.
func (c *crashTest) poke() { c.tg.Start(c.watcher) }

// waitFor waits until cond holds, checking it again at every change of the fake's state
// (the killer's poke is one); false when crashWait ran out first.
func (c *crashTest) waitFor(cond func() bool) bool {
	limit := time.NewTimer(crashWait)
	defer limit.Stop()
	for {
		// Taken before looking, so a change made while looking is not missed.
		changed := c.tg.Changed()
		if cond() {
			return true
		}
		select {
		case <-changed:
		case <-limit.C:
			return cond()
		}
	}
}

// act runs a person's action; the fake refusing it ends the test.
func (c *crashTest) act(what string, f func()) {
	c.t.Helper()
	if err := crashRefused(f); err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
}

func (c *crashTest) send(chat tgbotapi.Chat, from tgbotapi.User, text string) (m tgbotapi.Message) {
	c.t.Helper()
	c.act(text, func() { m = c.tg.SendText(chat, from, text) })
	return m
}

func crashFromBot(m tgbotapi.Message) bool { return m.From != nil && m.From.IsBot }

func crashHasButton(m tgbotapi.Message, data string) bool {
	if m.ReplyMarkup == nil {
		return false
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData != nil && *b.CallbackData == data {
				return true
			}
		}
	}
	return false
}

func crashButton(m tgbotapi.Message, prefix string) string {
	if m.ReplyMarkup == nil {
		return ""
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData != nil && strings.HasPrefix(*b.CallbackData, prefix) {
				return *b.CallbackData
			}
		}
	}
	return ""
}

// setUp, through the running bot: the admin binds the groups and approves the experts.
func (c *crashTest) setUp() {
	t, tg := c.t, c.tg
	c.send(telegramtest.PrivateChat(c.admin), c.admin, "/start")
	hello := c.send(telegramtest.PrivateChat(c.watcher), c.watcher, "/start")
	tg.WaitMessage(t, c.watcher.ID, func(m tgbotapi.Message) bool {
		return m.ReplyToMessage != nil && m.ReplyToMessage.MessageID == hello.MessageID
	})
	for _, g := range c.groups {
		bind := c.send(g.chat, c.admin, "/bind "+g.township)
		tg.WaitMessage(t, g.chat.ID, func(m tgbotapi.Message) bool {
			return m.ReplyToMessage != nil && m.ReplyToMessage.MessageID == bind.MessageID && strings.Contains(m.Text, "本群已绑定到")
		})
	}
	for _, e := range c.experts {
		dm := telegramtest.PrivateChat(e.user)
		c.send(dm, e.user, "/start")
		c.send(dm, e.user, "/expert "+e.args)
		id := strconv.FormatInt(e.user.ID, 10)
		request := tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool {
			return strings.Contains(m.Text, id) && crashButton(m, "approve:") != ""
		})
		data := crashButton(request, "approve:")
		c.act("approve "+e.name(), func() { tg.Press(telegramtest.PrivateChat(c.admin), c.admin, request, data) })
		tg.WaitMessage(t, e.user.ID, func(m tgbotapi.Message) bool {
			return strings.Contains(m.Text, "✅ 你已成为") || strings.Contains(m.Text, "You are now an expert")
		})
	}
	for _, g := range c.groups {
		g.cursor = c.tg.LastMessageID(g.chat.ID)
	}
	for _, e := range c.experts {
		e.cursor = c.tg.LastMessageID(e.user.ID)
	}
}

// load runs the people until every question is answered and every kill is done, while
// the killer kills and restarts the bot.
func (c *crashTest) load(killerRng *rand.Rand) {
	t := c.t
	go c.killer(killerRng)
	for {
		if msg := c.proc.endedBy(); msg != "" {
			t.Fatalf("%s\n%s", msg, c.status())
		}
		if msg := c.killerError(); msg != "" {
			t.Fatalf("killer: %s\n%s", msg, c.status())
		}
		if g := c.downGen.Load(); g > c.actedGen {
			// The bot is down: people carry on, and Telegram keeps their updates.
			c.round(true)
			c.actedGen = g
			c.actedDown <- g
			continue
		}
		c.round(false)
		if c.loadDone() {
			return
		}
		if !c.news() && !c.waitFor(c.news) {
			t.Fatalf("nothing new for %v\n%s", crashWait, c.status())
		}
	}
}

func (c *crashTest) killerError() string {
	c.killerMu.Lock()
	defer c.killerMu.Unlock()
	return c.killerErr
}

func (c *crashTest) killerFailed(format string, args ...any) {
	c.killerMu.Lock()
	c.killerErr = fmt.Sprintf(format, args...)
	c.killerMu.Unlock()
	c.poke()
}

// killer kills the bot at random moments and starts it again once the people have acted
// while it was down. The first kill comes after a random number of bot messages and
// button answers; each later one either soon after the restart (while the new process
// starts) or once the new process has handled a random number of updates, as its log
// says.
func (c *crashTest) killer(rng *rand.Rand) {
	defer func() {
		close(c.killerDone)
		c.poke()
	}()
	// One of the kills after the first waits for the new process to handle updates.
	handling := 2 + rng.IntN(max(1, crashKills-1))
	for k := 1; k <= crashKills; k++ {
		counter, gap, delay := &c.progress, int64(60+rng.IntN(250)), 8*time.Second
		switch k {
		case 1:
		case handling:
			counter, gap, delay = &c.proc.updates, int64(1+rng.IntN(20)), 10*time.Second
		default:
			counter, gap, delay = &c.proc.updates, 1<<62, time.Duration(300+rng.IntN(2700))*time.Millisecond
		}
		from := counter.Load()
		deadline := time.Now().Add(delay)
		timer := time.AfterFunc(delay, c.poke)
		ok := c.waitFor(func() bool { return counter.Load() >= from+gap || !time.Now().Before(deadline) })
		timer.Stop()
		if !ok {
			c.killerFailed("no progress before kill %d", k)
			return
		}
		c.proc.kill()
		if err := c.endLeases(); err != nil {
			c.killerFailed("after kill %d: %v", k, err)
			return
		}
		c.downGen.Store(int64(k))
		c.poke()
		select {
		case <-c.actedDown:
		case <-time.After(crashWait):
			c.killerFailed("the people did not act while the bot was down after kill %d", k)
			return
		}
		c.proc.start()
	}
}

// endLeases ends the leases of the process just killed, as their time would: the outbox
// messages its sender had taken (15 s) and its poller's and leader jobs' leases (6 s).
// Waiting them out was most of this test's minute, and only one process runs at a time
// here, so every lease held is the dead one's. That a lease is waited out before anyone
// else takes its messages or its work is the subject of
// TestALeasedMessageIsClaimedAgainOnlyAfterTheLeaseEnds and
// TestOneInstanceLeadsAndAStandbyTakesOver.
func (c *crashTest) endLeases() error {
	ctx := context.Background()
	if _, err := c.pool.Exec(ctx, `UPDATE outbox SET locked_until = now()
		WHERE sent_at IS NULL AND failed_at IS NULL AND locked_until > now()`); err != nil {
		return fmt.Errorf("end the outbox leases: %w", err)
	}
	keys, err := c.rdb.Keys(ctx, c.prefix+"{lease:*}").Result()
	if err != nil {
		return fmt.Errorf("find the leases: %w", err)
	}
	if len(keys) > 0 {
		if err := c.rdb.Del(ctx, keys...).Err(); err != nil {
			return fmt.Errorf("end the leases: %w", err)
		}
	}
	return nil
}

func (c *crashTest) loadDone() bool {
	select {
	case <-c.killerDone:
	default:
		return false
	}
	if len(c.asks) < crashQuestions || len(c.pending) > 0 {
		return false
	}
	for _, a := range c.asks {
		if a.qid == 0 || !c.confirmed[a.qid] {
			return false
		}
	}
	return true
}

func (c *crashTest) outstanding() int {
	n := 0
	for _, a := range c.asks {
		if a.qid == 0 || !c.confirmed[a.qid] {
			n++
		}
	}
	return n
}

// news reports whether the people have something to look at or to do.
func (c *crashTest) news() bool {
	if c.downGen.Load() > c.actedGen || c.proc.endedBy() != "" || c.killerError() != "" || c.loadDone() {
		return true
	}
	if len(c.asks) < crashQuestions && c.outstanding() < crashWindow {
		return true
	}
	for _, g := range c.groups {
		if _, ok := c.tg.Message(g.chat.ID, g.cursor+1); ok {
			return true
		}
	}
	for _, e := range c.experts {
		if _, ok := c.tg.Message(e.user.ID, e.cursor+1); ok {
			return true
		}
	}
	for _, p := range c.pending {
		if _, ok := c.tg.CallbackAnswer(p.id); ok {
			return true
		}
	}
	return false
}

// round: the people look at what is new and act on it.
func (c *crashTest) round(down bool) {
	c.scanGroups()
	c.scanExperts()
	c.settlePresses()
	c.answerClaimed()
	c.pressClaims()
	n := min(crashWindow-c.outstanding(), 1+c.rng.IntN(4))
	if down {
		n = 2 + c.rng.IntN(4)
	}
	for range n {
		c.askOne()
	}
}

func (c *crashTest) askOne() {
	if len(c.asks) >= crashQuestions {
		return
	}
	f := c.farmers[c.rng.IntN(len(c.farmers))]
	topic := crashTopics[c.rng.IntN(len(crashTopics))]
	a := &crashAsk{n: len(c.asks) + 1, topic: topic.category, farmer: f}
	a.msg = c.send(f.group.chat, f.user, "/ask "+fmt.Sprintf(topic.text, a.n))
	c.asks = append(c.asks, a)
	c.byAsk[crashKey{f.group.chat.ID, a.msg.MessageID}] = a
}

func (c *crashTest) odd(list *[]crashOdd, chat int64, m tgbotapi.Message, qid int64) {
	*list = append(*list, crashOdd{chat: chat, id: m.MessageID, qid: qid, at: time.Now(), text: m.Text})
}

func (c *crashTest) scanGroups() {
	for _, g := range c.groups {
		for {
			m, ok := c.tg.Message(g.chat.ID, g.cursor+1)
			if !ok {
				break
			}
			g.cursor++
			if !crashFromBot(m) {
				continue
			}
			c.progress.Add(1)
			if sub := crashAckRe.FindStringSubmatch(m.Text); sub != nil && m.ReplyToMessage != nil {
				if a := c.byAsk[crashKey{g.chat.ID, m.ReplyToMessage.MessageID}]; a != nil && a.qid == 0 {
					a.qid, _ = strconv.ParseInt(sub[1], 10, 64)
					c.byQID[a.qid] = a
				}
				continue
			}
			if crashPostedRe.MatchString(m.Text) {
				continue
			}
			c.odd(&c.oddities, g.chat.ID, m, 0)
		}
	}
}

func (c *crashTest) scanExperts() {
	for _, e := range c.experts {
		for {
			m, ok := c.tg.Message(e.user.ID, e.cursor+1)
			if !ok {
				break
			}
			e.cursor++
			if !crashFromBot(m) {
				continue
			}
			c.progress.Add(1)
			c.classify(e, m)
		}
	}
}

// classify files one new message in an expert's private chat.
func (c *crashTest) classify(e *crashExpert, m tgbotapi.Message) {
	var replyQID int64
	if m.ReplyToMessage != nil {
		replyQID = c.mine[crashKey{e.user.ID, m.ReplyToMessage.MessageID}]
	}
	card := crashCardRe.FindStringSubmatch(m.Text)
	switch {
	case card != nil && (strings.Contains(m.Text, "你已认领。") || strings.Contains(m.Text, "Yours now.")):
		qid, _ := strconv.ParseInt(card[1], 10, 64)
		e.yours[qid] = append(e.yours[qid], m.MessageID)
	case card != nil:
		qid, _ := strconv.ParseInt(card[1], 10, 64)
		if _, seen := e.notices[qid]; !seen {
			e.notices[qid] = m.MessageID
			e.todo = append(e.todo, qid)
		}
	case crashConfirmRe.MatchString(m.Text):
		sub := crashConfirmRe.FindStringSubmatch(m.Text)
		qid, _ := strconv.ParseInt(sub[1]+sub[2], 10, 64)
		c.confirmed[qid] = true
	case replyQID != 0 && (strings.Contains(m.Text, "要解答问题，请直接回复问题消息") || strings.Contains(m.Text, "To answer a question, reply to its message")):
		// The bot did not recognise the message replied to as a question: answer the other way.
		c.odd(&c.hints, e.user.ID, m, replyQID)
		if a := c.answers[replyQID]; a != nil && a.prev == nil {
			c.sendAnswer(replyQID, e, "command")
		}
	case replyQID != 0 && (strings.Contains(m.Text, "已经解答过了") || strings.Contains(m.Text, "has already been answered")):
		c.odd(&c.alreadyAnswered, e.user.ID, m, replyQID)
	default:
		c.odd(&c.oddities, e.user.ID, m, replyQID)
	}
}

func (c *crashTest) settlePresses() {
	keep := c.pending[:0]
	for _, p := range c.pending {
		a, ok := c.tg.CallbackAnswer(p.id)
		if !ok {
			keep = append(keep, p)
			continue
		}
		c.progress.Add(1)
		p.answer = a.Text
		q := p.qid
		switch {
		case a.Text == fmt.Sprintf("已认领 #%d", q) || a.Text == fmt.Sprintf("You claimed #%d", q) ||
			strings.HasPrefix(a.Text, fmt.Sprintf("#%d 已经由你认领", q)) || strings.HasPrefix(a.Text, fmt.Sprintf("You already hold #%d;", q)):
			if !slices.Contains(c.winners[q], p.e) {
				c.winners[q] = append(c.winners[q], p.e)
			}
			if c.holder[q] == nil {
				c.holder[q] = p.e
				c.mode[q] = []string{"reply to yours", "reply to notice", "command"}[c.rng.IntN(3)]
				c.toAnswer = append(c.toAnswer, q)
			}
		case strings.HasPrefix(a.Text, fmt.Sprintf("#%d 已被", q)) || strings.HasPrefix(a.Text, fmt.Sprintf("#%d was claimed by ", q)):
		default:
			c.oddities = append(c.oddities, crashOdd{chat: p.e.user.ID, qid: q, at: time.Now(), text: "callback answer: " + a.Text})
		}
	}
	c.pending = keep
}

func (c *crashTest) answerClaimed() {
	keep := c.toAnswer[:0]
	for _, q := range c.toAnswer {
		e := c.holder[q]
		if c.mode[q] == "reply to yours" && len(e.yours[q]) == 0 {
			keep = append(keep, q) // the "yours now" message is not here yet
			continue
		}
		c.sendAnswer(q, e, c.mode[q])
	}
	c.toAnswer = keep
}

func crashAnswerText(qid int64) string {
	return fmt.Sprintf("建议喷施对症药剂，注意安全间隔期。A%d", qid)
}

func (c *crashTest) sendAnswer(q int64, e *crashExpert, mode string) {
	dm := telegramtest.PrivateChat(e.user)
	a := &crashAnswer{e: e, mode: mode, prev: c.answers[q]}
	var sent tgbotapi.Message
	switch mode {
	case "reply to yours", "reply to notice":
		a.to = e.notices[q]
		if mode == "reply to yours" {
			a.to = e.yours[q][0]
		}
		to, _ := c.tg.Message(e.user.ID, a.to)
		c.act("reply", func() { sent = c.tg.ReplyText(dm, e.user, to, crashAnswerText(q)) })
	default:
		sent = c.send(dm, e.user, fmt.Sprintf("/answer %d %s", q, crashAnswerText(q)))
	}
	a.msgID, a.at = sent.MessageID, time.Now()
	c.answers[q] = a
	c.mine[crashKey{e.user.ID, sent.MessageID}] = q
}

// pressClaims: each expert taps, now or in a later round, every Claim button still there.
func (c *crashTest) pressClaims() {
	for _, i := range c.rng.Perm(len(c.experts)) {
		e := c.experts[i]
		keep := e.todo[:0]
		for _, q := range e.todo {
			if c.rng.IntN(4) == 0 {
				keep = append(keep, q) // later
				continue
			}
			data := fmt.Sprintf("claim:%d", q)
			m, ok := c.tg.Message(e.user.ID, e.notices[q])
			if !ok || !crashHasButton(m, data) {
				continue // taken already; the notice says by whom
			}
			var id string
			if err := crashRefused(func() { id = c.tg.Press(telegramtest.PrivateChat(e.user), e.user, m, data) }); err != nil {
				c.lateTaps++ // the button went between looking and tapping
				continue
			}
			p := &crashPress{e: e, qid: q, id: id}
			c.pending = append(c.pending, p)
			c.presses[q] = append(c.presses[q], p)
		}
		e.todo = keep
	}
}

func (c *crashTest) pressCount() int {
	n := 0
	for _, ps := range c.presses {
		n += len(ps)
	}
	return n
}

func (c *crashTest) contested() int {
	n := 0
	for _, ps := range c.presses {
		if len(ps) > 1 {
			n++
		}
	}
	return n
}

func (c *crashTest) status() string {
	acked := 0
	for _, a := range c.asks {
		if a.qid != 0 {
			acked++
		}
	}
	starts, kills := c.proc.timeline()
	return fmt.Sprintf("asked %d, acknowledged %d, claimed %d, answers sent %d, answers confirmed %d, presses waiting for an answer %d, starts %d, kills %d, oddities %v",
		len(c.asks), acked, len(c.holder), len(c.answers), len(c.confirmed), len(c.pending), len(starts), len(kills), c.oddities)
}

// barrier returns once everything the sender took before now has been settled: the reply
// to the watcher's /whoami is enqueued after this call, so a sender takes it only after
// every batch taken before it is marked sent or scheduled again.
func (c *crashTest) barrier() {
	sent := c.send(telegramtest.PrivateChat(c.watcher), c.watcher, "/whoami")
	if !c.waitFor(func() bool { _, ok := c.tg.Message(c.watcher.ID, sent.MessageID+1); return ok }) {
		c.t.Fatalf("the bot did not answer /whoami within %v", crashWait)
	}
}

type crashOutboxRow struct {
	id, chat, msgID, replyTo int64
	method                   string
	attempts                 int
	created, sent, locked    time.Time
	next                     time.Time
	failed                   bool
	lastError, remember      string
	text                     string
}

func (c *crashTest) outbox(where string) []crashOutboxRow {
	c.t.Helper()
	rows, err := c.pool.Query(context.Background(), `SELECT id, chat_id, coalesce(message_id, 0), reply_to, method, attempts,
		created_at, coalesce(sent_at, 'epoch'), coalesce(locked_until, 'epoch'), next_attempt_at,
		failed_at IS NOT NULL, last_error, remember_kind, text FROM outbox `+where+` ORDER BY id`)
	if err != nil {
		c.t.Fatal(err)
	}
	defer rows.Close()
	var out []crashOutboxRow
	for rows.Next() {
		var r crashOutboxRow
		if err := rows.Scan(&r.id, &r.chat, &r.msgID, &r.replyTo, &r.method, &r.attempts, &r.created, &r.sent, &r.locked,
			&r.next, &r.failed, &r.lastError, &r.remember, &r.text); err != nil {
			c.t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		c.t.Fatal(err)
	}
	return out
}

// waitQuiet waits until the outbox is empty: what a killed sender had taken is sent once
// its lease has ended, so the wait goes on until then.
func (c *crashTest) waitQuiet() {
	for i := 0; ; i++ {
		c.barrier()
		pending := c.outbox(`WHERE sent_at IS NULL AND failed_at IS NULL`)
		if len(pending) == 0 {
			return
		}
		if i == 20 {
			c.t.Fatalf("the outbox keeps %d messages: %+v", len(pending), pending)
		}
		until := time.Now()
		for _, r := range pending {
			if r.locked.After(until) {
				until = r.locked
			}
			if r.next.After(until) {
				until = r.next
			}
		}
		ok := c.waitFor(func() bool {
			calls := c.tg.Calls("")
			return len(calls) > 0 && calls[len(calls)-1].At.After(until)
		})
		if !ok {
			c.t.Fatalf("the bot made no call after %s, when the outbox's %d pending messages were due: %+v", until.Format(time.StampMilli), len(pending), pending)
		}
	}
}

// crashSent is a message Telegram accepted from the bot: when, and what was asked for.
type crashSent struct {
	at      time.Time
	text    string
	replyTo int64
}

func crashReplyID(m tgbotapi.Message) int {
	if m.ReplyToMessage == nil {
		return 0
	}
	return m.ReplyToMessage.MessageID
}

func crashSince(began, at time.Time) string {
	return "+" + at.Sub(began).Round(time.Millisecond).String()
}

// check compares the archive, the outbox and what people saw with what they did.
func (c *crashTest) check(began time.Time) {
	t, tg := c.t, c.tg
	ctx := context.Background()
	starts, kills := c.proc.timeline()
	polls := tg.Calls("getUpdates")
	for i, s := range starts {
		line := fmt.Sprintf("start %d at %s", i+1, crashSince(began, s))
		for _, p := range polls {
			if p.At.After(s) {
				line += fmt.Sprintf(", first getUpdates %v later", p.At.Sub(s).Round(time.Millisecond))
				break
			}
		}
		if i < len(kills) {
			line += fmt.Sprintf(", SIGKILL at %s after it handled %d updates", crashSince(began, kills[i]), c.proc.handledBeforeKill(i))
		}
		c.notes.add("%s", line)
	}
	if len(kills) != crashKills || len(starts) != crashKills+1 {
		t.Errorf("%d kills and %d starts, want %d and %d", len(kills), len(starts), crashKills, crashKills+1)
	}

	// What Telegram accepted, and what the outbox says it sent.
	accepted := map[crashKey]crashSent{}
	for _, call := range tg.Calls("sendMessage") {
		var m struct {
			MessageID int `json:"message_id"`
			Chat      struct {
				ID int64 `json:"id"`
			} `json:"chat"`
		}
		if call.Status != 200 || json.Unmarshal(call.Result, &m) != nil {
			continue
		}
		replyTo, _ := strconv.ParseInt(call.Params["reply_to_message_id"], 10, 64)
		accepted[crashKey{m.Chat.ID, m.MessageID}] = crashSent{at: call.At, text: call.Params["text"], replyTo: replyTo}
	}
	all := c.outbox(``)
	sentAs := map[crashKey]crashOutboxRow{}
	var retaken []crashOutboxRow
	var longest time.Duration
	for _, r := range all {
		if r.method == "send" && r.msgID != 0 {
			sentAs[crashKey{r.chat, int(r.msgID)}] = r
		}
		// A notice of a question claimed before it went out is dropped on purpose.
		if r.failed && r.lastError != "superseded before delivery" {
			t.Errorf("outbox row %d to chat %d failed: %s", r.id, r.chat, r.lastError)
		}
		if r.sent.Unix() == 0 && !r.failed {
			t.Errorf("outbox row %d to chat %d is still pending", r.id, r.chat)
		}
		if r.attempts > 1 {
			retaken = append(retaken, r)
			longest = max(longest, r.sent.Sub(r.created))
		}
	}
	c.notes.add("outbox: %d rows, %d taken more than once (a killed sender's lease ran out, or a retry); the longest of them took %v from stored to sent",
		len(all), len(retaken), longest.Round(time.Millisecond))

	// Every message of the bot is one the outbox sent, or a copy Telegram accepted just
	// before a SIGKILL that the outbox had no time to record, sent again after the restart.
	chats := []int64{c.admin.ID, c.watcher.ID}
	for _, g := range c.groups {
		chats = append(chats, g.chat.ID)
	}
	for _, e := range c.experts {
		chats = append(chats, e.user.ID)
	}
	botMsgs := map[int64][]tgbotapi.Message{}
	copies := map[crashKey]bool{}
	var resent []string
	for _, chat := range chats {
		for _, m := range tg.Messages(chat) {
			if !crashFromBot(m) {
				continue
			}
			botMsgs[chat] = append(botMsgs[chat], m)
			key := crashKey{chat, m.MessageID}
			if _, ok := sentAs[key]; ok {
				continue
			}
			proof, ok := c.resendProof(key, accepted, all, starts, kills, began)
			if !ok {
				t.Errorf("message %d in chat %d (%q) is not one the outbox recorded as sent, and not a copy sent again after a kill: %s", m.MessageID, chat, m.Text, proof)
				continue
			}
			copies[key] = true
			resent = append(resent, proof)
		}
	}
	for _, p := range resent {
		c.notes.add("FINDING (at-least-once window, tolerated with this proof): %s", p)
	}

	// The archive.
	type qrow struct {
		id, chat, msgID, expert int64
		category, text, status  string
		claimed                 time.Time
	}
	rows, err := c.pool.Query(ctx, `SELECT id, chat_id, message_id, coalesce(expert_id, 0), category_id, text, status,
		coalesce(claimed_at, 'epoch') FROM questions ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	byAsk := map[crashKey][]qrow{}
	nq := 0
	for rows.Next() {
		var q qrow
		if err := rows.Scan(&q.id, &q.chat, &q.msgID, &q.expert, &q.category, &q.text, &q.status, &q.claimed); err != nil {
			t.Fatal(err)
		}
		byAsk[crashKey{q.chat, int(q.msgID)}] = append(byAsk[crashKey{q.chat, int(q.msgID)}], q)
		nq++
	}
	rows.Close()
	if nq != len(c.asks) {
		t.Errorf("%d questions stored for %d /ask messages", nq, len(c.asks))
	}
	type arow struct {
		expert, groupMsg int64
		name, text       string
		at               time.Time
	}
	answers := map[int64][]arow{}
	rows, err = c.pool.Query(ctx, `SELECT question_id, expert_id, expert_name, coalesce(group_message_id, 0), text, answered_at FROM answers`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var q int64
		var a arow
		if err := rows.Scan(&q, &a.expert, &a.name, &a.groupMsg, &a.text, &a.at); err != nil {
			t.Fatal(err)
		}
		answers[q] = append(answers[q], a)
	}
	rows.Close()

	// What the groups and the experts saw, copies left out.
	acks, posts := map[int64][]tgbotapi.Message{}, map[int64][]tgbotapi.Message{}
	for _, g := range c.groups {
		for _, m := range botMsgs[g.chat.ID] {
			if copies[crashKey{g.chat.ID, m.MessageID}] {
				continue
			}
			if sub := crashAckRe.FindStringSubmatch(m.Text); sub != nil {
				q, _ := strconv.ParseInt(sub[1], 10, 64)
				acks[q] = append(acks[q], m)
			} else if sub := crashPostedRe.FindStringSubmatch(m.Text); sub != nil {
				q, _ := strconv.ParseInt(sub[1], 10, 64)
				posts[q] = append(posts[q], m)
			}
		}
	}
	type seen struct{ notices, yours, confirms map[int64][]tgbotapi.Message }
	byExpert := map[*crashExpert]seen{}
	yoursTo := map[int64]map[*crashExpert]bool{} // copies included: a copy to another expert would be a second claim
	for _, e := range c.experts {
		s := seen{map[int64][]tgbotapi.Message{}, map[int64][]tgbotapi.Message{}, map[int64][]tgbotapi.Message{}}
		for _, m := range botMsgs[e.user.ID] {
			card := crashCardRe.FindStringSubmatch(m.Text)
			isYours := card != nil && (strings.Contains(m.Text, "你已认领。") || strings.Contains(m.Text, "Yours now."))
			if isYours {
				q, _ := strconv.ParseInt(card[1], 10, 64)
				if yoursTo[q] == nil {
					yoursTo[q] = map[*crashExpert]bool{}
				}
				yoursTo[q][e] = true
			}
			if copies[crashKey{e.user.ID, m.MessageID}] {
				continue
			}
			switch sub := crashConfirmRe.FindStringSubmatch(m.Text); {
			case isYours:
				q, _ := strconv.ParseInt(card[1], 10, 64)
				s.yours[q] = append(s.yours[q], m)
			case card != nil:
				q, _ := strconv.ParseInt(card[1], 10, 64)
				s.notices[q] = append(s.notices[q], m)
			case sub != nil:
				q, _ := strconv.ParseInt(sub[1]+sub[2], 10, 64)
				s.confirms[q] = append(s.confirms[q], m)
			}
		}
		byExpert[e] = s
	}

	remembered := map[crashKey]time.Time{}
	rows, err = c.pool.Query(ctx, `SELECT chat_id, message_id, sent_at FROM bot_messages`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k crashKey
		var at time.Time
		if err := rows.Scan(&k.chat, &k.id, &at); err != nil {
			t.Fatal(err)
		}
		remembered[k] = at
	}
	rows.Close()

	var stale []string
	for _, a := range c.asks {
		label := fmt.Sprintf("/ask Q%d (message %d in %s)", a.n, a.msg.MessageID, a.farmer.group.township)
		stored := byAsk[crashKey{a.farmer.group.chat.ID, a.msg.MessageID}]
		if len(stored) != 1 {
			t.Errorf("%s: stored %d times, want once", label, len(stored))
			continue
		}
		q := stored[0]
		switch {
		case a.qid != q.id:
			t.Errorf("%s: acknowledged as #%d, stored as #%d", label, a.qid, q.id)
		case q.category != a.topic || !strings.Contains(q.text, fmt.Sprintf("Q%d", a.n)):
			t.Errorf("%s: stored as #%d %s %q", label, q.id, q.category, q.text)
		case q.status != "answered":
			t.Errorf("%s: #%d is %s, want answered", label, q.id, q.status)
		}
		if n := len(acks[q.id]); n != 1 || crashReplyID(acks[q.id][0]) != a.msg.MessageID {
			t.Errorf("%s: #%d acknowledged %d times in the group, want once, replying to the question", label, q.id, n)
		}

		// One claim: one expert told they won, one told "yours now", the one the archive names.
		holder := c.holder[q.id]
		if len(c.winners[q.id]) > 1 {
			t.Errorf("#%d: %d experts were told they claimed it", q.id, len(c.winners[q.id]))
		}
		if len(yoursTo[q.id]) > 1 {
			t.Errorf("#%d: %d experts were sent \"yours now\"", q.id, len(yoursTo[q.id]))
		}
		if holder == nil || q.expert != holder.user.ID {
			t.Errorf("#%d: the archive's holder is %d, the expert told they won is %v", q.id, q.expert, holder)
			continue
		}
		if n := len(byExpert[holder].yours[q.id]); n != 1 {
			t.Errorf("#%d: %s got %d \"yours now\" messages, want 1", q.id, holder.name(), n)
		}

		// One answer, posted once, naming the holder, where the archive says it is.
		stored2 := answers[q.id]
		if len(stored2) != 1 {
			t.Errorf("#%d: %d answers stored, want 1", q.id, len(stored2))
		}
		if n := len(posts[q.id]); n != 1 {
			t.Errorf("#%d: the answer was posted %d times in the group, want once", q.id, n)
		} else if p := posts[q.id][0]; crashReplyID(p) != a.msg.MessageID || !strings.Contains(p.Text, holder.name()) ||
			!strings.Contains(p.Text, crashAnswerText(q.id)) || len(stored2) == 1 && stored2[0].groupMsg != int64(p.MessageID) {
			t.Errorf("#%d: the answer in the group is %q (message %d, replying to %d); want the holder %s, the text, a reply to %d, and the message the archive names",
				q.id, p.Text, p.MessageID, crashReplyID(p), holder.name(), a.msg.MessageID)
		}

		// Every expert of the category told at most once (not at all when the question was
		// claimed before the notice went out); the holder told once the answer is out.
		for _, e := range c.experts {
			s := byExpert[e]
			most := 0
			if slices.Contains(e.categories, a.topic) {
				most = 1
			}
			if n := len(s.notices[q.id]); n > most {
				t.Errorf("#%d: %s got %d notices, want at most %d", q.id, e.name(), n, most)
			}
			for _, m := range s.notices[q.id] {
				line := "已由 " + holder.name() + " 认领"
				if e.user.LanguageCode == "en" {
					line = "Claimed by " + holder.name()
				}
				if e == holder {
					line = map[bool]string{true: "You claimed it", false: "你已认领"}[e.user.LanguageCode == "en"]
				}
				if !crashHasButton(m, fmt.Sprintf("claim:%d", q.id)) && strings.Contains(m.Text, line) {
					continue
				}
				key := crashKey{e.user.ID, m.MessageID}
				rec, ok := remembered[key]
				evidence := fmt.Sprintf("#%d: %s's notice (message %d) still reads %q with its Claim button; Telegram accepted it at %s, bot_messages recorded it at %s, the question was claimed at %s",
					q.id, e.name(), m.MessageID, m.Text[strings.LastIndex(m.Text, "\n")+1:], crashSince(began, accepted[key].at), crashSince(began, rec), crashSince(began, q.claimed))
				// The claim edits the notices recorded when it is decided; one recorded well
				// before that and still not edited is an edit lost.
				if !ok || rec.Before(q.claimed.Add(-time.Second)) {
					t.Errorf("an edit was lost: %s", evidence)
					continue
				}
				stale = append(stale, evidence)
			}
			want := 0
			if e == holder {
				want = 1
			}
			if n := len(s.confirms[q.id]); n != want {
				t.Errorf("#%d: %s was told %d times the answer is posted, want %d", q.id, e.name(), n, want)
			}
		}
	}
	for _, o := range c.oddities {
		t.Errorf("unexpected in chat %d (message %d, about #%d): %q", o.chat, o.id, o.qid, o.text)
	}
	var raced, unremembered []string
	for _, h := range c.hints {
		if line, remembered := c.explainHint(h, began, copies); remembered {
			raced = append(raced, line)
		} else {
			unremembered = append(unremembered, line)
		}
	}
	if len(raced) > 0 {
		c.notes.add("FINDING: %d replies to a bot message came before the sender had recorded that message in bot_messages (milliseconds after Telegram showed it) and were refused with a hint; the expert then used /answer. For example:\n  %s",
			len(raced), strings.Join(raced[:min(3, len(raced))], "\n  "))
	}
	for _, line := range unremembered {
		c.notes.add("FINDING: %s", line)
	}

	// Once-known bugs (both fixed), reported last so that everything above is checked first.
	var bugs []string
	if len(c.alreadyAnswered) > 0 {
		var ev []string
		for _, o := range c.alreadyAnswered {
			a := c.answers[o.qid]
			at := answers[o.qid]
			line := fmt.Sprintf("#%d: %s answered once (message %d at %s)", o.qid, a.e.name(), a.msgID, crashSince(began, a.at))
			if len(at) > 0 {
				line += fmt.Sprintf(", stored at %s", crashSince(began, at[0].at))
			}
			line += fmt.Sprintf(", and was told %q at %s", o.text, crashSince(began, o.at))
			ev = append(ev, line)
		}
		bugs = append(bugs, fmt.Sprintf("a redelivered answer (the bot was killed after storing it, before confirming its update) is answered \"already answered\" instead of being recognised by its update_id, %d times:\n  %s",
			len(c.alreadyAnswered), strings.Join(ev, "\n  ")))
	}
	if len(stale) > 0 {
		bugs = append(bugs, fmt.Sprintf("%d question notices still show a Claim button after the question was claimed: bot_messages recorded them only after (or as) the claim was decided, so the claim did not edit them:\n  %s",
			len(stale), strings.Join(stale[:min(len(stale), 10)], "\n  ")))
	}
	for _, b := range bugs {
		t.Error(b)
	}
}

// resendProof shows that a message the outbox does not know it sent is a copy of one it
// did: Telegram accepted it from a process that was then killed (the process that sent it
// is the last one started before; its last calls may arrive a moment after the signal,
// while it dies), and the outbox row with the same chat, text and reply was taken again
// after the restart and sent then.
func (c *crashTest) resendProof(key crashKey, accepted map[crashKey]crashSent, rows []crashOutboxRow, starts, kills []time.Time, began time.Time) (string, bool) {
	sent, ok := accepted[key]
	if !ok {
		return "Telegram has no record of accepting it", false
	}
	kill := -1
	for i, s := range starts {
		if s.Before(sent.at) {
			kill = i
		}
	}
	if kill < 0 || kill >= len(kills) {
		return fmt.Sprintf("accepted at %s from a process that was not killed", crashSince(began, sent.at)), false
	}
	restart := starts[kill+1]
	var found []string
	for _, r := range rows {
		if r.chat != key.chat || r.method != "send" || r.text != sent.text || r.replyTo != sent.replyTo {
			continue
		}
		again := accepted[crashKey{r.chat, int(r.msgID)}]
		if r.attempts < 2 || r.created.After(sent.at) || !again.at.After(restart) {
			continue
		}
		gap := fmt.Sprintf("%v later", kills[kill].Sub(sent.at).Round(time.Microsecond))
		if sent.at.After(kills[kill]) {
			gap = fmt.Sprintf("%v before it, the process dying", sent.at.Sub(kills[kill]).Round(time.Microsecond))
		}
		found = append(found, fmt.Sprintf("outbox row %d (chat %d, created %s): Telegram accepted it as message %d at %s from process %d, which got SIGKILL at %s (%s) before the outbox recorded the message as sent; after the restart the row was taken again (attempts %d) and sent as message %d at %s",
			r.id, r.chat, crashSince(began, r.created), key.id, crashSince(began, sent.at), kill+1, crashSince(began, kills[kill]),
			gap, r.attempts, r.msgID, crashSince(began, again.at)))
	}
	if len(found) == 0 {
		// Or it went once, just before the kill, and its row was settled before a retry:
		// a question notice the claim superseded while the dead sender's lease ran.
		for _, r := range rows {
			if r.chat == key.chat && r.method == "send" && r.text == sent.text && r.failed &&
				r.lastError == "superseded before delivery" && r.created.Before(sent.at) {
				found = append(found, fmt.Sprintf("outbox row %d (chat %d): Telegram accepted it as message %d at %s from process %d, which got SIGKILL at %s before the outbox recorded it; after the restart its question was claimed and the row superseded, so it was never sent again: delivered once, recorded as superseded",
					r.id, r.chat, key.id, crashSince(began, sent.at), kill+1, crashSince(began, kills[kill])))
			}
		}
	}
	if len(found) != 1 {
		return fmt.Sprintf("accepted at %s from process %d, but %d outbox rows sent after the restart match it", crashSince(began, sent.at), kill+1, len(found)), false
	}
	return found[0], true
}

// explainHint says why a reply to a question message was not taken as an answer: the
// message replied to was not (yet) in bot_messages.
func (c *crashTest) explainHint(h crashOdd, began time.Time, copies map[crashKey]bool) (string, bool) {
	a := c.answers[h.qid]
	if a == nil || a.prev == nil {
		return fmt.Sprintf("#%d: a reply was refused with %q", h.qid, h.text), false
	}
	r := a.prev
	var rememberedAt time.Time
	err := c.pool.QueryRow(context.Background(), `SELECT sent_at FROM bot_messages WHERE chat_id = $1 AND message_id = $2`,
		h.chat, r.to).Scan(&rememberedAt)
	if err != nil {
		why := "not a copy sent before a kill"
		if copies[crashKey{h.chat, r.to}] {
			why = "the copy Telegram accepted just before a kill, see above; the copy sent after the restart is the one remembered"
		}
		return fmt.Sprintf("#%d: %s replied (message %d, %s) to bot message %d (%s), which bot_messages does not hold (%v), and was told to reply to the question message or use /answer; /answer then worked",
			h.qid, r.e.name(), r.msgID, r.mode, r.to, why, err), false
	}
	return fmt.Sprintf("#%d: %s replied (message %d, %s) at %s to bot message %d, which bot_messages recorded only at %s: the sender records a message after Telegram accepted it, and a reply in between is refused with a hint; /answer then worked",
		h.qid, r.e.name(), r.msgID, r.mode, crashSince(began, r.at), r.to, crashSince(began, rememberedAt)), true
}
