package espace

import (
	"strconv"

	"github.com/aidantsconnect/ac/views/ui"
)

// expiringText says how many mandats in force end within 30 days.
func expiringText(n int) string {
	if n == 1 {
		return "1 mandat de votre organisation expire dans les 30 jours."
	}
	return strconv.Itoa(n) + " mandats de votre organisation expirent dans les 30 jours."
}

// PreferencesData is the aidant's preferences page.
type PreferencesData struct {
	Digest bool // receives the weekly digest of the mandats that expire soon
	Errors ui.Errors
}
