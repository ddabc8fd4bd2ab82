package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/fibench"
)

// benchFI is the hidden `ac bench-fi` (BENCHMARKS.md § Throughput; `task bench-fi`):
//
//	ac bench-fi [--settings test,durable] [--instances 1,2] [--clients 1,8,32,64] [--duration 5s] [--pool N] [--procs N] [--scale 20000]
//	    the whole measure: for each setting a fresh PostgreSQL, a seeded world, then that many
//	    `ac serve` processes on it, the load driven from this process
//	ac bench-fi seed [--aidants 64] --world FILE
//	    seed a world in the database of the environment (dev or sandbox), saved to FILE
//	ac bench-fi run --url URL[,URL] --world FILE [--clients 1,8,32,64] [--duration 5s | --logins N]
//	    drive FI logins against servers started separately, on that database
func benchFI(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	sub := "all"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("bench-fi "+sub, flag.ContinueOnError)
	fs.SetOutput(out)
	settings := fs.String("settings", "test,durable", "PostgreSQL settings: test (fsync, synchronous_commit, full_page_writes off), durable")
	instances := fs.String("instances", "1,2", "numbers of App instances on the one PostgreSQL")
	clients := fs.String("clients", "1,8,32,64", "levels of concurrent clients")
	duration := fs.Duration("duration", 5*time.Second, "how long each level runs")
	logins := fs.Int("logins", 0, "run: logins per level instead of a duration")
	pool := fs.Int("pool", 0, "AC_DB_POOL of each instance (0: the App's default)")
	procs := fs.Int("procs", 0, "GOMAXPROCS of each instance (0: Go's default)")
	scale := fs.Int("scale", 20000, "usagers of scale data seeded first, with their organisations, aidants, mandats (0: none)")
	aidants := fs.Int("aidants", 64, "aidants seeded, one session each")
	world := fs.String("world", "", "the world file (seed writes it, run reads it)")
	urls := fs.String("url", "", "run: the servers' base URLs, comma-separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	levels, err := ints(*clients)
	if err != nil {
		return err
	}
	switch sub {
	case "all":
		ns, err := ints(*instances)
		if err != nil {
			return err
		}
		bin, err := os.Executable()
		if err != nil {
			return err
		}
		if *aidants < levels[len(levels)-1] {
			*aidants = levels[len(levels)-1]
		}
		return fibench.Bench(ctx, fibench.Options{Settings: strings.Split(*settings, ","), Instances: ns, Clients: levels,
			Duration: *duration, Aidants: *aidants, Pool: *pool, Procs: *procs, Scale: *scale, Binary: bin, Out: out})
	case "seed":
		if *world == "" {
			return errors.New("usage: ac bench-fi seed [--aidants N] --world FILE")
		}
		cfg, err := app.Load(getenv)
		if err != nil {
			return err
		}
		if !cfg.Dev() {
			return errors.New("bench-fi seed writes demo accounts: dev or sandbox only")
		}
		cfg.SkipSeed = true
		a, err := app.New(ctx, cfg, newLogger(cfg, out))
		if err != nil {
			return err
		}
		defer a.Close()
		w, err := fibench.Seed(ctx, a, *aidants)
		if err != nil {
			return err
		}
		return w.WriteFile(*world)
	case "run":
		if *world == "" || *urls == "" {
			return errors.New("usage: ac bench-fi run --url URL[,URL] --world FILE [--clients 1,8,32,64] [--duration 5s | --logins N]")
		}
		w, err := fibench.ReadWorld(*world)
		if err != nil {
			return err
		}
		for _, c := range levels {
			l, err := fibench.Run(ctx, strings.Split(*urls, ","), w, c, *duration, *logins)
			if err != nil {
				return err
			}
			fmt.Fprintln(out, l)
		}
		return nil
	}
	return fmt.Errorf("unknown bench-fi command %q (seed, run, or none)", sub)
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q: expected positive numbers, comma-separated", s)
		}
		out = append(out, n)
	}
	return out, nil
}
