// Package usagers renders the espace aidant's usagers: the list with its search, one
// usager's mandats, and the revocation pages.
package usagers

import (
	"strconv"
	"strings"
	"time"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/ui"
)

// Element ids the htmx attributes and the tests refer to.
const (
	ResultsID = "usagers-results" // the region the search swaps: tabs, table, pagination
	StatusID  = "usagers-status"  // the live region announcing the counts
	SearchID  = "usagers-q"       // the search box
	PanelID   = "usagers-panel"   // the selected tab's panel
	SoonID    = "usagers-soon"    // the link narrowing the actifs tab to the mandats ending soon
)

// TabID is the id of a tab's link.
func TabID(t store.UsagerTab) string { return "usagers-tab-" + string(t) }

// IndexData is the usagers list page (and its search fragment).
type IndexData struct {
	Query     string          // the search as typed (trimmed)
	Tab       store.UsagerTab // the selected tab
	Error     string          // the search box's error; List is nil then
	List      *store.UsagerList
	Now       time.Time
	Loc       *time.Location // dates are shown in the service's time zone
	CanCreate bool           // the aidant may renew mandats
	// Soon: the actifs tab narrowed to the mandats ending within 30 days (?expire=bientot).
	Soon bool
}

// URL is the list's address for a tab and page, keeping the search (and the narrowing to
// the mandats ending soon, on the actifs tab).
func (d IndexData) URL(t store.UsagerTab, page int) string {
	if d.Soon && t == store.TabActifs {
		return paths.UsagersExpiringSoon(d.Query, page)
	}
	return paths.UsagersTab(string(t), d.Query, page)
}

// TabURL is a tab's first page, keeping the search: a tab link shows the whole tab.
func (d IndexData) TabURL(t store.UsagerTab) string { return paths.UsagersTab(string(t), d.Query, 1) }

// SoonURL is the actifs tab narrowed to the mandats ending soon, keeping the search.
func (d IndexData) SoonURL() string { return paths.UsagersExpiringSoon(d.Query, 1) }

// SoonCount is how many usagers of the actifs tab have a mandat ending soon.
func (d IndexData) SoonCount() int {
	if d.List == nil {
		return 0
	}
	return d.List.Counts.Soon
}

// SoonText is what the narrowed list holds: "3 mandats en vigueur expirent dans les 30
// jours, pour 2 usagers." (the home's notice counts the same mandats).
func (d IndexData) SoonText() string {
	c := d.List.Counts
	switch c.SoonMandats {
	case 0:
		return "Aucun mandat en vigueur n'expire dans les 30 jours."
	case 1:
		return "1 mandat en vigueur expire dans les 30 jours, pour 1 usager."
	}
	return strconv.Itoa(c.SoonMandats) + " mandats en vigueur expirent dans les 30 jours, pour " + plural(c.Soon, "usager", "usagers") + "."
}

// pageURL is the address of a page of the selected tab; "" when there is no such page.
func (d IndexData) pageURL(page int) string {
	if page < 1 || page > d.List.Pages {
		return ""
	}
	return d.URL(d.Tab, page)
}

// TabLabel is "Mandats actifs", …
func TabLabel(t store.UsagerTab) string {
	switch t {
	case store.TabExpires:
		return "Mandats expirés"
	case store.TabRevoques:
		return "Mandats révoqués"
	}
	return "Mandats actifs"
}

// Count is the number of mandats in a tab (0 without a list).
func (d IndexData) Count(t store.UsagerTab) int {
	if d.List == nil {
		return 0
	}
	return d.List.Counts.Of(t)
}

// StatusText says what the list holds, for everyone and for the live region.
func (d IndexData) StatusText() string {
	if d.List == nil {
		return "Aucune recherche effectuée : corrigez le texte recherché."
	}
	if d.Soon && d.Query == "" {
		return d.SoonText()
	}
	c := d.List.Counts
	detail := "mandat actif pour " + strconv.Itoa(c.Actifs) + ", expiré pour " + strconv.Itoa(c.Expires) + ", révoqué pour " + strconv.Itoa(c.Revoques) + "."
	if d.Query == "" {
		return plural(c.Total(), "usager", "usagers") + " : " + detail
	}
	if c.Total() == 0 {
		return "Aucun usager trouvé pour « " + d.Query + " »."
	}
	return plural(c.Total(), "usager trouvé", "usagers trouvés") + " pour « " + d.Query + " » : " + detail
}

// Title is the page's title, one per tab: "Usagers – mandats actifs" (the reference's page
// title is "Usagers").
func (d IndexData) Title() string {
	if d.Soon {
		return "Usagers – mandats actifs expirant dans les 30 jours"
	}
	return "Usagers – " + strings.ToLower(TabLabel(d.Tab)[:1]) + TabLabel(d.Tab)[1:]
}

// CaptionText names the table of a tab.
func CaptionText(t store.UsagerTab) string {
	switch t {
	case store.TabExpires:
		return "Usagers dont un mandat a expiré"
	case store.TabRevoques:
		return "Usagers dont un mandat a été révoqué"
	}
	return "Usagers ayant un mandat actif"
}

// MandatsColumn is the heading of the mandats' summary.
func MandatsColumn(t store.UsagerTab) string {
	switch t {
	case store.TabExpires:
		return "Mandat expiré"
	case store.TabRevoques:
		return "Mandat révoqué"
	}
	return "Mandat actif"
}

// MandatsText summarises a row's mandats of the tab: "Jusqu'au 01/06/2027", "2 mandats,
// jusqu'au 01/02/2027 et au 01/06/2027", "Révoqué le …", "Expiré le …".
func (d IndexData) MandatsText(r store.UsagerRow) string {
	dates := make([]string, len(r.Ends))
	for i, e := range r.Ends {
		dates[i] = date(e, d.Loc)
	}
	list := strings.Join(dates, ", ")
	if n := len(dates); n > 1 {
		list = strings.Join(dates[:n-1], ", ") + " et le " + dates[n-1]
	}
	var verb string
	switch d.Tab {
	case store.TabExpires:
		verb = "expiré le "
	case store.TabRevoques:
		verb = "révoqué le "
	default:
		verb = "jusqu'au "
		if len(dates) > 1 {
			list = strings.Join(dates[:len(dates)-1], ", au ") + " et au " + dates[len(dates)-1]
		}
	}
	if r.Mandats > 1 {
		return strconv.Itoa(r.Mandats) + " mandats, " + strings.Replace(verb, "é le", "és le", 1) + list
	}
	return strings.ToUpper(verb[:1]) + verb[1:] + list
}

// EmptyText is the selected tab's message when it has no row.
func (d IndexData) EmptyText() string {
	if d.Query != "" {
		return "Aucun usager de cet onglet ne correspond à « " + d.Query + " »."
	}
	if d.Soon {
		return "Aucun de vos mandats actifs n'expire dans les 30 jours."
	}
	switch d.Tab {
	case store.TabExpires:
		return "Vous n'avez pas de mandat expiré."
	case store.TabRevoques:
		return "Vous n'avez pas de mandat révoqué."
	}
	return "Vous n'avez pas de mandat actif."
}

// PageText is "Page 2 sur 14".
func (d IndexData) PageText() string {
	return "Page " + strconv.Itoa(d.List.Search.Page) + " sur " + strconv.Itoa(d.List.Pages)
}

// ShowData is one usager's page.
type ShowData struct {
	File      *store.UsagerFile
	Now       time.Time
	Loc       *time.Location
	CanCreate bool // the aidant may renew and revoke
}

// Group lists the usager's visible mandats of one status, newest first.
func (d ShowData) Group(t store.UsagerTab) []store.Mandat {
	var out []store.Mandat
	for _, m := range d.File.Mandats {
		if store.TabOf(m.Status(d.Now)) == t {
			out = append(out, m)
		}
	}
	return out
}

// SeparatelyRevoked: the autorisation was revoked on its own (or replaced by a newer
// mandat), not with its whole mandat, so it has its own revocation attestation.
func (d ShowData) SeparatelyRevoked(m store.Mandat, a store.Autorisation) bool {
	if a.RevokedAt == nil {
		return false
	}
	last := m.RevokedAt()
	return !d.File.CancelledMandats[m.ID] || last == nil || !a.RevokedAt.Equal(*last)
}

// GroupEmptyText is an empty group's sentence.
func GroupEmptyText(t store.UsagerTab) string {
	switch t {
	case store.TabExpires:
		return "Vous n'avez pas de mandat expiré avec cet usager."
	case store.TabRevoques:
		return "Vous n'avez pas de mandat révoqué avec cet usager."
	}
	return "Vous n'avez pas de mandat actif avec cet usager."
}

// RevokeData is a revocation's confirmation or success page.
type RevokeData struct {
	Mandat       *store.Mandat
	Autorisation *store.Autorisation // nil: the whole mandat
	Now          time.Time
	Loc          *time.Location
}

