package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// config is everything the binary reads from the environment, read once in run and passed
// down.
type config struct {
	TelegramToken  string
	TelegramAPIURL string
	DatabaseURL    string
	RedisURL       string
	RedisPrefix    string
	HTTPAddr       string
	MetricsAddr    string // empty: no metrics (METRICS_ADDR=off)
	HTTPTimeouts   httpTimeouts
	CountiesFile   string // empty: the shipped example
	WebhookURL     string
	WebhookSecret  string
	LogLevel       slog.Level
	LogFormat      string
	Rates          store.Rates
	Limits         consult.Limits
	Pace           consult.Pace
	Reconcile      time.Duration
	ClaimLease     time.Duration
	SLAClaim       time.Duration
	AlbumWait      time.Duration
	AutoClose      time.Duration
	SLAEscalate    time.Duration
	ReviewFirst    int           // review: new — how many first answers of each expert a senior checks
	ReviewSLA      time.Duration // a held answer undecided this long is pushed again
	Similar        consult.Similar
	Outbreaks      consult.Outbreaks
	Reminders      consult.Reminders
	PublicURL      string
	CalendarSecret string
	DigestTime     string // "08:00", in each county's time zone
}

// envVar documents one variable for --help.
type envVar struct {
	name, def, help string
}

var envVars = []envVar{
	{"TELEGRAM_TOKEN", "", "bot token from @BotFather (required by serve; or TELEGRAM_TOKEN_FILE)"},
	{"TELEGRAM_API_URL", "https://api.telegram.org", "Bot API server; the bot calls {url}/bot{token}/{method}"},
	{"DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:5432/agriclinic?sslmode=disable", "Postgres, the archive (or DATABASE_URL_FILE); the database is created if missing"},
	{"REDIS_URL", "redis://127.0.0.1:6379/0", "Redis, the queues (rebuilt from Postgres at start)"},
	{"REDIS_PREFIX", "agriclinic:", "prefix of every Redis key"},
	{"HTTP_ADDR", ":8080", "address of the HTTP server: the dashboard, calendars, /healthz, /readyz and the webhook (demo: default 127.0.0.1:8080, this machine only)"},
	{"METRICS_ADDR", "127.0.0.1:9090", "address of /metrics (Prometheus), kept off HTTP_ADDR's public port; off: no metrics (the demo's default)"},
	{"AGRICLINIC_COUNTIES", "", "county file (YAML); unset: the shipped Yuqing County example"},
	{"WEBHOOK_URL", "", "public https URL for Telegram to post updates to; unset: long polling"},
	{"WEBHOOK_SECRET", "", "secret Telegram sends with each webhook request (required with WEBHOOK_URL; or WEBHOOK_SECRET_FILE)"},
	{"SEND_RATE_GLOBAL", "30", "messages per second the bot sends in all (Telegram's limit is about 30)"},
	{"SEND_RATE_CHAT", "1", "messages per second to one chat"},
	{"SEND_RATE_GROUP", "20", "messages per minute to one group"},
	{"SEND_RATE_MARGIN", "50ms", "how much wider than a second or a minute the bot keeps each window of the SEND_RATE_* limits, for messages delayed on the way to Telegram"},
	{"ASK_LIMIT", "5", "questions one farmer may ask per ASK_WINDOW (0: no limit)"},
	{"ASK_WINDOW", "10m", "the window of ASK_LIMIT"},
	{"PRESS_LIMIT", "20", "button presses one person may make per PRESS_WINDOW; more are answered \"too many\" and do nothing (0: no limit)"},
	{"PRESS_WINDOW", "10s", "the window of PRESS_LIMIT"},
	{"COMMAND_LIMIT", "30", "commands (other than /ask) one person may send per COMMAND_WINDOW; the next gets one short reply, then silence (0: no limit)"},
	{"COMMAND_WINDOW", "1m", "the window of COMMAND_LIMIT"},
	{"REPEAT_WINDOW", "10m", "how long the same words from the same farmer count as the same question (0: off)"},
	{"CLAIM_LEASE", "30m", "a claim not answered within this goes back to the queue"},
	{"SLA_CLAIM", "15m", "a question unclaimed this long is pushed once more to the on-duty experts"},
	{"ALBUM_WAIT", "2s", "an album becomes one question once no photo of it arrived for this long"},
	{"AUTO_CLOSE", "72h", "an answered question without the farmer's feedback closes after this"},
	{"PUSH_BURST", "3", "questions pushed to an expert one by one per PUSH_WINDOW; more come as one digest (0: always push)"},
	{"PUSH_WINDOW", "2m", "the window of PUSH_BURST"},
	{"SIMILAR_MIN", "0.5", "how alike (0-1) an earlier answered question must be to be shown with a new one"},
	{"SIMILAR_MAX", "3", "how many earlier answered questions are shown at most (0: none)"},
	{"OUTBREAK_MIN", "3", "questions naming one pest or disease in one township within 7 days that alert the admins (when well above the usual; 0: off)"},
	{"OUTBREAK_TERMS", "", "more words to watch for outbreaks, comma-separated (the lexicon's pests and diseases are always watched)"},
	{"REMIND_DAY_BEFORE", "18:00", "local time, the day before a visit, when its experts and group are reminded"},
	{"REMIND_BEFORE", "1h", "how long before a visit the second reminder goes"},
	{"SESSION_REMIND", "15m", "how long before a clinic session its experts are reminded"},
	{"PLAN_LEAD", "168h", "how long before a planned visit its order is made for the admins to confirm"},
	{"PUBLIC_URL", "", "the address people reach HTTP_ADDR at (https://…), for calendar links; unset: no links"},
	{"CALENDAR_SECRET", "", "secret of the calendar links (or CALENDAR_SECRET_FILE); unset: derived from TELEGRAM_TOKEN"},
	{"SLA_ESCALATE", "2h", "a question unanswered this long after it was asked is shown once to its county's admins, to assign it to an expert"},
	{"REVIEW_FIRST", "5", "where a county's review: is new, how many first answers of each expert go to a senior (复核) before the group"},
	{"REVIEW_SLA", "30m", "a held answer undecided this long is shown to the seniors once more, and after as long again to the county's admins"},
	{"DIGEST_TIME", "08:00", "time of day (the county's time zone) each county's admins get yesterday's digest"},
	{"RECONCILE_INTERVAL", "5s", "how often the Redis queues are checked against Postgres"},
	{"LOG_LEVEL", "info", "debug, info, warn or error"},
	{"LOG_FORMAT", "auto", "text, json, or auto (text on a terminal, JSON otherwise)"},
}

