package attestation

import (
	"time"

	"github.com/aidantsconnect/ac/views/ui"
)

// The wording below is shared by the HTML and the PDF, so both say exactly the same thing.
// Changing it changes the mandate text: bump store.MandatTemplateVersion with it.

// docTitle is the mandate's title; the PDF sets it on two lines.
const docTitle = docTitleLine1 + " " + docTitleLine2

const (
	docTitleLine1 = "Mandat pour réaliser des démarches en ligne"
	docTitleLine2 = "avec le service « Aidants Connect »"
)

// section is one titled part of the mandate's general clauses.
type section struct {
	Title string
	Paras []string
	Items []string // shown as a list after the paragraphs
}

// clauses are the general conditions every mandate carries, whoever signs it.
func clauses() []section {
	return []section{
		{
			Title: "Cadre juridique",
			Paras: []string{
				"Ce mandat est régi par les articles 1984 et suivants du Code civil : le mandataire agit en mon nom et pour mon compte, dans les limites fixées ci-dessus.",
				"Les démarches peuvent être faites en ligne, sur les sites qui proposent FranceConnect comme sur les autres, ou par tout autre moyen : téléphone, courrier, courrier électronique.",
			},
		},
		{
			Title: "Mes déclarations",
			Items: []string{
				"Je sais que je peux révoquer ce mandat à tout moment, sans avoir à me justifier, en m'adressant à l'organisation mandataire.",
				"Je déclare ne faire l'objet d'aucune mesure de protection juridique : je ne suis ni sous tutelle ni sous curatelle.",
			},
		},
		{
			Title: "Mes données personnelles",
			Paras: []string{
				"Pour réaliser les démarches, l'organisation mandataire et le service Aidants Connect utilisent les informations d'identité transmises par FranceConnect. Elles servent uniquement à l'exécution de ce mandat.",
				"Conformément au règlement général sur la protection des données (RGPD) et à la loi Informatique et Libertés, je peux consulter ces données, les faire corriger ou effacer, demander que leur utilisation soit limitée ou m'y opposer, en contactant l'organisation mandataire ou l'équipe Aidants Connect. Je peux aussi adresser une réclamation à la CNIL.",
			},
		},
		{
			Title: "Les engagements de l'aidant",
			Paras: []string{"L'aidant qui agit pour l'organisation mandataire s'engage à :"},
			Items: []string{
				"ne réaliser que les démarches autorisées par ce mandat, et toujours dans mon intérêt ;",
				"ne jamais me demander mes identifiants ni mes mots de passe, et ne pas les conserver ;",
				"garder confidentielles les informations qu'il apprend sur moi ;",
				"me tenir informé(e) des démarches réalisées et me remettre les justificatifs obtenus ;",
				"ne prendre aucune décision importante à ma place sans mon accord.",
			},
		},
		{
			Title: "Fin du mandat",
			Paras: []string{"Ce mandat prend fin à la date indiquée plus haut. Il peut aussi cesser plus tôt :"},
			Items: []string{
				"quand les démarches prévues sont terminées ;",
				"quand je le révoque ;",
				"quand l'organisation mandataire y renonce ;",
				"quand je confie les mêmes démarches à une autre personne ou organisation.",
			},
		},
	}
}

// mandateScope ends the sentence that names the organisation.
const mandateScope = "à agir en tant que mandataire et à réaliser à ma place les démarches administratives suivantes :"

// placeClause is ", située <address>," when the organisation's address is known.
func (d Data) placeClause() string {
	if d.OrganisationPlace == "" {
		return ""
	}
	return ", située " + d.OrganisationPlace + ","
}

// bornClause is ", née le …, commune de naissance …," when the usager's birth is known.
func (d Data) bornClause() string {
	if d.UsagerBorn == "" {
		return ""
	}
	return ", " + d.UsagerBorn + ","
}

// mandataire names the mandataire in its signature box.
func (d Data) mandataire() string {
	if d.AidantName == "" {
		return d.OrganisationName
	}
	return d.OrganisationName + ", représentée par " + d.AidantName
}

// durationSentence is "Ce mandat est donné pour une durée de 1 jour. Il prend fin le … à 14h05,
// à l'heure de sa signature (heure de Paris)." It states the end rule (store.MandatEnd).
func (d Data) durationSentence() string {
	s := ""
	if d.DureeLabel != "" {
		s = "Ce mandat est donné " + d.DureeLabel + ". "
	}
	return s + "Il prend fin le " + ui.LongDateTime(d.ExpiresAt) + ", à l'heure de sa signature (heure de Paris)."
}

// signedAt is "Fait à <city>, le <date>", without the place when the organisation has none.
func signedAt(city string, t time.Time) string {
	if city == "" {
		return "Fait le " + ui.LongDate(t)
	}
	return "Fait à " + city + ", le " + ui.LongDate(t)
}

// revocationAct is the verb phrase of the revocation: what is revoked, and for how many démarches.
func (d RevocationData) revocationAct() (act, scope string) {
	plural := len(d.Demarches) > 1
	switch {
	case d.WholeMandat:
		act = "révoque le mandat donné à "
	case plural:
		act = "révoque les autorisations données à "
	default:
		act = "révoque l'autorisation donnée à "
	}
	scope = "pour la démarche :"
	if plural {
		scope = "pour les démarches :"
	}
	return act, scope
}

// title is the reference's: "Révocation d'un mandat via le service Aidants Connect".
func (d RevocationData) title() string {
	if d.WholeMandat {
		return "Révocation d'un mandat via le service Aidants Connect"
	}
	return "Révocation d'une autorisation via le service Aidants Connect"
}

// serviceClause names the service the mandat was made through, inside the sentence.
const serviceClause = " avec le service « Aidants Connect »,"

// effectSentence says what the revocation changes, from when.
func (d RevocationData) effectSentence() string {
	s := "Cette révocation prend effet le " + ui.LongDate(d.RevokedAt) + " : à partir de cette date, l'organisation ne peut plus réaliser ces démarches pour mon compte."
	if !d.WholeMandat {
		s += " Les autres démarches du mandat, s'il y en a, ne sont pas concernées."
	}
	return s
}
