// Command agriclinic runs AgriClinic, the county agriculture bureau's online
// sit-and-diagnose clinic on Telegram. See --help.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	// County time zones must load on any host, including a minimal container without
	// the system's zoneinfo.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile := profileCPU(os.Getenv("CPU_PROFILE"))
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stopProfile()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "agriclinic:", err)
		os.Exit(1)
	}
}

// profileCPU writes a CPU profile of the whole run to path, for go tool pprof, when path
// is set (CPU_PROFILE): the way to see where a running bot spends its time. It returns
// what ends the profile.
func profileCPU(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "agriclinic: CPU profile:", err)
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// errUsage marks a command line that --help explains.
var errUsage = errors.New("usage")

// run is the whole program; main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "-h", "--help", "help":
		usage(stdout)
		return nil
	case "serve":
		cfg, err := loadConfig(getenv, true)
		if err != nil {
			return fmt.Errorf("configuration:\n%w", err)
		}
		return serve(ctx, cfg, newLogger(cfg, stderr))
	case "demo":
		return demo(ctx, getenv, stdout, stderr)
	case "health":
		cfg, err := loadConfig(getenv, false)
		if err != nil {
			return fmt.Errorf("configuration:\n%w", err)
		}
		return checkHealth(ctx, cfg, stdout)
	case "migrate":
		cfg, err := loadConfig(getenv, false)
		if err != nil {
			return fmt.Errorf("configuration:\n%w", err)
		}
		return migrate(ctx, cfg, newLogger(cfg, stderr))
	}
	usage(stderr)
	return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `agriclinic — the county agriculture bureau's online sit-and-diagnose clinic on Telegram

Usage:
  agriclinic [command]

Commands:
  serve     run the bot (default): migrate the archive, load the county file, take updates
`)
	fmt.Fprint(w, demoHelp) // this build's: -tags nodemo leaves the demo out
	fmt.Fprint(w, `  migrate   apply database migrations and exit
  health    ask the running server's /healthz (for container health checks)
  help      show this help

Environment:
`)
	for _, v := range envVars {
		def := ""
		if v.def != "" {
			def = " (default " + v.def + ")"
		}
		fmt.Fprintf(w, "  %-20s %s%s\n", v.name, v.help, def)
	}
	fmt.Fprintln(w, "\nAny variable may also come from a file that NAME_FILE names (serve and demo alike), e.g. TELEGRAM_TOKEN_FILE,\nDATABASE_URL_FILE, WEBHOOK_SECRET_FILE.")
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" || (cfg.LogFormat == "auto" && !isTerminal(w)) {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// isTerminal reports whether w is a terminal: people read text logs, machines JSON.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
