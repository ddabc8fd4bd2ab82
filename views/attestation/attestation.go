// Package attestation renders the mandate document an usager signs (screen, print and PDF),
// its public verification page, and the revocation attestation.
//
// Times are shown in their own location: handlers pass them already converted to the
// time zone the document is for (Europe/Paris), since a wrong day on a signed document
// is worse than any formatting detail.
package attestation

import (
	"time"

	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/ui"
)

// Data is everything the mandate document shows. Handlers fill it from store values.
type Data struct {
	UsagerName        string // store.Usager.FullName()
	UsagerBorn        string // ui.Born: birth date and place, for homonyms
	OrganisationName  string
	OrganisationPlace string // "address, zipcode city"
	OrganisationCity  string // the "Fait à" place
	AidantName        string // the aidant who created the mandat
	Demarches         []store.Demarche
	DureeLabel        string // store.Duree.Label: "pour une durée de 1 jour"
	CreatedAt         time.Time
	ExpiresAt         time.Time
	VerifyURL         string // absolute public URL encoded in the QR code
	AttestationHash   string
	Status            store.MandatStatus // screen version only, never in the document text
}

// PageData is the aidant's attestation page around the document.
type PageData struct {
	Doc     Data
	PDFURL  string
	Created bool // just created: show the success message
	// Replaced are the older autorisations this mandat revoked as it was signed (same
	// démarches): their revocation attestations are to be printed too.
	Replaced []Replaced
}

// Replaced is one revoked autorisation of an older mandat, with its revocation attestation.
type Replaced struct {
	Demarche        store.Demarche
	MandatCreatedAt time.Time // in the document's time zone
	AttestationURL  string
}

// VerifyData is all the public verification page may show. Nothing else about the usager
// belongs here: the page is reachable by anyone holding the paper.
type VerifyData struct {
	Status           store.MandatStatus
	OrganisationName string
	Initials         string // store.Usager.Initials()
	CreatedAt        time.Time
	ExpiresAt        time.Time
	RevokedAt        *time.Time
}

// RevocationData is the revocation attestation: a whole mandat, or some of its autorisations.
type RevocationData struct {
	UsagerName       string
	OrganisationName string
	OrganisationCity string
	MandatCreatedAt  time.Time
	RevokedAt        time.Time
	Demarches        []store.Demarche
	WholeMandat      bool
	PDFURL           string // the page offers the PDF when set
}

// Element ids the documents use to label their signature boxes.
const (
	sigMandataireID = "ac-attestation-sig-mandataire"
	sigMandantID    = "ac-attestation-sig-mandant"
)

// badge is the DSFR badge for a status: its text and its colour variant.
func badge(s store.MandatStatus) (text, class string) {
	switch s {
	case store.StatusActive:
		return "Mandat valide", "fr-badge--success"
	case store.StatusExpired:
		return "Mandat expiré", "fr-badge--warning"
	case store.StatusRevoked:
		return "Mandat révoqué", "fr-badge--error"
	}
	return "Statut inconnu", "fr-badge--info"
}

// verifySentence says in words what the badge says in colour.
func verifySentence(d VerifyData) string {
	switch d.Status {
	case store.StatusActive:
		return "Ce mandat est en cours : l'organisation mandataire peut réaliser des démarches pour le compte de la personne jusqu'au " + ui.LongDate(d.ExpiresAt) + "."
	case store.StatusExpired:
		return "Ce mandat n'est plus valable : il a pris fin le " + ui.LongDate(d.ExpiresAt) + "."
	case store.StatusRevoked:
		if d.RevokedAt != nil {
			return "Ce mandat n'est plus valable : il a été révoqué le " + ui.LongDate(*d.RevokedAt) + "."
		}
		return "Ce mandat n'est plus valable : il a été révoqué."
	}
	return "Le statut de ce mandat ne peut pas être établi. Adressez-vous à l'organisation mandataire."
}