func defaultOf(name string) string {
	for _, v := range envVars {
		if v.name == name {
			return v.def
		}
	}
	return ""
}

var secretTokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// lookupEnv is a variable as set: its value, else the contents of the file its name+"_FILE"
// names (for secrets kept in files, e.g. Docker secrets), else "". Defaults are not
// applied here.
func lookupEnv(getenv func(string) string, name string) (string, error) {
	v := strings.TrimSpace(getenv(name))
	if file := getenv(name + "_FILE"); v == "" && file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		v = strings.TrimSpace(string(data))
	}
	return v, nil
}

// loadConfig reads and checks the environment; every error names its variable. needToken
// is false for subcommands that do not talk to Telegram.
func loadConfig(getenv func(string) string, needToken bool) (config, error) {
	var errs []error
	get := func(name string) string {
		v, err := lookupEnv(getenv, name)
		if err != nil {
			errs = append(errs, err)
			return ""
		}
		if v == "" {
			v = defaultOf(name)
		}
		return v
	}
	c := config{
		TelegramToken:  get("TELEGRAM_TOKEN"),
		TelegramAPIURL: get("TELEGRAM_API_URL"),
		DatabaseURL:    get("DATABASE_URL"),
		RedisURL:       get("REDIS_URL"),
		RedisPrefix:    get("REDIS_PREFIX"),
		HTTPAddr:       get("HTTP_ADDR"),
		CountiesFile:   get("AGRICLINIC_COUNTIES"),
		WebhookURL:     get("WEBHOOK_URL"),
		WebhookSecret:  get("WEBHOOK_SECRET"),
		LogFormat:      get("LOG_FORMAT"),
		PublicURL:      get("PUBLIC_URL"),
		CalendarSecret: get("CALENDAR_SECRET"),
		HTTPTimeouts:   defaultHTTPTimeouts(),
	}
	if m := get("METRICS_ADDR"); !strings.EqualFold(m, "off") {
		if _, _, err := net.SplitHostPort(m); err != nil {
			errs = append(errs, fmt.Errorf("METRICS_ADDR: %q is not an address like 127.0.0.1:9090, or off", m))
		} else if m == c.HTTPAddr {
			errs = append(errs, fmt.Errorf("METRICS_ADDR: %q is HTTP_ADDR's; /metrics needs an address of its own", m))
		}
		c.MetricsAddr = m
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("PUBLIC_URL: %q is not an http(s) address", c.PublicURL))
		}
	}
	if needToken && c.TelegramToken == "" {
		errs = append(errs, errors.New("TELEGRAM_TOKEN: required; get a token from @BotFather"))
	} else if c.TelegramToken != "" && !strings.Contains(c.TelegramToken, ":") {
		errs = append(errs, errors.New("TELEGRAM_TOKEN: does not look like a bot token (id:secret)"))
	}
	if u, err := url.Parse(c.TelegramAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("TELEGRAM_API_URL: %q is not an http(s) URL", c.TelegramAPIURL))
	}
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		errs = append(errs, errors.New("DATABASE_URL: not a postgres:// URL"))
	}
	if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
		errs = append(errs, errors.New("REDIS_URL: not a redis:// URL"))
	}
	if c.WebhookURL != "" {
		u, err := url.Parse(c.WebhookURL)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			errs = append(errs, fmt.Errorf("WEBHOOK_URL: %q is not an https URL", c.WebhookURL))
		case u.Path == "" || u.Path == "/":
			errs = append(errs, errors.New("WEBHOOK_URL: needs a path, e.g. https://bot.example.org/telegram/webhook"))
		}
		if !secretTokenPattern.MatchString(c.WebhookSecret) {
			errs = append(errs, errors.New("WEBHOOK_SECRET: required with WEBHOOK_URL: 1-256 characters of A-Z, a-z, 0-9, _ and -"))
		}
	}
	rate := func(name string) float64 {
		v, err := strconv.ParseFloat(get(name), 64)
		if err != nil || v <= 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive number", name, getenv(name)))
		}
		return v
	}
	c.Rates = store.Rates{Global: rate("SEND_RATE_GLOBAL"), PerChat: rate("SEND_RATE_CHAT"), GroupMin: rate("SEND_RATE_GROUP")}
	duration := func(name string) time.Duration {
		d, err := time.ParseDuration(get(name))
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration like 10m or 90s", name, getenv(name)))
		}
		return d
	}
	c.Rates.Margin = duration("SEND_RATE_MARGIN")
	askLimit, err := strconv.Atoi(get("ASK_LIMIT"))
	if err != nil || askLimit < 0 {
		errs = append(errs, fmt.Errorf("ASK_LIMIT: %q is not a whole number", getenv("ASK_LIMIT")))
	}
	if c.Reconcile = duration("RECONCILE_INTERVAL"); c.Reconcile <= 0 {
		errs = append(errs, errors.New("RECONCILE_INTERVAL: must be positive"))
	}
	if c.ClaimLease = duration("CLAIM_LEASE"); c.ClaimLease <= 0 {
		errs = append(errs, errors.New("CLAIM_LEASE: must be positive"))
	}
	if c.SLAClaim = duration("SLA_CLAIM"); c.SLAClaim <= 0 {
		errs = append(errs, errors.New("SLA_CLAIM: must be positive"))
	}
	minSim, err := strconv.ParseFloat(get("SIMILAR_MIN"), 64)
	if err != nil || minSim < 0 || minSim > 1 {
		errs = append(errs, fmt.Errorf("SIMILAR_MIN: %q is not a number from 0 to 1", getenv("SIMILAR_MIN")))
	}
	maxSim, err := strconv.Atoi(get("SIMILAR_MAX"))
	if err != nil || maxSim < 0 || maxSim > 5 {
		errs = append(errs, fmt.Errorf("SIMILAR_MAX: %q is not a whole number from 0 to 5", getenv("SIMILAR_MAX")))
	}
	c.Similar = consult.Similar{Min: minSim, Max: maxSim}
	outbreakMin, err := strconv.Atoi(get("OUTBREAK_MIN"))
	if err != nil || outbreakMin < 0 {
		errs = append(errs, fmt.Errorf("OUTBREAK_MIN: %q is not a whole number", getenv("OUTBREAK_MIN")))
	}
	c.Outbreaks = consult.Outbreaks{Min: outbreakMin}
	c.Reminders = consult.Reminders{DayBefore: get("REMIND_DAY_BEFORE"), Before: duration("REMIND_BEFORE"),
		Session: duration("SESSION_REMIND"), PlanLead: duration("PLAN_LEAD")}
	if _, _, err := consult.ParseTimeOfDay(c.Reminders.DayBefore); err != nil {
		errs = append(errs, fmt.Errorf("REMIND_DAY_BEFORE: %w", err))
	}
	for _, t := range strings.FieldsFunc(get("OUTBREAK_TERMS"), func(r rune) bool { return r == ',' || r == '，' || r == '、' }) {
		if t = strings.TrimSpace(t); t != "" {
			c.Outbreaks.Terms = append(c.Outbreaks.Terms, t)
		}
	}
	if c.ReviewSLA = duration("REVIEW_SLA"); c.ReviewSLA <= 0 {
		errs = append(errs, errors.New("REVIEW_SLA: must be positive"))
	}
	if n, err := strconv.Atoi(get("REVIEW_FIRST")); err != nil || n < 0 {
		errs = append(errs, fmt.Errorf("REVIEW_FIRST: %q is not a whole number", getenv("REVIEW_FIRST")))
	} else {
		c.ReviewFirst = n
	}
	if c.SLAEscalate = duration("SLA_ESCALATE"); c.SLAEscalate <= 0 {
		errs = append(errs, errors.New("SLA_ESCALATE: must be positive"))
	}
	c.DigestTime = get("DIGEST_TIME")
	if _, _, err := consult.ParseTimeOfDay(c.DigestTime); err != nil {
		errs = append(errs, fmt.Errorf("DIGEST_TIME: %w", err))
	}
	if c.AlbumWait = duration("ALBUM_WAIT"); c.AlbumWait <= 0 {
		errs = append(errs, errors.New("ALBUM_WAIT: must be positive"))
	}
	if c.AutoClose = duration("AUTO_CLOSE"); c.AutoClose <= 0 {
		errs = append(errs, errors.New("AUTO_CLOSE: must be positive"))
	}
	pushes, err := strconv.Atoi(get("PUSH_BURST"))
	if err != nil || pushes < 0 {
		errs = append(errs, fmt.Errorf("PUSH_BURST: %q is not a whole number", getenv("PUSH_BURST")))
	}
	c.Limits = consult.Limits{Questions: askLimit, Window: duration("ASK_WINDOW"), Repeat: duration("REPEAT_WINDOW"),
		Pushes: pushes, PushWindow: duration("PUSH_WINDOW")}
	presses, err := strconv.Atoi(get("PRESS_LIMIT"))
	if err != nil || presses < 0 {
		errs = append(errs, fmt.Errorf("PRESS_LIMIT: %q is not a whole number", getenv("PRESS_LIMIT")))
	}
	commands, err := strconv.Atoi(get("COMMAND_LIMIT"))
	if err != nil || commands < 0 {
		errs = append(errs, fmt.Errorf("COMMAND_LIMIT: %q is not a whole number", getenv("COMMAND_LIMIT")))
	}
	c.Pace = consult.Pace{Presses: presses, PressWindow: duration("PRESS_WINDOW"), Commands: commands, CommandWindow: duration("COMMAND_WINDOW")}
	if err := c.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL"))); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %q is not debug, info, warn or error", getenv("LOG_LEVEL")))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" && c.LogFormat != "auto" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT: %q is not text, json or auto", c.LogFormat))
	}
	return c, errors.Join(errs...)
}
