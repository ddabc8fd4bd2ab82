package handlers

import (
	"errors"
	"net/url"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/habilitation"
	"github.com/aidantsconnect/ac/views/ui"
)

// step loads the request of a step: an unknown one is the link page; one that may no longer
// be edited (editing true) goes to its read-only view.
func (h *Habilitation) step(c *fiber.Ctx, editing bool) (*habilitation.StepData, error) {
	token, demande := c.Params("token"), c.Params("demande")
	v, err := h.Store.GetRequest(c.UserContext(), token, demande)
	if err != nil {
		return nil, h.spaceError(c, err)
	}
	if editing && !v.Request.Status.Editable() {
		return nil, redirectInto(c, paths.HabilitationRequest(token, demande), habilitation.StepID)
	}
	return &habilitation.StepData{Token: token, View: v}, nil
}

// saved answers a step's store call: on to next, or the read-only view when the status no
// longer allows the change.
func (h *Habilitation) saved(c *fiber.Ctx, d *habilitation.StepData, err error, next string) error {
	if errors.Is(err, store.ErrTransition) {
		return redirectInto(c, paths.HabilitationRequest(d.Token, d.View.Request.UUID), habilitation.StepID)
	}
	if err != nil {
		return h.spaceError(c, err)
	}
	return redirectInto(c, next, habilitation.StepID)
}

// StructureEdit is the structure step.
func (h *Habilitation) StructureEdit(c *fiber.Ctx) error {
	sd, err := h.step(c, true)
	if sd == nil {
		return err
	}
	r := sd.View.Request
	d := habilitation.StructureData{StepData: *sd, Labelled: r.FranceServicesNumber != "", In: store.StructureInput{
		Name: r.Name, TypeName: r.TypeName, TypeOther: r.TypeOther, Address: r.Address, Zipcode: r.Zipcode, City: r.City,
		FranceServicesNumber: r.FranceServicesNumber, WebSite: r.WebSite, MissionDescription: r.MissionDescription}}
	return render(c, fiber.StatusOK, habilitation.Structure(h.shell(c, "Structure"), d))
}

// StructureUpdate checks and saves the structure step.
func (h *Habilitation) StructureUpdate(c *fiber.Ctx) error {
	sd, err := h.step(c, true)
	if sd == nil {
		return err
	}
	d := habilitation.StructureData{StepData: *sd, Labelled: c.FormValue("france_services") != "", In: store.StructureInput{
		Name: field(c, "name"), TypeName: field(c, "type"), TypeOther: field(c, "type_other"), Address: field(c, "address"),
		Zipcode: phoneDigits(field(c, "zipcode")), City: field(c, "city"), FranceServicesNumber: field(c, "france_services_number"),
		WebSite: field(c, "web_site"), MissionDescription: field(c, "mission")}}
	in := &d.In
	checkText(&d.Errors, "name", in.Name, "le nom de la structure", 200, true)
	if !slices.Contains(store.OrganisationTypes(), in.TypeName) {
		d.Errors.Add("type", "Choisissez le type de la structure dans la liste.")
	}
	if in.TypeName == "Autre" {
		checkText(&d.Errors, "type_other", in.TypeOther, "le type de la structure", 200, true)
	} else {
		in.TypeOther = ""
	}
	checkText(&d.Errors, "address", in.Address, "l'adresse", 300, true)
	if _, err := strconv.Atoi(in.Zipcode); err != nil || len(in.Zipcode) != 5 {
		d.Errors.Add("zipcode", "Saisissez un code postal de 5 chiffres, par exemple 45000.")
	}
	checkText(&d.Errors, "city", in.City, "la commune", 200, true)
	if d.Labelled {
		checkText(&d.Errors, "france_services_number", in.FranceServicesNumber, "le numéro d'immatriculation France Services", 50, true)
	} else {
		in.FranceServicesNumber = ""
	}
	if in.WebSite != "" {
		if u, err := url.Parse(in.WebSite); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(in.WebSite) > 300 {
			d.Errors.Add("web_site", "Saisissez l'adresse complète du site, par exemple https://www.exemple.fr, ou laissez vide.")
		}
	}
	checkText(&d.Errors, "mission", in.MissionDescription, "les missions de la structure", 2000, in.TypeName != "Association")
	if d.Errors.Any() {
		return render(c, fiber.StatusUnprocessableEntity, habilitation.Structure(h.shell(c, "Structure"), d))
	}
	err = h.Store.UpdateStructure(c.UserContext(), d.Token, d.View.Request.UUID, *in)
	return h.saved(c, sd, err, paths.HabilitationReferent(d.Token, d.View.Request.UUID))
}

// ReferentEdit is the référent step.
func (h *Habilitation) ReferentEdit(c *fiber.Ctx) error {
	sd, err := h.step(c, true)
	if sd == nil {
		return err
	}
	r := sd.View.Request
	d := habilitation.ReferentData{StepData: *sd, In: store.ReferentInput{FirstName: r.ReferentFirstName, LastName: r.ReferentLastName,
		Email: r.ReferentEmail, Phone: r.ReferentPhone, Profession: r.ReferentProfession}}
	return render(c, fiber.StatusOK, habilitation.Referent(h.shell(c, "Référent"), d))
}

