package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/attestation"
	"github.com/aidantsconnect/ac/views/ui"
)

// mandatOfOrg resolves :mandat within the aidant's current organisation: anything else is 404
// "introuvable ou inaccessible", the same answer whether it exists elsewhere or not.
func (h *Handlers) mandatOfOrg(c *fiber.Ctx) (*store.Mandat, error) {
	id, err := idParam(c, "mandat")
	if err != nil {
		return nil, err
	}
	m, err := h.Store.GetMandat(c.UserContext(), current(c).Organisation.ID, id)
	if err != nil {
		return nil, h.mandatElsewhere(c, err, id)
	}
	return m, nil
}

func (h *Handlers) attestationData(m *store.Mandat) attestation.Data {
	duree, _ := store.FindDuree(m.Duree)
	ds := store.FindDemarches(m.Demarches())
	o := m.Organisation
	return attestation.Data{
		UsagerName: m.Usager.FullName(), UsagerBorn: ui.Born(m.Usager), OrganisationName: o.Name,
		OrganisationPlace: joinNonEmpty(", ", o.Address, joinNonEmpty(" ", o.Zipcode, o.City)), OrganisationCity: o.City,
		AidantName: m.CreatedBy.FullName(), Demarches: ds, DureeLabel: duree.Label,
		CreatedAt: m.CreatedAt.In(h.Loc), ExpiresAt: m.ExpiresAt.In(h.Loc),
		VerifyURL:       h.BaseURL + paths.MandatVerify(h.Store.VerifyToken(m.ID)),
		AttestationHash: m.AttestationHash, Status: m.Status(h.now()),
	}
}

// MandatAttestation is the printable mandate, for the aidant of the organisation.
func (h *Handlers) MandatAttestation(c *fiber.Ctx) error {
	m, err := h.mandatOfOrg(c)
	if err != nil {
		return err
	}
	d := attestation.PageData{Doc: h.attestationData(m), Created: c.Query("cree") == "1",
		PDFURL: paths.MandatAttestationPDF(m.ID)}
	if d.Created {
		file, err := h.Store.GetUsagerFile(c.UserContext(), m.OrganisationID, m.UsagerID)
		if err != nil {
			return err
		}
		d.Replaced = h.replacedBy(m, file.Mandats)
	}
	return render(c, fiber.StatusOK, attestation.Page(h.shell(c, "Impression du mandat"), d))
}

// MandatAttestationPDF is the same mandate as a PDF download.
func (h *Handlers) MandatAttestationPDF(c *fiber.Ctx) error {
	m, err := h.mandatOfOrg(c)
	if err != nil {
		return err
	}
	pdf, err := attestation.PDF(h.attestationData(m))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="mandat-`+strconv.FormatInt(m.ID, 10)+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(pdf)
}

// MandatVerify is the public page behind the QR code: status, organisation, dates, initials.
func (h *Handlers) MandatVerify(c *fiber.Ctx) error {
	token := c.Params("token")
	if len(token) != 22 {
		return store.ErrNotFound
	}
	m, err := h.Store.GetMandatByVerifyToken(c.UserContext(), token)
	if err != nil {
		return err
	}
	d := attestation.VerifyData{Status: m.Status(h.now()), OrganisationName: m.Organisation.Name, Initials: m.Usager.Initials(),
		CreatedAt: m.CreatedAt.In(h.Loc), ExpiresAt: m.ExpiresAt.In(h.Loc)}
	if r := m.RevokedAt(); r != nil {
		t := r.In(h.Loc)
		d.RevokedAt = &t
	}
	c.Set("X-Robots-Tag", "noindex")
	return render(c, fiber.StatusOK, attestation.VerifyPage(h.shell(c, "Vérification d'un mandat"), d))
}

func joinNonEmpty(sep string, parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += sep
		}
		out += p
	}
	return out
}

// replacedBy lists the older autorisations that m revoked as it was created: the signature
// revokes them at the very instant the mandat is created.
func (h *Handlers) replacedBy(m *store.Mandat, ms []store.Mandat) []attestation.Replaced {
	var out []attestation.Replaced
	for _, old := range ms {
		if old.ID == m.ID {
			continue
		}
		for _, a := range old.Autorisations {
			if a.RevokedAt == nil || !a.RevokedAt.Equal(m.CreatedAt) {
				continue
			}
			if dm, ok := store.FindDemarche(a.Demarche); ok {
				out = append(out, attestation.Replaced{Demarche: dm, MandatCreatedAt: old.CreatedAt.In(h.Loc),
					AttestationURL: paths.AutorisationRevocation(old.ID, a.ID)})
			}
		}
	}
	return out
}
