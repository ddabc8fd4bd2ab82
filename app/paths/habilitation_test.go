package paths

import "testing"

func TestHabilitationBuilders(t *testing.T) {
	t.Parallel()
	const tok, dem = "tok_EN-1", "0b7e2a4c-1d2e-4f60-9a8b-123456789abc"
	for _, tc := range []struct {
		pattern, built, want string
	}{
		{HabilitationConfirmPattern, HabilitationConfirm("k"), "/habilitation/confirmer-email/k/"},
		{HabilitationSpacePattern, HabilitationSpace(tok), "/habilitation/demandeur/tok_EN-1/"},
		{HabilitationSiretPattern, HabilitationSiret(tok), "/habilitation/demandeur/tok_EN-1/siret/"},
		{HabilitationRequestPattern, HabilitationRequest(tok, dem), "/habilitation/demandeur/tok_EN-1/demandes/" + dem + "/"},
		{HabilitationStructurePattern, HabilitationStructure(tok, dem), "/habilitation/demandeur/tok_EN-1/demandes/" + dem + "/structure/"},
		{HabilitationReferentPattern, HabilitationReferent(tok, dem), "/habilitation/demandeur/tok_EN-1/demandes/" + dem + "/referent/"},
		{HabilitationAidantsPattern, HabilitationAidants(tok, dem), "/habilitation/demandeur/tok_EN-1/demandes/" + dem + "/aidants/"},
		{HabilitationSummaryPattern, HabilitationSummary(tok, dem), "/habilitation/demandeur/tok_EN-1/demandes/" + dem + "/recapitulatif/"},
		{HabilitationMessagePattern, HabilitationMessage(tok, dem), "/habilitation/demandeur/tok_EN-1/demandes/" + dem + "/messages/"},
	} {
		if tc.built != tc.want || !matcher(tc.pattern).MatchString(tc.built) {
			t.Errorf("%s: built %q, want %q", tc.pattern, tc.built, tc.want)
		}
	}
}

func TestStaffBuilders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pattern, built, want string
	}{
		{StaffRequestPattern, StaffRequest(7), "/staff/demandes/7/"},
		{StaffRequestValidatePattern, StaffRequestValidate(7), "/staff/demandes/7/valider/"},
		{StaffRequestRefusePattern, StaffRequestRefuse(7), "/staff/demandes/7/refuser/"},
		{StaffRequestAskPattern, StaffRequestAsk(7), "/staff/demandes/7/demander-modifications/"},
		{StaffRequestWaitPattern, StaffRequestWait(7), "/staff/demandes/7/remettre-en-attente/"},
		{StaffRequestMessagePattern, StaffRequestMessage(7), "/staff/demandes/7/messages/"},
		{StaffRequestProposePattern, StaffRequestPropose(7), "/staff/demandes/7/proposer-modifications/"},
		{StaffAidantRequestEligiblePattern, StaffAidantRequestEligible(3), "/staff/aidants-a-former/3/eligibilite/"},
		{StaffAidantRequestTrainedPattern, StaffAidantRequestTrained(3), "/staff/aidants-a-former/3/formation/"},
		{StaffAidantRequestRefusePattern, StaffAidantRequestRefuse(3), "/staff/aidants-a-former/3/refuser/"},
		{StaffCarteUnlinkPattern, StaffCarteUnlink(5), "/staff/cartes/5/dissocier/"},
		{StaffOrganisationPattern, StaffOrganisation(2), "/staff/organisations/2/"},
		{StaffOrganisationDeactivatePattern, StaffOrganisationDeactivate(2), "/staff/organisations/2/desactiver/"},
		{StaffOrganisationReactivatePattern, StaffOrganisationReactivate(2), "/staff/organisations/2/reactiver/"},
		{StaffAidantPattern, StaffAidant(9), "/staff/aidants/9/"},
		{StaffAidantDeactivatePattern, StaffAidantDeactivate(9), "/staff/aidants/9/desactiver/"},
		{StaffAidantReactivatePattern, StaffAidantReactivate(9), "/staff/aidants/9/reactiver/"},
	} {
		if tc.built != tc.want || !matcher(tc.pattern).MatchString(tc.built) {
			t.Errorf("%s: built %q, want %q", tc.pattern, tc.built, tc.want)
		}
	}
	if got := StaffRequestsFiltered(map[string][]string{"statut": {"new"}, "q": {""}}); got != "/staff/demandes/?statut=new" {
		t.Errorf("filtered: %q", got)
	}
	if got := StaffRequestsFiltered(map[string][]string{}); got != StaffRequests {
		t.Errorf("unfiltered: %q", got)
	}
}
