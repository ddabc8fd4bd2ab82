package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// ActionCreateTrainee journals a trainee's sign-up on the bac à sable: their practice
// organisation and its accounts.
const ActionCreateTrainee = "create_trainee"

// TraineeAidants is how many aidant accounts a trainee's organisation gets besides the
// trainee's own (référent) account.
const TraineeAidants = 2

// TraineeInput is a trainee's sign-up on the bac à sable.
type TraineeInput struct {
	FirstName, LastName, Email string
	TTL                        time.Duration // how long the practice data lives
	// Equip runs in the sign-up's transaction, once the organisation and its accounts exist:
	// the app gives them demo cartes and practice mandats (app/sandbox.go), which the store
	// cannot word (TOTP rules, the simulator's identities).
	Equip func(ctx context.Context, tx *Store, org *Organisation, accounts []*Aidant) error
}

// Trainee is what a sign-up made: the organisation, the accounts (the trainee's first), and
// the token of the trainee's outbox URL, shown once (only its hash is stored).
type Trainee struct {
	Organisation *Organisation
	Accounts     []*Aidant
	OutboxToken  string
}

// traineeAidantNames are the fictitious colleagues of every trainee.
var traineeAidantNames = [TraineeAidants][2]string{{"Léa", "Exemple"}, {"Hugo", "Fictif"}}

// TraineeAidantEmail is the address of a trainee's aidant n (1-based): the trainee's own with
// a "+aidantN" tag (sub-addressing, RFC 5233). Unique as the trainee's is, readable, and never
// written to: the bac à sable delivers no mail, it only keeps it in the outbox.
func TraineeAidantEmail(traineeEmail string, n int) string {
	local, domain, _ := strings.Cut(NormaliseEmail(traineeEmail), "@")
	return fmt.Sprintf("%s+aidant%d@%s", local, n, domain)
}

// CreateTrainee makes a trainee's practice organisation in one transaction: the organisation
// (« Structure d'entraînement de Prénom Nom », expiring after in.TTL), the trainee as its
// référent who may create mandats, two aidant accounts, whatever in.Equip adds, and the
// journal entry. Every account is a demo account (the demo code logs it in, on dev and sandbox
// only). An address already taken, the trainee's or a derived one, is ErrAccountExists.
func (s *Store) CreateTrainee(ctx context.Context, in TraineeInput) (*Trainee, error) {
	token, err := NewToken()
	if err != nil {
		return nil, err
	}
	now := s.Now()
	expires := now.Add(in.TTL)
	t := &Trainee{OutboxToken: token, Organisation: &Organisation{
		Name:     "Structure d'entraînement de " + strings.TrimSpace(in.FirstName+" "+in.LastName),
		TypeName: "Structure d'entraînement", Address: "1 rue de l'Exemple", Zipcode: "75001", City: "Démoville",
		TraineeExpiresAt: &expires, TraineeOutboxHash: HashToken(token),
	}}
	t.Accounts = append(t.Accounts, &Aidant{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName,
		Profession: "Stagiaire Aidants Connect"})
	for i, n := range traineeAidantNames {
		t.Accounts = append(t.Accounts, &Aidant{Email: TraineeAidantEmail(in.Email, i+1), FirstName: n[0], LastName: n[1],
			Profession: "Aidant fictif"})
	}
	emails := make([]string, len(t.Accounts))
	for i, a := range t.Accounts {
		a.Email = NormaliseEmail(a.Email)
		emails[i] = a.Email
	}
	err = s.InTx(ctx, func(tx *Store) error {
		// Two sign-ups with one address at once: the second waits, then finds the first's.
		if _, err := tx.db.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 727011020))", emails[0]); err != nil {
			return fmt.Errorf("trainee lock: %w", err)
		}
		exists, err := tx.db.NewSelect().Model((*Aidant)(nil)).Where("email IN (?)", bun.In(emails)).Exists(ctx)
		if err != nil {
			return fmt.Errorf("find account: %w", err)
		}
		if exists {
			return ErrAccountExists
		}
		if err := tx.CreateOrganisation(ctx, t.Organisation); err != nil {
			return err
		}
		for i, a := range t.Accounts {
			a.CurrentOrganisationID, a.CanCreateMandats, a.IsActive, a.IsDemo = t.Organisation.ID, true, true, true
			if err := tx.CreateAidant(ctx, a, i == 0); err != nil {
				return err
			}
		}
		if in.Equip != nil {
			if err := in.Equip(ctx, tx, t.Organisation, t.Accounts); err != nil {
				return err
			}
		}
		return tx.appendJournal(ctx, &JournalEntry{Action: ActionCreateTrainee, AidantID: &t.Accounts[0].ID,
			OrganisationID: &t.Organisation.ID, Info: fmt.Sprintf("expire le %s", expires.UTC().Format(time.RFC3339))})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// TraineeSpace is what a trainee's outbox URL shows: their organisation, its accounts, and the
// messages sent to those accounts only.
type TraineeSpace struct {
	Organisation *Organisation
	Accounts     []Aidant
	Emails       []Email
}

// GetTraineeSpace finds a trainee's space by the token of its URL (an unknown or expired
// one is ErrNotFound), with the newest limit messages addressed to the accounts of the
// organisation, bodies opened. Nobody else's mail is ever read here: the messages are chosen
// by the organisation's members' addresses, in SQL.
func (s *Store) GetTraineeSpace(ctx context.Context, token string, limit int) (*TraineeSpace, error) {
	sp := &TraineeSpace{Organisation: new(Organisation)}
	err := s.db.NewSelect().Model(sp.Organisation).
		Where("trainee_outbox_hash = ? AND trainee_expires_at > ?", HashToken(token), s.Now()).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "find trainee organisation")
	}
	members := s.db.NewSelect().Table("aidant_organisations").Column("aidant_id").Where("organisation_id = ?", sp.Organisation.ID)
	if err := s.db.NewSelect().Model(&sp.Accounts).Where("id IN (?)", members).OrderExpr("id").Scan(ctx); err != nil {
		return nil, notFound(err, "list trainee accounts")
	}
	addresses := s.db.NewSelect().Model((*Aidant)(nil)).Column("email").Where("id IN (?)", members)
	if sp.Emails, err = s.listEmails(ctx, addresses, limit); err != nil {
		return nil, err
	}
	return sp, nil
}

// ListDemoEmails is the shared outbox of the bac à sable: the newest messages to the demo
// organisations' accounts only, whose code is public anyway. Trainees' mail is read at their
// own URL (GetTraineeSpace), never here.
func (s *Store) ListDemoEmails(ctx context.Context, limit int) ([]Email, error) {
	addresses := s.db.NewSelect().TableExpr("aidants AS a").Column("a.email").
		Where("a.is_demo").
		Where("NOT EXISTS (SELECT 1 FROM aidant_organisations ao JOIN organisations o ON o.id = ao.organisation_id WHERE ao.aidant_id = a.id AND NOT o.is_demo)")
	return s.listEmails(ctx, addresses, limit)
}
