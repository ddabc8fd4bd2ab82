package paths

import "net/url"

// The staff back-office: the national team reviews habilitation requests, accounts and the
// stock of cartes TOTP. Every page is 404 to anyone but a staff account.
const (
	Staff = "/staff/"

	StaffRequests               = "/staff/demandes/"
	StaffRequestPattern         = "/staff/demandes/:demande/"
	StaffRequestValidatePattern = "/staff/demandes/:demande/valider/"
	StaffRequestRefusePattern   = "/staff/demandes/:demande/refuser/"
	StaffRequestAskPattern      = "/staff/demandes/:demande/demander-modifications/"
	StaffRequestWaitPattern     = "/staff/demandes/:demande/remettre-en-attente/"
	StaffRequestProposePattern  = "/staff/demandes/:demande/proposer-modifications/"
	StaffRequestMessagePattern  = "/staff/demandes/:demande/messages/"

	StaffAidantRequests               = "/staff/aidants-a-former/"
	StaffAidantRequestEligiblePattern = "/staff/aidants-a-former/:demande/eligibilite/"
	StaffAidantRequestTrainedPattern  = "/staff/aidants-a-former/:demande/formation/"
	StaffAidantRequestRefusePattern   = "/staff/aidants-a-former/:demande/refuser/"

	StaffCartes             = "/staff/cartes/"
	StaffCartesImport       = "/staff/cartes/import/"
	StaffCarteUnlinkPattern = "/staff/cartes/:carte/dissocier/"

	StaffOrganisations                 = "/staff/organisations/"
	StaffOrganisationPattern           = "/staff/organisations/:organisation/"
	StaffOrganisationDeactivatePattern = "/staff/organisations/:organisation/desactiver/"
	StaffOrganisationReactivatePattern = "/staff/organisations/:organisation/reactiver/"
	StaffAidants                       = "/staff/aidants/"
	StaffAidantPattern                 = "/staff/aidants/:aidant/"
	StaffAidantDeactivatePattern       = "/staff/aidants/:aidant/desactiver/"
	StaffAidantReactivatePattern       = "/staff/aidants/:aidant/reactiver/"
)

func StaffRequest(id int64) string         { return fill(StaffRequestPattern, itoa(id)) }
func StaffRequestValidate(id int64) string { return fill(StaffRequestValidatePattern, itoa(id)) }
func StaffRequestRefuse(id int64) string   { return fill(StaffRequestRefusePattern, itoa(id)) }
func StaffRequestAsk(id int64) string      { return fill(StaffRequestAskPattern, itoa(id)) }
func StaffRequestWait(id int64) string     { return fill(StaffRequestWaitPattern, itoa(id)) }
func StaffRequestMessage(id int64) string  { return fill(StaffRequestMessagePattern, itoa(id)) }
func StaffRequestPropose(id int64) string  { return fill(StaffRequestProposePattern, itoa(id)) }

func StaffAidantRequestEligible(id int64) string {
	return fill(StaffAidantRequestEligiblePattern, itoa(id))
}

func StaffAidantRequestTrained(id int64) string {
	return fill(StaffAidantRequestTrainedPattern, itoa(id))
}

func StaffAidantRequestRefuse(id int64) string {
	return fill(StaffAidantRequestRefusePattern, itoa(id))
}

func StaffCarteUnlink(id int64) string { return fill(StaffCarteUnlinkPattern, itoa(id)) }

func StaffOrganisation(id int64) string { return fill(StaffOrganisationPattern, itoa(id)) }

func StaffOrganisationDeactivate(id int64) string {
	return fill(StaffOrganisationDeactivatePattern, itoa(id))
}

func StaffOrganisationReactivate(id int64) string {
	return fill(StaffOrganisationReactivatePattern, itoa(id))
}

func StaffAidant(id int64) string           { return fill(StaffAidantPattern, itoa(id)) }
func StaffAidantDeactivate(id int64) string { return fill(StaffAidantDeactivatePattern, itoa(id)) }
func StaffAidantReactivate(id int64) string { return fill(StaffAidantReactivatePattern, itoa(id)) }

// StaffRequestsFiltered is the requests list with its filters (empty ones left out).
func StaffRequestsFiltered(q url.Values) string {
	for k, v := range q {
		if len(v) == 0 || v[0] == "" {
			q.Del(k)
		}
	}
	if len(q) == 0 {
		return StaffRequests
	}
	return StaffRequests + "?" + q.Encode()
}

func itoa(n int64) string { return id(n) }
