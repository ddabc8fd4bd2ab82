// Package sandbox holds the bac à sable's pages: a trainee's sign-up and their space.
package sandbox

import (
	"time"

	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/ui"
)

// SignupData is the sign-up form: what was typed, and its errors.
type SignupData struct {
	FirstName, LastName, Email string
	Errors                     ui.Errors
}

// SpaceData is a trainee's space; Welcome right after the sign-up.
type SpaceData struct {
	Space    *store.TraineeSpace
	Welcome  bool
	Loc      *time.Location
	DemoCode string
}

// role words an account's place in the practice organisation: the first is the trainee's.
func role(i int) string {
	if i == 0 {
		return "Vous : référent et aidant"
	}
	return "Aidant fictif"
}
