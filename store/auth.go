package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// ErrLoginRefused is the one answer to every login failure: unknown email, inactive aidant,
// no device, wrong or replayed code, throttled device. The caller cannot tell them apart.
var ErrLoginRefused = errors.New("login refused")

// MagicTokenTTL is how long a login link stays valid.
const MagicTokenTTL = 5 * time.Minute

// MagicToken is a single-use login link, stored as a hash.
type MagicToken struct {
	bun.BaseModel `bun:"table:magic_tokens"`

	ID        int64     `bun:"id,pk,autoincrement"`
	TokenHash []byte    `bun:"token_hash"`
	AidantID  int64     `bun:"aidant_id"`
	NextPath  string    `bun:"next_path"`
	CreatedAt time.Time `bun:"created_at"`
	ExpiresAt time.Time `bun:"expires_at"`
}

// Email is a message in the outbox. Its body may carry a credential (a login link): the
// database holds it only sealed (BodySealed), and only until it is delivered.
type Email struct {
	bun.BaseModel `bun:"table:emails"`

	ID         int64      `bun:"id,pk,autoincrement"`
	To         string     `bun:"to_address"`
	Subject    string     `bun:"subject"`
	BodyText   string     `bun:"-"`           // in clear, in memory only; "" once delivered
	BodySealed []byte     `bun:"body_sealed"` // AES-GCM (Sealer); NULL once delivered
	CreatedAt  time.Time  `bun:"created_at"`
	SentAt     *time.Time `bun:"sent_at"`
}

// DefaultOutboxRetention is how long the outbox remembers a message (to whom, when, what
// about) before PurgeOutbox forgets it.
const DefaultOutboxRetention = 30 * 24 * time.Hour

// LoginInput is what the login form submits, plus how to check codes and word the email.
type LoginInput struct {
	Email     string
	Code      string
	NextPath  string // already checked to be a local path
	Verify    VerifyFunc
	AllowDemo bool
	// LinkEmail words the email that carries the login link for that token.
	LinkEmail func(ctx context.Context, a *Aidant, token string) (Email, error)
	// AccountLimit bounds the attempts on one email per AccountWindow, from every IP
	// together (0: no bound).
	AccountLimit  int
	AccountWindow time.Duration
}

// RequestLogin checks email and code; on success it stores a single-use link token and queues
// the email carrying it, in one transaction. Device state (failures, backoff) is saved even
// when the code is wrong. Past in.AccountLimit attempts on the email in the window, it refuses
// without looking the code up: the attempts of a distributed guess are slowed down to that
// rate, the device's backoff is not pushed any further, and the aidant logs in again as soon
// as the window has passed. Unknown emails are counted alike, so the bound reveals nothing.
func (s *Store) RequestLogin(ctx context.Context, in LoginInput) error {
	refused := false
	err := s.InTx(ctx, func(tx *Store) error {
		if in.AccountLimit > 0 {
			ok, err := tx.Hit(ctx, tx.loginAccountKey(in.Email), in.AccountWindow, in.AccountLimit)
			if err != nil {
				return err
			}
			if !ok {
				refused = true
				return nil
			}
		}
		a := new(Aidant)
		err := tx.db.NewSelect().Model(a).Where("email = ? AND is_active", NormaliseEmail(in.Email)).Scan(ctx)
		if err != nil {
			if notFound(err, "") == ErrNotFound {
				refused = true
				return nil
			}
			return fmt.Errorf("find aidant: %w", err)
		}
		ok, err := tx.checkCode(ctx, a, in.Code, in.Verify, in.AllowDemo)
		if err != nil {
			return err
		}
		if !ok {
			refused = true
			return nil
		}
		token, err := NewToken()
		if err != nil {
			return err
		}
		now := tx.Now()
		mt := &MagicToken{TokenHash: HashToken(token), AidantID: a.ID, NextPath: in.NextPath, CreatedAt: now, ExpiresAt: now.Add(MagicTokenTTL)}
		if _, err := tx.db.NewInsert().Model(mt).Exec(ctx); err != nil {
			return fmt.Errorf("insert magic token: %w", err)
		}
		e, err := in.LinkEmail(ctx, a, token)
		if err != nil {
			return err
		}
		return tx.QueueEmail(ctx, e)
	})
	if err != nil {
		return err
	}
	if refused {
		return ErrLoginRefused
	}
	return nil
}

// loginAccountKey is the rate-limit key of an email: keyed, so that the counters table holds
// no address.
func (s *Store) loginAccountKey(email string) string {
	m := hmac.New(sha256.New, s.sealer.Key("login-account/v1"))
	m.Write([]byte(NormaliseEmail(email)))
	return "login-account:" + hex.EncodeToString(m.Sum(nil)[:16])
}

// QueueEmail puts a message in the outbox, its body sealed: a dump, a backup or an SQL
// console shows no link that logs in. When mail is delivered (SetJobs), its delivery job is
// inserted in the same transaction.
func (s *Store) QueueEmail(ctx context.Context, e Email) error {
	e.CreatedAt = s.Now()
	sealed, err := s.sealer.Seal([]byte(e.BodyText))
	if err != nil {
		return fmt.Errorf("seal email: %w", err)
	}
	e.BodySealed = sealed
	if s.hooks.jobs == nil {
		_, err = s.db.NewInsert().Model(&e).Exec(ctx)
		return notFound(err, "queue email")
	}
	// The message and its delivery job are committed together, with the action that wrote it.
	return s.InTx(ctx, func(tx *Store) error {
		if _, err := tx.db.NewInsert().Model(&e).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("queue email: %w", err)
		}
		return tx.enqueue(ctx, DeliverEmailArgs{EmailID: e.ID}, nil)
	})
}

