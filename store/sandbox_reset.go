package store

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// ActionSandboxReset journals a purge of the bac à sable's practice data (the row stays: the
// journal says when the practice data went, and how much).
const ActionSandboxReset = "sandbox_reset"

// SandboxPurge says which practice data PurgeSandbox removes.
type SandboxPurge struct {
	// AllTrainees removes every trainee organisation; otherwise only those past their expiry.
	AllTrainees bool
	// Demo removes the demo organisations and the demo accounts outside trainee organisations
	// (the demo staff account too), for the seed to put them back as they were.
	Demo bool
}

// SandboxPurged counts what PurgeSandbox removed.
type SandboxPurged struct {
	Organisations, Aidants, Mandats, JournalRows, Relinked int
}

// ErrJournalAwaitsRechain refuses a purge while unkeyed journal rows wait for RechainJournal.
var ErrJournalAwaitsRechain = errors.New("the journal awaits its re-chaining (migrations)")

// PurgeSandbox deletes practice organisations (trainees', the demo ones: see SandboxPurge)
// with everything hanging off them — accounts no other organisation has, their cartes,
// sessions, links and mail, usagers left without mandats, mandats, autorisations, flows,
// requests — and the journal rows about them, in one transaction. The journal is
// append-only and chained: as RechainJournal does, the purge runs as the journal's owner
// with its triggers disabled inside the transaction, checks that every later row is intact
// (its own HMAC) before it re-links the chain past the gap, drops the signed checkpoints the
// gap invalidated (those before it still hold), journals the purge itself, and signs a new
// checkpoint. So `ac journal verify` stays green. Dev and sandbox only: the callers check the
// mode. Nothing to purge: nothing written.
func (s *Store) PurgeSandbox(ctx context.Context, p SandboxPurge, after func(ctx context.Context, tx *Store) error) (SandboxPurged, error) {
	var n SandboxPurged
	err := s.InTx(ctx, func(tx *Store) error {
		if pending, err := tx.JournalAwaitsRechain(ctx); err != nil || pending {
			return errors.Join(err, ErrJournalAwaitsRechain)
		}
		// Every append waits for the purge: no row chains to a head that is about to move.
		if _, err := tx.db.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", journalLock); err != nil {
			return fmt.Errorf("journal lock: %w", err)
		}
		orgs, aidants, mandats, err := tx.sandboxTargets(ctx, p)
		if err != nil {
			return err
		}
		if len(orgs) == 0 && len(aidants) == 0 && after == nil {
			return nil
		}
		n.Organisations, n.Aidants, n.Mandats = len(orgs), len(aidants), len(mandats)
		if n.JournalRows, n.Relinked, err = tx.purgeJournal(ctx, orgs, aidants, mandats); err != nil {
			return err
		}
		if err := tx.purgeRows(ctx, orgs, aidants, mandats); err != nil {
			return err
		}
		if after != nil {
			if err := after(ctx, tx); err != nil {
				return err
			}
		}
		return tx.appendJournal(ctx, &JournalEntry{Action: ActionSandboxReset, Info: fmt.Sprintf(
			"%d organisations, %d comptes, %d mandats, %d entrées du journal retirées", n.Organisations, n.Aidants, n.Mandats, n.JournalRows)})
	})
	if err != nil {
		return n, fmt.Errorf("sandbox purge: %w", err)
	}
	if _, err := s.WriteJournalCheckpoint(ctx); err != nil {
		return n, err
	}
	return n, nil
}

// ExpiredTrainees reports whether a trainee organisation is past its expiry (the periodic
// purge does nothing, and rewrites no journal, when none is).
func (s *Store) ExpiredTrainees(ctx context.Context) (bool, error) {
	ok, err := s.db.NewSelect().Model((*Organisation)(nil)).Where("trainee_expires_at <= ?", s.Now()).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("expired trainees: %w", err)
	}
	return ok, nil
}

