// Package store holds the bun models, the domain rules that live on them, and every query.
// Each user action is one Store call, run in one transaction that also writes its journal entry.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// ErrNotFound covers both "does not exist" and "belongs to someone else": callers must not
// be able to tell the two apart.
var ErrNotFound = errors.New("introuvable ou inaccessible")

// Store is the data layer. The zero value is not usable: build it with New.
type Store struct {
	db     bun.IDB
	now    func() time.Time
	sealer *Sealer
	// hooks is shared by the store and the stores of its transactions.
	hooks *hooks
	// journaled collects, inside a transaction, the actions appended to the journal: they are
	// heard (OnCommitted) once the transaction has committed, never for a rolled-back one.
	journaled *[]string
	// clients caches the identity provider's clients for this Store and its transactions.
	clients *idpClients
}

type hooks struct {
	committed func(action string)
	jobs      Jobs     // nil: no background delivery
	queue     JobQueue // the staff's retry and cancel (SetJobQueue)
}

// New returns a Store over db. now is the clock (tests inject one); sealer encrypts secrets at rest.
func New(db bun.IDB, now func() time.Time, sealer *Sealer) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: now, sealer: sealer, hooks: &hooks{}, clients: &idpClients{}}
}

// OnCommitted makes fn hear each journaled action once the transaction that journaled it has
// committed (the metrics count mandats, revocations and FranceConnect logins so). Set it before
// the store serves: it is not synchronised.
func (s *Store) OnCommitted(fn func(action string)) { s.hooks.committed = fn }

// WithClock is the same store (database or transaction, keys, hooks) on another clock: the demo
// seed writes practice mandats as if made weeks ago, through the very same flow.
func (s *Store) WithClock(now func() time.Time) *Store {
	c := *s
	c.now = now
	return &c
}

// DB exposes the underlying handle for health checks and tests.
func (s *Store) DB() bun.IDB { return s.db }

// Now is the store's clock, truncated to what Postgres keeps (microseconds) so that values
// read back compare equal to values written.
func (s *Store) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// InTx runs fn in one transaction. Nested calls reuse the outer transaction.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	if _, ok := s.db.(bun.Tx); ok {
		return fn(s)
	}
	var journaled []string
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		journaled = journaled[:0]
		return fn(&Store{db: tx, now: s.now, sealer: s.sealer, hooks: s.hooks, journaled: &journaled, clients: s.clients})
	})
	if err == nil && s.hooks.committed != nil {
		for _, action := range journaled {
			s.hooks.committed(action)
		}
	}
	return err
}

// journaledOne records that a statement of s journaled action (appendJournal's INSERT, or an
// INSERT INTO journal within a statement of its own): inside InTx it is heard when the
// transaction commits; outside any transaction the statement has committed already, and it
// is heard now. In a transaction InTx did not open, nobody hears it (as before this store
// knew of commits).
func (s *Store) journaledOne(action string) {
	if s.journaled != nil {
		*s.journaled = append(*s.journaled, action)
		return
	}
	if _, inTx := s.db.(bun.Tx); !inTx && s.hooks.committed != nil {
		s.hooks.committed(action)
	}
}

// notFound maps sql.ErrNoRows to ErrNotFound and wraps anything else with what was attempted.
func notFound(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Ping checks the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.db.NewSelect().ColumnExpr("1").Scan(ctx, &one)
}
