package app

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aidantsconnect/ac/store"
	"github.com/jackc/pgx/v5"
)

// Mode is how the binary runs: dev (default), sandbox (bac à sable) or production.
type Mode string

const (
	ModeDev        Mode = "dev"
	ModeSandbox    Mode = "sandbox"
	ModeProduction Mode = "production"
)

// devSecret is the well-known development key. Sandbox and production refuse it.
const devSecret = "dev-only-secret-key-do-not-use-in-production-0000000000000000"

// Config is everything the app reads from its environment.
type Config struct {
	Mode Mode
	Addr string // AC_ADDR
	// MetricsAddr (AC_METRICS_ADDR, off when empty) is where Prometheus scrapes /metrics: a
	// listener of its own, to keep off the public network.
	MetricsAddr string
	// DeliverEmail, when set (tests: outgoing mail is faked), delivers the outbox through the
	// job queue in any mode; production delivers over AC_SMTP_URL.
	DeliverEmail func(store.Email) error
	BaseURL      string // AC_BASE_URL, no trailing slash
	DatabaseURL  string // DATABASE_URL; empty → embedded Postgres under DataDir
	DataDir      string // AC_DATA_DIR
	SecretKey    []byte // AC_SECRET_KEY (hex or ≥ 32 characters)
	SMTPURL      string // AC_SMTP_URL, production mail (smtp://user:pass@host:port)
	MailFrom     string // AC_MAIL_FROM
	ProxyHeader  string // AC_PROXY_HEADER: header carrying the client IP behind a trusted proxy (e.g. X-Forwarded-For)
	// TrustedProxies (AC_TRUSTED_PROXIES: CIDRs or addresses) are the reverse proxies whose
	// ProxyHeader is believed; from any other peer the header is ignored.
	TrustedProxies []string

	// MigrateDatabaseURL (AC_MIGRATE_DATABASE_URL) reaches the same database as the owner
	// role, which runs the migrations and grants DATABASE_URL's role what serving needs.
	// Empty: DATABASE_URL migrates, when its role may (one role for everything, dev only).
	MigrateDatabaseURL string

	// OutboxRetention is how long the outbox remembers a message (AC_OUTBOX_RETENTION; 0 →
	// store.DefaultOutboxRetention, 30 days). Bodies go at delivery; this is the rest.
	OutboxRetention time.Duration

	// FranceConnect, where the usager identifies when a mandat is created (we are FS).
	// In dev and sandbox they default to the built-in simulator.
	FCIssuer       string // AC_FC_ISSUER
	FCClientID     string // AC_FC_CLIENT_ID
	FCClientSecret string // AC_FC_CLIENT_SECRET

	// The SIRENE directory the habilitation form looks SIRETs up in: the INSEE API with this
	// integration key (AC_INSEE_TOKEN; AC_INSEE_URL overrides the API's address). Without a
	// key, dev and sandbox use the built-in fictitious directory.
	INSEEToken string
	INSEEURL   string

	// Our FranceConnect identity provider: clients registered at start (see idp.ClientSpec).
	IdPClients string // AC_IDP_CLIENTS, JSON list

	SessionTTL time.Duration
	// ActivityTimeout (AC_ACTIVITY_TIMEOUT) is how long an aidant may stay without activity
	// before a code is asked again (the activity check), and for the FI how old the last code
	// may be. Production refuses more than MaxActivityTimeout, the security rule.
	ActivityTimeout time.Duration
	LoginRateLimit  int // login attempts per IP per window
	LoginRateWindow time.Duration
	Now             func() time.Time // the clock; tests inject one
	SkipSeed        bool             // AC_SEED=0: do not insert demo data in dev/sandbox
	// SkipPractice leaves out the demo aidant's practice mandats (SeedPractice): browser tests
	// start from the demo accounts alone, so that each journey makes the mandats it checks.
	SkipPractice bool

	// LoginAccountLimit bounds the attempts on one email per LoginRateWindow, from all IPs
	// together (0 → 10): past it they get the generic refusal, the code unchecked.
	LoginAccountLimit int

	// DBPool is the serving pool's size (AC_DB_POOL; 0 → DefaultDBPool).
	DBPool int

	// SandboxTraineeTTL (AC_SANDBOX_TRAINEE_TTL; default store.TraineeTTL, 30 days) is how long
	// a trainee's practice organisation, accounts and data live on the bac à sable.
	SandboxTraineeTTL time.Duration

	// DBConn, when set, adjusts the serving pool's pgx connection configuration before it is
	// opened (tests: a tracer, a counting dialer).
	DBConn func(*pgx.ConnConfig)
	// NoChainer, in tests that count one request's statements, keeps the journal's chainer
	// (runChainer) from running beside Serve: entries stay unchained until the test chains
	// them (store.ChainJournal; VerifyJournal does first).
	NoChainer bool
}

// DefaultActivityTimeout and MaxActivityTimeout bound AC_ACTIVITY_TIMEOUT: 15 minutes is the
// security rule (PRODUCT.md, "activity check"); dev and sandbox may set more, never production.
const (
	DefaultActivityTimeout = 15 * time.Minute
	MaxActivityTimeout     = 15 * time.Minute
)

