package store

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// Journal action kinds (PRODUCT.md §G).
const (
	ActionConnectAidant       = "connect_aidant"
	ActionActivityCheck       = "activity_check_aidant"
	ActionSwitchOrganisation  = "switch_organisation"
	ActionCardAssociation     = "card_association"
	ActionCardValidation      = "card_validation"
	ActionCardDissociation    = "card_dissociation"
	ActionFranceConnectUsager = "franceconnect_usager"
	ActionUpdateEmailUsager   = "update_email_usager"
	ActionCreateAttestation   = "create_attestation"
	ActionCreateAutorisation  = "create_autorisation"
	ActionUseAutorisation     = "use_autorisation"
	ActionCancelAutorisation  = "cancel_autorisation"
	ActionCancelMandat        = "cancel_mandat"
	ActionInitRenewMandat     = "init_renew_mandat"
	ActionImportTOTPCards     = "import_totp_cards"
	ActionTransferMandat      = "transfer_mandat"
)

// ErrJournalOutsideTx refuses a journal entry written outside a transaction: alone, it could
// record an action that then fails, or miss one that succeeds.
var ErrJournalOutsideTx = errors.New("journal entry outside a transaction")

// journalLock serialises the chainer's passes (ChainJournal, from every instance), the
// checkpoints and the re-chaining: never an action's transaction.
const journalLock = 727_011_010

// JournalEntry is one row of the append-only, hash-chained journal.
type JournalEntry struct {
	bun.BaseModel `bun:"table:journal"`

	ID              int64     `bun:"id,pk,autoincrement"`
	CreatedAt       time.Time `bun:"created_at"`
	Action          string    `bun:"action"`
	AidantID        *int64    `bun:"aidant_id"`
	OrganisationID  *int64    `bun:"organisation_id"`
	UsagerID        *int64    `bun:"usager_id"`
	MandatID        *int64    `bun:"mandat_id"`
	AutorisationID  *int64    `bun:"autorisation_id"`
	Demarche        string    `bun:"demarche"`
	DureeDays       int       `bun:"duree_days"`
	AttestationHash string    `bun:"attestation_hash"`
	AccessTokenHash string    `bun:"access_token_hash"`
	Info            string    `bun:"info"`
	// Seq is the entry's place in the chain (1, 2, 3, ...), PrevHash the hash of the entry
	// before it, Hash its own: all three nil until the chainer has chained it (ChainJournal).
	Seq      *int64 `bun:"seq"`
	PrevHash []byte `bun:"prev_hash"`
	Hash     []byte `bun:"hash"`
}

// canonical is the exact content the hash covers: every column but the id and the hash.
func (e *JournalEntry) canonical() []byte {
	b, _ := json.Marshal(struct {
		CreatedAt       string `json:"created_at"`
		Action          string `json:"action"`
		AidantID        *int64 `json:"aidant_id"`
		OrganisationID  *int64 `json:"organisation_id"`
		UsagerID        *int64 `json:"usager_id"`
		MandatID        *int64 `json:"mandat_id"`
		AutorisationID  *int64 `json:"autorisation_id"`
		Demarche        string `json:"demarche"`
		DureeDays       int    `json:"duree_days"`
		AttestationHash string `json:"attestation_hash"`
		AccessTokenHash string `json:"access_token_hash"`
		Info            string `json:"info"`
		PrevHash        string `json:"prev_hash"`
	}{
		e.CreatedAt.UTC().Format(time.RFC3339Nano), e.Action, e.AidantID, e.OrganisationID, e.UsagerID,
		e.MandatID, e.AutorisationID, e.Demarche, e.DureeDays, e.AttestationHash, e.AccessTokenHash,
		e.Info, hex.EncodeToString(e.PrevHash),
	})
	return b
}

// mac is the row's hash: HMAC-SHA256 of its canonical content under the journal key. Without
// the key nobody can recompute a chain that verifies, even knowing the algorithm.
func (e *JournalEntry) mac(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(e.canonical())
	return m.Sum(nil)
}

// legacyHash is the hash rows had before the chain was keyed (plain SHA-256), read only to
// check them before they are re-chained.
func (e *JournalEntry) legacyHash() []byte {
	h := sha256.Sum256(e.canonical())
	return h[:]
}

// journalKey is the chain's HMAC key, derived from the application secret.
func (s *Store) journalKey() []byte { return s.sealer.Key("journal/chain/v1") }

// genesis is the prev_hash of the first row.
var genesis = make([]byte, sha256.Size)

