package mail

import (
	"strconv"
	"strings"
)

// HabilitationData is what a habilitation email says: to whom, the links, the request.
type HabilitationData struct {
	FirstName    string
	Link         string // the demandeur's space, or the confirmation link (kind confirm)
	Organisation string // the structure's name
	Number       int64  // the habilitation number, once submitted
	Message      string // the team's message (changes, message), or the edited body (validated, refused)
}

// HabilitationSubject is the subject of a habilitation email of that kind.
func HabilitationSubject(kind string) string {
	switch kind {
	case "confirm":
		return "Confirmez votre adresse e-mail pour votre demande d'habilitation Aidants Connect"
	case "reminder":
		return "Le lien de votre espace demandeur Aidants Connect"
	case "draft":
		return "Votre demande d'habilitation Aidants Connect attend d'être terminée"
	case "created":
		return "Votre demande d'habilitation Aidants Connect a été créée"
	case "submitted":
		return "Votre demande d'habilitation Aidants Connect a été soumise"
	case "modified":
		return "Votre demande d'habilitation Aidants Connect a été modifiée"
	case "validated":
		return "Votre demande d'habilitation Aidants Connect est validée"
	case "refused":
		return "Votre demande d'habilitation Aidants Connect n'a pas été retenue"
	case "changes":
		return "L'équipe Aidants Connect demande des modifications à votre demande"
	case "proposed":
		return "L'équipe Aidants Connect propose des modifications à votre demande"
	case "waiting":
		return "Votre demande d'habilitation Aidants Connect est de nouveau en attente de validation"
	case "message":
		return "Un message de l'équipe Aidants Connect sur votre demande"
	case "referent":
		return "Vous êtes référent Aidants Connect de votre structure"
	case "eligible":
		return "Votre éligibilité à Aidants Connect est validée"
	case "trained":
		return "Un nouvel aidant est habilité : liez-lui une carte"
	case "aidant_refused":
		return "Une demande d'habilitation d'aidant n'a pas été retenue"
	}
	return "Votre demande d'habilitation Aidants Connect"
}

// Habilitation is the body of a habilitation email of that kind, as plain text.
func Habilitation(kind string, d HabilitationData) string {
	var b strings.Builder
	w := func(parts ...string) { b.WriteString(strings.Join(parts, "") + "\n") }
	w("Bonjour ", d.FirstName, ",")
	w()
	about := ""
	if d.Organisation != "" {
		about = " pour " + d.Organisation
	}
	if d.Number != 0 {
		about += " (n° " + strconv.FormatInt(d.Number, 10) + ")"
	}
	switch kind {
	case "confirm":
		w("Pour confirmer votre adresse e-mail et continuer votre demande d'habilitation, ouvrez ce lien (valable 3 jours) :")
	case "reminder":
		w("Vous avez demandé le lien de votre espace demandeur. Vous y retrouvez vos demandes d'habilitation :")
	case "created":
		w("Votre demande d'habilitation", about, " a été créée. Vous pouvez la compléter à tout moment depuis votre espace :")
	case "draft":
		w("Votre demande d'habilitation", about, " n'a pas été modifiée depuis un mois et n'est pas encore soumise.")
		w("Complétez-la puis soumettez-la depuis votre espace ; si vous n'en avez plus besoin, ignorez ce message :")
	case "submitted":
		w("Votre demande d'habilitation", about, " a été soumise. L'équipe Aidants Connect va l'étudier ; vous serez prévenu par e-mail.")
		w("Suivez-la depuis votre espace :")
	case "modified":
		w("Votre demande d'habilitation", about, " modifiée a été soumise à nouveau. Suivez-la depuis votre espace :")
	case "changes", "proposed":
		w("L'équipe Aidants Connect a étudié votre demande", about, " et vous écrit :")
		w()
		w(d.Message)
		w()
		w("Modifiez votre demande, puis soumettez-la à nouveau depuis votre espace :")
	case "message":
		w("L'équipe Aidants Connect vous a écrit au sujet de votre demande", about, " :")
		w()
		w(d.Message)
		w()
		w("Répondez depuis votre espace :")
	case "waiting":
		w("Votre demande d'habilitation", about, " est de nouveau en attente de validation par l'équipe Aidants Connect.")
		w("Suivez-la depuis votre espace :")
	case "referent":
		w("La structure", about, " est habilitée à Aidants Connect, et vous en êtes le ou la référente.")
		w("Ouvrez ce lien pour vous connecter à votre espace référent et configurer votre moyen de connexion (valable 7 jours, une seule fois) :")
	case "eligible":
		w("Votre éligibilité à Aidants Connect", about, " est validée : vous allez être invité à suivre la formation.")
	case "trained":
		w(d.Message, " a suivi la formation : son compte aidant", about, " est créé.")
		w("Liez-lui une carte TOTP ou une application depuis votre espace référent pour qu'il puisse se connecter :")
	case "aidant_refused":
		w("La demande d'habilitation de ", d.Message, about, " n'a pas été retenue par l'équipe Aidants Connect. Votre espace référent :")
	case "validated", "refused":
		w(d.Message)
		w()
		w("Votre espace demandeur :")
	}
	w(d.Link)
	w()
	w("L'équipe Aidants Connect")
	return b.String()
}

// ValidationDefault is the validation email's body the team edits before sending.
func ValidationDefault(organisation string, number int64) string {
	return "Bonne nouvelle : l'éligibilité de " + organisation + " à Aidants Connect est validée (habilitation n° " +
		strconv.FormatInt(number, 10) + ").\nLe ou la référente reçoit un e-mail pour se connecter à son espace référent ; " +
		"les aidants à habiliter vont être invités à suivre la formation."
}

// RefusalDefault is the refusal email's body the team edits before sending.
func RefusalDefault(organisation string) string {
	return "Après étude, la demande d'habilitation de " + organisation + " n'a pas été retenue. " +
		"Pour en savoir plus, répondez au message de l'équipe depuis votre espace demandeur."
}
