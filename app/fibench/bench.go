package fibench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/pgembed"
	"github.com/aidantsconnect/ac/store"
	"github.com/jackc/pgx/v5"
)

// Options is what Bench measures.
type Options struct {
	Settings  []string // "test" (fsync, synchronous_commit, full_page_writes off: the test suite's) and/or "durable" (PostgreSQL's defaults)
	Instances []int    // how many App processes on the one PostgreSQL
	Clients   []int    // the levels of concurrency
	Duration  time.Duration
	Aidants   int // sessions seeded (at least the highest level)
	Pool      int // AC_DB_POOL of each instance (0: the App's default)
	Procs     int // GOMAXPROCS of each instance (0: Go's default, the machine's cores)
	// Scale is how many usagers store.SeedScale adds first (with their organisations, aidants,
	// mandats and autorisations; 0: none): statements are planned on tables of a real size,
	// not on the bench's handful of rows.
	Scale  int
	Binary string // the ac binary the instances run
	Out    io.Writer
}

// Bench is `ac bench-fi`: for each setting a fresh PostgreSQL cluster (pgembed), a world
// seeded in it, then for each number of instances that many `ac serve` processes on it and
// the levels of concurrency driven from this process (the load generator is not in the
// servers' processes). Each level prints its logins/s, latencies, the load average, and the
// CPU time per login of the App's processes and of PostgreSQL's (the postmaster, its live
// backends, and those it reaped: /proc's utime+stime, cutime+cstime).
func Bench(ctx context.Context, o Options) error {
	for _, setting := range o.Settings {
		if setting != "test" && setting != "durable" {
			return fmt.Errorf("setting %q: test or durable", setting)
		}
		if err := benchSetting(ctx, o, setting); err != nil {
			return err
		}
	}
	return nil
}

func benchSetting(ctx context.Context, o Options, setting string) error {
	dir, err := os.MkdirTemp("", "ac-bench-fi-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil { // PostgreSQL runs as postgres when we are root
		return err
	}
	pg, err := pgembed.Start(ctx, pgembed.Options{DataDir: filepath.Join(dir, "pg"), Ephemeral: setting == "test",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	defer pg.Stop()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	env := map[string]string{"DATABASE_URL": pg.DSN(), "AC_MODE": "dev", "AC_SECRET_KEY": hex.EncodeToString(key)}
	if o.Pool > 0 {
		env["AC_DB_POOL"] = strconv.Itoa(o.Pool)
	}
	cfg, err := app.Load(func(k string) string { return env[k] })
	if err != nil {
		return err
	}
	cfg.SkipSeed = true
	a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	if o.Scale > 0 {
		if _, err := a.Store.SeedScale(ctx, store.ScaleOptions{Usagers: o.Scale, Seed: 15}); err != nil {
			a.Close()
			return err
		}
	}
	w, err := Seed(ctx, a, o.Aidants)
	a.Close()
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "== PostgreSQL at %s settings (%s), pool %s per instance, GOMAXPROCS %s per instance, %d aidants, %d usagers of scale data\n",
		setting, settingsText(setting), countText(o.Pool, strconv.Itoa(app.DefaultDBPool)), countText(o.Procs, "default"), o.Aidants, o.Scale)
	for _, n := range o.Instances {
		if err := benchInstances(ctx, o, env, pg.Pid(), w, n); err != nil {
			return err
		}
	}
	return nil
}

func settingsText(s string) string {
	if s == "test" {
		return "fsync=off synchronous_commit=off full_page_writes=off"
	}
	return "fsync=on synchronous_commit=on full_page_writes=on"
}

// countText is n, or what 0 stands for.
func countText(n int, zero string) string {
	if n <= 0 {
		return zero
	}
	return strconv.Itoa(n)
}

func benchInstances(ctx context.Context, o Options, env map[string]string, pgPid int, w *World, n int) error {
	var bases []string
	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			_ = p.Process.Signal(syscall.SIGTERM)
			_ = p.Wait()
		}
	}()
	for range n {
		port, err := freePort()
		if err != nil {
			return err
		}
		base := "http://127.0.0.1:" + strconv.Itoa(port)
		cmd := exec.CommandContext(ctx, o.Binary, "serve")
		cmd.Env = os.Environ()
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Env = append(cmd.Env, "AC_ADDR=127.0.0.1:"+strconv.Itoa(port), "AC_BASE_URL="+base, "AC_SEED=0")
		if o.Procs > 0 {
			cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(o.Procs))
		}
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		if err := cmd.Start(); err != nil {
			return err
		}
		procs = append(procs, cmd)
		if err := waitHealthy(ctx, base); err != nil {
			return err
		}
		bases = append(bases, base)
	}
	conn, err := pgx.Connect(ctx, env["DATABASE_URL"])
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	// Warm-up, not measured: each instance's connections prepare their statements, its
	// River leader runs the periodic jobs due at start (the statistics' recount over the
	// scale data, the digests), and the measure begins once no job is running.
	if _, err := Run(ctx, bases, w, o.Clients[len(o.Clients)-1], warmUp, 0); err != nil {
		return err
	}
	if err := waitJobsIdle(ctx, conn); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "-- %d instance(s)\n", n)
	for _, clients := range o.Clients {
		appBefore, pgBefore := 0.0, pgCPU(pgPid)
		for _, p := range procs {
			appBefore += procCPU(p.Process.Pid, false)
		}
		load := loadAvg()
		syncs := walSyncs(ctx, conn)
		l, err := Run(ctx, bases, w, clients, o.Duration, 0)
		if err != nil {
			return err
		}
		syncs = walSyncs(ctx, conn) - syncs
		appCPU, pgUsed := -appBefore, pgCPU(pgPid)-pgBefore
		for _, p := range procs {
			appCPU += procCPU(p.Process.Pid, false)
		}
		per := func(s float64) string {
			if l.Logins == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f ms", 1000*s/float64(l.Logins))
		}
		flushes := "-"
		if l.Logins > 0 {
			flushes = fmt.Sprintf("%.2f", float64(syncs)/float64(l.Logins))
		}
		fmt.Fprintf(o.Out, "%s, App %s, PostgreSQL %s; WAL flushes per login %s; load average %s → %s\n", l, per(appCPU), per(pgUsed), flushes, load, loadAvg())
	}
	return nil
}

