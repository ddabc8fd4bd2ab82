package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// The usager's own space: the usager signs in through FranceConnect and reaches only what is
// in their name. Every query here takes the usager's id, as aidants' queries take their
// organisation: a mandat of someone else is ErrNotFound.

// InfoByUsager is the journal's info of an entry whose actor is the usager, from their own
// space: such an entry has no aidant.
const InfoByUsager = "acteur : usager"

// useInfoClient prefixes the relying party's client id in a use_autorisation entry's info
// (written by UseIdPToken): the usager's list names the service from it.
const useInfoClient = "client : "

// UsesPerPage is the size of one page of "what was done for me".
const UsesPerPage = 20

// FindUsagerByFCSub returns the usager FranceConnect identified (the salted hash of the sub
// matched, as the mandat wizard stores it) if at least one mandat exists in their name:
// a person we never met, or who only began a mandat that was not signed, is ErrNotFound.
func (s *Store) FindUsagerByFCSub(ctx context.Context, fcSub string) (*Usager, error) {
	u := new(Usager)
	err := s.db.NewSelect().Model(u).Where("sub = ?", UsagerSub(fcSub, s.sealer.Key("usager-sub"))).
		Where("EXISTS (SELECT 1 FROM mandats AS m WHERE m.usager_id = usager.id)").Scan(ctx)
	return u, notFound(err, "find usager by sub")
}

// GetUsagerByID returns a usager who has a mandat: the usager session's person.
func (s *Store) GetUsagerByID(ctx context.Context, usagerID int64) (*Usager, error) {
	u := new(Usager)
	err := s.db.NewSelect().Model(u).Where("id = ?", usagerID).
		Where("EXISTS (SELECT 1 FROM mandats AS m WHERE m.usager_id = usager.id)").Scan(ctx)
	return u, notFound(err, "get usager")
}

// SealSessionSecret encrypts a value a session keeps (the FranceConnect ID token, needed to
// log out of FranceConnect): session rows are not to hold tokens in clear.
func (s *Store) SealSessionSecret(v string) ([]byte, error) { return s.sealer.Seal([]byte(v)) }

// OpenSessionSecret decrypts what SealSessionSecret sealed.
func (s *Store) OpenSessionSecret(sealed []byte) (string, error) {
	b, err := s.sealer.Open(sealed)
	return string(b), err
}

// ShortName is how a usager sees the aidant who acted: first name and initial ("Jean T.").
func (a *Aidant) ShortName() string { return shortName(a.FirstName, a.LastName) }

func shortName(first, last string) string {
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	r, _ := utf8.DecodeRuneInString(last)
	if r == utf8.RuneError {
		return first
	}
	return strings.TrimSpace(first + " " + strings.ToUpper(string(r)) + ".")
}

// RevokedByUsager: the mandat is revoked, and the usager did it from their space (the
// autorisations that ended it were revoked by the usager).
func (m *Mandat) RevokedByUsager() bool {
	together := m.RevokedTogether()
	for _, a := range together {
		if !a.RevokedByUsager {
			return false
		}
	}
	return len(together) > 0
}

// UsagerMandats is every mandat in a usager's name, whatever the organisation.
type UsagerMandats struct {
	Mandats []Mandat // newest first, with organisation, creator and autorisations (by id)
	// Cancelled are the mandats revoked as a whole (cancel_mandat journaled): those have a
	// mandat revocation attestation.
	Cancelled map[int64]bool
}

// ListUsagerMandats returns every mandat in the usager's name, outdated ones included: the
// usager may see all that was ever given in their name.
func (s *Store) ListUsagerMandats(ctx context.Context, usagerID int64) (*UsagerMandats, error) {
	var ms []Mandat
	err := s.db.NewSelect().Model(&ms).Relation("Organisation").Relation("CreatedBy").
		Relation("Autorisations", func(q *bun.SelectQuery) *bun.SelectQuery { return q.OrderExpr("id") }).
		Where("mandat.usager_id = ?", usagerID).
		OrderExpr("mandat.created_at DESC, mandat.id DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("usager's mandats: %w", err)
	}
	out := &UsagerMandats{Mandats: ms}
	if out.Cancelled, err = s.cancelledMandatsIn(ctx, byUsager(usagerID), ms); err != nil {
		return nil, err
	}
	return out, nil
}

// GetUsagerMandat returns one of the usager's mandats (for its attestation). Anyone else's:
// ErrNotFound.
func (s *Store) GetUsagerMandat(ctx context.Context, usagerID, mandatID int64) (*Mandat, error) {
	return s.getMandat(ctx, byUsager(usagerID), mandatID)
}

