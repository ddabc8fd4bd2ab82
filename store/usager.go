package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Usager is a person aidants act for, identified once through FranceConnect.
type Usager struct {
	bun.BaseModel `bun:"table:usagers"`

	ID                int64     `bun:"id,pk,autoincrement"`
	Sub               string    `bun:"sub"`
	GivenName         string    `bun:"given_name"`
	FamilyName        string    `bun:"family_name"`
	PreferredUsername string    `bun:"preferred_username"`
	Gender            string    `bun:"gender"`
	Birthdate         time.Time `bun:"birthdate,type:date"`
	Birthplace        string    `bun:"birthplace"`
	Birthcountry      string    `bun:"birthcountry"`
	Email             string    `bun:"email"`
	Phone             string    `bun:"phone"`
	CreatedAt         time.Time `bun:"created_at,nullzero,default:now()"`
}

// FullName is "Prénom(s) NOM", with the usage name when there is one: "Prénom NOM D'USAGE (née NOM)".
func (u *Usager) FullName() string {
	if u.PreferredUsername != "" && !strings.EqualFold(u.PreferredUsername, u.FamilyName) {
		return fmt.Sprintf("%s %s (%s %s)", u.GivenName, strings.ToUpper(u.PreferredUsername), u.bornWord(), strings.ToUpper(u.FamilyName))
	}
	return u.GivenName + " " + strings.ToUpper(u.FamilyName)
}

func (u *Usager) bornWord() string {
	if u.Gender == "male" {
		return "né"
	}
	return "née"
}

// Initials are what the public verification page shows: "J. D." — nothing more.
func (u *Usager) Initials() string {
	initial := func(s string) string {
		for _, r := range s {
			return strings.ToUpper(string(r)) + "."
		}
		return ""
	}
	name := u.FamilyName
	if u.PreferredUsername != "" {
		name = u.PreferredUsername
	}
	return strings.TrimSpace(initial(u.GivenName) + " " + initial(name))
}

// FCIdentity is what FranceConnect says about a usager (the store does not import the client).
type FCIdentity struct {
	Sub, GivenName, FamilyName, PreferredUsername, Birthdate, Gender, Birthplace, Birthcountry, Email string
}

// UsagerSub is the pseudonymous identifier we keep: a salted hash of the FranceConnect sub.
func UsagerSub(fcSub string, salt []byte) string {
	h := sha256.New()
	h.Write([]byte(fcSub))
	h.Write(salt)
	return hex.EncodeToString(h.Sum(nil))
}

// upsertUsager creates the usager, or refreshes what FranceConnect may change (email, usage
// name), journaling an email change. It must run inside the caller's transaction.
func (s *Store) upsertUsager(ctx context.Context, id FCIdentity, salt []byte, aidantID, orgID int64) (*Usager, error) {
	birth, err := time.Parse("2006-01-02", id.Birthdate)
	if err != nil {
		return nil, fmt.Errorf("birthdate %q: %w", id.Birthdate, err)
	}
	sub := UsagerSub(id.Sub, salt)
	u := new(Usager)
	err = s.db.NewSelect().Model(u).Where("sub = ?", sub).For("UPDATE").Scan(ctx)
	if err != nil && notFound(err, "") != ErrNotFound {
		return nil, fmt.Errorf("find usager: %w", err)
	}
	if err != nil { // new usager
		u = &Usager{Sub: sub, GivenName: id.GivenName, FamilyName: id.FamilyName, PreferredUsername: id.PreferredUsername,
			Gender: id.Gender, Birthdate: birth, Birthplace: id.Birthplace, Birthcountry: id.Birthcountry, Email: id.Email}
		if _, err := s.db.NewInsert().Model(u).Returning("id, created_at").Exec(ctx); err != nil {
			return nil, fmt.Errorf("create usager: %w", err)
		}
		return u, nil
	}
	if id.Email != "" && id.Email != u.Email {
		previous := u.Email
		u.Email = id.Email
		if err := s.appendJournal(ctx, &JournalEntry{Action: ActionUpdateEmailUsager, AidantID: &aidantID, OrganisationID: &orgID, UsagerID: &u.ID,
			Info: "ancienne adresse : " + previous}); err != nil {
			return nil, err
		}
	}
	if id.PreferredUsername != "" {
		u.PreferredUsername = id.PreferredUsername
	}
	if _, err := s.db.NewUpdate().Model(u).Column("email", "preferred_username").WherePK().Exec(ctx); err != nil {
		return nil, fmt.Errorf("update usager: %w", err)
	}
	return u, nil
}
