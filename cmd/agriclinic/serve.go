package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/agriclinic/agriclinic/bot"
	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/web"
)

// instanceID names this process among the instances sharing Redis.
func instanceID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// defaultMemoryLimit is the Go runtime's soft memory limit when GOMEMLIMIT is not set:
// the garbage collector works harder as the heap nears it instead of letting a burst
// double it (the default GOGC). A bot on a small county server is budgeted 60 MB
// resident; the rest of that is the binary and the runtime's own.
const defaultMemoryLimit = 40 << 20

// softMemoryLimit applies defaultMemoryLimit unless GOMEMLIMIT chose another.
func softMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}

// settleTimeout bounds how long shutdown waits for earlier-answer lookups (consult.Settle).
const settleTimeout = 5 * time.Second

// drainTimeout bounds shutdown: finishing HTTP requests and sending the outbox.
const drainTimeout = 10 * time.Second

func migrate(ctx context.Context, cfg config, log *slog.Logger) error {
	pool, err := openPostgres(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	applied, err := store.Migrate(ctx, pool)
	if err != nil {
		return err
	}
	log.Info("migrations applied", "versions", applied)
	return nil
}

func loadCounties(cfg config) ([]consult.County, error) {
	if cfg.CountiesFile == "" {
		return consult.ParseCounties(consult.ExampleCounties, "yuqing.yaml (the shipped example)")
	}
	c, err := consult.LoadCounties(cfg.CountiesFile)
	if err != nil {
		return nil, fmt.Errorf("AGRICLINIC_COUNTIES: %w", err)
	}
	return c, nil
}

func serve(ctx context.Context, cfg config, log *slog.Logger) error {
	softMemoryLimit()
	return serveWith(ctx, cfg, log, serveExtras{})
}

// serveExtras is what `agriclinic demo` adds to serve; serve itself adds nothing.
type serveExtras struct {
	// prepare runs once the archive is migrated and the counties saved, before the bot
	// takes updates: the demo seeds its example clinic here.
	prepare func(ctx context.Context, pool *pgxpool.Pool, svc *consult.Service) error
	// routes adds handlers to the HTTP server.
	routes func(mux *http.ServeMux, svc *consult.Service, db *store.DB)
	// listening is told the HTTP server's address once it accepts connections.
	listening func(addr net.Addr)
	// example says the shipped example county is meant (the demo plays its admin), so
	// there is nothing to warn about.
	example bool
}

func serveWith(ctx context.Context, cfg config, log *slog.Logger, extras serveExtras) error {
	counties, err := loadCounties(cfg)
	if err != nil {
		return err
	}
	// The national pesticide list and each county's own entries: a mistake in either
	// stops the start, naming its line, as the county file does.
	pesticides, err := consult.CountyPesticides(consult.NationalPesticides, "consult/pesticides.yaml (the shipped national list)", counties)
	if err != nil {
		return fmt.Errorf("pesticide list: %w", err)
	}
	if cfg.CountiesFile == "" && !extras.example {
		log.Warn("AGRICLINIC_COUNTIES is unset: running on the Yuqing County example, whose admin id is a placeholder; copy consult/yuqing.yaml, put your admins' ids in it and point AGRICLINIC_COUNTIES at it")
	}
	pool, err := openPostgres(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := store.Migrate(ctx, pool); err != nil {
		return err
	}
	ropts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(ropts)
	defer rdb.Close()

	db := store.NewDB(pool)
	queue := store.NewQueue(rdb, cfg.RedisPrefix)
	svc := consult.NewService(db, queue, counties, consult.Options{
		Logger: log, Quota: store.NewQuota(rdb, cfg.RedisPrefix), Limits: &cfg.Limits, Pace: &cfg.Pace, Similar: &cfg.Similar, Outbreaks: &cfg.Outbreaks,
		Reminders: &cfg.Reminders, Pesticides: pesticides, ReviewFirst: &cfg.ReviewFirst,
	})
	if err := svc.SaveCounties(ctx); err != nil {
		return err
	}
	if extras.prepare != nil {
		if err := extras.prepare(ctx, pool, svc); err != nil {
			return err
		}
	}
	if err := svc.RefreshKeywords(ctx); err != nil {
		return err
	}
	if err := svc.ReconcileQueues(ctx); err != nil {
		// Questions are still stored without Redis; the queues are rebuilt from Postgres.
		log.Warn("could not rebuild the queues in Redis", "err", err)
	}

	tg, err := bot.NewClient(ctx, cfg.TelegramToken, cfg.TelegramAPIURL)
	if err != nil {
		return fmt.Errorf("TELEGRAM_TOKEN / TELEGRAM_API_URL: %w", err)
	}
	b := bot.New(svc, db, tg, log)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newStateCollector(db, queue, counties, log))
	metrics := bot.NewMetrics(reg)
	b.Metrics = metrics
	// Between the transport and the bot: each update handled once, none holding back the
	// others (bot.Guard). A failure counts against an update only while both stores answer.
	guard := b.Guard(func(ctx context.Context) error {
		return errors.Join(db.Ping(ctx), queue.Ping(ctx))
	})
	if err := tg.RegisterCommands(ctx); err != nil {
		log.Warn("could not publish the command menu", "err", err)
	}
	if err := b.PublishAdminMenus(ctx); err != nil {
		log.Warn("could not queue the admins' menus", "err", err)
	}
	log.Info("bot ready", "username", tg.Self().UserName, "counties", len(counties))
	b.LogPrivacy(ctx)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`+"\n")
	})
	mux.Handle("GET /readyz", ready(db, queue))
	calendars := &web.Calendars{DB: db, Secret: calendarSecret(cfg), Names: func(id string) string {
		if c, ok := svc.County(id); ok {
			return c.Name
		}
		return id
	}}
	calendars.Register(mux)
	if cfg.PublicURL != "" {
		b.CalendarLink = func(kind, id string) string { return calendars.Link(cfg.PublicURL, kind, id) }
		b.PublicURL = cfg.PublicURL
	}
	cacheDir, dropCache, err := web.NewCacheDir()
	if err != nil {
		return fmt.Errorf("photo cache: %w", err)
	}
	defer dropCache()
	dash := &web.Dashboard{Svc: svc, DB: db, Secure: strings.HasPrefix(cfg.PublicURL, "https://"), Log: log, SLA: cfg.SLAEscalate,
		Retry: b.Retry, Files: tg, CacheDir: cacheDir, Standing: b.Standings}
	dash.Register(mux)
	if extras.routes != nil {
		extras.routes(mux, svc, db)
	}
	if cfg.WebhookURL != "" {
		u, _ := url.Parse(cfg.WebhookURL) // checked in loadConfig
		mux.Handle("POST "+u.Path, bot.NewWebhook(cfg.WebhookSecret, guard.Handle, log))
	}
	servers, err := listenHTTP(cfg, mux, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), log)
	if err != nil {
		return err
	}
	defer servers.Close()
	httpErr := servers.errs
	if extras.listening != nil {
		extras.listening(servers.addr)
	}

	// Periodic jobs run on one instance at a time. The reconciler puts back every open
	// question Redis lost (a restart without persistence, a FLUSHALL) within seconds.
	leases := store.NewLeases(rdb, cfg.RedisPrefix)
	instance := instanceID()
	// The jobs stop with ctx; the service's background work outlives it by the settling
	// at shutdown, so that earlier answers found by then go out with the outbox.
	jobsCtx, stopJobs := context.WithCancel(ctx)
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	work := &workers{log: log}
	stopWorkers := func(ctx context.Context) {
		stopJobs()
		stopBackground()
		work.wait(ctx)
	}
	joined := false
	defer func() {
		if !joined { // returning early: still join them, within the drain timeout
			jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drainTimeout)
			defer cancel()
			stopWorkers(jctx)
		}
	}()
	work.start(bgCtx, "earlier answers and index merging", svc.Run)
	var lastOutbreakCheck time.Time // outbreaks are counted once a minute, not every round
	work.start(jobsCtx, "jobs", func(ctx context.Context) error {
		return whileLeader(ctx, leases, "jobs", instance, leaseTTL, log, func(ctx context.Context) error {
			return every(ctx, cfg.Reconcile, log, "reconcile queues, expire claims, push late questions again", func(ctx context.Context) error {
				_, expireErr := svc.ExpireClaims(ctx, cfg.ClaimLease, bot.ExpiredClaimMessages)
				_, repushErr := svc.RepushUnclaimed(ctx, cfg.SLAClaim, bot.RepushMessages)
				_, closeErr := svc.CloseUnrated(ctx, cfg.AutoClose)
				_, indexErr := svc.IndexArchive(ctx)
				var outbreakErr error
				if now := svc.Now(); now.Sub(lastOutbreakCheck) >= time.Minute {
					_, outbreakErr = svc.DetectOutbreaks(ctx, bot.OutbreakMessages)
					lastOutbreakCheck = now
				}
				keywordErr := svc.RefreshKeywords(ctx)
				_, escalateErr := svc.EscalateLate(ctx, cfg.SLAEscalate, bot.EscalationMessages)
				_, heldErr := svc.PushLateHeld(ctx, cfg.ReviewSLA, bot.HeldPushMessages)
				_, morningErr := svc.MorningDigest(ctx, cfg.DigestTime, cfg.SLAEscalate, bot.MorningDigestMessages)
				_, tellErr := b.TellSetAside(ctx)
				// Telegram keeps an unconfirmed update for a day; two days of records suffice.
				_, forgetErr := db.ForgetHandled(ctx, svc.Now().Add(-48*time.Hour))
				return errors.Join(expireErr, repushErr, closeErr, indexErr, outbreakErr, keywordErr, escalateErr, heldErr, morningErr,
					tellErr, forgetErr, svc.ReconcileQueues(ctx))
			})
		})
	})
	// Albums and push bundles wait seconds, not the reconciler's interval.
	work.start(jobsCtx, "gather", func(ctx context.Context) error {
		return whileLeader(ctx, leases, "gather", instance, leaseTTL, log, func(ctx context.Context) error {
			return every(ctx, min(time.Second, cfg.AlbumWait), log, "turn albums into questions, send push bundles", func(ctx context.Context) error {
				_, albumErr := svc.FlushAlbums(ctx, cfg.AlbumWait, bot.AskMessages)
				_, bundleErr := svc.FlushBundles(ctx, cfg.Limits.PushWindow, bot.BundleMessages)
				return errors.Join(albumErr, bundleErr)
			})
		})
	})
	// Clinic sessions, visit plans and reminders; safe on every instance (see runScheduler).
	work.start(jobsCtx, "scheduler", func(ctx context.Context) error { return runScheduler(ctx, svc, log) })

	// The sender outlives the update loop by a drain: what was stored gets delivered.
	sender := bot.NewSender(db, tg, store.NewLimiter(rdb, cfg.RedisPrefix, cfg.Rates), log)
	sender.Metrics = metrics
	sender.Refused = b.Refused // a group that removed the bot, an expert who blocked it
	sendCtx, stopSending := context.WithCancel(context.WithoutCancel(ctx))
	sendDone := make(chan error, 1)
	go func() { sendDone <- sender.Run(sendCtx) }()
	defer stopSending()

	if cfg.WebhookURL != "" {
		if err := tg.SetWebhook(ctx, cfg.WebhookURL, cfg.WebhookSecret); err != nil {
			return err
		}
		log.Info("webhook mode", "url", cfg.WebhookURL)
		select {
		case <-ctx.Done():
		case err := <-httpErr:
			return fmt.Errorf("http: %w", err)
		}
	} else {
		// One instance polls; the others stand by and take over when it dies.
		log.Info("long polling")
		poller := bot.NewPoller(tg, guard.HandleMany, log)
		if err := whileLeader(ctx, leases, "poller", instance, leaseTTL, log, poller.Run); err != nil {
			return err
		}
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drainTimeout)
	defer cancel()
	if err := servers.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	// Earlier answers still being looked up for acknowledgements: a few seconds, so that
	// what they find is sent with the outbox; past that, those go without.
	settled := make(chan struct{})
	go func() { svc.Settle(); close(settled) }()
	select {
	case <-settled:
	case <-time.After(settleTimeout):
		log.Warn("stopping before every earlier-answer lookup was done; those acknowledgements go without")
	}
	joined = true
	stopWorkers(sctx)
	stopSending()
	if err := <-sendDone; err != nil {
		log.Error("sender stopped", "err", err)
	}
	if err := sender.Drain(sctx); err != nil {
		backlog, _ := db.OutboxBacklog(context.WithoutCancel(ctx))
		log.Warn("stopped with messages still to send; the next start sends them", "backlog", backlog, "err", err)
	}
	return nil
}

// ready answers 200 when Postgres and Redis both answer, 503 otherwise, with which.
func ready(db *store.DB, q *store.Queue) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		status := map[string]string{"postgres": "ok", "redis": "ok"}
		code := http.StatusOK
		if err := db.Ping(ctx); err != nil {
			status["postgres"], code = "unreachable", http.StatusServiceUnavailable
		}
		if err := q.Ping(ctx); err != nil {
			status["redis"], code = "unreachable", http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(status)
	})
}

// openPostgres connects to DATABASE_URL, creating the database first when the server is
// there but the database is not, so a fresh install needs no manual step.
func openPostgres(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	// pgxpool's default (4 on a small server) is too few for the poller's workers, the
	// sender and the jobs together; pool_max_conns in the URL still decides.
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = 16
	}
	store.TunePool(cfg)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	err = pool.Ping(ctx)
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "3D000" {
		pool.Close()
		if err := createDatabase(ctx, dsn); err != nil {
			return nil, err
		}
		return openPostgres(ctx, dsn)
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("DATABASE_URL: cannot reach Postgres: %w", err)
	}
	return pool, nil
}

func createDatabase(ctx context.Context, dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	name := cfg.Database
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: database %q does not exist and the server refused to create it: %w", name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("DATABASE_URL: create database %q: %w", name, err)
	}
	return nil
}

// checkHealth asks a running server on HTTP_ADDR whether it is ready (Postgres and Redis
// reachable).
func checkHealth(ctx context.Context, cfg config, w io.Writer) error {
	host, port, err := net.SplitHostPort(cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR: %w", err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(w, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s", resp.Status)
	}
	return nil
}

// calendarSecret keys the calendar links: CALENDAR_SECRET, or one derived from the bot
// token so that a deployment needs no extra secret (a new token then changes the links).
func calendarSecret(cfg config) []byte {
	if cfg.CalendarSecret != "" {
		return []byte(cfg.CalendarSecret)
	}
	sum := sha256.Sum256([]byte("agriclinic calendar\x00" + cfg.TelegramToken))
	return sum[:]
}