// ReferentUpdate saves the référent step; « C'est moi » only fills the form in with the
// demandeur (nothing saved).
func (h *Habilitation) ReferentUpdate(c *fiber.Ctx) error {
	sd, err := h.step(c, true)
	if sd == nil {
		return err
	}
	d := habilitation.ReferentData{StepData: *sd, In: store.ReferentInput{FirstName: field(c, "first_name"), LastName: field(c, "last_name"),
		Email: field(c, "email"), Phone: phoneDigits(field(c, "phone")), Profession: field(c, "profession")}}
	if c.FormValue("action") == "me" {
		dm := sd.View.Request.Demandeur
		d.In = store.ReferentInput{FirstName: dm.FirstName, LastName: dm.LastName, Email: dm.Email, Phone: dm.Phone, Profession: dm.Profession}
		return render(c, fiber.StatusOK, habilitation.Referent(h.shell(c, "Référent"), d))
	}
	checkName(&d.Errors, "first_name", d.In.FirstName, "le prénom")
	checkName(&d.Errors, "last_name", d.In.LastName, "le nom")
	checkEmail(&d.Errors, "email", d.In.Email)
	if !validPhone(d.In.Phone, true) {
		d.Errors.Add("phone", "Saisissez un numéro de mobile à 10 chiffres, commençant par 06 ou 07.")
	}
	checkName(&d.Errors, "profession", d.In.Profession, "la profession")
	if d.Errors.Any() {
		return render(c, fiber.StatusUnprocessableEntity, habilitation.Referent(h.shell(c, "Référent"), d))
	}
	err = h.Store.UpdateReferent(c.UserContext(), d.Token, d.View.Request.UUID, d.In)
	return h.saved(c, sd, err, paths.HabilitationAidants(d.Token, d.View.Request.UUID))
}

// AidantsEdit is the aidants step.
func (h *Habilitation) AidantsEdit(c *fiber.Ctx) error {
	sd, err := h.step(c, true)
	if sd == nil {
		return err
	}
	d := habilitation.AidantsData{StepData: *sd, ReferentIsAidant: sd.View.Request.ReferentIsAidant}
	for _, a := range sd.View.Request.Aidants {
		d.Rows = append(d.Rows, habilitation.PersonRow{Email: a.Email, FirstName: a.FirstName, LastName: a.LastName,
			Profession: a.Profession, ConseillerNumerique: a.ConseillerNumerique})
	}
	if len(d.Rows) == 0 {
		d.Rows = []habilitation.PersonRow{{}}
	}
	return render(c, fiber.StatusOK, habilitation.Aidants(h.shell(c, "Aidants à habiliter"), d))
}

// AidantsUpdate adds a row in place (the form's second button, with or without script), or
// checks and saves every row, all or none.
func (h *Habilitation) AidantsUpdate(c *fiber.Ctx) error {
	sd, err := h.step(c, true)
	if sd == nil {
		return err
	}
	d := habilitation.AidantsData{StepData: *sd, ReferentIsAidant: c.FormValue("referent_is_aidant") != ""}
	n, _ := strconv.Atoi(c.FormValue("rows"))
	for i := range min(max(n, 1), habilitation.MaxRows) {
		r := habilitation.PersonRow{Email: field(c, habilitation.FieldID(i, "email")), FirstName: field(c, habilitation.FieldID(i, "first")),
			LastName: field(c, habilitation.FieldID(i, "last")), Profession: field(c, habilitation.FieldID(i, "profession")),
			ConseillerNumerique: c.FormValue(habilitation.FieldID(i, "cn")) != ""}
		if r == (habilitation.PersonRow{}) && i > 0 {
			continue // a row left blank
		}
		d.Rows = append(d.Rows, r)
	}
	page := func(status int) error {
		return render(c, status, habilitation.Aidants(h.shell(c, "Aidants à habiliter"), d))
	}
	if c.FormValue("action") == "row" {
		if len(d.Rows) < habilitation.MaxRows {
			d.Rows, d.Added = append(d.Rows, habilitation.PersonRow{}), true
		}
		return page(fiber.StatusOK)
	}
	var people []store.NewPerson
	seen := map[string]bool{}
	for i, r := range d.Rows {
		if r == (habilitation.PersonRow{}) {
			continue // the only row, blank: allowed when the référent is an aidant
		}
		checkEmail(&d.Errors, habilitation.FieldID(i, "email"), r.Email)
		if e := store.NormaliseEmail(r.Email); seen[e] {
			d.Errors.Add(habilitation.FieldID(i, "email"), "L'adresse e-mail « "+r.Email+" » est déjà celle d'un autre aidant de cette demande.")
		} else {
			seen[e] = true
		}
		checkName(&d.Errors, habilitation.FieldID(i, "first"), r.FirstName, "le prénom")
		checkName(&d.Errors, habilitation.FieldID(i, "last"), r.LastName, "le nom")
		checkName(&d.Errors, habilitation.FieldID(i, "profession"), r.Profession, "la profession")
		people = append(people, store.NewPerson{Email: r.Email, FirstName: r.FirstName, LastName: r.LastName, Profession: r.Profession, ConseillerNumerique: r.ConseillerNumerique})
	}
	if len(people) == 0 && !d.ReferentIsAidant {
		d.Errors.Add(habilitation.FieldID(0, "email"), "Déclarez au moins un aidant, ou cochez que le ou la référente sera aussi aidante.")
	}
	if d.Errors.Any() {
		return page(fiber.StatusUnprocessableEntity)
	}
	err = h.Store.SetAidants(c.UserContext(), d.Token, d.View.Request.UUID, people, d.ReferentIsAidant)
	return h.saved(c, sd, err, paths.HabilitationSummary(d.Token, d.View.Request.UUID))
}

