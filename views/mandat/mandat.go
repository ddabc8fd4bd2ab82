// Package mandat renders the mandat creation and renewal wizard.
package mandat

import (
	"time"

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
	// Editing is the usager of a run being changed from its recap: the form posts back to the
	// run, with no FranceConnect step.
	Editing *store.Usager
}

// Action is where the form posts.
func (d NewData) Action() string {
	if d.Editing != nil {
		return paths.MandatRecapEdit
	}
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

// FirstDemarcheID is the id of the first démarche box: where the error summary sends focus.
func (d NewData) FirstDemarcheID() string {
	if o := d.Offered(); len(o) > 0 {
		return "demarche-" + o[0].Key
	}
	return "demarche"
}

// FirstDureeID is the id of the first duration's radio button.
func FirstDureeID() string { return "duree-" + store.Durees()[0].Key }

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
	// Current are the usager's mandats with the organisation (store.UsagerFile.Mandats): the
	// recap says which of their démarches the new mandat replaces and which stay.
	Current []store.Mandat
	Now     time.Time
	Loc     *time.Location
}

// InForce is one démarche of a mandat in force.
type InForce struct {
	Demarche store.Demarche
	Since    time.Time // the mandat's creation, in Loc
	Until    time.Time // its end, in Loc
}

// Replaced are the démarches in force that the new mandat revokes and takes over; Kept those
// that stay as they are.
func (d RecapData) Replaced() []InForce { return d.inForce(true) }

// Kept: see Replaced.
func (d RecapData) Kept() []InForce { return d.inForce(false) }

func (d RecapData) inForce(replaced bool) []InForce {
	chosen := map[string]bool{}
	for _, dm := range d.Demarches {
		chosen[dm.Key] = true
	}
	var out []InForce
	for _, m := range d.Current {
		if m.Status(d.Now) != store.StatusActive {
			continue
		}
		for _, a := range m.Autorisations {
			if a.RevokedAt != nil || chosen[a.Demarche] != replaced {
				continue
			}
			if dm, ok := store.FindDemarche(a.Demarche); ok {
				out = append(out, InForce{Demarche: dm, Since: m.CreatedAt.In(d.Loc), Until: m.ExpiresAt.In(d.Loc)})
			}
		}
	}
	return out
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
