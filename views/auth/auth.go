// Package auth renders the aidant's login pages.
package auth

import "github.com/aidantsconnect/ac/views/ui"

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
}