// SummaryShow is the summary with the commitments.
func (h *Habilitation) SummaryShow(c *fiber.Ctx) error {
	sd, err := h.step(c, true)
	if sd == nil {
		return err
	}
	return render(c, fiber.StatusOK, habilitation.Summary(h.shell(c, "Récapitulatif"), habilitation.SummaryData{StepData: *sd}))
}

// SummarySubmit submits the request: the five commitments ticked, every step filled in.
func (h *Habilitation) SummarySubmit(c *fiber.Ctx) error {
	sd, err := h.step(c, true)
	if sd == nil {
		return err
	}
	d := habilitation.SummaryData{StepData: *sd, C: store.Commitments{CGU: c.FormValue("cgu") != "", NotFree: c.FormValue("not_free") != "",
		DPO: c.FormValue("dpo") != "", ProfessionalsOnly: c.FormValue("professionals_only") != "", WithoutElected: c.FormValue("without_elected") != ""}}
	for name, ok := range map[string]bool{"cgu": d.C.CGU, "not_free": d.C.NotFree, "dpo": d.C.DPO, "professionals_only": d.C.ProfessionalsOnly, "without_elected": d.C.WithoutElected} {
		if !ok {
			d.Errors.Add(name, "Cochez cet engagement pour soumettre la demande.")
		}
	}
	r := sd.View.Request
	if !r.HasStructure() {
		d.Errors = append(ui.Errors{{Message: "Complétez les informations de la structure avant de soumettre."}}, d.Errors...)
	}
	if !r.HasReferent() {
		d.Errors = append(ui.Errors{{Message: "Indiquez le ou la référente de la structure avant de soumettre."}}, d.Errors...)
	}
	if len(r.Aidants) == 0 && !r.ReferentIsAidant {
		d.Errors = append(ui.Errors{{Message: "Déclarez au moins un aidant avant de soumettre."}}, d.Errors...)
	}
	sortCommitmentErrors(d.Errors)
	if d.Errors.Any() {
		return render(c, fiber.StatusUnprocessableEntity, habilitation.Summary(h.shell(c, "Récapitulatif"), d))
	}
	err = h.Store.SubmitRequest(c.UserContext(), d.Token, r.UUID, d.C, h.habilitationMail)
	if errors.Is(err, store.ErrIncomplete) {
		d.Errors.Add("", "Complétez toutes les étapes de la demande avant de la soumettre.")
		return render(c, fiber.StatusUnprocessableEntity, habilitation.Summary(h.shell(c, "Récapitulatif"), d))
	}
	return h.saved(c, sd, err, paths.HabilitationRequest(d.Token, r.UUID))
}

// sortCommitmentErrors keeps the boxes' messages in the page's order (the map above has none).
func sortCommitmentErrors(errs ui.Errors) {
	order := map[string]int{"": 0, "cgu": 1, "not_free": 2, "dpo": 3, "professionals_only": 4, "without_elected": 5}
	slices.SortStableFunc(errs, func(a, b ui.FieldError) int { return order[a.Field] - order[b.Field] })
}

// RequestShow is a request's page, read-only, with the messages.
func (h *Habilitation) RequestShow(c *fiber.Ctx) error {
	sd, err := h.step(c, false)
	if sd == nil {
		return err
	}
	return render(c, fiber.StatusOK, habilitation.Request(h.shell(c, "Demande d'habilitation"), habilitation.RequestData{StepData: *sd}))
}

// MessageCreate is the demandeur writing to the team.
func (h *Habilitation) MessageCreate(c *fiber.Ctx) error {
	sd, err := h.step(c, false)
	if sd == nil {
		return err
	}
	d := habilitation.RequestData{StepData: *sd, Message: field(c, "message")}
	checkText(&d.Errors, "message", d.Message, "votre message", 5000, true)
	if d.Errors.Any() {
		return render(c, fiber.StatusUnprocessableEntity, habilitation.Request(h.shell(c, "Demande d'habilitation"), d))
	}
	err = h.Store.AddDemandeurMessage(c.UserContext(), d.Token, sd.View.Request.UUID, d.Message)
	return h.saved(c, sd, err, paths.HabilitationRequest(d.Token, sd.View.Request.UUID)+"#messages")
}
