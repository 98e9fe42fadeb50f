//go:build !nodemo

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/web"
)

// demoHelp is the demo's entry in --help.
const demoHelp = `  demo      a local clinic in the browser without Telegram: open http://localhost:8080/play
            (uses DATABASE_URL and REDIS_URL when set, else its own Postgres and Redis;
            listens on 127.0.0.1:8080 unless HTTP_ADDR says otherwise; refuses a
            database that holds an archive other than its own)
`

// demo runs a whole clinic on this machine without Telegram: the real bot, sender, jobs
// and dashboard (serve's wiring), against a local Bot API (bot/telegramtest), Redis
// (REDIS_URL, else an embedded miniredis) and Postgres (DATABASE_URL, else a private
// cluster of the machine's PostgreSQL), seeded with the example county, and a playground
// page to be the farmers, experts and admin in the browser.
func demo(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	began := time.Now()
	base, err := loadConfig(demoEnv(getenv, map[string]string{"TELEGRAM_TOKEN": "0:demo"}), false)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := newLogger(base, stderr)

	// As serve does, each of these may come from a file (NAME_FILE).
	redisURL, redisErr := lookupEnv(getenv, "REDIS_URL")
	dbURL, dbErr := lookupEnv(getenv, "DATABASE_URL")
	publicURL, publicErr := lookupEnv(getenv, "PUBLIC_URL")
	if err := errors.Join(redisErr, dbErr, publicErr); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	if redisURL == "" {
		mr := miniredis.NewMiniRedis()
		if err := mr.StartAddr("127.0.0.1:0"); err != nil {
			return fmt.Errorf("embedded Redis: %w", err)
		}
		defer mr.Close()
		go keepMiniredisTime(ctx, mr)
		redisURL = "redis://" + mr.Addr()
		log.Info("embedded Redis (miniredis); set REDIS_URL to use a real one")
	}

	if dbURL == "" {
		pg, err := startPrivatePostgres(ctx, getenv, log)
		if err != nil {
			return err
		}
		defer func() {
			if err := pg.Stop(context.WithoutCancel(ctx)); err != nil {
				log.Warn("the demo's Postgres did not stop", "err", err)
			}
		}()
		dbURL = pg.URL()
		log.Info("the demo's own Postgres", "dir", pg.dir, "port", pg.port)
	}
	if err := refuseOtherArchive(ctx, dbURL); err != nil {
		return err
	}

	fake := telegramtest.NewStandalone(telegramtest.StandaloneOptions{FirstUpdateID: updateIDBase(time.Now())})
	defer fake.Close()
	var chats *demoChats // opened once the archive says where message ids go on

	if publicURL == "" {
		publicURL = localURL(base.HTTPAddr)
	}
	cfg, err := loadConfig(demoEnv(getenv, map[string]string{
		"TELEGRAM_TOKEN":   fake.Token(),
		"TELEGRAM_API_URL": fake.URL(),
		"DATABASE_URL":     dbURL,
		"REDIS_URL":        redisURL,
		"PUBLIC_URL":       publicURL,
	}), true)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}

	return serveWith(ctx, cfg, log, serveExtras{
		example: true,
		prepare: func(ctx context.Context, pool *pgxpool.Pool, svc *consult.Service) error {
			seeded, err := seedDemo(ctx, pool, svc, time.Now())
			if err != nil {
				return err
			}
			if seeded {
				log.Info("seeded the demo clinic", "questions", demoArchiveSize, "group", demoGroupName)
			}
			// Before the bot sends anything: the chats' message ids go on after every id
			// the archive remembers, so no new message is taken for an old one.
			last, err := lastMessageID(ctx, pool)
			if err != nil {
				return err
			}
			chats = openDemoChats(fake, int(last)+1)
			return nil
		},
		routes: func(mux *http.ServeMux, svc *consult.Service, _ *store.DB) {
			play := &web.Play{Chats: chats, GroupID: demoGroupID, GroupTitle: demoGroupName, Log: log,
				DashboardLink: func(ctx context.Context, adminID int64) (string, error) {
					links, err := svc.DashboardLinks(ctx, adminID)
					if err != nil {
						return "", err
					}
					if len(links) == 0 {
						return "", errors.New("the demo admin administers no county")
					}
					return links[0].Token, nil
				}}
			for _, p := range demoPeople {
				play.People = append(play.People, web.PlayPerson{ID: p.ID, Name: p.Name, Role: p.Role})
			}
			play.Register(mux)
		},
		listening: func(addr net.Addr) {
			fmt.Fprintf(stdout, "AgriClinic demo ready in %.1fs: open %s/play (dashboard: %s/play/dashboard). Ctrl-C stops it.\n",
				time.Since(began).Seconds(), publicURL, publicURL)
		},
	})
}

