package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/attestation"
	"github.com/aidantsconnect/ac/views/layout"
	"github.com/aidantsconnect/ac/views/monespace"
)

// The usager's pages. Each resolves ids within the signed-in usager's own mandats (the
// usager's id is in every store call): anyone else's is "introuvable ou inaccessible".

// usagerShell is the space's page frame: the usager's header, never an aidant's. A page
// with the logout form may post to FranceConnect's origin through its redirect.
func (h *EspaceUsager) usagerShell(c *fiber.Ctx, title string) layout.Shell {
	s := h.shell(c, title)
	s.Aidant, s.Organisation, s.Memberships = nil, nil, nil
	s.InUsagerSpace = true
	if cur := usagerCurrent(c); cur != nil {
		s.Usager = cur.Usager
		if h.FCOrigin != "" {
			c.Locals(FormActionLocal, h.FCOrigin)
		}
	}
	return s
}

func (h *EspaceUsager) usagerID(c *fiber.Ctx) int64 { return usagerCurrent(c).Usager.ID }

// MonEspaceHome lists every mandat in the usager's name.
func (h *EspaceUsager) MonEspaceHome(c *fiber.Ctx) error {
	ms, err := h.Store.ListUsagerMandats(c.UserContext(), h.usagerID(c))
	if err != nil {
		return err
	}
	d := monespace.HomeData{Usager: usagerCurrent(c).Usager, Mandats: ms, Now: h.now(), Loc: h.Loc}
	return render(c, fiber.StatusOK, monespace.Home(h.usagerShell(c, "Mes mandats"), d))
}

// MonEspaceUsesIndex is one page of what was done for the usager, newest first.
func (h *EspaceUsager) MonEspaceUsesIndex(c *fiber.Ctx) error {
	page, _ := strconv.Atoi(c.Query("page"))
	uses, err := h.Store.ListUsagerUses(c.UserContext(), h.usagerID(c), page)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, monespace.Uses(h.usagerShell(c, "Démarches réalisées pour vous"), monespace.UsesData{Uses: uses, Loc: h.Loc}))
}