// Load reads the configuration from getenv, with dev defaults, and refuses unsafe production settings.
func Load(getenv func(string) string) (Config, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Mode:            Mode(get("AC_MODE", string(ModeDev))),
		Addr:            get("AC_ADDR", "127.0.0.1:8080"),
		MetricsAddr:     get("AC_METRICS_ADDR", ""),
		DatabaseURL:     get("DATABASE_URL", ""),
		DataDir:         get("AC_DATA_DIR", "./.data"),
		SMTPURL:         get("AC_SMTP_URL", ""),
		ProxyHeader:     get("AC_PROXY_HEADER", ""),
		MailFrom:        get("AC_MAIL_FROM", "Aidants Connect <nepasrepondre@aidantsconnect.beta.gouv.fr>"),
		SessionTTL:      24 * time.Hour,
		ActivityTimeout: DefaultActivityTimeout,
		LoginRateLimit:  30,
		LoginRateWindow: 10 * time.Minute,
		SkipSeed:        get("AC_SEED", "1") == "0",
	}
	c.MigrateDatabaseURL = get("AC_MIGRATE_DATABASE_URL", "")
	c.FCIssuer = strings.TrimRight(get("AC_FC_ISSUER", ""), "/")
	c.FCClientID = get("AC_FC_CLIENT_ID", "")
	c.FCClientSecret = get("AC_FC_CLIENT_SECRET", "")
	c.IdPClients = get("AC_IDP_CLIENTS", "")
	c.INSEEToken = get("AC_INSEE_TOKEN", "")
	c.INSEEURL = get("AC_INSEE_URL", "")
	for _, p := range strings.FieldsFunc(getenv("AC_TRUSTED_PROXIES"), func(r rune) bool { return r == ',' || r == ' ' }) {
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	if _, err := parseProxies(c.ProxyHeader, c.TrustedProxies); err != nil {
		return c, err
	}
	switch {
	case len(c.TrustedProxies) > 0 && c.ProxyHeader == "":
		c.ProxyHeader = "X-Forwarded-For"
	case len(c.TrustedProxies) == 0 && c.ProxyHeader != "":
		// Believed from any peer, the header would let every client choose its address and
		// walk past the login limits.
		return c, errors.New("AC_PROXY_HEADER needs AC_TRUSTED_PROXIES: the addresses (CIDR) of the reverse proxies allowed to set it")
	}
	if v := get("AC_DB_POOL", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return c, fmt.Errorf("AC_DB_POOL=%q: expected a number of connections from 1 to 200", v)
		}
		c.DBPool = n
	}
	if v := get("AC_OUTBOX_RETENTION", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("AC_OUTBOX_RETENTION=%q: expected a positive duration such as 720h", v)
		}
		c.OutboxRetention = d
	}
	c.SandboxTraineeTTL = store.TraineeTTL
	if v := get("AC_SANDBOX_TRAINEE_TTL", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Hour {
			return c, fmt.Errorf("AC_SANDBOX_TRAINEE_TTL=%q: expected a duration of at least 1h, such as 720h (30 days)", v)
		}
		c.SandboxTraineeTTL = d
	}
	if v := get("AC_ACTIVITY_TIMEOUT", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > c.SessionTTL {
			return c, fmt.Errorf("AC_ACTIVITY_TIMEOUT=%q: expected a duration from 1m to %s, such as 15m", v, c.SessionTTL)
		}
		if d > MaxActivityTimeout && c.Mode == ModeProduction {
			return c, fmt.Errorf("AC_ACTIVITY_TIMEOUT=%q: production asks for a code again after at most %s without activity", v, MaxActivityTimeout)
		}
		c.ActivityTimeout = d
	}
	switch c.Mode {
	case ModeDev, ModeSandbox, ModeProduction:
	default:
		return c, fmt.Errorf("AC_MODE=%q: expected dev, sandbox or production", c.Mode)
	}
	c.BaseURL = strings.TrimRight(get("AC_BASE_URL", "http://"+c.Addr), "/")
	if _, err := url.ParseRequestURI(c.BaseURL); err != nil {
		return c, fmt.Errorf("AC_BASE_URL %q is not a URL", c.BaseURL)
	}
	secret := get("AC_SECRET_KEY", "")
	if secret == "" && c.Mode == ModeDev {
		secret = devSecret
	}
	if b, err := hex.DecodeString(secret); err == nil && len(b) >= 32 {
		c.SecretKey = b
	} else {
		c.SecretKey = []byte(secret)
	}
	// The key is public in dev only: the sandbox runs on a real server with aidants' real
	// TOTP seeds, sealed and signed under it, so it refuses the dev key as production does.
	weakSecret := len(c.SecretKey) < 32 || secret == devSecret
	if c.Mode == ModeSandbox && weakSecret {
		return c, errors.New("sandbox mode refuses to start without AC_SECRET_KEY (at least 32 random bytes, e.g. `openssl rand -hex 32`; the dev key is public)")
	}
	if c.Mode == ModeProduction {
		var missing []string
		if c.DatabaseURL == "" {
			missing = append(missing, "DATABASE_URL")
		}
		if getenv("AC_BASE_URL") == "" || !strings.HasPrefix(c.BaseURL, "https://") {
			missing = append(missing, "AC_BASE_URL (https)")
		}
		if weakSecret {
			missing = append(missing, "AC_SECRET_KEY (at least 32 random bytes, e.g. `openssl rand -hex 32`)")
		}
		if c.SMTPURL == "" {
			missing = append(missing, "AC_SMTP_URL")
		}
		if c.FCIssuer == "" || c.FCClientID == "" || c.FCClientSecret == "" {
			missing = append(missing, "AC_FC_ISSUER, AC_FC_CLIENT_ID, AC_FC_CLIENT_SECRET")
		}
		if len(missing) > 0 {
			return c, errors.New("production mode refuses to start without: " + strings.Join(missing, ", "))
		}
	}
	return c, nil
}

// Dev reports whether demo conveniences (demo codes, outbox page, simulator) are on.
func (c Config) Dev() bool { return c.Mode != ModeProduction }

// SimulatesFC reports whether the FranceConnect simulator stands in for FranceConnect.
func (c Config) SimulatesFC() bool { return c.Dev() && c.FCIssuer == "" }

// Secure reports whether cookies must be Secure (anything served over https).
func (c Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }
