package handlers

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/attestation"
	"github.com/aidantsconnect/ac/views/usagers"
)

// UsagersIndex lists the current organisation's mandats by tab, narrowed by the search box.
// The same URL serves the whole page, or only the results for the live search (htmx).
func (h *Handlers) UsagersIndex(c *fiber.Ctx) error {
	cur := current(c)
	d := usagers.IndexData{Query: strings.TrimSpace(c.Query("q")), Tab: store.ParseUsagerTab(c.Query("onglet")),
		Now: h.now(), Loc: h.Loc, CanCreate: cur.Aidant.CanCreateMandats}
	d.Soon = d.Tab == store.TabActifs && c.Query(paths.ExpireSoonParam) == paths.ExpireSoonValue
	status := fiber.StatusOK
	if utf8.RuneCountInString(d.Query) > store.MaxSearchLen {
		d.Error = "Saisissez au plus " + strconv.Itoa(store.MaxSearchLen) + " caractères : un prénom, un nom, ou les deux."
		status = fiber.StatusUnprocessableEntity
	} else {
		page, _ := strconv.Atoi(c.Query("page"))
		l, err := h.Store.ListUsagers(c.UserContext(), cur.Organisation.ID, store.UsagerSearch{Query: d.Query, Tab: d.Tab, Page: page, Soon: d.Soon})
		if err != nil {
			return err
		}
		d.List = l
	}
	if wantsFragment(c) {
		return render(c, status, usagers.Fragment(d))
	}
	return render(c, status, usagers.Index(h.shell(c, d.Title()), d))
}

// UsagerShow is one usager's mandats with the current organisation.
func (h *Handlers) UsagerShow(c *fiber.Ctx) error {
	id, err := idParam(c, "usager")
	if err != nil {
		return err
	}
	cur := current(c)
	f, err := h.Store.GetUsagerFile(c.UserContext(), cur.Organisation.ID, id)
	if err != nil {
		return h.usagerElsewhere(c, err, id)
	}
	d := usagers.ShowData{File: f, Now: h.now(), Loc: h.Loc, CanCreate: cur.Aidant.CanCreateMandats}
	return render(c, fiber.StatusOK, usagers.Show(h.shell(c, f.Usager.FullName()), d))
}

// MandatRevokeNew asks to confirm the revocation of a whole active mandat.
func (h *Handlers) MandatRevokeNew(c *fiber.Ctx) error {
	id, err := idParam(c, "mandat")
	if err != nil {
		return err
	}
	m, err := h.Store.GetRevocableMandat(c.UserContext(), current(c).Organisation.ID, id)
	if err != nil {
		return h.notRevocable(c, err, id, 0)
	}
	return render(c, fiber.StatusOK, usagers.RevokeConfirm(h.shell(c, "Révoquer le mandat"), h.revokeData(m, nil)))
}

// MandatRevokeCreate revokes the mandat (every autorisation still in force), journaled.
func (h *Handlers) MandatRevokeCreate(c *fiber.Ctx) error {
	id, err := idParam(c, "mandat")
	if err != nil {
		return err
	}
	cur := current(c)
	if _, err := h.Store.RevokeMandat(c.UserContext(), cur.Organisation.ID, cur.Aidant.ID, id); err != nil {
		return h.notRevocable(c, err, id, 0)
	}
	return redirect(c, paths.MandatRevokeDone(id))
}

// MandatRevokeDone confirms a whole-mandat revocation.
func (h *Handlers) MandatRevokeDone(c *fiber.Ctx) error {
	m, err := h.mandatRevocation(c)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, usagers.RevokeDone(h.shell(c, "Mandat révoqué"), h.revokeData(m, nil)))
}

// MandatRevocation is the printable attestation of a whole-mandat revocation.
func (h *Handlers) MandatRevocation(c *fiber.Ctx) error {
	m, err := h.mandatRevocation(c)
	if err != nil {
		return err
	}
	d := h.revocationData(m, m.RevokedTogether(), true)
	d.PDFURL = paths.MandatRevocationPDF(m.ID)
	return render(c, fiber.StatusOK, attestation.RevocationPage(h.shell(c, "Attestation de révocation"), d))
}

// MandatRevocationPDF is the whole-mandat revocation attestation as a PDF download.
func (h *Handlers) MandatRevocationPDF(c *fiber.Ctx) error {
	m, err := h.mandatRevocation(c)
	if err != nil {
		return err
	}
	return sendPDF(c, "revocation-mandat-"+strconv.FormatInt(m.ID, 10), attestation.RevocationPDF, h.revocationData(m, m.RevokedTogether(), true))
}

// AutorisationRevokeNew asks to confirm the revocation of one autorisation.
func (h *Handlers) AutorisationRevokeNew(c *fiber.Ctx) error {
	mid, aid, err := autorisationParams(c)
	if err != nil {
		return err
	}
	m, a, err := h.Store.GetRevocableAutorisation(c.UserContext(), current(c).Organisation.ID, mid, aid)
	if err != nil {
		return h.notRevocable(c, err, mid, aid)
	}
	return render(c, fiber.StatusOK, usagers.RevokeConfirm(h.shell(c, "Révoquer une démarche"), h.revokeData(m, a)))
}

