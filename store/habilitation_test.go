package store_test

import (
	"testing"

	"github.com/aidantsconnect/ac/store"
)

// Every status and action: the ones listed are allowed (to the status given), every other
// pair is refused and leaves the status as it is.
func TestHabilitationTransitions(t *testing.T) {
	t.Parallel()
	const (
		brouillon = store.HabilitationNew
		attente   = store.HabilitationProcessing
		validee   = store.HabilitationValidated
		refusee   = store.HabilitationRefused
		cloturee  = store.HabilitationClosed
		demandees = store.HabilitationChangesRequired
		proposees = store.HabilitationChangesProposed
	)
	type key struct {
		from store.HabilitationStatus
		act  store.HabilitationAction
	}
	allowed := map[key]store.HabilitationStatus{
		{brouillon, store.ActSubmit}: attente,
		{demandees, store.ActSubmit}: attente,
		{proposees, store.ActSubmit}: attente,
		{attente, store.ActValidate}: validee,
		{attente, store.ActRefuse}:   refusee,
		{demandees, store.ActRefuse}: refusee,
		{proposees, store.ActRefuse}: refusee,
		{attente, store.ActAsk}:      demandees,
		{proposees, store.ActAsk}:    demandees,
		{attente, store.ActPropose}:  proposees,
		{demandees, store.ActWait}:   attente,
		{proposees, store.ActWait}:   attente,
		{refusee, store.ActWait}:     attente,
		{validee, store.ActClose}:    cloturee,
	}
	n := 0
	for _, from := range store.HabilitationStatuses() {
		for _, act := range store.HabilitationActions() {
			want, ok := allowed[key{from, act}]
			if !ok {
				want = from
			}
			got, gotOK := store.HabilitationTransition(from, act)
			if got != want || gotOK != ok {
				t.Errorf("%s from %s: got %s, %v; want %s, %v", act, from, got, gotOK, want, ok)
			}
			if gotOK {
				n++
			}
		}
	}
	if n != len(allowed) || len(store.HabilitationStatuses())*len(store.HabilitationActions()) != 49 {
		t.Errorf("%d transitions allowed, the table lists %d", n, len(allowed))
	}
	if _, ok := store.HabilitationTransition(attente, "frobnicate"); ok {
		t.Error("an unknown action is allowed")
	}
	// Editing: the draft and the two change statuses only.
	for _, s := range store.HabilitationStatuses() {
		want := s == brouillon || s == demandees || s == proposees
		if s.Editable() != want {
			t.Errorf("%s editable: %v", s, s.Editable())
		}
		if s.Label() == string(s) {
			t.Errorf("%s has no label", s)
		}
	}
}