// warmUp is how long the logins run before the levels are measured.
const warmUp = 3 * time.Second

// waitJobsIdle waits until no River job is running or due (at most a minute).
func waitJobsIdle(ctx context.Context, conn *pgx.Conn) error {
	deadline := time.Now().Add(time.Minute)
	for {
		var running int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE state IN ('available', 'running') AND scheduled_at <= now()").Scan(&running); err != nil {
			return err
		}
		if running == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: %d jobs still running after a minute", running)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitHealthy polls /healthz until the instance answers (it migrates nothing: the seed did).
func waitHealthy(ctx context.Context, base string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not become healthy", base)
}

// clockTicks is Linux's USER_HZ, the unit of /proc's CPU times (100 on every platform Go
// supports for Linux).
const clockTicks = 100

// procCPU is a process's CPU seconds (user + system), with its reaped children's when
// children is set; 0 when it cannot be read.
func procCPU(pid int, children bool) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	// The command may hold spaces and parentheses: fields start after the last ')'.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 15 {
		return 0
	}
	n := 2 // utime, stime are fields 14 and 15: f[11], f[12]
	if children {
		n = 4 // cutime, cstime: f[13], f[14]
	}
	t := 0.0
	for i := range n {
		v, _ := strconv.ParseFloat(f[11+i], 64)
		t += v
	}
	return t / clockTicks
}

// pgCPU is PostgreSQL's CPU seconds: the postmaster with the backends it reaped, and its live
// children.
func pgCPU(postmaster int) float64 {
	t := procCPU(postmaster, true)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(postmaster) {
			t += procCPU(pid, false)
		}
	}
	return t
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// walSyncs is how many times PostgreSQL has flushed its WAL to disk (pg_stat_wal.wal_sync,
// counted only when fsync is on: 0 at the test settings). A synchronous commit waits for one
// (concurrent commits may share it); an asynchronous one leaves it to the WAL writer.
func walSyncs(ctx context.Context, conn *pgx.Conn) int64 {
	var n int64
	if err := conn.QueryRow(ctx, "SELECT wal_sync FROM pg_stat_wal").Scan(&n); err != nil {
		return 0
	}
	return n
}