// ListEmails returns the newest outbox messages (the dev outbox page and tests), bodies
// opened; a delivered message has none left.
func (s *Store) ListEmails(ctx context.Context, limit int) ([]Email, error) {
	return s.listEmails(ctx, nil, limit)
}

// listEmails returns the newest emails, opened: to the addresses the subquery selects, or
// to anyone when it is nil.
func (s *Store) listEmails(ctx context.Context, to *bun.SelectQuery, limit int) ([]Email, error) {
	var es []Email
	q := s.db.NewSelect().Model(&es).OrderExpr("id DESC").Limit(int64(limit))
	if to != nil {
		q = q.Where("to_address IN (?)", to)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, notFound(err, "list emails")
	}
	return es, s.openEmails(es)
}

func (s *Store) openEmails(es []Email) error {
	for i := range es {
		if es[i].BodySealed == nil {
			continue
		}
		body, err := s.sealer.Open(es[i].BodySealed)
		if err != nil {
			return fmt.Errorf("email %d: %w", es[i].ID, err)
		}
		es[i].BodyText = string(body)
	}
	return nil
}

// PurgeOutbox forgets the messages queued more than retention ago, delivered or not.
func (s *Store) PurgeOutbox(ctx context.Context, retention time.Duration) error {
	_, err := s.db.NewDelete().Model((*Email)(nil)).Where("created_at <= ?", s.Now().Add(-retention)).Exec(ctx)
	return notFound(err, "purge outbox")
}

// Login consumes a link token: valid and unexpired → the aidant, the stored next path, every
// other link of that aidant wiped, last login recorded, card tolerances narrowed, and
// connect_aidant journaled. Expired or unknown → ErrNotFound (an expired token is deleted).
func (s *Store) Login(ctx context.Context, token string) (*Aidant, string, error) {
	var a *Aidant
	var next string
	expired := false
	err := s.InTx(ctx, func(tx *Store) error {
		mt := new(MagicToken)
		if err := tx.db.NewSelect().Model(mt).Where("token_hash = ?", HashToken(token)).For("UPDATE").Scan(ctx); err != nil {
			return notFound(err, "find magic token")
		}
		now := tx.Now()
		if !now.Before(mt.ExpiresAt) {
			expired = true
			_, err := tx.db.NewDelete().Model(mt).WherePK().Exec(ctx)
			return notFound(err, "delete expired token")
		}
		if _, err := tx.db.NewDelete().Model((*MagicToken)(nil)).Where("aidant_id = ?", mt.AidantID).Exec(ctx); err != nil {
			return fmt.Errorf("wipe magic tokens: %w", err)
		}
		var err error
		if a, err = tx.GetAidant(ctx, mt.AidantID); err != nil {
			return err
		}
		next = mt.NextPath
		if _, err := tx.db.NewUpdate().Model(a).Set("last_login_at = ?", now).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("record login: %w", err)
		}
		// A successful login proves the device's clock: narrow any widened tolerance back to 1.
		if _, err := tx.db.NewUpdate().Model((*OTPDevice)(nil)).Set("tolerance = 1").
			Where("aidant_id = ? AND confirmed AND tolerance > 1", a.ID).Exec(ctx); err != nil {
			return fmt.Errorf("narrow tolerance: %w", err)
		}
		return tx.appendJournal(ctx, &JournalEntry{Action: ActionConnectAidant, AidantID: &a.ID, OrganisationID: a.organisationRef()})
	})
	if err == nil && expired {
		err = ErrNotFound
	}
	return a, next, err
}

// Hit counts one event against key in a fixed window shared by every app instance, and
// reports whether it is within limit.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration, limit int) (bool, error) {
	now := s.Now()
	var hits int
	err := s.db.NewRaw(`
		INSERT INTO rate_limits AS r (key, window_start, hits) VALUES (?, ?, 1)
		ON CONFLICT (key) DO UPDATE SET
			window_start = CASE WHEN r.window_start <= ? THEN EXCLUDED.window_start ELSE r.window_start END,
			hits         = CASE WHEN r.window_start <= ? THEN 1 ELSE r.hits + 1 END
		RETURNING hits`, key, now, now.Add(-window), now.Add(-window)).Scan(ctx, &hits)
	if err != nil {
		return false, fmt.Errorf("rate limit: %w", err)
	}
	return hits <= limit, nil
}

// OutboxWaiting counts the emails not yet delivered and gives the queueing time of the oldest
// (the metrics' queue depth; the outbox holds at most its retention's worth of rows).
func (s *Store) OutboxWaiting(ctx context.Context) (int64, time.Time, error) {
	var n int64
	var oldest *time.Time
	err := s.db.NewSelect().Model((*Email)(nil)).ColumnExpr("count(*), min(created_at)").Where("sent_at IS NULL").Scan(ctx, &n, &oldest)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("outbox waiting: %w", err)
	}
	if oldest == nil {
		return n, time.Time{}, nil
	}
	return n, *oldest, nil
}