// GetUsagerRevocableMandat is GetRevocableMandat within the usager's own mandats.
func (s *Store) GetUsagerRevocableMandat(ctx context.Context, usagerID, mandatID int64) (*Mandat, error) {
	return s.getRevocableMandat(ctx, byUsager(usagerID), mandatID)
}

// GetUsagerRevocableAutorisation is GetRevocableAutorisation within the usager's own mandats.
func (s *Store) GetUsagerRevocableAutorisation(ctx context.Context, usagerID, mandatID, autorisationID int64) (*Mandat, *Autorisation, error) {
	return s.getRevocableAutorisation(ctx, byUsager(usagerID), mandatID, autorisationID)
}

// RevokeMandatByUsager is the usager revoking one of their active mandats as a whole: the
// same transaction as RevokeMandat, journaled with the usager as actor, the autorisations
// marked as revoked by the usager. Not theirs, or not active: ErrNotFound, nothing changes.
func (s *Store) RevokeMandatByUsager(ctx context.Context, usagerID, mandatID int64) (*Mandat, error) {
	return s.revokeMandat(ctx, byTheUsager(usagerID), mandatID)
}

// RevokeAutorisationByUsager is the usager revoking one démarche of one of their active
// mandats (RevokeAutorisation, with the usager as actor).
func (s *Store) RevokeAutorisationByUsager(ctx context.Context, usagerID, mandatID, autorisationID int64) (*Mandat, *Autorisation, error) {
	return s.revokeAutorisationOf(ctx, byTheUsager(usagerID), mandatID, autorisationID)
}

// GetUsagerMandatRevocation is GetMandatRevocation within the usager's own mandats.
func (s *Store) GetUsagerMandatRevocation(ctx context.Context, usagerID, mandatID int64) (*Mandat, error) {
	return s.getMandatRevocation(ctx, byUsager(usagerID), mandatID)
}

// GetUsagerAutorisationRevocation is GetAutorisationRevocation within the usager's own mandats.
func (s *Store) GetUsagerAutorisationRevocation(ctx context.Context, usagerID, mandatID, autorisationID int64) (*Mandat, *Autorisation, error) {
	return s.getAutorisationRevocation(ctx, byUsager(usagerID), mandatID, autorisationID)
}

// UsagerUse is one use of an autorisation, as the usager sees it.
type UsagerUse struct {
	At               time.Time `bun:"created_at"`
	Demarche         string    `bun:"demarche"`
	OrganisationName string    `bun:"organisation_name"`
	AidantFirstName  string    `bun:"aidant_first_name"`
	AidantLastName   string    `bun:"aidant_last_name"`
	ServiceName      string    `bun:"service_name"` // the relying party's name; "" when unknown
}

// AidantName is the aidant's first name and initial.
func (u UsagerUse) AidantName() string { return shortName(u.AidantFirstName, u.AidantLastName) }

// UsagerUses is one page of the usager's uses, newest first.
type UsagerUses struct {
	Rows  []UsagerUse
	Total int
	Page  int // as served: clamped to the pages there are
	Pages int // at least 1
}

// ListUsagerUses returns one page of every use_autorisation journaled for the usager's
// autorisations, newest first, with the organisation, the aidant and the service's name
// (from its registration at our identity provider, when it still exists). It reads the
// partial index journal_usager_use_idx in order.
func (s *Store) ListUsagerUses(ctx context.Context, usagerID int64, page int) (*UsagerUses, error) {
	out := &UsagerUses{}
	count, err := s.db.NewSelect().Model((*JournalEntry)(nil)).
		Where("usager_id = ? AND action = ?", usagerID, ActionUseAutorisation).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("count uses: %w", err)
	}
	n := int(count)
	out.Total = n
	out.Pages = max(1, (n+UsesPerPage-1)/UsesPerPage)
	out.Page = min(max(1, page), out.Pages)
	if n == 0 {
		return out, nil
	}
	err = s.db.NewRaw(`SELECT j.created_at, j.demarche, coalesce(o.name, '') AS organisation_name,
		coalesce(a.first_name, '') AS aidant_first_name, coalesce(a.last_name, '') AS aidant_last_name,
		coalesce(c.name, '') AS service_name
		FROM journal AS j
		LEFT JOIN organisations AS o ON o.id = j.organisation_id
		LEFT JOIN aidants AS a ON a.id = j.aidant_id
		LEFT JOIN idp_clients AS c ON j.info = ? || c.id
		WHERE j.usager_id = ? AND j.action = ?
		ORDER BY j.id DESC LIMIT ? OFFSET ?`,
		useInfoClient, usagerID, ActionUseAutorisation, UsesPerPage, (out.Page-1)*UsesPerPage).Scan(ctx, &out.Rows)
	if err != nil {
		return nil, fmt.Errorf("list uses: %w", err)
	}
	return out, nil
}
