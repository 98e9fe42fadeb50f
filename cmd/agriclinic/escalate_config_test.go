package main

import (
	"strings"
	"testing"
	"time"
)

func TestEscalationAndDigestSettings(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(envOf(map[string]string{"TELEGRAM_TOKEN": "1:a"}), true)
	if err != nil || cfg.SLAEscalate != 2*time.Hour || cfg.DigestTime != "08:00" {
		t.Errorf("defaults: SLA_ESCALATE %v, DIGEST_TIME %q, %v; want 2h and 08:00", cfg.SLAEscalate, cfg.DigestTime, err)
	}
	for _, tt := range []struct{ name, value string }{
		{"SLA_ESCALATE", "soon"},
		{"SLA_ESCALATE", "0s"},
		{"DIGEST_TIME", "8am"},
		{"DIGEST_TIME", "24:00"},
	} {
		_, err := loadConfig(envOf(map[string]string{"TELEGRAM_TOKEN": "1:a", tt.name: tt.value}), true)
		if err == nil || !strings.Contains(err.Error(), tt.name+":") {
			t.Errorf("%s=%q: err = %v, want it to name the variable", tt.name, tt.value, err)
		}
	}
}
