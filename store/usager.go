package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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

// CleanText is an identity field as we store it: without control characters (NUL, \x01…),
// format characters (the bidirectional overrides and isolates such as U+202E, zero-width
// characters, soft hyphens) and bytes that are not UTF-8, which would reorder or hide text in
// pages and PDFs; line breaks and tabs become spaces; surrounding spaces are trimmed.
func CleanText(s string) string {
	clean := func(r rune) bool {
		return r != utf8.RuneError && !unicode.IsControl(r) && !unicode.Is(unicode.Cf, r) && !unicode.In(r, unicode.Zl, unicode.Zp)
	}
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !clean(r) }) < 0 && strings.TrimSpace(s) == s {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case clean(r):
			b.WriteRune(r)
		case unicode.IsSpace(r) || unicode.In(r, unicode.Zl, unicode.Zp): // \t \n \r, U+0085, U+2028, U+2029
			b.WriteByte(' ')
		}
	}
	return strings.TrimSpace(b.String())
}

// Cleaned is the identity with every field but the sub through CleanText. The sub is an
// identifier, only ever hashed: it stays as FranceConnect sent it.
func (id FCIdentity) Cleaned() FCIdentity {
	return FCIdentity{Sub: id.Sub, GivenName: CleanText(id.GivenName), FamilyName: CleanText(id.FamilyName),
		PreferredUsername: CleanText(id.PreferredUsername), Birthdate: CleanText(id.Birthdate), Gender: CleanText(id.Gender),
		Birthplace: CleanText(id.Birthplace), Birthcountry: CleanText(id.Birthcountry), Email: CleanText(id.Email)}
}

// received lists, for the journal, the fields Cleaned changed, as FranceConnect sent them
// (Go-quoted, ASCII only: the journal shows the characters' codes, not their effect); "" when
// none changed.
func (id FCIdentity) received() string {
	c := id.Cleaned()
	var out []string
	for _, f := range []struct{ name, raw, clean string }{
		{"given_name", id.GivenName, c.GivenName}, {"family_name", id.FamilyName, c.FamilyName},
		{"preferred_username", id.PreferredUsername, c.PreferredUsername}, {"birthdate", id.Birthdate, c.Birthdate},
		{"gender", id.Gender, c.Gender}, {"birthplace", id.Birthplace, c.Birthplace},
		{"birthcountry", id.Birthcountry, c.Birthcountry}, {"email", id.Email, c.Email},
	} {
		if f.raw != f.clean {
			out = append(out, f.name+"="+strconv.QuoteToASCII(f.raw))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "reçu de FranceConnect, caractères de contrôle retirés : " + strings.Join(out, " ")
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