// Demarches are what the page is about: the one autorisation, or those still in force
// (confirmation) or just revoked (success) for the whole mandat.
func (d RevokeData) Demarches() []store.Demarche {
	if d.Autorisation != nil {
		return store.DemarchesOf([]store.Autorisation{*d.Autorisation})
	}
	var in []store.Autorisation
	for _, a := range d.Mandat.Autorisations {
		if a.RevokedAt == nil {
			in = append(in, a)
		}
	}
	if len(in) == 0 {
		in = d.Mandat.RevokedTogether()
	}
	return store.DemarchesOf(in)
}

// ActionURL is where the confirmation posts.
func (d RevokeData) ActionURL() string {
	if d.Autorisation != nil {
		return paths.AutorisationRevoke(d.Mandat.ID, d.Autorisation.ID)
	}
	return paths.MandatRevoke(d.Mandat.ID)
}

// AttestationURL is the printable revocation attestation.
func (d RevokeData) AttestationURL() string {
	if d.Autorisation != nil {
		return paths.AutorisationRevocation(d.Mandat.ID, d.Autorisation.ID)
	}
	return paths.MandatRevocation(d.Mandat.ID)
}

// currentIf is aria-current's value: "page" for the link shown, "false" otherwise.
func currentIf(b bool) string {
	if b {
		return "page"
	}
	return "false"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func plural(n int, one, many string) string {
	if n <= 1 {
		return strconv.Itoa(n) + " " + one
	}
	return strconv.Itoa(n) + " " + many
}

// date is dd/mm/yyyy in loc (nil: as is, for dates without a time such as birth dates).
func date(t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	return ui.Date(t)
}

func demarcheTitle(key string) string {
	if d, ok := store.FindDemarche(key); ok {
		return d.Title
	}
	return key
}

func demarcheShort(key string) string {
	if d, ok := store.FindDemarche(key); ok {
		return d.ShortTitle
	}
	return key
}

func dureeLabel(key string) string {
	if d, ok := store.FindDuree(key); ok {
		return d.Title
	}
	return key
}

// hour is "14h05" in loc.
func hour(t time.Time, loc *time.Location) string { return t.In(loc).Format("15h04") }

// mandatName tells a usager's mandats apart, two signed the same day included: "Mandat du
// 01/12/2026 à 14h05".
func mandatName(m store.Mandat, loc *time.Location) string { return "Mandat " + signedWhen(m, loc) }

// signedWhen is "du 01/12/2026 à 14h05".
func signedWhen(m store.Mandat, loc *time.Location) string {
	return "du " + date(m.CreatedAt, loc) + " à " + hour(m.CreatedAt, loc)
}

// shortTitles are the mandat's démarches, short: "Papiers, Social".
func shortTitles(m store.Mandat) string {
	out := ""
	for i, k := range m.Demarches() {
		if i > 0 {
			out += ", "
		}
		out += demarcheShort(k)
	}
	return out
}

// NotRevocableData is the answer to revoking what is no longer in force.
type NotRevocableData struct {
	RevokeData
	WholeCancelled bool // the mandat was revoked as a whole: it has its own attestation
}

// Done reports that there is nothing left to revoke: the démarche, or the whole mandat, is
// revoked or expired.
func (d NotRevocableData) Done() bool {
	if d.Autorisation != nil && d.Autorisation.RevokedAt != nil {
		return true
	}
	return d.Mandat.Status(d.Now) != store.StatusActive
}

// Revoked reports a revocation (rather than an expiry).
func (d NotRevocableData) Revoked() bool {
	if d.Autorisation != nil {
		return d.Autorisation.RevokedAt != nil
	}
	return d.Mandat.Status(d.Now) == store.StatusRevoked
}

// Title is the page's title and h1.
func (d NotRevocableData) Title() string {
	switch {
	case d.Autorisation != nil && d.Revoked():
		return "Cette démarche est déjà révoquée"
	case d.Revoked():
		return "Ce mandat est déjà révoqué"
	}
	return "Ce mandat a expiré"
}

// RevokedAutorisations are the mandat's revoked autorisations, each with its attestation.
func (d NotRevocableData) RevokedAutorisations() []store.Autorisation {
	if d.Autorisation != nil {
		return []store.Autorisation{*d.Autorisation}
	}
	var out []store.Autorisation
	for _, a := range d.Mandat.Autorisations {
		if a.RevokedAt != nil {
			out = append(out, a)
		}
	}
	return out
}

// mandatOf is "mandat du 01/12/2026 à 14h05", inside a sentence.
func mandatOf(m store.Mandat, loc *time.Location) string { return "mandat " + signedWhen(m, loc) }