// MonEspaceMandatPDF is the mandate the usager signed, as a PDF: the aidants' document.
func (h *EspaceUsager) MonEspaceMandatPDF(c *fiber.Ctx) error {
	id, err := idParam(c, "mandat")
	if err != nil {
		return err
	}
	m, err := h.Store.GetUsagerMandat(c.UserContext(), h.usagerID(c), id)
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

// MonEspaceMandatRevokeNew asks to confirm revoking a whole active mandat.
func (h *EspaceUsager) MonEspaceMandatRevokeNew(c *fiber.Ctx) error {
	id, err := idParam(c, "mandat")
	if err != nil {
		return err
	}
	m, err := h.Store.GetUsagerRevocableMandat(c.UserContext(), h.usagerID(c), id)
	if err != nil {
		return err
	}
	d := monespace.RevokeData{Mandat: m, Loc: h.Loc}
	return render(c, fiber.StatusOK, monespace.RevokeConfirm(h.usagerShell(c, d.Title()), d))
}

// MonEspaceMandatRevokeCreate revokes the mandat, journaled with the usager as actor.
func (h *EspaceUsager) MonEspaceMandatRevokeCreate(c *fiber.Ctx) error {
	id, err := idParam(c, "mandat")
	if err != nil {
		return err
	}
	if _, err := h.Store.RevokeMandatByUsager(c.UserContext(), h.usagerID(c), id); err != nil {
		return err
	}
	return redirect(c, paths.MonEspaceMandatRevoked(id))
}

// MonEspaceMandatRevocation is a whole-mandat revocation and its attestation.
func (h *EspaceUsager) MonEspaceMandatRevocation(c *fiber.Ctx) error {
	m, err := h.mandatRevocation(c)
	if err != nil {
		return err
	}
	d := monespace.RevocationData{Doc: h.revocationData(m, m.RevokedTogether(), true), Done: c.Query("fait") == "1",
		PDFURL: paths.MonEspaceMandatRevocationPDF(m.ID)}
	return render(c, fiber.StatusOK, monespace.Revocation(h.usagerShell(c, "Attestation de révocation"), d))
}

// MonEspaceMandatRevocationPDF is a whole-mandat revocation attestation as a PDF download.
func (h *EspaceUsager) MonEspaceMandatRevocationPDF(c *fiber.Ctx) error {
	m, err := h.mandatRevocation(c)
	if err != nil {
		return err
	}
	return sendPDF(c, "revocation-mandat-"+strconv.FormatInt(m.ID, 10), attestation.RevocationPDF, h.revocationData(m, m.RevokedTogether(), true))
}

// mandatRevocation is the usager's own revoked mandat the path names.
func (h *EspaceUsager) mandatRevocation(c *fiber.Ctx) (*store.Mandat, error) {
	id, err := idParam(c, "mandat")
	if err != nil {
		return nil, err
	}
	return h.Store.GetUsagerMandatRevocation(c.UserContext(), h.usagerID(c), id)
}

// MonEspaceAutorisationRevokeNew asks to confirm revoking one démarche.
func (h *EspaceUsager) MonEspaceAutorisationRevokeNew(c *fiber.Ctx) error {
	mid, aid, err := autorisationParams(c)
	if err != nil {
		return err
	}
	m, a, err := h.Store.GetUsagerRevocableAutorisation(c.UserContext(), h.usagerID(c), mid, aid)
	if err != nil {
		return err
	}
	d := monespace.RevokeData{Mandat: m, Autorisation: a, Loc: h.Loc}
	return render(c, fiber.StatusOK, monespace.RevokeConfirm(h.usagerShell(c, d.Title()), d))
}

// MonEspaceAutorisationRevokeCreate revokes one démarche, journaled with the usager as actor.
func (h *EspaceUsager) MonEspaceAutorisationRevokeCreate(c *fiber.Ctx) error {
	mid, aid, err := autorisationParams(c)
	if err != nil {
		return err
	}
	if _, _, err := h.Store.RevokeAutorisationByUsager(c.UserContext(), h.usagerID(c), mid, aid); err != nil {
		return err
	}
	return redirect(c, paths.MonEspaceAutorisationRevoked(mid, aid))
}

// MonEspaceAutorisationRevocation is one démarche's revocation and its attestation.
func (h *EspaceUsager) MonEspaceAutorisationRevocation(c *fiber.Ctx) error {
	m, a, err := h.autorisationRevocation(c)
	if err != nil {
		return err
	}
	d := monespace.RevocationData{Doc: h.revocationData(m, []store.Autorisation{*a}, false), Done: c.Query("fait") == "1",
		StillActive: m.Status(h.now()) == store.StatusActive, PDFURL: paths.MonEspaceAutorisationRevocationPDF(m.ID, a.ID)}
	return render(c, fiber.StatusOK, monespace.Revocation(h.usagerShell(c, "Attestation de révocation"), d))
}

// MonEspaceAutorisationRevocationPDF is one démarche's revocation attestation as a PDF download.
func (h *EspaceUsager) MonEspaceAutorisationRevocationPDF(c *fiber.Ctx) error {
	m, a, err := h.autorisationRevocation(c)
	if err != nil {
		return err
	}
	return sendPDF(c, "revocation-autorisation-"+strconv.FormatInt(a.ID, 10), attestation.RevocationPDF, h.revocationData(m, []store.Autorisation{*a}, false))
}

// autorisationRevocation is the usager's own revoked autorisation the path names, with its mandat.
func (h *EspaceUsager) autorisationRevocation(c *fiber.Ctx) (*store.Mandat, *store.Autorisation, error) {
	mid, aid, err := autorisationParams(c)
	if err != nil {
		return nil, nil, err
	}
	return h.Store.GetUsagerAutorisationRevocation(c.UserContext(), h.usagerID(c), mid, aid)
}
