package paths

// The public habilitation form: a structure applies, without an account. The demandeur's
// pages are reached through an unguessable token (:token), and a request by its uuid
// (:demande), never an id.
const (
	Habilitation               = "/habilitation/"
	HabilitationDemandeur      = "/habilitation/nouveau-demandeur/"
	HabilitationEmailSent      = "/habilitation/verifiez-vos-emails/"
	HabilitationFollow         = "/habilitation/suivre-ma-demande/"
	HabilitationConfirmPattern = "/habilitation/confirmer-email/:key/"

	HabilitationSpacePattern     = "/habilitation/demandeur/:token/"
	HabilitationSiretPattern     = "/habilitation/demandeur/:token/siret/"
	HabilitationRequestPattern   = "/habilitation/demandeur/:token/demandes/:demande/"
	HabilitationStructurePattern = "/habilitation/demandeur/:token/demandes/:demande/structure/"
	HabilitationReferentPattern  = "/habilitation/demandeur/:token/demandes/:demande/referent/"
	HabilitationAidantsPattern   = "/habilitation/demandeur/:token/demandes/:demande/aidants/"
	HabilitationSummaryPattern   = "/habilitation/demandeur/:token/demandes/:demande/recapitulatif/"
	HabilitationMessagePattern   = "/habilitation/demandeur/:token/demandes/:demande/messages/"
)

func HabilitationConfirm(key string) string { return fill(HabilitationConfirmPattern, key) }

func HabilitationSpace(token string) string { return fill(HabilitationSpacePattern, token) }

func HabilitationSiret(token string) string { return fill(HabilitationSiretPattern, token) }

func HabilitationRequest(token, demande string) string {
	return fill(HabilitationRequestPattern, token, demande)
}

func HabilitationStructure(token, demande string) string {
	return fill(HabilitationStructurePattern, token, demande)
}

func HabilitationReferent(token, demande string) string {
	return fill(HabilitationReferentPattern, token, demande)
}

func HabilitationAidants(token, demande string) string {
	return fill(HabilitationAidantsPattern, token, demande)
}

func HabilitationSummary(token, demande string) string {
	return fill(HabilitationSummaryPattern, token, demande)
}

func HabilitationMessage(token, demande string) string {
	return fill(HabilitationMessagePattern, token, demande)
}