// appendJournal writes e, unchained, in the transaction of the action it records (else
// ErrJournalOutsideTx), so the entry exists if and only if the action happened. It takes no
// lock: the chainer (ChainJournal) gives the entry its place in the chain and its hashes once
// the transaction has committed, so concurrent actions do not wait for each other's commit.
func (s *Store) appendJournal(ctx context.Context, e *JournalEntry) error {
	if _, ok := s.db.(bun.Tx); !ok {
		return fmt.Errorf("journal %s: %w", e.Action, ErrJournalOutsideTx)
	}
	e.ID = 0
	e.CreatedAt = s.Now()
	e.Seq, e.PrevHash, e.Hash = nil, nil, nil
	if _, err := s.db.NewInsert().Model(e).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("journal %s: %w", e.Action, err)
	}
	s.journaledOne(e.Action)
	return nil
}

// chainBatch is how many entries one statement of the chainer chains.
const chainBatch = 1000

// ChainJournal is the chainer: in a short transaction of its own, under the journal's lock
// (one chainer at a time, whichever instance runs it), it chains every committed entry not
// chained yet after the chain's head, in id order, and returns how many it chained. Entries
// still in flight are not visible to it and get their place at a later pass, after those
// chained now even when their id is lower: the order is the chain's (seq), final once
// written, so that verification never depends on commit order. The App runs it after each
// commit that journaled (coalesced) and periodically; VerifyJournal and checkpoints run it
// first.
func (s *Store) ChainJournal(ctx context.Context) (int, error) {
	n := 0
	err := s.InTx(ctx, func(tx *Store) error {
		var err error
		n, err = tx.chainLocked(ctx, true)
		return err
	})
	return n, err
}

// chainLocked takes the journal's lock in the current transaction and chains what is
// committed and unchained. The lock is taken before the head is read, and each statement
// after it sees every transaction committed before it (READ COMMITTED).
//
// With async, the transaction (ChainJournal's own) commits without waiting for its WAL flush (synchronous_commit off, for it
// alone): a pass lost in a crash leaves its entries unchained, and the next pass chains them
// again; whatever relies on a pass durably (a checkpoint, which commits synchronously) is
// written after it in the WAL, and its flush covers the pass.
func (s *Store) chainLocked(ctx context.Context, async bool) (int, error) {
	lock := "SELECT pg_advisory_xact_lock(?)"
	if async {
		lock += ", set_config('synchronous_commit', 'off', true)"
	}
	if _, err := s.db.ExecContext(ctx, lock, journalLock); err != nil {
		return 0, fmt.Errorf("journal lock: %w", err)
	}
	var head []JournalEntry
	if err := s.db.NewSelect().Model(&head).Column("seq", "hash").Where("seq IS NOT NULL").OrderExpr("seq DESC").Limit(1).Scan(ctx); err != nil {
		return 0, fmt.Errorf("journal head: %w", err)
	}
	seq, prev := int64(0), genesis
	if len(head) == 1 {
		seq, prev = *head[0].Seq, head[0].Hash
	}
	key := s.journalKey()
	n := 0
	for {
		var rows []JournalEntry
		if err := s.db.NewSelect().Model(&rows).Where("seq IS NULL").OrderExpr("id").Limit(chainBatch).Scan(ctx); err != nil {
			return n, fmt.Errorf("unchained journal entries: %w", err)
		}
		if len(rows) == 0 {
			return n, nil
		}
		ids, seqs := make([]int64, len(rows)), make([]int64, len(rows))
		prevs, hashes := make([]string, len(rows)), make([]string, len(rows))
		for i := range rows {
			e := &rows[i]
			seq++
			e.PrevHash = prev
			e.Hash = e.mac(key)
			prev = e.Hash
			ids[i], seqs[i], prevs[i], hashes[i] = e.ID, seq, hex.EncodeToString(e.PrevHash), hex.EncodeToString(e.Hash)
		}
		res, err := s.db.ExecContext(ctx, `UPDATE journal AS j SET seq = v.seq, prev_hash = decode(v.prev_hash, 'hex'), hash = decode(v.hash, 'hex')
FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[]) AS v(id, seq, prev_hash, hash)
WHERE j.id = v.id AND j.seq IS NULL`, pgdialect.Array(ids), pgdialect.Array(seqs), pgdialect.Array(prevs), pgdialect.Array(hashes))
		if err != nil {
			return n, fmt.Errorf("chain journal entries: %w", err)
		}
		if m, err := res.RowsAffected(); err != nil || m != int64(len(rows)) {
			return n, fmt.Errorf("chain journal entries: %d of %d chained (%v)", m, len(rows), err)
		}
		n += len(rows)
		if len(rows) < chainBatch {
			return n, nil
		}
	}
}

