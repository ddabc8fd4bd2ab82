package app

import (
	"cmp"

	"github.com/aidantsconnect/ac/app/sirene"
	"github.com/aidantsconnect/ac/handlers"
)

// habilitationPages is the public habilitation form with its SIRENE directory: the INSEE API
// when a key is configured; otherwise the fictitious directory in dev and sandbox (listed on
// the SIRET step), and in production a directory that says it is unavailable.
func habilitationPages(cfg Config, h *handlers.Handlers) *handlers.Habilitation {
	p := &handlers.Habilitation{Handlers: h}
	switch {
	case cfg.INSEEToken != "":
		p.Sirene = sirene.INSEE{URL: cmp.Or(cfg.INSEEURL, sirene.DefaultINSEEURL), Token: cfg.INSEEToken}
	case cfg.Dev():
		p.Sirene, p.Directory = sirene.Fictitious{}, sirene.FictitiousEtablissements()
	default:
		p.Sirene = sirene.INSEE{}
	}
	return p
}
