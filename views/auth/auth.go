// Package auth renders the aidant's login pages.
package auth

import (
	"sort"

	"github.com/aidantsconnect/ac/views/ui"
)

// LoginData is the login form's state.
type LoginData struct {
	Email  string
	Next   string
	Errors ui.Errors
}

// WaitData is the page a login link opens before logging in.
type WaitData struct {
	Token string
	Next  string
}

// ActivityData is the "session expirée" code form.
type ActivityData struct {
	Next   string
	Errors ui.Errors
	// Kept: a form submitted after the deadline is held, and sent again after the code.
	Kept bool
}

// ResumeData is the form held by the activity check, sent again to where it was going.
type ResumeData struct {
	Action string
	Fields []Field
}

// Field is one value of a held form.
type Field struct {
	Name, Value string
}

// SortFields orders a held form's fields by name, keeping the order of a name's values.
func SortFields(fs []Field) {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
}
