package store

import (
	"bytes"
	"context"
	"crypto/hmac"
	"fmt"
)

// RechainJournal re-chains, with the key, the rows written while the chain was plain SHA-256:
// the migration that keyed it recorded the last of them in journal_rechain. Their old chain
// is checked first, and a broken one is refused: re-chaining it would launder the tampering.
// It updates rows with the journal's triggers disabled, so it runs as the journal's owner (at
// migration time), once: the marker goes in the same transaction. It returns how many rows it
// re-chained.
func (s *Store) RechainJournal(ctx context.Context) (int, error) {
	n := 0
	err := s.InTx(ctx, func(tx *Store) error {
		var upTo []int64
		if err := tx.db.NewSelect().Table("journal_rechain").Column("up_to_id").For("UPDATE").Scan(ctx, &upTo); err != nil {
			return fmt.Errorf("journal re-chain marker: %w", err)
		}
		if len(upTo) == 0 {
			return nil
		}
		if _, err := tx.db.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", journalLock); err != nil {
			return fmt.Errorf("journal lock: %w", err)
		}
		if _, err := tx.db.ExecContext(ctx, "ALTER TABLE journal DISABLE TRIGGER journal_no_update_delete"); err != nil {
			return fmt.Errorf("journal re-chain: %w", err)
		}
		key := tx.journalKey()
		oldPrev, newPrev := genesis, genesis
		var after int64
		for {
			// Rows past the marker were written keyed, chained to the last unkeyed one: they
			// are re-linked too.
			// In the chain's order; entries not chained yet are chained after, keyed.
			var rows []JournalEntry
			if err := tx.db.NewSelect().Model(&rows).Where("seq > ?", after).OrderExpr("seq").Limit(5000).Scan(ctx); err != nil {
				return fmt.Errorf("read journal: %w", err)
			}
			if len(rows) == 0 {
				break
			}
			for i := range rows {
				e := &rows[i]
				valid := bytes.Equal(e.legacyHash(), e.Hash)
				if e.ID > upTo[0] {
					valid = hmac.Equal(e.mac(key), e.Hash)
				}
				if !bytes.Equal(e.PrevHash, oldPrev) || !valid {
					return fmt.Errorf("journal re-chain: entry %d does not verify under the old chain; the journal was altered before it was keyed, "+
						"and is left as it is for inspection", e.ID)
				}
				oldPrev = e.Hash
				e.PrevHash = newPrev
				e.Hash = e.mac(key)
				newPrev = e.Hash
				if _, err := tx.db.NewUpdate().Model(e).Column("prev_hash", "hash").WherePK().Exec(ctx); err != nil {
					return fmt.Errorf("re-chain entry %d: %w", e.ID, err)
				}
				n++
			}
			after = *rows[len(rows)-1].Seq
		}
		for _, q := range []string{"ALTER TABLE journal ENABLE TRIGGER journal_no_update_delete", "DELETE FROM journal_rechain"} {
			if _, err := tx.db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("journal re-chain: %w", err)
			}
		}
		return nil
	})
	return n, err
}

// JournalAwaitsRechain reports whether rows of the unkeyed chain wait for RechainJournal.
func (s *Store) JournalAwaitsRechain(ctx context.Context) (bool, error) {
	n, err := s.db.NewSelect().Table("journal_rechain").Count(ctx)
	if err != nil {
		return false, fmt.Errorf("journal re-chain marker: %w", err)
	}
	return n > 0, nil
}