// sandboxTargets are the organisations to purge, the accounts that go with them (members of
// no other organisation; with p.Demo, the demo staff too) and their mandats.
func (s *Store) sandboxTargets(ctx context.Context, p SandboxPurge) (orgs, aidants, mandats []int64, err error) {
	q := s.db.NewSelect().Model((*Organisation)(nil)).Column("id")
	switch {
	case p.AllTrainees:
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			q = q.Where("trainee_expires_at IS NOT NULL")
			if p.Demo {
				q = q.WhereOr("is_demo")
			}
			return q
		})
	case p.Demo:
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("trainee_expires_at <= ?", s.Now()).WhereOr("is_demo")
		})
	default:
		q = q.Where("trainee_expires_at <= ?", s.Now())
	}
	if err := q.OrderExpr("id").Scan(ctx, &orgs); err != nil {
		return nil, nil, nil, fmt.Errorf("sandbox organisations: %w", err)
	}
	if len(orgs) > 0 {
		err := s.db.NewRaw(`SELECT DISTINCT ao.aidant_id FROM aidant_organisations ao WHERE ao.organisation_id IN (?)
			AND NOT EXISTS (SELECT 1 FROM aidant_organisations o WHERE o.aidant_id = ao.aidant_id AND o.organisation_id NOT IN (?))
			ORDER BY 1`, bun.In(orgs), bun.In(orgs)).Scan(ctx, &aidants)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("sandbox accounts: %w", err)
		}
		if err := s.db.NewSelect().Model((*Mandat)(nil)).Column("id").Where("organisation_id IN (?)", bun.In(orgs)).Scan(ctx, &mandats); err != nil {
			return nil, nil, nil, fmt.Errorf("sandbox mandats: %w", err)
		}
	}
	if p.Demo {
		var staff []int64
		if err := s.db.NewSelect().Model((*Aidant)(nil)).Column("id").Where("is_demo AND current_organisation_id IS NULL").Scan(ctx, &staff); err != nil {
			return nil, nil, nil, fmt.Errorf("sandbox demo staff: %w", err)
		}
		aidants = append(aidants, staff...)
	}
	return orgs, aidants, mandats, nil
}

// in is bun.In, or a list no id matches when ids is empty (IN () is not SQL).
func in(ids []int64) any {
	if len(ids) == 0 {
		return bun.In([]int64{0})
	}
	return bun.In(ids)
}

// purgeJournal deletes the journal rows about the purged organisations, accounts and mandats,
// re-links the chain after the first of them, and drops the checkpoints from there on. The
// caller holds the journal's lock: what is committed is chained first (chainLocked), so the
// chain is complete up to here; an entry still in flight elsewhere is chained after the
// re-linked head by the chainer's next pass.
func (s *Store) purgeJournal(ctx context.Context, orgs, aidants, mandats []int64) (deleted, relinked int, err error) {
	if _, err := s.chainLocked(ctx, false); err != nil {
		return 0, 0, err
	}
	about := "organisation_id IN (?) OR aidant_id IN (?) OR mandat_id IN (?)"
	var found struct {
		Rows  int    `bun:"rows"`
		First *int64 `bun:"first"`
	}
	err = s.db.NewRaw("SELECT count(*) AS rows, min(seq) AS first FROM journal WHERE "+about,
		in(orgs), in(aidants), in(mandats)).Scan(ctx, &found)
	if err != nil {
		return 0, 0, fmt.Errorf("journal rows to purge: %w", err)
	}
	if found.Rows == 0 {
		return 0, 0, nil
	}
	for _, q := range []string{"ALTER TABLE journal DISABLE TRIGGER journal_no_update_delete",
		"ALTER TABLE journal_checkpoints DISABLE TRIGGER journal_checkpoints_no_update_delete"} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return 0, 0, fmt.Errorf("journal purge (as the journal's owner): %w", err)
		}
	}
	res, err := s.db.NewDelete().Model((*JournalEntry)(nil)).Where(about, in(orgs), in(aidants), in(mandats)).Exec(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("purge journal: %w", err)
	}
	d, _ := res.RowsAffected()
	if found.First != nil { // else only entries not chained yet were purged: the chain is whole
		if relinked, err = s.relinkJournal(ctx, *found.First); err != nil {
			return 0, 0, err
		}
		// A checkpoint covers the entries up to its head's place: those past the gap moved.
		if _, err := s.db.NewDelete().Model((*JournalCheckpoint)(nil)).Where("entries >= ?", *found.First).Exec(ctx); err != nil {
			return 0, 0, fmt.Errorf("purge checkpoints: %w", err)
		}
	}
	for _, q := range []string{"ALTER TABLE journal ENABLE TRIGGER journal_no_update_delete",
		"ALTER TABLE journal_checkpoints ENABLE TRIGGER journal_checkpoints_no_update_delete"} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return 0, 0, fmt.Errorf("journal purge: %w", err)
		}
	}
	return int(d), relinked, nil
}

// relinkJournal gives the chained rows after place from-1 the places from, from+1, … in
// their order, and chains them to the row before them, each checked intact first (its HMAC
// over its content and old link): a purge must not launder a tampered row. Places only move
// down, in order, so no two rows ever share one.
func (s *Store) relinkJournal(ctx context.Context, from int64) (int, error) {
	key := s.journalKey()
	var prev []byte
	err := s.db.NewSelect().Model((*JournalEntry)(nil)).Column("hash").Where("seq < ?", from).OrderExpr("seq DESC").Limit(1).Scan(ctx, &prev)
	if err != nil && notFound(err, "") != ErrNotFound {
		return 0, fmt.Errorf("journal before the purge: %w", err)
	}
	if prev == nil {
		prev = genesis
	}
	n, after, next := 0, from-1, from
	for {
		var rows []JournalEntry
		if err := s.db.NewSelect().Model(&rows).Where("seq > ?", after).OrderExpr("seq").Limit(5000).Scan(ctx); err != nil {
			return n, fmt.Errorf("read journal: %w", err)
		}
		if len(rows) == 0 {
			return n, nil
		}
		after = *rows[len(rows)-1].Seq
		for i := range rows {
			e := &rows[i]
			if !hmac.Equal(e.mac(key), e.Hash) {
				return n, fmt.Errorf("journal purge: entry %d does not verify; the journal is left as it is for inspection", e.ID)
			}
			seq := next
			next++
			e.Seq, e.PrevHash = &seq, prev
			e.Hash = e.mac(key)
			prev = e.Hash
			if _, err := s.db.NewUpdate().Model(e).Column("seq", "prev_hash", "hash").WherePK().Exec(ctx); err != nil {
				return n, fmt.Errorf("re-link entry %d: %w", e.ID, err)
			}
			n++
		}
	}
}

