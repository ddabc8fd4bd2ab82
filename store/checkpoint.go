package store

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// A checkpoint says, at a time, how many entries the journal had and which was the last,
// with its hash. It is signed with Ed25519 rather than an HMAC: checkpoints are published for
// auditors, who can then check a copy with the public key alone, and a copy they kept proves
// what the journal held at that time even to someone who doubts the service (an HMAC could
// only be checked, and so also forged, by whoever holds the secret key). The private key is
// derived from AC_SECRET_KEY, like every other key of the app, so instances share it.

// JournalCheckpoint is one signed checkpoint.
type JournalCheckpoint struct {
	bun.BaseModel `bun:"table:journal_checkpoints"`

	ID        int64     `bun:"id,pk,autoincrement"`
	CreatedAt time.Time `bun:"created_at"`
	Entries   int64     `bun:"entries"`
	HeadID    int64     `bun:"head_id"`
	HeadHash  []byte    `bun:"head_hash"`
	Signature []byte    `bun:"signature"`
}

// CheckpointFormat names what a checkpoint's signature covers: Message's text, UTF-8.
const CheckpointFormat = "aidants-connect/journal-checkpoint/v1"

// Message is the exact text the signature covers.
func (c *JournalCheckpoint) Message() string {
	return fmt.Sprintf("%s\nentries=%d\nhead_id=%d\nhead_hash=%x\ncreated_at=%s\n",
		CheckpointFormat, c.Entries, c.HeadID, c.HeadHash, c.CreatedAt.UTC().Format(time.RFC3339Nano))
}

func (s *Store) checkpointKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(s.sealer.Key("journal/checkpoint/v1"))
}

// CheckpointPublicKey is the key checkpoints are verified with (published beside them).
func (s *Store) CheckpointPublicKey() ed25519.PublicKey {
	return s.checkpointKey().Public().(ed25519.PublicKey)
}

