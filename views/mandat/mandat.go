// Package mandat renders the mandat creation and renewal wizard.
package mandat

import (
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/ui"
)

// FormID is the id of the step-1 form, the target of its htmx swaps.
const FormID = "mandat-form"

// NewData is step 1 (or the renewal form).
type NewData struct {
	Organisation *store.Organisation
	MultiOrg     bool
	Selected     []string
	Duree        string
	Errors       ui.Errors
	Renewal      *store.Usager // set for a renewal: no FranceConnect step
}

// Action is where the form posts.
func (d NewData) Action() string {
	if d.Renewal != nil {
		return paths.MandatRenew(d.Renewal.ID)
	}
	return paths.MandatNew
}

// IsSelected reports a ticked démarche.
func (d NewData) IsSelected(key string) bool {
	for _, k := range d.Selected {
		if k == key {
			return true
		}
	}
	return false
}

// Offered lists the démarches the organisation offers, in catalogue order.
func (d NewData) Offered() []store.Demarche {
	var out []store.Demarche
	for _, dm := range store.Demarches() {
		if d.Organisation.Allows(dm.Key) {
			out = append(out, dm)
		}
	}
	return out
}

// RecapData is step 3: what the usager agrees to, signed by the aidant's code.
type RecapData struct {
	Usager       *store.Usager
	Organisation *store.Organisation
	Demarches    []store.Demarche
	Duree        store.Duree
	Consent      bool
	Errors       ui.Errors
}

// HasArgent reports whether the argent warning applies.
func (d RecapData) HasArgent() bool {
	for _, dm := range d.Demarches {
		if dm.Key == "argent" {
			return true
		}
	}
	return false
}

func durees() []store.Duree { return store.Durees() }

// AlreadySignedData answers a second submission of a signed run.
type AlreadySignedData struct {
	MandatID int64
}
