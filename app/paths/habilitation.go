package paths

// The public habilitation form: a structure applies, without an account. The demandeur's
// pages are reached through an unguessable token, never an id.
const (
	Habilitation = "/habilitation/"
)