// WriteJournalCheckpoint chains what is committed, then signs and stores a checkpoint of the
// chain as it is, unless it is empty or has not moved since the last checkpoint (then it
// returns nil). It holds the journal's lock throughout, so no chainer moves the head it reads.
func (s *Store) WriteJournalCheckpoint(ctx context.Context) (*JournalCheckpoint, error) {
	var cp *JournalCheckpoint
	err := s.InTx(ctx, func(tx *Store) error {
		if _, err := tx.chainLocked(ctx, false); err != nil {
			return err
		}
		var head JournalEntry
		err := tx.db.NewSelect().Model(&head).Column("id", "seq", "hash").Where("seq IS NOT NULL").OrderExpr("seq DESC").Limit(1).Scan(ctx)
		if notFound(err, "") == ErrNotFound {
			return nil
		}
		if err != nil {
			return fmt.Errorf("journal head: %w", err)
		}
		var last JournalCheckpoint
		err = tx.db.NewSelect().Model(&last).OrderExpr("entries DESC, id DESC").Limit(1).Scan(ctx)
		if err != nil && notFound(err, "") != ErrNotFound {
			return fmt.Errorf("last checkpoint: %w", err)
		}
		if err == nil && last.HeadID == head.ID {
			return nil
		}
		// The head's place is the number of entries in the chain.
		cp = &JournalCheckpoint{CreatedAt: tx.Now(), Entries: *head.Seq, HeadID: head.ID, HeadHash: head.Hash}
		cp.Signature = ed25519.Sign(tx.checkpointKey(), []byte(cp.Message()))
		if _, err := tx.db.NewInsert().Model(cp).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("insert checkpoint: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cp, nil
}

// checkpointsToVerify is the database's checkpoints and the extra ones, signatures checked,
// duplicates dropped, in entry order. A checkpoint whose signature fails is described in
// forged: the store's own are signed by it, and an auditor's copy that fails was not.
func (s *Store) checkpointsToVerify(ctx context.Context, extra []JournalCheckpoint) (cps []JournalCheckpoint, forged string, err error) {
	if err := s.db.NewSelect().Model(&cps).OrderExpr("entries, id").Scan(ctx); err != nil {
		return nil, "", fmt.Errorf("read checkpoints: %w", err)
	}
	pub := s.CheckpointPublicKey()
	for i := range cps {
		if !ed25519.Verify(pub, []byte(cps[i].Message()), cps[i].Signature) {
			return nil, fmt.Sprintf("le point de contrôle n° %d (enregistré le %s) n'est pas signé par ce service",
				cps[i].ID, cps[i].CreatedAt.UTC().Format("02/01/2006 à 15:04:05 UTC")), nil
		}
	}
	for i, c := range extra {
		if !ed25519.Verify(pub, []byte(c.Message()), c.Signature) {
			return nil, fmt.Sprintf("le point de contrôle fourni n° %d (du %s) n'est pas signé par ce service",
				i+1, c.CreatedAt.UTC().Format("02/01/2006 à 15:04:05 UTC")), nil
		}
		if !slices.ContainsFunc(cps, func(d JournalCheckpoint) bool { return hmac.Equal(d.Signature, c.Signature) }) {
			cps = append(cps, c)
		}
	}
	slices.SortStableFunc(cps, func(a, b JournalCheckpoint) int {
		return cmp.Or(cmp.Compare(a.Entries, b.Entries), bytes.Compare(a.HeadHash, b.HeadHash))
	})
	return cps, "", nil
}

// PublishedCheckpoints is the public document of the checkpoints: what an auditor fetches and
// keeps, and what `ac journal verify` reads back from a file. It holds no personal data:
// counts, row ids, hashes (HMACs: they reveal nothing of the rows), times.
type PublishedCheckpoints struct {
	Format      string                `json:"format"`
	Algorithm   string                `json:"algorithm"`
	PublicKey   string                `json:"public_key"` // base64 (standard), 32 bytes
	Checkpoints []PublishedCheckpoint `json:"checkpoints"`
}

// PublishedCheckpoint is one checkpoint in the published document: the signed message
// itself and its fields.
type PublishedCheckpoint struct {
	CreatedAt time.Time `json:"created_at"`
	Entries   int64     `json:"entries"`
	HeadID    int64     `json:"head_id"`
	HeadHash  string    `json:"head_hash"` // hex
	Signed    string    `json:"signed"`    // the exact text signed
	Signature string    `json:"signature"` // base64 (standard), 64 bytes
}

// PublishCheckpoints is the document of the latest checkpoints, newest first (at most limit).
func (s *Store) PublishCheckpoints(ctx context.Context, limit int) (PublishedCheckpoints, error) {
	doc := PublishedCheckpoints{Format: CheckpointFormat, Algorithm: "Ed25519",
		PublicKey: base64.StdEncoding.EncodeToString(s.CheckpointPublicKey()), Checkpoints: []PublishedCheckpoint{}}
	var cps []JournalCheckpoint
	if err := s.db.NewSelect().Model(&cps).OrderExpr("entries DESC, id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return doc, fmt.Errorf("list checkpoints: %w", err)
	}
	for _, c := range cps {
		doc.Checkpoints = append(doc.Checkpoints, PublishedCheckpoint{CreatedAt: c.CreatedAt.UTC(), Entries: c.Entries, HeadID: c.HeadID,
			HeadHash: hex.EncodeToString(c.HeadHash), Signed: c.Message(), Signature: base64.StdEncoding.EncodeToString(c.Signature)})
	}
	return doc, nil
}

// ParseCheckpoints reads checkpoints back from published documents: one document, or a JSON
// list of them (an auditor's accumulated copies). Signatures are checked by VerifyJournal.
func ParseCheckpoints(data []byte) ([]JournalCheckpoint, error) {
	var docs []PublishedCheckpoints
	if err := json.Unmarshal(data, &docs); err != nil {
		var one PublishedCheckpoints
		if err := json.Unmarshal(data, &one); err != nil {
			return nil, fmt.Errorf("checkpoints: not a published document: %w", err)
		}
		docs = []PublishedCheckpoints{one}
	}
	var out []JournalCheckpoint
	for _, d := range docs {
		if d.Format != CheckpointFormat {
			return nil, fmt.Errorf("checkpoints: format %q, expected %q", d.Format, CheckpointFormat)
		}
		for _, p := range d.Checkpoints {
			hash, err1 := hex.DecodeString(p.HeadHash)
			sig, err2 := base64.StdEncoding.DecodeString(p.Signature)
			if err := errors.Join(err1, err2); err != nil {
				return nil, fmt.Errorf("checkpoint of %s: %w", p.CreatedAt.Format(time.RFC3339), err)
			}
			out = append(out, JournalCheckpoint{CreatedAt: p.CreatedAt, Entries: p.Entries, HeadID: p.HeadID, HeadHash: hash, Signature: sig})
		}
	}
	return out, nil
}