// purgeRows deletes the practice data itself, children first.
func (s *Store) purgeRows(ctx context.Context, orgs, aidants, mandats []int64) error {
	o, a, m := in(orgs), in(aidants), in(mandats)
	var cartes []int64
	if err := s.db.NewSelect().Model((*OTPDevice)(nil)).Column("carte_id").Where("aidant_id IN (?) AND carte_id IS NOT NULL", a).Scan(ctx, &cartes); err != nil {
		return fmt.Errorf("sandbox cartes: %w", err)
	}
	steps := []struct {
		what string
		q    string
		args []any
	}{
		{"idp flows", "DELETE FROM idp_flows WHERE organisation_id IN (?) OR aidant_id IN (?) OR autorisation_id IN (SELECT id FROM autorisations WHERE mandat_id IN (?))", []any{o, a, m}},
		{"mandat flows", "DELETE FROM mandat_flows WHERE organisation_id IN (?) OR aidant_id IN (?) OR mandat_id IN (?)", []any{o, a, m}},
		{"autorisations", "DELETE FROM autorisations WHERE mandat_id IN (?)", []any{m}},
		{"mandats", "DELETE FROM mandats WHERE id IN (?)", []any{m}},
		{"aidant requests", "DELETE FROM aidant_requests WHERE habilitation_request_id IN (SELECT id FROM habilitation_requests WHERE organisation_id IN (?) OR created_by_aidant_id IN (?))", []any{o, a}},
		{"request messages", "DELETE FROM request_messages WHERE staff_id IN (?)", []any{a}},
		{"organisation requests", "DELETE FROM organisation_requests WHERE organisation_id IN (?)", []any{o}},
		{"habilitation requests", "DELETE FROM habilitation_requests WHERE organisation_id IN (?) OR created_by_aidant_id IN (?)", []any{o, a}},
		{"structure change requests", "DELETE FROM structure_change_requests WHERE organisation_id IN (?) OR aidant_id IN (?) OR created_by_aidant_id IN (?)", []any{o, a, a}},
		{"coreferent requests", "DELETE FROM coreferent_requests WHERE organisation_id IN (?) OR created_by_aidant_id IN (?)", []any{o, a}},
		{"memberships", "DELETE FROM aidant_organisations WHERE organisation_id IN (?)", []any{o}},
		// An account kept for another organisation moves out of a purged one.
		{"current organisations", `UPDATE aidants AS x SET current_organisation_id = (SELECT min(organisation_id) FROM aidant_organisations WHERE aidant_id = x.id)
			WHERE current_organisation_id IN (?) AND id NOT IN (?)`, []any{o, a}},
		{"mail", "DELETE FROM emails WHERE to_address IN (SELECT email FROM aidants WHERE id IN (?))", []any{a}},
		{"accounts", "DELETE FROM aidants WHERE id IN (?)", []any{a}}, // devices, sessions, links: ON DELETE CASCADE
		{"cartes", "DELETE FROM cartes_totp c WHERE id IN (?) AND serial_number LIKE 'BAC%' AND NOT EXISTS (SELECT 1 FROM otp_devices d WHERE d.carte_id = c.id)", []any{in(cartes)}},
		{"usagers", `DELETE FROM usagers u WHERE NOT EXISTS (SELECT 1 FROM mandats WHERE usager_id = u.id)
			AND NOT EXISTS (SELECT 1 FROM journal WHERE usager_id = u.id) AND NOT EXISTS (SELECT 1 FROM mandat_flows WHERE usager_id = u.id)
			AND NOT EXISTS (SELECT 1 FROM idp_flows WHERE usager_id = u.id)`, nil},
		{"organisations", "DELETE FROM organisations WHERE id IN (?)", []any{o}},
	}
	for _, st := range steps {
		if _, err := s.db.NewRaw(st.q, st.args...).Exec(ctx); err != nil {
			return fmt.Errorf("sandbox purge, %s: %w", st.what, err)
		}
	}
	return nil
}

// TraineeTTL is the default life of a trainee's practice data (AC_SANDBOX_TRAINEE_TTL).
const TraineeTTL = 30 * 24 * time.Hour