// JournalReport is the outcome of VerifyJournal.
type JournalReport struct {
	Checked   int
	BrokenID  int64 // 0 when the chain is intact
	BrokenWhy string

	// Checkpoints is how many signed checkpoints the chain was checked against, Last the
	// latest of them (nil when there is none yet).
	Checkpoints int
	Last        *JournalCheckpoint
	// Missing is how many entries Last counts that the journal no longer has: rows deleted
	// at its end. Uncovered is how many entries came after Last (no checkpoint vouches for
	// them yet).
	Missing   int64
	Uncovered int64
	// ForgedCheckpoint describes a checkpoint whose signature does not verify ("" if none).
	ForgedCheckpoint string
	// Unchained is how many entries were not chained yet when the chain was read: entries
	// of transactions that committed after the chainer's pass that verification starts with.
	Unchained int64
}

// Intact reports a chain that verifies, matches every checkpoint and lacks none of their
// entries.
func (r JournalReport) Intact() bool {
	return r.BrokenID == 0 && r.Missing == 0 && r.ForgedCheckpoint == ""
}

// VerifyJournal first chains what is committed (ChainJournal), then recomputes the whole
// chain in its order (seq), in batches, and stops at the first row whose content, link or
// place does not match. It checks the chain against the signed
// checkpoints, the database's and the extra ones (copies an auditor kept): at each
// checkpoint's entry count the row must be the one it names, with its hash, and the journal
// must have at least as many entries as the latest one counts.
func (s *Store) VerifyJournal(ctx context.Context, extra ...JournalCheckpoint) (JournalReport, error) {
	var rep JournalReport
	if _, err := s.ChainJournal(ctx); err != nil {
		return rep, err
	}
	cps, forged, err := s.checkpointsToVerify(ctx, extra)
	if err != nil {
		return rep, err
	}
	if forged != "" {
		rep.ForgedCheckpoint = forged
		return rep, nil
	}
	key := s.journalKey()
	prev := genesis
	var after int64
	next := 0 // the first checkpoint not reached yet
	for {
		var rows []JournalEntry
		err := s.db.NewSelect().Model(&rows).Where("seq > ?", after).OrderExpr("seq").Limit(5000).Scan(ctx)
		if err != nil {
			return rep, fmt.Errorf("read journal: %w", err)
		}
		if len(rows) == 0 {
			break
		}
		for i := range rows {
			e := &rows[i]
			switch {
			case !bytes.Equal(e.PrevHash, prev):
				rep.BrokenID, rep.BrokenWhy = e.ID, "le lien avec l'entrée précédente est rompu"
				return rep, nil
			case !hmac.Equal(e.mac(key), e.Hash):
				rep.BrokenID, rep.BrokenWhy = e.ID, "le contenu de l'entrée a été modifié"
				return rep, nil
			case *e.Seq != int64(rep.Checked)+1:
				rep.BrokenID, rep.BrokenWhy = e.ID, fmt.Sprintf("la place de l'entrée dans la chaîne (%d) ne suit pas la précédente (%d)", *e.Seq, rep.Checked)
				return rep, nil
			}
			prev = e.Hash
			rep.Checked++
			for ; next < len(cps) && cps[next].Entries == int64(rep.Checked); next++ {
				cp := &cps[next]
				if cp.HeadID != e.ID || !bytes.Equal(cp.HeadHash, e.Hash) {
					rep.BrokenID = e.ID
					rep.BrokenWhy = fmt.Sprintf("l'entrée ne correspond pas au point de contrôle du %s (entrée n° %d attendue à cette place)",
						cp.CreatedAt.UTC().Format("02/01/2006 à 15:04:05 UTC"), cp.HeadID)
					return rep, nil
				}
				rep.Checkpoints++
			}
		}
		after = *rows[len(rows)-1].Seq
	}
	n, err := s.db.NewSelect().Model((*JournalEntry)(nil)).Where("seq IS NULL").Count(ctx)
	if err != nil {
		return rep, fmt.Errorf("count unchained journal entries: %w", err)
	}
	rep.Unchained = int64(n)
	if len(cps) > 0 {
		last := cps[len(cps)-1]
		rep.Last = &last
		if last.Entries > int64(rep.Checked) {
			rep.Missing = last.Entries - int64(rep.Checked)
		} else {
			rep.Uncovered = int64(rep.Checked) - last.Entries
		}
	}
	return rep, nil
}

// ListJournal returns the last entries of an organisation, newest first (tests and the journal page).
func (s *Store) ListJournal(ctx context.Context, organisationID int64, limit int) ([]JournalEntry, error) {
	var rows []JournalEntry
	err := s.db.NewSelect().Model(&rows).Where("organisation_id = ?", organisationID).OrderExpr("id DESC").Limit(int64(limit)).Scan(ctx)
	return rows, notFound(err, "list journal")
}
