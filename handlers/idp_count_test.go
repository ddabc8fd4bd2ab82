package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/fibench"
	"github.com/aidantsconnect/ac/handlers"
	"github.com/aidantsconnect/ac/store"
)

// sqlCounter counts what the App's serving pool sends PostgreSQL while it is on: the
// statements pgx runs, by kind (BEGIN and COMMIT included), the statements it prepares, and
// the writes to the sockets, each of which is one round trip (pgx writes a whole exchange and
// waits for its answer).
type sqlCounter struct {
	mu       sync.Mutex
	on       bool
	kinds    map[string]int
	texts    []string
	prepares int
	writes   int
	pings    int
}

func newSQLCounter() *sqlCounter { return &sqlCounter{kinds: map[string]int{}} }

// tune is the App's DBConn: the tracer, and a dialer whose connections count their writes.
func (c *sqlCounter) tune(cfg *pgx.ConnConfig) {
	cfg.Tracer = c
	dial := cfg.DialFunc
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: conn, c: c}, nil
	}
}

type countingConn struct {
	net.Conn
	c *sqlCounter
}

func (cc *countingConn) Write(b []byte) (int, error) {
	cc.c.mu.Lock()
	switch {
	case !cc.c.on:
	case bytes.Contains(b, []byte("-- ping")): // database/sql checks a connection idle for over a second
		cc.c.pings++
	default:
		cc.c.writes++
	}
	cc.c.mu.Unlock()
	return cc.Conn.Write(b)
}

// kind is a statement's first keyword, with row locks and advisory locks apart.
func kind(sql string) string {
	s := strings.ToUpper(strings.TrimSpace(sql))
	k, _, _ := strings.Cut(s, " ")
	switch {
	case strings.HasPrefix(s, "SELECT PG_ADVISORY"):
		return "ADVISORY LOCK"
	case k == "SELECT" && strings.Contains(s, " FOR UPDATE"):
		return "SELECT FOR UPDATE"
	}
	return k
}

func (c *sqlCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.on {
		c.kinds[kind(d.SQL)]++
		c.texts = append(c.texts, d.SQL)
	}
	return ctx
}

func (c *sqlCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *sqlCounter) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.on {
		c.prepares++
	}
	return ctx
}

func (c *sqlCounter) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

// count runs f with the counter on and returns what it counted.
func (c *sqlCounter) count(f func()) sqlCount {
	c.mu.Lock()
	c.on, c.kinds, c.texts, c.prepares, c.writes, c.pings = true, map[string]int{}, nil, 0, 0, 0
	c.mu.Unlock()
	f()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on = false
	n := sqlCount{kinds: c.kinds, texts: c.texts, prepares: c.prepares, roundTrips: c.writes, pings: c.pings}
	for k, v := range c.kinds {
		n.statements += v
		if k == "BEGIN" {
			n.transactions += v
		}
	}
	return n
}

type sqlCount struct {
	kinds                                                 map[string]int
	texts                                                 []string
	statements, transactions, prepares, roundTrips, pings int
}

func (n sqlCount) String() string {
	var ks []string
	for k := range n.kinds {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	var b strings.Builder
	fmt.Fprintf(&b, "%d statements (BEGIN and COMMIT included), %d transactions, %d round trips (and %d pings), %d prepared:",
		n.statements, n.transactions, n.roundTrips, n.pings, n.prepares)
	for _, k := range ks {
		fmt.Fprintf(&b, " %s %d,", k, n.kinds[k])
	}
	return strings.TrimSuffix(b.String(), ",")
}

// TestFILoginStatements counts what one full FI login (the 7 requests: /authorize, step 1,
// its choice, step 2, its choice, /token, /userinfo) asks of PostgreSQL, once the instance is
// warm (a first login has loaded the client and the signing key). BENCHMARKS.md records the
// figures (go test ./handlers -run TestFILoginStatements -v).
func TestFILoginStatements(t *testing.T) {
	n, chain := countFILogin(t)
	t.Logf("one FI login: %s", n)
	t.Logf("the chainer's pass after it (its own transaction, shared by every entry committed before it): %s", chain)
	for _, s := range n.texts {
		t.Logf("  %.160s", s)
	}
	if n.statements > 12 {
		t.Errorf("%d statements per FI login, want at most 12", n.statements)
	}
	// The one journaled write (/userinfo: the token's first use and its entry) is a single
	// statement, its own transaction: no BEGIN, no COMMIT.
	if n.transactions != 0 {
		t.Errorf("%d transactions per FI login, want none", n.transactions)
	}
	// The App's exec mode (app.tuneConn): one round trip per statement; the hot statements
	// (store.scanHot) were prepared on the connection by the first login, nothing else is.
	if n.prepares != 0 || n.roundTrips != n.statements {
		t.Errorf("%d statements took %d round trips and %d prepares", n.statements, n.roundTrips, n.prepares)
	}
}

// TestFILoginRoundTripsByExecMode is the measure behind the App's choice of pgx's exec mode
// (app.tuneConn): round trips and prepared statements (cache entries) per FI login in each.
func TestFILoginRoundTripsByExecMode(t *testing.T) {
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe,
		pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		n, _ := countFILogin(t, func(cfg *pgx.ConnConfig) {
			cfg.DefaultQueryExecMode, cfg.StatementCacheCapacity, cfg.DescriptionCacheCapacity = mode, 512, 512 // pgx's defaults
		})
		t.Logf("%-16s %s", mode, n)
		if n.roundTrips < n.statements {
			t.Errorf("%s: %d round trips for %d statements", mode, n.roundTrips, n.statements)
		}
	}
}

// countFILogin counts what the second of two FI logins asks of PostgreSQL (the first warms
// the instance: the client, the signing key, the pool's connections), the App's connections
// tuned by tune after its own settings, then what the chainer's pass that chains its journal
// entry asks (the App's chainer is off, so that it runs at neither count's time).
func countFILogin(t *testing.T, tune ...func(*pgx.ConnConfig)) (sqlCount, sqlCount) {
	t.Helper()
	counter := newSQLCounter()
	w := newFIWorld(t, func(c *app.Config) {
		c.NoChainer = true
		c.DBConn = func(cfg *pgx.ConnConfig) {
			for _, f := range tune {
				f(cfg)
			}
			counter.tune(cfg)
		}
	})
	rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	world := &fibench.World{ClientID: rp.id, ClientSecret: rp.secret, RedirectURI: rp.redirectURI, UsagerID: w.angela.ID, Demarche: "famille"}
	client, err := fibench.NewClient(w.e.URL, w.b.Jar[handlers.SessionCookie], nil)
	if err != nil {
		t.Fatal(err)
	}
	login := func() {
		if _, _, err := client.Login(world); err != nil {
			t.Fatal(err)
		}
	}
	login()
	if _, err := w.e.App.Store.ChainJournal(context.Background()); err != nil {
		t.Fatal(err)
	}
	n := counter.count(login)
	return n, counter.count(func() {
		if k, err := w.e.App.Store.ChainJournal(context.Background()); err != nil || k != 1 {
			t.Fatalf("chained %d entries: %v", k, err)
		}
	})
}
