package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// ManagedAidant is an aidant as their référent sees them: the account, the référent role in
// the scope's organisation, and what they log in with.
type ManagedAidant struct {
	ID               int64  `bun:"id"`
	Email            string `bun:"email"`
	FirstName        string `bun:"first_name"`
	LastName         string `bun:"last_name"`
	Profession       string `bun:"profession"`
	IsActive         bool   `bun:"is_active"`
	CanCreateMandats bool   `bun:"can_create_mandats"`
	IsReferent       bool   `bun:"is_referent"`
	CarteSerial      string `bun:"carte_serial"`
	CarteConfirmed   *bool  `bun:"carte_confirmed"` // nil: no carte
	AppConfirmed     *bool  `bun:"app_confirmed"`   // nil: no app
}

// FullName is "Prénom Nom".
func (m *ManagedAidant) FullName() string { return strings.TrimSpace(m.FirstName + " " + m.LastName) }

// Carte is the state of the aidant's carte.
func (m *ManagedAidant) Carte() CarteState { return deviceState(m.CarteConfirmed) }

// App is the state of the aidant's authenticator app.
func (m *ManagedAidant) App() CarteState { return deviceState(m.AppConfirmed) }

// CanLogIn reports a validated carte or a confirmed app.
func (m *ManagedAidant) CanLogIn() bool {
	return m.Carte() == DeviceValidated || m.App() == DeviceValidated
}

// CarteActions are the carte actions the availability matrix offers for this aidant.
func (m *ManagedAidant) CarteActions() CarteActions { return CarteActionsFor(m.IsActive, m.Carte()) }

// AppActions are the app actions offered for this aidant.
func (m *ManagedAidant) AppActions() AppActions { return AppActionsFor(m.IsActive, m.App()) }

func deviceState(confirmed *bool) CarteState {
	switch {
	case confirmed == nil:
		return DeviceNone
	case *confirmed:
		return DeviceValidated
	default:
		return DeviceUnvalidated
	}
}

// managedAidantColumns reads a ManagedAidant from aidants a, the scope's membership m and the
// devices (one carte and one app at most, by a unique index).
const managedAidantColumns = `a.id, a.email, a.first_name, a.last_name, a.profession, a.is_active, a.can_create_mandats,
	m.is_referent, coalesce(c.serial_number, '') AS carte_serial, dc.confirmed AS carte_confirmed, da.confirmed AS app_confirmed`

const managedAidantJoins = `JOIN aidants AS a ON a.id = m.aidant_id
	LEFT JOIN otp_devices AS dc ON dc.aidant_id = a.id AND dc.kind = 'carte'
	LEFT JOIN cartes_totp AS c ON c.id = dc.carte_id
	LEFT JOIN otp_devices AS da ON da.aidant_id = a.id AND da.kind = 'app'`

// AidantFilter is the aidants list's filter: words to find in names and emails, a status,
// a page (from 1).
type AidantFilter struct {
	Query  string
	Status AidantStatus
	Page   int
	// WithRequests also reads the organisation's requests (the whole page, not the live
	// filter's fragment).
	WithRequests bool
}

// AidantStatus narrows the list.
type AidantStatus string

const (
	AidantsAll      AidantStatus = ""
	AidantsActive   AidantStatus = "actifs"
	AidantsInactive AidantStatus = "inactifs"
	AidantsNoDevice AidantStatus = "sans-connexion" // active, with neither a validated carte nor a confirmed app
)

// AidantStatuses lists the filter's choices in display order.
func AidantStatuses() []AidantStatus {
	return []AidantStatus{AidantsAll, AidantsActive, AidantsInactive, AidantsNoDevice}
}

// ParseAidantStatus reads the filter's value; anything unknown is the whole list.
func ParseAidantStatus(s string) AidantStatus {
	for _, st := range AidantStatuses() {
		if string(st) == s {
			return st
		}
	}
	return AidantsAll
}

// AidantsPageSize is the number of aidants on one page of the list.
const AidantsPageSize = 50

// MaxAidantSearchLen bounds the text filter.
const MaxAidantSearchLen = 100

// AidantList is one page of an organisation's aidants, with the count for each status
// under the text filter.
type AidantList struct {
	Filter AidantFilter
	Rows   []ManagedAidant
	Counts map[AidantStatus]int
	Pages  int
	// Requests are the organisation's requests, when the filter asked for them.
	Requests *ReferentRequests
}

// Total is the number of aidants the filter selects, over all pages.
func (l *AidantList) Total() int { return l.Counts[l.Filter.Status] }

// noDeviceSQL is "has neither a validated carte nor a confirmed app", for aidants a.
const noDeviceSQL = `NOT EXISTS (SELECT 1 FROM otp_devices AS d WHERE d.aidant_id = a.id AND d.confirmed)`

func (f AidantFilter) where(q *bun.SelectQuery) *bun.SelectQuery {
	for _, w := range strings.Fields(f.Query) {
		q = q.Where("a.search_name LIKE '%' || public.f_search_text(?) || '%'", w)
	}
	return q
}

func (st AidantStatus) where(q *bun.SelectQuery) *bun.SelectQuery {
	switch st {
	case AidantsActive:
		return q.Where("a.is_active")
	case AidantsInactive:
		return q.Where("NOT a.is_active")
	case AidantsNoDevice:
		return q.Where("a.is_active AND " + noDeviceSQL)
	}
	return q
}

