package paths

// The staff back-office: the national team reviews habilitation requests, accounts and the
// stock of cartes TOTP. Every page is 404 to anyone but a staff account.
const (
	Staff = "/staff/"
)
