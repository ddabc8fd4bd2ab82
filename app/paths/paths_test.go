package paths

import (
	"regexp"
	"strings"
	"testing"
)

// matcher turns a route pattern into the regexp Fiber's router amounts to for it: each
// ":name" is one non-empty segment.
func matcher(pattern string) *regexp.Regexp {
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") {
			parts[i] = `[^/]+`
		} else {
			parts[i] = regexp.QuoteMeta(p)
		}
	}
	return regexp.MustCompile(`^` + strings.Join(parts, "/") + `$`)
}

func TestBuilders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pattern, built, want string
	}{
		{MagicLinkWaitPattern, MagicLinkWait("abc_DEF-1"), "/chargement/code/abc_DEF-1/"},
		{MagicLinkPattern, MagicLink("abc"), "/code/abc/"},
		{SandboxOutboxPattern, SandboxOutbox("abc_DEF-1"), "/bac-a-sable/boite/abc_DEF-1/"},
		{MandatVerifyPattern, MandatVerify("tok"), "/mandats/verifier/tok"},
		{MandatRenewPattern, MandatRenew(7), "/espace-aidant/renew_mandat/7"},
		{MandatAttestationPattern, MandatAttestation(12), "/espace-aidant/mandats/12/attestation/"},
		{MandatAttestationPDFPattern, MandatAttestationPDF(12), "/espace-aidant/mandats/12/attestation.pdf"},
		{UsagerPattern, Usager(3), "/espace-aidant/usagers/3/"},
		{MandatRevokePattern, MandatRevoke(4), "/espace-aidant/mandats/4/revoquer/"},
		{MandatRevokeDonePattern, MandatRevokeDone(4), "/espace-aidant/mandats/4/revoquer/succes/"},
		{MandatRevocationPattern, MandatRevocation(4), "/espace-aidant/mandats/4/revocation/"},
		{MandatRevocationPDFPattern, MandatRevocationPDF(4), "/espace-aidant/mandats/4/revocation.pdf"},
		{AutorisationRevokePattern, AutorisationRevoke(4, 9), "/espace-aidant/mandats/4/autorisations/9/revoquer/"},
		{AutorisationRevokeDonePattern, AutorisationRevokeDone(4, 9), "/espace-aidant/mandats/4/autorisations/9/revoquer/succes/"},
		{AutorisationRevocationPattern, AutorisationRevocation(4, 9), "/espace-aidant/mandats/4/autorisations/9/revocation/"},
		{AutorisationRevocationPDFPattern, AutorisationRevocationPDF(4, 9), "/espace-aidant/mandats/4/autorisations/9/revocation.pdf"},
		{ReferentAidantPattern, ReferentAidant(5), "/espace-referent/aidant/5/"},
		{ReferentCarteLinkPattern, ReferentCarteLink(5), "/espace-referent/aidant/5/lier-carte/"},
		{ReferentCarteValidatePattern, ReferentCarteValidate(5), "/espace-referent/aidant/5/valider-carte/"},
		{ReferentCarteUnlinkPattern, ReferentCarteUnlink(5), "/espace-referent/aidant/5/supprimer-carte/"},
		{ReferentAppStartPattern, ReferentAppStart(5), "/espace-referent/aidant/5/ajouter-otp-app/"},
		{ReferentAppConfirmPattern, ReferentAppConfirm(5), "/espace-referent/aidant/5/valider-otp-app/"},
		{ReferentAppRemovePattern, ReferentAppRemove(5), "/espace-referent/aidant/5/supprimer-otp-app/"},
		{ReferentDeactivatePattern, ReferentDeactivate(5), "/espace-referent/aidant/5/desactiver/"},
		{ReferentReactivatePattern, ReferentReactivate(5), "/espace-referent/aidant/5/reactiver/"},
		{ReferentMembershipsPattern, ReferentMemberships(5), "/espace-referent/aidant/5/changer-organisations/"},
		{ReferentHabilitationCancelPattern, ReferentHabilitationCancel(6), "/espace-referent/aidant-a-former/6/annuler-demande/"},
		{ReferentStructureChangeCancelPattern, ReferentStructureChangeCancel(6), "/espace-referent/demande-changement-structure/6/annuler/"},
		{ReferentCoReferentCancelPattern, ReferentCoReferentCancel(6), "/espace-referent/referents/non-aidant/6/annuler/"},
		// Espace usager.
		{MonEspaceMandatPDFPattern, MonEspaceMandatPDF(4), "/mon-espace/mandats/4/attestation.pdf"},
		{MonEspaceMandatRevokePattern, MonEspaceMandatRevoke(4), "/mon-espace/mandats/4/revoquer/"},
		{MonEspaceMandatRevocationPattern, MonEspaceMandatRevocation(4), "/mon-espace/mandats/4/revocation/"},
		{MonEspaceAutorisationRevokePattern, MonEspaceAutorisationRevoke(4, 9), "/mon-espace/mandats/4/autorisations/9/revoquer/"},
		{MonEspaceAutorisationRevocationPattern, MonEspaceAutorisationRevocation(4, 9), "/mon-espace/mandats/4/autorisations/9/revocation/"},
		{MonEspaceMandatRevocationPDFPattern, MonEspaceMandatRevocationPDF(4), "/mon-espace/mandats/4/revocation.pdf"},
		{MonEspaceAutorisationRevocationPDFPattern, MonEspaceAutorisationRevocationPDF(4, 9), "/mon-espace/mandats/4/autorisations/9/revocation.pdf"},
	} {
		if tc.built != tc.want {
			t.Errorf("built %q, want %q", tc.built, tc.want)
		}
		if !matcher(tc.pattern).MatchString(tc.built) {
			t.Errorf("%q does not match its pattern %q", tc.built, tc.pattern)
		}
	}
}

func TestQueries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ got, want string }{
		{LoginThen(""), "/accounts/login/"},
		{LoginThen("/espace-aidant/usagers/?q=a b"), "/accounts/login/?next=%2Fespace-aidant%2Fusagers%2F%3Fq%3Da+b"},
		{ActivityCheckThen("/espace-aidant/"), "/activity_check/?next=%2Fespace-aidant%2F"},
		{MandatAttestationCreated(5), "/espace-aidant/mandats/5/attestation/?cree=1"},
		{UsagersTab("actifs", "", 1), "/espace-aidant/usagers/?onglet=actifs"},
		{UsagersTab("expires", "dupont", 3), "/espace-aidant/usagers/?onglet=expires&page=3&q=dupont"},
		{UsagersExpiringSoon("", 1), "/espace-aidant/usagers/?expire=bientot&onglet=actifs"},
		{UsagersExpiringSoon("dupont", 2), "/espace-aidant/usagers/?expire=bientot&onglet=actifs&page=2&q=dupont"},
		{IdPStep(IdPDemarcheChoice, "f l/ow"), "/select_demarche/?id=f+l%2Fow"},
		{MonEspaceUsesPage(1), "/mon-espace/demarches/"},
		{MonEspaceUsesPage(3), "/mon-espace/demarches/?page=3"},
		{MonEspaceLoginProblem("annule"), "/mon-espace/connexion/?erreur=annule"},
		{MagicLink("a/b"), "/code/a%2Fb/"},
		{ReferentAidantsFiltered("", "", 1), "/espace-referent/aidants/"},
		{ReferentAidantsFiltered("jean d", "inactifs", 2), "/espace-referent/aidants/?page=2&q=jean+d&statut=inactifs"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
