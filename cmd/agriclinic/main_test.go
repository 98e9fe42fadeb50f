package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agriclinic/agriclinic/store"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := m[k]; ok {
			return v
		}
		// /metrics stays off unless a test asks for it: servers of tests running at once
		// (and of other test runs on the machine) would meet on its default port.
		if k == "METRICS_ADDR" {
			return "off"
		}
		return ""
	}
}

func TestHelpListsSubcommandsAndEveryVariable(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, envOf(nil), &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"serve", "migrate", "health"} {
		if !strings.Contains(out.String(), "  "+want) {
			t.Errorf("--help does not list the %s subcommand", want)
		}
	}
	for _, v := range envVars {
		if !strings.Contains(out.String(), v.name) {
			t.Errorf("--help does not list %s", v.name)
		}
	}
}

func TestUnknownSubcommandFails(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(context.Background(), []string{"frobnicate"}, envOf(nil), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "frobnicate") {
		t.Errorf("err = %v, want it to name the unknown command", err)
	}
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"serve needs a token", map[string]string{}, "TELEGRAM_TOKEN: required"},
		{"a token without a colon", map[string]string{"TELEGRAM_TOKEN": "nonsense"}, "TELEGRAM_TOKEN: does not look like"},
		{"a bad API URL", map[string]string{"TELEGRAM_TOKEN": "1:a", "TELEGRAM_API_URL": "ftp://x"}, "TELEGRAM_API_URL"},
		{"a bad database URL", map[string]string{"TELEGRAM_TOKEN": "1:a", "DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		{"a bad Redis URL", map[string]string{"TELEGRAM_TOKEN": "1:a", "REDIS_URL": "http://x"}, "REDIS_URL"},
		{"a webhook without a secret", map[string]string{"TELEGRAM_TOKEN": "1:a", "WEBHOOK_URL": "https://bot.example.org/hook"}, "WEBHOOK_SECRET"},
		{"a webhook without a path", map[string]string{"TELEGRAM_TOKEN": "1:a", "WEBHOOK_URL": "https://bot.example.org", "WEBHOOK_SECRET": "s"}, "WEBHOOK_URL: needs a path"},
		{"a bad log level", map[string]string{"TELEGRAM_TOKEN": "1:a", "LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"a bad sending margin", map[string]string{"TELEGRAM_TOKEN": "1:a", "SEND_RATE_MARGIN": "50"}, "SEND_RATE_MARGIN"},
	}
	for _, tt := range tests {
		_, err := loadConfig(envOf(tt.env), true)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

func TestConfigDefaultsAndSecretFiles(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("123:secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(envOf(map[string]string{"TELEGRAM_TOKEN_FILE": file}), true)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TelegramToken != "123:secret" || cfg.TelegramAPIURL != "https://api.telegram.org" || cfg.HTTPAddr != ":8080" ||
		cfg.Rates != store.DefaultRates {
		t.Errorf("config = %+v, want the token from the file and the defaults", cfg)
	}
}

func TestServeStopsAtABadCountyFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "counties.yaml")
	if err := os.WriteFile(file, []byte("counties:\n  - id: Bad Id!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(context.Background(), nil, envOf(map[string]string{"TELEGRAM_TOKEN": "1:a", "AGRICLINIC_COUNTIES": file}), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "AGRICLINIC_COUNTIES") || !strings.Contains(err.Error(), "counties.yaml:2") {
		t.Errorf("err = %v, want it to name the variable, the file and line 2", err)
	}
}
