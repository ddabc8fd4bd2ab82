package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the end rule reads Paris time, whatever the host's zoneinfo

	"github.com/uptrace/bun"
)

// Duree is a mandat duration.
type Duree struct {
	Key   string
	Days  int
	Title string // radio label
	Hint  string // radio hint
	Label string // in sentences: "pour une durée de …"
}

// Durees lists the durations offered, shortest first.
func Durees() []Duree {
	return []Duree{
		{"SHORT", 1, "Mandat court", "Expire demain", "pour une durée de 1 jour"},
		{"MONTH", 31, "Mandat d'un mois", "31 jours", "pour une durée d'un mois (31 jours)"},
		{"SEMESTER", 182, "Mandat de six mois", "182 jours", "pour une durée de six mois (182 jours)"},
		{"LONG", 365, "Mandat long", "12 mois", "pour une durée de 1 an"},
	}
}

// FindDuree returns the duration with that key.
func FindDuree(key string) (Duree, bool) {
	for _, d := range Durees() {
		if d.Key == key {
			return d, true
		}
	}
	return Duree{}, false
}

// MandatTemplateVersion names the mandate text in force; it enters the attestation hash.
const MandatTemplateVersion = "2026-12-01"

// MandatTimeZone is where a mandat's dates are read: the usager signs a French document.
const MandatTimeZone = "Europe/Paris"

// MandatEnd is the rule for when a mandat ends: its creation date plus the duration's days, at
// the same wall-clock time in Paris. A one-day mandat signed at 14h05 ends the next day at
// 14h05, on the day daylight saving time starts or ends too (that day has 23 or 25 hours).
func MandatEnd(created time.Time, days int) (time.Time, error) {
	paris, err := time.LoadLocation(MandatTimeZone)
	if err != nil {
		return time.Time{}, fmt.Errorf("mandat end: %w", err)
	}
	return created.In(paris).AddDate(0, 0, days).UTC(), nil
}

// Mandat is what a usager gives an organisation: one autorisation per démarche, for a duration.
type Mandat struct {
	bun.BaseModel `bun:"table:mandats"`

	ID                int64     `bun:"id,pk,autoincrement"`
	OrganisationID    int64     `bun:"organisation_id"`
	UsagerID          int64     `bun:"usager_id"`
	CreatedByAidantID int64     `bun:"created_by_aidant_id"`
	Duree             string    `bun:"duree"`
	CreatedAt         time.Time `bun:"created_at"`
	ExpiresAt         time.Time `bun:"expires_at"`
	TemplateVersion   string    `bun:"template_version"`
	AttestationHash   string    `bun:"attestation_hash"`
	VerifyTokenHash   []byte    `bun:"verify_token_hash"`

	Organisation  *Organisation  `bun:"rel:belongs-to,join:organisation_id=id"`
	Usager        *Usager        `bun:"rel:belongs-to,join:usager_id=id"`
	CreatedBy     *Aidant        `bun:"rel:belongs-to,join:created_by_aidant_id=id"`
	Autorisations []Autorisation `bun:"rel:has-many,join:id=mandat_id"`
}

// Autorisation is one démarche inside a mandat.
type Autorisation struct {
	bun.BaseModel `bun:"table:autorisations"`

	ID                int64      `bun:"id,pk,autoincrement"`
	MandatID          int64      `bun:"mandat_id"`
	Demarche          string     `bun:"demarche"`
	RevokedAt         *time.Time `bun:"revoked_at"`
	RevokedByAidantID *int64     `bun:"revoked_by_aidant_id"`
	// RevokedByUsager: the usager revoked it from their own space (no aidant did).
	RevokedByUsager bool `bun:"revoked_by_usager"`
}

// activeAutorisations narrows a query on autorisations (the model's alias, autorisation) to
// those in force at now: not revoked, in a mandat not expired. It joins the mandat as m, for
// the caller's own conditions on it. Both tests stay on bare columns, as the partial index
// autorisations_active_idx (WHERE revoked_at IS NULL) and the mandats indexes need.
func activeAutorisations(now time.Time) func(*bun.SelectQuery) *bun.SelectQuery {
	return func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Join("JOIN mandats AS m ON m.id = autorisation.mandat_id").
			Where("autorisation.revoked_at IS NULL AND m.expires_at > ?", now)
	}
}

// MandatStatus is derived, never stored.
type MandatStatus string

const (
	StatusActive  MandatStatus = "active"
	StatusExpired MandatStatus = "expired"
	StatusRevoked MandatStatus = "revoked"
)

