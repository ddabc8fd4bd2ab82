// Command ac is Aidants Connect: one binary serving the whole service.
//
//	ac              serve (default): run the web service
//	ac migrate      apply database migrations and exit
//	ac seed         insert the demo data (dev and sandbox) and exit
//	ac seed --scale N   also add N synthetic usagers (~3 mandats each) over N/200 organisations
//	ac journal verify [checkpoints.json]   recompute the journal's keyed chain, check it against the signed checkpoints (and those of the file: copies an auditor kept)
//	ac client add|list|rotate-secret   FranceConnect-facing OpenID clients (`ac client` prints the usage)
//	ac staff add EMAIL   a staff account of the national team; prints its authenticator enrolment
//	ac sandbox reset     the bac à sable back to its seed: every trainee gone, the demo data as new (never in production)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // French dates on documents must not depend on the host having zoneinfo

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/idp"
	"github.com/aidantsconnect/ac/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "bench-rss" { // hidden: bench_rss.go
		if err := benchRSS(ctx, os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "aidants connect:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "aidants connect:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	cfg, err := app.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, out)
	slog.SetDefault(log) // zitadel's OpenID provider logs through the default logger
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	if cmd == "bench-fi" { // hidden: the FI throughput measure (bench.go)
		return benchFI(ctx, args[1:], getenv, out)
	}
	scale := 0
	switch cmd {
	case "serve", "migrate":
	case "seed":
		fs := flag.NewFlagSet("seed", flag.ContinueOnError)
		fs.SetOutput(out)
		fs.IntVar(&scale, "scale", 0, "add this many synthetic usagers (load tests, benchmarks)")
		if err := fs.Parse(args[1:]); err != nil {
			return fmt.Errorf("usage: ac seed [--scale N]: %w", err)
		}
		if scale < 0 {
			return errors.New("usage: ac seed [--scale N], N > 0")
		}
	case "client": // the identity provider's clients; arguments checked by idp.ClientCommand
	case "staff": // staff accounts; arguments checked by staffCommand
	case "sandbox":
		if len(args) != 2 || args[1] != "reset" {
			return errors.New("usage: ac sandbox reset")
		}
		if !cfg.Dev() {
			return app.ErrNotSandbox // before anything touches the database
		}
	case "journal":
		if len(args) < 2 || args[1] != "verify" || len(args) > 3 {
			return errors.New("usage: ac journal verify [checkpoints.json]")
		}
	default:
		return fmt.Errorf("unknown command %q (serve, migrate, seed, journal verify, client, staff, sandbox reset)", cmd)
	}
	if cmd != "serve" {
		cfg.SkipSeed = cmd != "seed"
	}
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := a.Close(); err != nil {
			log.Error("close", "err", err)
		}
	}()
	switch cmd {
	case "migrate":
		fmt.Fprintln(out, "migrations à jour")
		return nil
	case "seed":
		if !cfg.Dev() {
			return errors.New("seed refuses to insert demo data in production mode")
		}
		fmt.Fprintln(out, "données de démonstration en place")
		if scale > 0 {
			owner, release, err := a.OwnerStore()
			if err != nil {
				return err
			}
			defer release()
			rep, err := owner.SeedScale(ctx, store.ScaleOptions{Usagers: scale, Progress: out})
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "données de volume ajoutées en %s : %d organisations, %d usagers, %d mandats, %d autorisations (hors journal) ; "+
				"aidant de la plus grande organisation : %s (code %s)\n", rep.Elapsed.Truncate(time.Second), rep.Organisations, rep.Usagers,
				rep.Mandats, rep.Autorisations, rep.SampleAidantEmail, app.DemoCode)
		}
		return nil
	case "client":
		return idp.ClientCommand(ctx, a.Store, args[1:], os.Stdin, out)
	case "journal":
		return verifyJournal(ctx, a.Store, args[2:], out)
	case "staff":
		return staffCommand(ctx, a.Store, args[1:], out)
	case "sandbox":
		n, err := a.ResetSandbox(ctx, store.SandboxPurge{AllTrainees: true, Demo: true})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "bac à sable remis à zéro : %d organisations, %d comptes et %d mandats effacés, %d entrées du journal retirées (%d re-chaînées) ; données de démonstration restaurées\n",
			n.Organisations, n.Aidants, n.Mandats, n.JournalRows, n.Relinked)
		return nil
	}
	setDefaultMemoryLimit(getenv, log)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	if cfg.Dev() {
		fmt.Fprintf(out, "Aidants Connect (%s) : ouvrez %s/accounts/login/ et connectez-vous avec %s et le code %s ; le lien de connexion arrive sur %s/dev/emails/\n",
			cfg.Mode, cfg.BaseURL, app.DemoAidantEmail, app.DemoCode, cfg.BaseURL)
	} else {
		log.Info("listening", "addr", cfg.Addr, "base_url", cfg.BaseURL)
	}
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on %s (AC_METRICS_ADDR): %w", cfg.MetricsAddr, err)
		}
		go func() {
			if err := a.ServeMetrics(ctx, mln); err != nil {
				log.Error("metrics listener", "err", err)
			}
		}()
	}
	go a.Background(ctx)
	return a.Serve(ctx, ln)
}

func newLogger(cfg app.Config, out io.Writer) *slog.Logger {
	if cfg.Mode == app.ModeProduction {
		return slog.New(slog.NewJSONHandler(out, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