// ListManagedAidants is one page of the scope's organisation's members (active and inactive,
// référents included), by name, with what they log in with.
func (s *Store) ListManagedAidants(ctx context.Context, scope ReferentScope, f AidantFilter) (*AidantList, error) {
	if utf8.RuneCountInString(f.Query) > MaxAidantSearchLen {
		f.Query = string([]rune(f.Query)[:MaxAidantSearchLen])
	}
	f.Page = max(f.Page, 1)
	l := &AidantList{Filter: f, Counts: map[AidantStatus]int{}}
	var all, active, inactive, noDevice int
	counts := s.db.NewSelect().TableExpr("aidant_organisations AS m").
		Join("JOIN aidants AS a ON a.id = m.aidant_id").
		ColumnExpr("count(*)").
		ColumnExpr("count(*) FILTER (WHERE a.is_active)").
		ColumnExpr("count(*) FILTER (WHERE NOT a.is_active)").
		ColumnExpr("count(*) FILTER (WHERE a.is_active AND "+noDeviceSQL+")").
		Where("m.organisation_id = ?", scope.OrganisationID)
	if err := f.where(inScope(counts, scope)).Scan(ctx, &all, &active, &inactive, &noDevice); err != nil {
		return nil, fmt.Errorf("count aidants: %w", err)
	}
	l.Counts[AidantsAll], l.Counts[AidantsActive], l.Counts[AidantsInactive], l.Counts[AidantsNoDevice] = all, active, inactive, noDevice
	l.Pages = max(1, (l.Total()+AidantsPageSize-1)/AidantsPageSize)
	if all == 0 || f.WithRequests {
		// No row: an empty organisation, or one the référent does not manage.
		if _, _, err := s.scopeOf(ctx, scope); err != nil {
			return nil, err
		}
	}
	if f.WithRequests {
		var err error
		if l.Requests, err = s.listRequests(ctx, scope.OrganisationID); err != nil {
			return nil, err
		}
	}
	if all == 0 {
		return l, nil
	}
	page := s.db.NewSelect().TableExpr("aidant_organisations AS m").
		Join(managedAidantJoins).ColumnExpr(managedAidantColumns).
		Where("m.organisation_id = ?", scope.OrganisationID)
	page = f.Status.where(f.where(inScope(page, scope))).
		OrderExpr("lower(a.last_name), lower(a.first_name), a.id").
		Limit(AidantsPageSize).Offset(int64((f.Page - 1) * AidantsPageSize))
	if err := page.Scan(ctx, &l.Rows); err != nil {
		return nil, fmt.Errorf("list aidants: %w", err)
	}
	return l, nil
}

// AidantFile is the aidant page: the aidant, the organisations they share with the référent,
// the référent's organisations (for the membership form), and, while an app is being added,
// its secret for the QR code.
type AidantFile struct {
	Aidant       ManagedAidant
	Organisation *Organisation // the scope's
	// Shared are the aidant's organisations the référent manages; Managed all those the
	// référent manages. The aidant's other memberships are not shown.
	Shared  []Organisation
	Managed []Organisation
	// OtherMemberships counts the aidant's organisations the référent does not manage: a
	// deactivation removes the aidant from this organisation only while there are others.
	OtherMemberships int
	IsSelf           bool
	// PendingAppSecret is the unconfirmed app's secret, to show as a QR code until a code
	// confirms it; nil otherwise.
	PendingAppSecret []byte
}

// MemberOf reports whether the aidant belongs to the organisation.
func (f *AidantFile) MemberOf(orgID int64) bool {
	for _, o := range f.Shared {
		if o.ID == orgID {
			return true
		}
	}
	return false
}

// Memberships counts every organisation the aidant belongs to.
func (f *AidantFile) Memberships() int { return len(f.Shared) + f.OtherMemberships }

// GetManagedAidant returns a member of the scope's organisation, active or not, for their page.
func (s *Store) GetManagedAidant(ctx context.Context, scope ReferentScope, aidantID int64) (*AidantFile, error) {
	f := &AidantFile{}
	q := s.db.NewSelect().TableExpr("aidant_organisations AS m").
		Join(managedAidantJoins).ColumnExpr(managedAidantColumns).
		Where("m.organisation_id = ? AND m.aidant_id = ?", scope.OrganisationID, aidantID)
	if err := inScope(q, scope).Scan(ctx, &f.Aidant); err != nil {
		return nil, notFound(err, "get managed aidant")
	}
	org, _, err := s.scopeOf(ctx, scope)
	if err != nil {
		return nil, err
	}
	f.Organisation, f.IsSelf = org, aidantID == scope.ReferentID
	if f.Managed, err = s.managedOrganisations(ctx, scope.ReferentID); err != nil {
		return nil, err
	}
	var memberships []int64
	if err := s.db.NewSelect().Table("aidant_organisations").Column("organisation_id").
		Where("aidant_id = ?", aidantID).Scan(ctx, &memberships); err != nil {
		return nil, fmt.Errorf("memberships: %w", err)
	}
	for _, id := range memberships {
		shared := false
		for _, o := range f.Managed {
			if o.ID == id {
				f.Shared, shared = append(f.Shared, o), true
			}
		}
		if !shared {
			f.OtherMemberships++
		}
	}
	if f.Aidant.App() == DeviceUnvalidated {
		d := new(OTPDevice)
		if err := s.db.NewSelect().Model(d).Where("aidant_id = ? AND kind = 'app' AND NOT confirmed", aidantID).Scan(ctx); err != nil {
			return nil, notFound(err, "pending app")
		}
		if f.PendingAppSecret, err = s.sealer.Open(d.SeedEnc); err != nil {
			return nil, err
		}
	}
	return f, nil
}
