package store

import (
	"context"
	"fmt"
)

// Journal action kinds of the espace référent, besides the carte ones (ActionCardAssociation,
// ActionCardValidation, ActionCardDissociation). The référent is the entry's aidant; the
// aidant acted upon is named in its info.
const (
	ActionAidantDeactivation      = "aidant_deactivation"
	ActionAidantReactivation      = "aidant_reactivation"
	ActionMembershipAdd           = "membership_add"
	ActionMembershipRemove        = "membership_remove"
	ActionReferentPromotion       = "referent_promotion"
	ActionOrganisationDemarches   = "organisation_demarches"
	ActionHabilitationRequest     = "habilitation_request"
	ActionHabilitationCancel      = "habilitation_request_cancel"
	ActionStructureChangeRequest  = "structure_change_request"
	ActionStructureChangeCancel   = "structure_change_cancel"
	ActionCoReferentRequest       = "coreferent_request"
	ActionCoReferentRequestCancel = "coreferent_request_cancel"
)

// NoticeKind says which change a référent made to an aidant's account.
type NoticeKind string

// The changes an aidant is told about by e-mail.
const (
	NoticeCarteLinked          NoticeKind = "carte_linked"
	NoticeCarteValidated       NoticeKind = "carte_validated"
	NoticeCarteUnlinked        NoticeKind = "carte_unlinked"
	NoticeAppAdded             NoticeKind = "app_added"
	NoticeAppRemoved           NoticeKind = "app_removed"
	NoticeDeactivated          NoticeKind = "deactivated"
	NoticeReactivated          NoticeKind = "reactivated"
	NoticeRemoved              NoticeKind = "removed_from_organisation"
	NoticeOrganisationsChanged NoticeKind = "organisations_changed"
	NoticeAddedToOrganisation  NoticeKind = "added_to_organisation"
	NoticePromotedReferent     NoticeKind = "promoted_referent"
)

// Notice is one change to tell an aidant about.
type Notice struct {
	Kind          NoticeKind
	Aidant        *Aidant       // who is told
	Referent      *Aidant       // who made the change
	Organisation  *Organisation // where it was made
	Serial        string        // the carte's, for carte notices
	Reason        string        // why a carte was unlinked (its label)
	Organisations []string      // the aidant's organisations after a change, by name
}

// NoticeFunc words the e-mail for a notice (the views do); the store queues it in the
// transaction of the change, so the aidant is told if and only if it happened.
type NoticeFunc func(ctx context.Context, n Notice) (Email, error)

// tell queues the notice's e-mail; without a NoticeFunc nobody is told (seeding).
func (s *Store) tell(ctx context.Context, fn NoticeFunc, n Notice) error {
	if fn == nil {
		return nil
	}
	e, err := fn(ctx, n)
	if err != nil {
		return fmt.Errorf("notice %s: %w", n.Kind, err)
	}
	return s.QueueEmail(ctx, e)
}

// aidantInfo names the aidant acted upon in a journal entry.
func aidantInfo(a *Aidant) string { return fmt.Sprintf("aidant #%d (%s)", a.ID, a.FullName()) }
