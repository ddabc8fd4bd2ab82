// Package app is the composition root: it wires configuration, database, store, sessions,
// handlers and routes into one App.
package app

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/sessions"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/aidantsconnect/ac/app/fcsim"
	"github.com/aidantsconnect/ac/app/idp"
	"github.com/aidantsconnect/ac/app/mail"
	"github.com/aidantsconnect/ac/app/otp"
	"github.com/aidantsconnect/ac/app/pgembed"
	"github.com/aidantsconnect/ac/assets"
	"github.com/aidantsconnect/ac/handlers"
	"github.com/aidantsconnect/ac/store"
)

// App is the running service.
type App struct {
	Cfg      Config
	Log      *slog.Logger
	DB       *bun.DB
	Store    *store.Store
	Sessions *store.SessionStore
	Handlers *handlers.Handlers
	Fiber    *fiber.App

	pg     *pgembed.Server
	mailer *mail.Sender     // production only: dev and sandbox keep mail in the outbox
	fcsim  *fcsim.Simulator // dev and sandbox only

	idp      *idp.Provider // our FranceConnect identity provider (we are FI)
	idpPages *handlers.IdP // its aidant pages

	ownerDSN string // the owner role's, when it is not the serving role's ("" otherwise)
	sealer   *store.Sealer

	referentPages *handlers.Referent // the espace référent, with the TOTP rules it persists

	usagerPages  *handlers.EspaceUsager // the usager's own space (we are FS, for the usager)
	staffPages   *handlers.Staff        // the national team's back-office
	habPages     *handlers.Habilitation // the public habilitation form
	sandboxPages *handlers.Sandbox      // the bac à sable's sign-up and trainees' outboxes (dev and sandbox)

	metrics *metrics // served by ServeMetrics on AC_METRICS_ADDR
	jobs    *jobs    // the River client: email delivery and periodic work (Background)
	chainer *chainer // chains the journal's committed entries (runChainer, beside Serve)
}

// New opens (or starts) the database, migrates it, seeds demo data outside production, and
// builds the HTTP app. Close releases everything.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &App{Cfg: cfg, Log: log}
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()
	dsn, migrateDSN := cfg.DatabaseURL, cfg.MigrateDatabaseURL
	if dsn == "" {
		dir, err := filepath.Abs(filepath.Join(cfg.DataDir, "postgres"))
		if err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		log.Info("starting embedded PostgreSQL", "dir", dir)
		a.pg, err = pgembed.Start(ctx, pgembed.Options{DataDir: dir, Log: log})
		if err != nil {
			return nil, err
		}
		if dsn, migrateDSN, err = embeddedRoles(ctx, a.pg); err != nil {
			return nil, err
		}
	}
	db, err := openPool(dsn, cfg.DBPool, cfg.DBConn)
	if err != nil {
		return nil, err
	}
	a.DB = db
	if err := db.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("database unreachable: %w", err)
	}
	sealer, err := store.NewSealer(cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	if err := a.migrate(ctx, migrateDSN, sealer); err != nil {
		return nil, err
	}
	a.ownerDSN, a.sealer = migrateDSN, sealer
	a.Store = store.New(db, cfg.Now, sealer)
	a.metrics = newMetrics(a)
	a.chainer = newChainer()
	a.Store.OnCommitted(func(action string) { a.metrics.committed(action); a.chainer.Kick() })
	a.Sessions = a.Store.NewSessionStore(store.DeriveKey(cfg.SecretKey, "aidants-connect/session/v1"), sessions.Options{
		Path: "/", MaxAge: int(cfg.SessionTTL.Seconds()), HttpOnly: true, Secure: cfg.Secure(), SameSite: http.SameSiteLaxMode,
	})
	if cfg.Dev() {
		if err := assets.Verify(); err != nil {
			log.Warn("embedded assets", "err", err)
		}
	}
	if cfg.Dev() && !cfg.SkipSeed {
		if err := SeedDemo(ctx, a.Store); err != nil {
			return nil, err
		}
		if !cfg.SkipPractice {
			if err := SeedPractice(ctx, a.Store); err != nil {
				return nil, err
			}
		}
	}
	fcClient, sim, err := franceConnect(cfg)
	if err != nil {
		return nil, err
	}
	a.fcsim = sim
	send := cfg.DeliverEmail
	if !cfg.Dev() {
		if a.mailer, err = mail.New(cfg.SMTPURL, cfg.MailFrom, a.Store, log); err != nil {
			return nil, err
		}
		send = a.mailer.Send
	}
	prox, err := parseProxies(cfg.ProxyHeader, cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return nil, fmt.Errorf("time zone: %w", err)
	}
	a.Handlers = &handlers.Handlers{
		Loc: paris, FC: fcAdapter{fcClient},
		Store: a.Store, Sessions: a.Sessions, Verify: otp.StoreVerify, Log: log,
		Mode: string(cfg.Mode), BaseURL: cfg.BaseURL, ActivityTimeout: cfg.ActivityTimeout,
		LoginRateLimit: cfg.LoginRateLimit, LoginRateWindow: cfg.LoginRateWindow, SecureCookies: cfg.Secure(),
		LoginAccountLimit: cmp.Or(cfg.LoginAccountLimit, 10), ClientIP: prox.clientIP,
	}
	// Our FranceConnect identity provider and its aidant pages.
	if a.idp, err = idp.New(ctx, idp.Config{Issuer: cfg.BaseURL, Store: a.Store, Clients: cfg.IdPClients}); err != nil {
		return nil, err
	}
	if err := a.newJobs(dsn, send); err != nil {
		return nil, err
	}
	a.idpPages = &handlers.IdP{Handlers: a.Handlers, Provider: a.idp}
	a.referentPages = &handlers.Referent{Handlers: a.Handlers, OTP: otp.StoreRules(), ManualKey: otp.Base32,
		EnrolURI: func(secret []byte, account string) string {
			return otp.ProvisioningURI(secret, otp.Issuer, account, otp.AppStep)
		}}
	a.staffPages = &handlers.Staff{Handlers: a.Handlers}
	a.habPages = habilitationPages(cfg, a.Handlers)
	a.sandboxPages = &handlers.Sandbox{Handlers: a.Handlers, Trainees: trainees{a}}
	// The usager's own space: the FS client with the space's redirect URIs, and a session
	// store of its own (another cookie, scoped to the space, short-lived).
	if a.usagerPages, err = espaceUsager(cfg, a.Handlers, a.Store); err != nil {
		return nil, err
	}
	// The demo service site (dev and sandbox): the simulator's broker is a client of our FI.
	if a.fcsim != nil {
		if err := registerDemoBroker(ctx, a.Store, cfg, log); err != nil {
			return nil, err
		}
	}
	a.Fiber = fiber.New(fiber.Config{
		AppName:               "Aidants Connect",
		Immutable:             true, // fasthttp reuses buffers: values must outlive the handler safely
		DisableStartupMessage: true,
		ErrorHandler:          a.errorHandler,
		BodyLimit:             1 << 20,
		// The request line and headers must fit in this (FranceConnect's /authorize with its
		// claims, cookies): beyond it fasthttp stops reading and the answer is 431.
		ReadBufferSize: 8 << 10,
		ReadTimeout:    30 * time.Second,
		WriteTimeout:   30 * time.Second,
		IdleTimeout:    120 * time.Second,
		// The proxy header is believed only from AC_TRUSTED_PROXIES (none: from nobody), and
		// only as a valid address; the client address itself is proxies.clientIP's.
		ProxyHeader:             cfg.ProxyHeader,
		EnableTrustedProxyCheck: true,
		TrustedProxies:          cfg.TrustedProxies,
		EnableIPValidation:      true,
	})
	a.routes()
	a.metrics.knowRoutes(a.Fiber)
	ok = true
	return a, nil
}

