//go:build !nodemo

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errNoPostgres says that no PostgreSQL is installed; its text is what the user reads.
var errNoPostgres = errors.New(`no PostgreSQL found (initdb and pg_ctl): install it (sudo apt-get install postgresql), ` +
	`or point DATABASE_URL at a running server, or run the whole stack with "docker compose up -d" (see README)`)

// privatePostgres is the demo's own PostgreSQL cluster: made with the machine's initdb in
// a folder of the user's data directory the first time, started with pg_ctl on a free
// port, stopped when the demo ends and reused by the next start.
//
// PostgreSQL refuses to run as root. As root (containers, CI) the cluster belongs to the
// "postgres" account that Debian's package creates: initdb and pg_ctl run with its user
// and group ids (set on the child process, no sudo or runuser needed), and the folder is
// owned by it. Root's home is usually closed to other users, so as root the folder is
// /var/lib/agriclinic/demo-pg unless XDG_DATA_HOME names one the postgres user can reach.
type privatePostgres struct {
	bin  string // the folder of initdb and pg_ctl
	dir  string // the data folder
	port int
	as   *syscall.Credential // nil: run as ourselves
	log  *slog.Logger
}

// postgresBinDirs are where PostgreSQL's programs are looked for after PATH: Debian and
// Ubuntu, RHEL's PGDG packages, source builds, Homebrew.
var postgresBinDirs = []string{
	"/usr/lib/postgresql/*/bin",
	"/usr/pgsql-*/bin",
	"/usr/local/pgsql/bin",
	"/opt/homebrew/opt/postgresql*/bin",
	"/usr/local/opt/postgresql*/bin",
}

// findPostgresBin finds the folder holding initdb and pg_ctl: PATH first, then the usual
// install folders, the newest version first.
func findPostgresBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	for _, pattern := range postgresBinDirs {
		dirs, _ := filepath.Glob(pattern)
		slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
		for _, dir := range dirs {
			if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
				return dir, nil
			}
		}
	}
	return "", errNoPostgres
}

// versionOf reads the major version from a folder like /usr/lib/postgresql/15/bin.
func versionOf(dir string) int {
	for _, part := range strings.FieldsFunc(dir, func(r rune) bool { return r < '0' || r > '9' }) {
		if n, err := strconv.Atoi(part); err == nil {
			return n
		}
	}
	return 0
}

// demoDataDir is where the demo keeps its cluster: $XDG_DATA_HOME/agriclinic/demo-pg,
// else ~/.local/share/agriclinic/demo-pg (see privatePostgres for root).
func demoDataDir(getenv func(string) string, asRoot bool) (string, error) {
	base := getenv("XDG_DATA_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("demo Postgres: no home folder for its data (set XDG_DATA_HOME): %w", err)
		}
		base = filepath.Join(home, ".local", "share")
	}
	dir := filepath.Join(base, "agriclinic", "demo-pg")
	if asRoot && !reachableByOthers(filepath.Dir(dir)) {
		dir = "/var/lib/agriclinic/demo-pg"
	}
	return dir, nil
}

// reachableByOthers reports whether every existing folder on the way to dir lets other
// users through (the execute bit for others), as the postgres user needs.
func reachableByOthers(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		if st, err := os.Stat(d); err == nil && st.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// startPrivatePostgres makes the cluster if it is not there yet and starts it.
func startPrivatePostgres(ctx context.Context, getenv func(string) string, log *slog.Logger) (*privatePostgres, error) {
	bin, err := findPostgresBin()
	if err != nil {
		return nil, err
	}
	pg := &privatePostgres{bin: bin, log: log}
	asRoot := os.Geteuid() == 0
	if asRoot {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.New(`demo Postgres: running as root, and PostgreSQL refuses to run as root; ` +
				`there is no "postgres" user to run it as (apt-get install postgresql makes one), or set DATABASE_URL`)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		pg.as = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if pg.dir, err = demoDataDir(getenv, asRoot); err != nil {
		return nil, err
	}
	if err := pg.initialise(ctx); err != nil {
		return nil, err
	}
	if err := pg.start(ctx); err != nil {
		return nil, err
	}
	return pg, nil
}

// URL is the DATABASE_URL of the cluster's agriclinic database (created at first use).
func (pg *privatePostgres) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/agriclinic?sslmode=disable", pg.port)
}

// initialise runs initdb unless the folder already holds a cluster.
func (pg *privatePostgres) initialise(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(pg.dir, "PG_VERSION")); err == nil {
		return nil
	}
	// The folders above must let the postgres user through; the cluster's own is private.
	if err := os.MkdirAll(filepath.Dir(pg.dir), 0o755); err != nil {
		return fmt.Errorf("demo Postgres: %w", err)
	}
	if err := os.Mkdir(pg.dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("demo Postgres: %w", err)
	}
	if pg.as != nil {
		if err := os.Chown(pg.dir, int(pg.as.Uid), int(pg.as.Gid)); err != nil {
			return fmt.Errorf("demo Postgres: give %s to the postgres user: %w", pg.dir, err)
		}
	}
	// Trust on a cluster that listens on 127.0.0.1 only and on a socket in its own
	// folder: a demo of one user on one machine.
	pg.log.Info("creating the demo's Postgres cluster (once)", "dir", pg.dir)
	_, err := pg.run(ctx, "initdb", "-D", pg.dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync")
	return err
}

// start starts the cluster on a free port, or finds it already running (a demo that was
// killed) and uses it.
func (pg *privatePostgres) start(ctx context.Context) error {
	if port, ok := pg.runningPort(ctx); ok {
		pg.port = port
		pg.log.Info("the demo's Postgres is already running", "port", port)
		return nil
	}
	port, err := freePort()
	if err != nil {
		return fmt.Errorf("demo Postgres: %w", err)
	}
	pg.port = port
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off", port, pg.dir)
	_, err = pg.run(ctx, "pg_ctl", "start", "-D", pg.dir, "-l", filepath.Join(pg.dir, "server.log"), "-w", "-t", "60", "-o", opts)
	return err
}

// runningPort reads the port of a server that runs on the folder already.
func (pg *privatePostgres) runningPort(ctx context.Context) (int, bool) {
	if _, err := pg.run(ctx, "pg_ctl", "status", "-D", pg.dir); err != nil {
		return 0, false
	}
	data, err := os.ReadFile(filepath.Join(pg.dir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) < 4 {
		return 0, false
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	return port, err == nil
}

// Stop stops the cluster, waiting for it; the folder stays for the next start.
func (pg *privatePostgres) Stop(ctx context.Context) error {
	_, err := pg.run(ctx, "pg_ctl", "stop", "-D", pg.dir, "-m", "fast", "-w", "-t", "30")
	return err
}

// run runs one of PostgreSQL's programs, as the postgres user when we are root, in a
// process group of its own so that the terminal's Ctrl-C reaches the demo, which stops
// the server after the bot, and not the server itself.
func (pg *privatePostgres) run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(pg.bin, name), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// The server's own output goes to its log (-l); should it keep our pipe open anyway,
	// stop waiting for it.
	cmd.WaitDelay = 5 * time.Second
	cmd.Dir = pg.dir
	if _, err := os.Stat(pg.dir); errors.Is(err, fs.ErrNotExist) {
		cmd.Dir = "/"
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: pg.as}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("demo Postgres: %s: %w: %s", name, err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
