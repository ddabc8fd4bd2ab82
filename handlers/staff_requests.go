package handlers

import (
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	mailview "github.com/aidantsconnect/ac/views/mail"
	"github.com/aidantsconnect/ac/views/staff"
)

// staffID is the staff account acting: RequireStaff let only staff through.
func staffID(c *fiber.Ctx) int64 { return current(c).Aidant.ID }

// StaffRequests lists the habilitation requests, filtered, one page at a time.
func (h *Staff) StaffRequests(c *fiber.Ctx) error {
	d := staff.RequestsData{Query: url.Values{}, From: c.Query("du"), To: c.Query("au")}
	for _, k := range []string{"q", "statut", "type", "region", "departement", "du", "au"} {
		if v := c.Query(k); v != "" {
			d.Query.Set(k, v)
		}
	}
	f := &d.Filter
	f.Query, f.Type, f.Departement = c.Query("q"), c.Query("type"), c.Query("departement")
	if _, ok := store.RegionByCode(c.Query("region")); ok {
		f.Region = c.Query("region")
	}
	if st, ok := store.ParseHabilitationStatus(c.Query("statut")); ok {
		f.Status = st
	}
	f.Page, _ = strconv.Atoi(c.Query("page"))
	for key, to := range map[string]**time.Time{"du": &f.From, "au": &f.To} {
		v := c.Query(key)
		if v == "" {
			continue
		}
		day, err := time.ParseInLocation("2006-01-02", v, h.Loc)
		if err != nil {
			d.Errors.Add(key, "Saisissez une date, par exemple 2026-12-01.")
			continue
		}
		if key == "au" {
			day = day.AddDate(0, 0, 1)
		}
		*to = &day
	}
	status := fiber.StatusOK
	if d.Errors.Any() {
		status, f.From, f.To = fiber.StatusUnprocessableEntity, nil, nil
	}
	list, err := h.Store.ListOrganisationRequests(c.UserContext(), *f)
	if err != nil {
		return err
	}
	d.List = list
	return render(c, status, staff.Requests(h.shell(c, "Demandes d'habilitation"), d))
}

// requestPage renders a request's page with what was posted (and its errors).
func (h *Staff) requestPage(c *fiber.Ctx, status int, d staff.RequestData) error {
	r := d.View.Request
	if d.ValidateSubject == "" && d.ValidateBody == "" {
		d.ValidateSubject, d.ValidateBody = mailview.HabilitationSubject("validated"), mailview.ValidationDefault(r.Name, numberOf(r))
	}
	if d.RefuseSubject == "" && d.RefuseBody == "" {
		d.RefuseSubject, d.RefuseBody = mailview.HabilitationSubject("refused"), mailview.RefusalDefault(r.Name)
	}
	return render(c, status, staff.RequestPage(h.shell(c, "Demande d'habilitation"), d))
}

func numberOf(r *store.OrganisationRequest) int64 {
	if r.HabilitationNumber == nil {
		return 0
	}
	return *r.HabilitationNumber
}

func (h *Staff) loadRequest(c *fiber.Ctx) (*store.RequestView, error) {
	id, err := idParam(c, "demande")
	if err != nil {
		return nil, err
	}
	return h.Store.GetRequestByID(c.UserContext(), id)
}

// StaffRequestShow is one request, with its messages and the actions its status allows.
func (h *Staff) StaffRequestShow(c *fiber.Ctx) error {
	v, err := h.loadRequest(c)
	if err != nil {
		return err
	}
	return h.requestPage(c, fiber.StatusOK, staff.RequestData{View: v})
}

// decide applies an action; a text is required where errField names it.
func (h *Staff) decide(c *fiber.Ctx, act store.HabilitationAction, errField string) error {
	v, err := h.loadRequest(c)
	if err != nil {
		return err
	}
	dec := store.Decision{Subject: field(c, "subject"), Body: field(c, "body"), FirstLoginNext: paths.Referent}
	d := staff.RequestData{View: v}
	switch act {
	case store.ActValidate:
		d.ValidateSubject, d.ValidateBody = dec.Subject, dec.Body
	case store.ActRefuse:
		d.RefuseSubject, d.RefuseBody = dec.Subject, dec.Body
	case store.ActAsk:
		d.AskBody = dec.Body
	case store.ActPropose:
		d.ProposeBody = dec.Body
	}
	if errField != "" {
		if act != store.ActAsk && act != store.ActPropose {
			checkText(&d.Errors, errField+"-subject", dec.Subject, "l'objet de l'e-mail", 200, true)
		}
		checkText(&d.Errors, errField+"-body", dec.Body, "le texte", 5000, true)
	}
	if d.Errors.Any() {
		return h.requestPage(c, fiber.StatusUnprocessableEntity, d)
	}
	_, err = h.Store.DecideRequest(c.UserContext(), staffID(c), v.Request.ID, act, dec, h.habilitationMail)
	if errors.Is(err, store.ErrTransition) {
		d.Errors.Add("", "Le statut de la demande ne permet plus cette action : la page a été mise à jour.")
		if v, err = h.loadRequest(c); err != nil {
			return err
		}
		d.View = v
		return h.requestPage(c, fiber.StatusConflict, d)
	}
	if err != nil {
		return err
	}
	return redirect(c, paths.StaffRequest(v.Request.ID))
}

// StaffRequestValidate validates: organisation, référent account, habilitation requests.
func (h *Staff) StaffRequestValidate(c *fiber.Ctx) error {
	return h.decide(c, store.ActValidate, "validate")
}

// StaffRequestRefuse refuses, with the edited email.
func (h *Staff) StaffRequestRefuse(c *fiber.Ctx) error { return h.decide(c, store.ActRefuse, "refuse") }

// StaffRequestAsk asks the demandeur for changes, with a message.
func (h *Staff) StaffRequestAsk(c *fiber.Ctx) error { return h.decide(c, store.ActAsk, "ask") }

// StaffRequestPropose proposes changes of the team's own (a message saying which): the
// request goes to « Modifications proposées », the demandeur is emailed and may make them
// and submit again.
func (h *Staff) StaffRequestPropose(c *fiber.Ctx) error {
	return h.decide(c, store.ActPropose, "propose")
}

// StaffRequestWait puts the request back in waiting.
func (h *Staff) StaffRequestWait(c *fiber.Ctx) error { return h.decide(c, store.ActWait, "") }

// StaffRequestMessage writes to the demandeur.
func (h *Staff) StaffRequestMessage(c *fiber.Ctx) error {
	v, err := h.loadRequest(c)
	if err != nil {
		return err
	}
	d := staff.RequestData{View: v, Message: field(c, "body")}
	checkText(&d.Errors, "message", d.Message, "votre message", 5000, true)
	if d.Errors.Any() {
		return h.requestPage(c, fiber.StatusUnprocessableEntity, d)
	}
	if err := h.Store.AddStaffMessage(c.UserContext(), staffID(c), v.Request.ID, d.Message, h.habilitationMail); err != nil {
		return err
	}
	return redirect(c, paths.StaffRequest(v.Request.ID)+"#messages")
}