func openDB(dsn string, tune ...func(*pgx.ConnConfig)) (*bun.DB, error) {
	return openPool(dsn, 0, tune...)
}

// openPool opens a pool of size connections (0: DefaultDBPool) talking as tuneConn says, then
// as tune says.
func openPool(dsn string, size int, tune ...func(*pgx.ConnConfig)) (*bun.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	tuneConn(cfg)
	for _, f := range tune {
		if f != nil {
			f(cfg)
		}
	}
	if size <= 0 {
		size = DefaultDBPool
	}
	sqldb := sql.OpenDB(stdlib.GetConnector(*cfg))
	sqldb.SetMaxOpenConns(size)
	sqldb.SetMaxIdleConns(size)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	return bun.NewDB(sqldb, pgdialect.New()), nil
}

// Serve accepts connections on ln until ctx is cancelled, then shuts down gracefully.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- a.Fiber.Listener(ln) }()
	chainCtx, stopChainer := context.WithCancel(ctx)
	chained := make(chan struct{})
	if a.Cfg.NoChainer {
		close(chained)
	} else {
		go a.runChainer(chainCtx, chained)
	}
	defer func() { stopChainer(); <-chained }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		err := a.Fiber.ShutdownWithTimeout(10 * time.Second)
		// The last requests have been answered: the journal's final state is chained and
		// gets its checkpoint.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		a.checkpoint(cctx)
		if err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
		return nil
	}
}

// checkpoint signs and stores the journal's state (entry count, last hash) if it moved since
// the last checkpoint: rows deleted after it would show in `journal verify`.
func (a *App) checkpoint(ctx context.Context) {
	if _, err := a.Store.WriteJournalCheckpoint(ctx); err != nil && ctx.Err() == nil {
		a.Log.Error("journal checkpoint", "err", err)
	}
}

// Close releases the database and stops the embedded Postgres, if any.
func (a *App) Close() error {
	var errs []error
	if a.jobs != nil {
		a.jobs.listen.Close()
	}
	if a.DB != nil {
		errs = append(errs, a.DB.Close())
	}
	if a.pg != nil {
		errs = append(errs, a.pg.Stop())
	}
	return errors.Join(errs...)
}

func (a *App) outboxRetention() time.Duration {
	if a.Cfg.OutboxRetention > 0 {
		return a.Cfg.OutboxRetention
	}
	return store.DefaultOutboxRetention
}