// demoEnv is the environment with the demo's own values over it. The demo always runs
// the shipped example county and long polling, whatever the environment says; every
// other variable (or its NAME_FILE) is read as serve reads it.
func demoEnv(getenv func(string) string, over map[string]string) func(string) string {
	fixed := map[string]string{"AGRICLINIC_COUNTIES": "", "WEBHOOK_URL": "", "WEBHOOK_SECRET": "",
		"AGRICLINIC_COUNTIES_FILE": "", "WEBHOOK_URL_FILE": "", "WEBHOOK_SECRET_FILE": "", "TELEGRAM_TOKEN_FILE": ""}
	// The demo's own defaults: its /play/dashboard signs anyone in as the admin, so it
	// answers this machine only unless HTTP_ADDR says otherwise, and a demo beside a real
	// bot must not take its metrics port.
	defaults := map[string]string{"HTTP_ADDR": "127.0.0.1:8080", "METRICS_ADDR": "off"}
	return func(name string) string {
		if v, ok := over[name]; ok {
			return v
		}
		if v, ok := fixed[name]; ok {
			return v
		}
		v := getenv(name)
		if d, ok := defaults[name]; ok && strings.TrimSpace(v) == "" && getenv(name+"_FILE") == "" {
			return d
		}
		return v
	}
}

// refuseOtherArchive stops the demo on a database that holds an archive other than the
// demo's: it would seed its example clinic into it, and /play/dashboard would sign anyone
// in as an admin of it. The test is cheap and errs towards refusing: a group other than
// the demo's, or a question from a chat the seed never uses, is another archive. A
// database not made yet, or not migrated yet, is fine.
func refuseOtherArchive(ctx context.Context, dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	name := fmt.Sprintf("%q on %s:%d", cfg.Database, cfg.Host, cfg.Port)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "3D000" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("DATABASE_URL: cannot reach Postgres: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var migrated bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('groups') IS NOT NULL AND to_regclass('questions') IS NOT NULL`).Scan(&migrated); err != nil {
		return fmt.Errorf("demo: read the database %s: %w", name, err)
	}
	if !migrated {
		return nil
	}
	var group, chat *int64
	err = conn.QueryRow(ctx, `SELECT
			(SELECT chat_id FROM groups WHERE chat_id <> $1 LIMIT 1),
			(SELECT chat_id FROM questions WHERE chat_id <> $1 AND chat_id NOT BETWEEN $2 AND $3 LIMIT 1)`,
		int64(demoGroupID), int64(demoTownshipChats-demoTownshipsMax+1), int64(demoTownshipChats)).Scan(&group, &chat)
	if err != nil {
		return fmt.Errorf("demo: read the database %s: %w", name, err)
	}
	what := ""
	switch {
	case group != nil:
		what = fmt.Sprintf("it has group %d", *group)
	case chat != nil:
		what = fmt.Sprintf("it has questions from chat %d", *chat)
	default:
		return nil
	}
	return fmt.Errorf("demo: the database %s holds an archive that is not the demo's (%s): the demo seeds its example clinic into "+
		"the database it runs on and signs anyone who opens /play/dashboard in as its admin, so it will not run on it. "+
		"Unset DATABASE_URL (the demo then runs its own Postgres) or point it at a database of its own", name, what)
}

// localURL is the address a browser on this machine reaches HTTP_ADDR at.
func localURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost:8080"
	}
	if host == "" || host == "0.0.0.0" || host == "::" || host == "127.0.0.1" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// demoEpoch is where the demo's Telegram ids count from.
var demoEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// updateIDBase starts a run's update ids above every earlier run's: the archive keeps
// update ids to recognise redeliveries, and the fake forgets its own at exit. A run
// makes far fewer than a thousand updates a second.
func updateIDBase(now time.Time) int { return int(now.Sub(demoEpoch).Milliseconds()) }