// AutorisationRevokeCreate revokes one autorisation, journaled.
func (h *Handlers) AutorisationRevokeCreate(c *fiber.Ctx) error {
	mid, aid, err := autorisationParams(c)
	if err != nil {
		return err
	}
	cur := current(c)
	if _, _, err := h.Store.RevokeAutorisation(c.UserContext(), cur.Organisation.ID, cur.Aidant.ID, mid, aid); err != nil {
		return h.notRevocable(c, err, mid, aid)
	}
	return redirect(c, paths.AutorisationRevokeDone(mid, aid))
}

// AutorisationRevokeDone confirms the revocation of one autorisation.
func (h *Handlers) AutorisationRevokeDone(c *fiber.Ctx) error {
	m, a, err := h.autorisationRevocation(c)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, usagers.RevokeDone(h.shell(c, "Démarche révoquée"), h.revokeData(m, a)))
}

// AutorisationRevocation is the printable attestation of one autorisation's revocation.
func (h *Handlers) AutorisationRevocation(c *fiber.Ctx) error {
	m, a, err := h.autorisationRevocation(c)
	if err != nil {
		return err
	}
	d := h.revocationData(m, []store.Autorisation{*a}, false)
	d.PDFURL = paths.AutorisationRevocationPDF(m.ID, a.ID)
	return render(c, fiber.StatusOK, attestation.RevocationPage(h.shell(c, "Attestation de révocation"), d))
}

// AutorisationRevocationPDF is one autorisation's revocation attestation as a PDF download.
func (h *Handlers) AutorisationRevocationPDF(c *fiber.Ctx) error {
	m, a, err := h.autorisationRevocation(c)
	if err != nil {
		return err
	}
	return sendPDF(c, "revocation-autorisation-"+strconv.FormatInt(a.ID, 10), attestation.RevocationPDF, h.revocationData(m, []store.Autorisation{*a}, false))
}

// sendPDF renders a document as a PDF download named name.pdf, never cached (personal data).
func sendPDF[D any](c *fiber.Ctx, name string, make func(D) ([]byte, error), d D) error {
	pdf, err := make(d)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(pdf)
}

func (h *Handlers) mandatRevocation(c *fiber.Ctx) (*store.Mandat, error) {
	id, err := idParam(c, "mandat")
	if err != nil {
		return nil, err
	}
	m, err := h.Store.GetMandatRevocation(c.UserContext(), current(c).Organisation.ID, id)
	if err != nil {
		return nil, h.mandatElsewhere(c, err, id)
	}
	return m, nil
}

func (h *Handlers) autorisationRevocation(c *fiber.Ctx) (*store.Mandat, *store.Autorisation, error) {
	mid, aid, err := autorisationParams(c)
	if err != nil {
		return nil, nil, err
	}
	m, a, err := h.Store.GetAutorisationRevocation(c.UserContext(), current(c).Organisation.ID, mid, aid)
	if err != nil {
		return nil, nil, h.mandatElsewhere(c, err, mid)
	}
	return m, a, nil
}

// notRevocable explains why a revocation cannot be done, where the aidant can act on it: the
// mandat (or démarche) is already revoked, with its attestation, or has expired (409); the
// mandat is another organisation's of the aidant (see mandatElsewhere). Anything else stays
// ErrNotFound.
func (h *Handlers) notRevocable(c *fiber.Ctx, err error, mandatID, autorisationID int64) error {
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	ctx, org := c.UserContext(), current(c).Organisation.ID
	m, gerr := h.Store.GetMandat(ctx, org, mandatID)
	if gerr != nil {
		return h.mandatElsewhere(c, gerr, mandatID)
	}
	d := usagers.NotRevocableData{RevokeData: h.revokeData(m, nil)}
	if autorisationID != 0 {
		if d.Autorisation = m.Autorisation(autorisationID); d.Autorisation == nil {
			return err
		}
	}
	if !d.Done() {
		return err // in force after all (a race with another revocation): the plain answer
	}
	if d.Autorisation == nil && m.Status(h.now()) == store.StatusRevoked {
		if _, cerr := h.Store.GetMandatRevocation(ctx, org, mandatID); cerr == nil {
			d.WholeCancelled = true
		} else if !errors.Is(cerr, store.ErrNotFound) {
			return cerr
		}
	}
	return render(c, fiber.StatusConflict, usagers.NotRevocable(h.shell(c, d.Title()), d))
}

func (h *Handlers) revokeData(m *store.Mandat, a *store.Autorisation) usagers.RevokeData {
	return usagers.RevokeData{Mandat: m, Autorisation: a, Now: h.now(), Loc: h.Loc}
}

// revocationData fills the revocation attestation, dated by the latest of the revocations.
func (h *Handlers) revocationData(m *store.Mandat, revoked []store.Autorisation, whole bool) attestation.RevocationData {
	d := attestation.RevocationData{UsagerName: m.Usager.FullName(), OrganisationName: m.Organisation.Name,
		OrganisationCity: m.Organisation.City, MandatCreatedAt: m.CreatedAt.In(h.Loc),
		Demarches: store.DemarchesOf(revoked), WholeMandat: whole}
	for _, a := range revoked {
		if a.RevokedAt != nil && a.RevokedAt.After(d.RevokedAt) {
			d.RevokedAt = *a.RevokedAt
		}
	}
	d.RevokedAt = d.RevokedAt.In(h.Loc)
	return d
}

func autorisationParams(c *fiber.Ctx) (int64, int64, error) {
	mid, err := idParam(c, "mandat")
	if err != nil {
		return 0, 0, err
	}
	aid, err := idParam(c, "autorisation")
	return mid, aid, err
}
