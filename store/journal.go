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

// journalLock serialises appends so that each row chains to the one committed before it.
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
	PrevHash        []byte    `bun:"prev_hash"`
	Hash            []byte    `bun:"hash"`
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

// appendJournal writes e at the end of the chain. It runs only inside the transaction of the
// action it records (else ErrJournalOutsideTx), so the entry exists if and only if the action
// happened.
func (s *Store) appendJournal(ctx context.Context, e *JournalEntry) error {
	if _, ok := s.db.(bun.Tx); !ok {
		return fmt.Errorf("journal %s: %w", e.Action, ErrJournalOutsideTx)
	}
	if _, err := s.db.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", journalLock); err != nil {
		return fmt.Errorf("journal lock: %w", err)
	}
	var prev []byte
	err := s.db.NewSelect().Model((*JournalEntry)(nil)).Column("hash").OrderExpr("id DESC").Limit(1).Scan(ctx, &prev)
	if err != nil && notFound(err, "") != ErrNotFound {
		return fmt.Errorf("journal head: %w", err)
	}
	return s.appendJournalAfter(ctx, e, prev)
}

// appendJournalAfter appends e after prev, the chain's head read under the journal's lock
// (nil: the journal is empty), in a transaction that holds it: public.journal_head_locked.
func (s *Store) appendJournalAfter(ctx context.Context, e *JournalEntry, prev []byte) error {
	if _, ok := s.db.(bun.Tx); !ok {
		return fmt.Errorf("journal %s: %w", e.Action, ErrJournalOutsideTx)
	}
	if prev == nil {
		prev = genesis
	}
	e.ID = 0
	e.CreatedAt = s.Now()
	e.PrevHash = prev
	e.Hash = e.mac(s.journalKey())
	if _, err := s.db.NewInsert().Model(e).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("journal %s: %w", e.Action, err)
	}
	if s.journaled != nil {
		*s.journaled = append(*s.journaled, e.Action)
	}
	return nil
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
}

// Intact reports a chain that verifies, matches every checkpoint and lacks none of their
// entries.
func (r JournalReport) Intact() bool {
	return r.BrokenID == 0 && r.Missing == 0 && r.ForgedCheckpoint == ""
}

// VerifyJournal recomputes the whole chain in id order, in batches, and stops at the first
// row whose content or link does not match. It checks the chain against the signed
// checkpoints, the database's and the extra ones (copies an auditor kept): at each
// checkpoint's entry count the row must be the one it names, with its hash, and the journal
// must have at least as many entries as the latest one counts.
func (s *Store) VerifyJournal(ctx context.Context, extra ...JournalCheckpoint) (JournalReport, error) {
	var rep JournalReport
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
		err := s.db.NewSelect().Model(&rows).Where("id > ?", after).OrderExpr("id").Limit(5000).Scan(ctx)
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
		after = rows[len(rows)-1].ID
	}
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
