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