// lastMessageID is the highest message id the archive remembers in any chat: of the
// messages the bot sent (outbox, bot_messages, answers) and of those people sent
// (questions, their media and albums, follow-ups). The fake forgets its chats at exit;
// the next run's ids must not meet these.
func lastMessageID(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var last int64
	err := pool.QueryRow(ctx, `SELECT COALESCE(GREATEST(
			(SELECT max(message_id) FROM outbox),
			(SELECT max(message_id) FROM bot_messages),
			(SELECT max(group_message_id) FROM answers),
			(SELECT max(message_id) FROM questions),
			(SELECT max(message_id) FROM question_media),
			(SELECT max(message_id) FROM album_items),
			(SELECT max(message_id) FROM followups)), 0)`).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("demo: the archive's last message id: %w", err)
	}
	return last, nil
}

// keepMiniredisTime moves miniredis's clock with the real one: it expires keys only when
// told time passed, and the quota and lease keys must expire.
func keepMiniredisTime(ctx context.Context, mr *miniredis.Miniredis) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			mr.FastForward(now.Sub(last))
			last = now
		}
	}
}

// demoChats is the playground's view of the fake Telegram: it plays the demo's people.
type demoChats struct {
	fake  *telegramtest.Server
	group tgbotapi.Chat
	users map[int64]tgbotapi.User
}

// openDemoChats makes the group and the people in the fake; experts and the admin have
// pressed Start, so the bot may write to them.
func openDemoChats(fake *telegramtest.Server, firstMessageID int) *demoChats {
	c := &demoChats{fake: fake, users: map[int64]tgbotapi.User{}}
	c.group = fake.OpenGroup(demoGroupID, demoGroupName, firstMessageID)
	for _, p := range demoPeople {
		// Chinese users mostly put their whole name in the first name.
		u := tgbotapi.User{ID: p.ID, FirstName: p.Name, LanguageCode: "zh-hans"}
		c.users[p.ID] = u
		fake.OpenPrivateChat(u, firstMessageID, p.Role != "farmer")
	}
	return c
}

func (c *demoChats) chat(chatID, from int64) (tgbotapi.Chat, tgbotapi.User, error) {
	u, ok := c.users[from]
	switch {
	case !ok:
		return tgbotapi.Chat{}, u, fmt.Errorf("no demo person %d", from)
	case chatID == c.group.ID:
		return c.group, u, nil
	case chatID == from:
		return telegramtest.PrivateChat(u), u, nil
	}
	return tgbotapi.Chat{}, u, fmt.Errorf("%d is not in chat %d", from, chatID)
}

func (c *demoChats) Messages(chatID int64) []tgbotapi.Message { return c.fake.Messages(chatID) }

func (c *demoChats) Post(chatID, from int64, text string, photo []byte, replyTo int) error {
	chat, u, err := c.chat(chatID, from)
	if err != nil {
		return err
	}
	p := telegramtest.Post{Text: text}
	if photo != nil {
		p = telegramtest.Post{Photo: true, Data: photo, Caption: text}
	}
	if replyTo != 0 {
		m, ok := c.fake.Message(chatID, replyTo)
		if !ok {
			return fmt.Errorf("message %d is not in chat %d", replyTo, chatID)
		}
		p.ReplyTo = &m
	}
	_, err = c.fake.TryPost(chat, u, p)
	return err
}

// pressWait is how long a press waits for the bot's callback answer to show it.
const pressWait = 5 * time.Second

func (c *demoChats) Press(ctx context.Context, chatID, from int64, messageID int, data string) (string, error) {
	chat, u, err := c.chat(chatID, from)
	if err != nil {
		return "", err
	}
	m, ok := c.fake.Message(chatID, messageID)
	if !ok {
		return "", fmt.Errorf("message %d is not in chat %d", messageID, chatID)
	}
	id, err := c.fake.TryPress(chat, u, m, data)
	if err != nil {
		return "", err
	}
	timer := time.NewTimer(pressWait)
	defer timer.Stop()
	for {
		changed := c.fake.Changed()
		if a, ok := c.fake.CallbackAnswer(id); ok {
			return a.Text, nil
		}
		select {
		case <-changed:
		case <-timer.C:
			return "", nil
		case <-ctx.Done():
			return "", nil
		}
	}
}

func (c *demoChats) File(fileID string) ([]byte, bool) { return c.fake.FileBytes(fileID) }

func (c *demoChats) Changed() <-chan struct{} { return c.fake.Changed() }