// outdatedAfter is how long after its end a mandat stays visible to aidants.
const outdatedAfter = 365 * 24 * time.Hour

// Status is revoked when every autorisation is revoked, else expired when past its end, else active.
func (m *Mandat) Status(now time.Time) MandatStatus {
	if m.RevokedAt() != nil {
		return StatusRevoked
	}
	if !now.Before(m.ExpiresAt) {
		return StatusExpired
	}
	return StatusActive
}

// RevokedAt is when the last autorisation was revoked, if all are; nil otherwise.
func (m *Mandat) RevokedAt() *time.Time {
	var last *time.Time
	for _, a := range m.Autorisations {
		if a.RevokedAt == nil {
			return nil
		}
		if last == nil || a.RevokedAt.After(*last) {
			last = a.RevokedAt
		}
	}
	return last
}

// Outdated mandats (ended more than a year ago) disappear from aidant views but are kept.
func (m *Mandat) Outdated(now time.Time) bool {
	end := m.ExpiresAt
	if r := m.RevokedAt(); r != nil && r.Before(end) {
		end = *r
	}
	return now.Sub(end) > outdatedAfter
}

// Renewable: not outdated, and expired or still partly active (a fully revoked mandat is not).
func (m *Mandat) Renewable(now time.Time) bool {
	return !m.Outdated(now) && m.Status(now) != StatusRevoked
}

// Demarches lists the mandat's démarche keys in catalogue order.
func (m *Mandat) Demarches() []string {
	var keys []string
	for _, k := range DemarcheKeys() {
		for _, a := range m.Autorisations {
			if a.Demarche == k {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// AttestationHash binds the printed attestation to what was recorded: who, for whom, what,
// when, and which mandate text. It is salted so it cannot be recomputed from public data.
func AttestationHash(salt []byte, aidantID, orgID int64, usagerSub string, demarches []string, created, expires time.Time, template string) string {
	sorted := slices.Clone(demarches)
	slices.Sort(sorted)
	fields := []string{
		strconv.FormatInt(aidantID, 10), created.UTC().Format("2006-01-02"), strings.Join(sorted, ","),
		expires.UTC().Format("2006-01-02"), strconv.FormatInt(orgID, 10), template, usagerSub,
	}
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(strings.Join(fields, ";")))
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyToken is the mandat's public verification token (in the QR code). It is derived from
// the id with a secret key, so it is unguessable, reproducible, and never stored in clear.
func (s *Store) VerifyToken(mandatID int64) string {
	m := hmac.New(sha256.New, s.sealer.Key("mandat-verify"))
	m.Write([]byte(strconv.FormatInt(mandatID, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16]) // 128 bits: unguessable, and a smaller QR code
}

// GetMandat returns a mandat of the organisation with its usager, autorisations, organisation
// and creator. Another organisation's mandat is ErrNotFound.
func (s *Store) GetMandat(ctx context.Context, orgID, mandatID int64) (*Mandat, error) {
	return s.getMandat(ctx, byOrganisation(orgID), mandatID)
}

// mandatScope is whose mandats a query reaches: one organisation's (its aidants) or one
// usager's (their own space). The column is one of the two below, never input.
type mandatScope struct {
	column string
	id     int64
}

func byOrganisation(orgID int64) mandatScope { return mandatScope{"organisation_id", orgID} }
func byUsager(usagerID int64) mandatScope    { return mandatScope{"usager_id", usagerID} }

// getMandat returns a mandat within the scope with its usager, autorisations (by id),
// organisation and creator. Outside the scope: ErrNotFound.
func (s *Store) getMandat(ctx context.Context, scope mandatScope, mandatID int64) (*Mandat, error) {
	m := new(Mandat)
	err := s.db.NewSelect().Model(m).
		Relation("Organisation").Relation("Usager").Relation("CreatedBy").
		Relation("Autorisations", func(q *bun.SelectQuery) *bun.SelectQuery { return q.OrderExpr("id") }).
		Where("mandat.id = ?", mandatID).Where("mandat."+scope.column+" = ?", scope.id).Scan(ctx)
	return m, notFound(err, "get mandat")
}

// GetMandatByVerifyToken returns the mandat behind a public verification token.
func (s *Store) GetMandatByVerifyToken(ctx context.Context, token string) (*Mandat, error) {
	m := new(Mandat)
	err := s.db.NewSelect().Model(m).Relation("Organisation").Relation("Usager").Relation("Autorisations").
		Where("mandat.verify_token_hash = ?", HashToken(token)).Scan(ctx)
	return m, notFound(err, "get mandat by token")
}
