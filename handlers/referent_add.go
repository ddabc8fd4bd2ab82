package handlers

import (
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/referent"
	"github.com/aidantsconnect/ac/views/ui"
)

// maxName bounds names and professions typed in the référent's forms.
const maxName = 150

// ReferentAddAidant asks which kind of aidants to add.
func (h *Referent) ReferentAddAidant(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, referent.AddProfile(h.shell(c, "Ajouter des aidants")))
}

// UntrainedNew is the form for people to train.
func (h *Referent) UntrainedNew(c *fiber.Ctx) error {
	d := referent.UntrainedData{Organisation: current(c).Organisation, Rows: []referent.PersonRow{{}}}
	return render(c, fiber.StatusOK, referent.Untrained(h.shell(c, "Aidants à former"), d))
}

// UntrainedCreate adds a row (without script, the form's second button) or files the
// requests, all or none.
func (h *Referent) UntrainedCreate(c *fiber.Ctx) error {
	d := referent.UntrainedData{Organisation: current(c).Organisation}
	for i := range formRows(c) {
		r := referent.PersonRow{Email: strings.TrimSpace(c.FormValue(referent.FieldID(i, "email"))),
			FirstName: strings.TrimSpace(c.FormValue(referent.FieldID(i, "first"))), LastName: strings.TrimSpace(c.FormValue(referent.FieldID(i, "last"))),
			Profession: strings.TrimSpace(c.FormValue(referent.FieldID(i, "profession"))), ConseillerNumerique: c.FormValue(referent.FieldID(i, "cn")) != ""}
		if i > 0 && r == (referent.PersonRow{}) {
			continue // an extra row left blank
		}
		d.Rows = append(d.Rows, r)
	}
	page := func(status int) error {
		return render(c, status, referent.Untrained(h.shell(c, "Aidants à former"), d))
	}
	if c.FormValue("action") == "row" {
		if len(d.Rows) < referent.MaxRows {
			d.Rows = append(d.Rows, referent.PersonRow{})
		}
		return page(fiber.StatusOK)
	}
	people := make([]store.NewPerson, len(d.Rows))
	for i, r := range d.Rows {
		checkEmail(&d.Errors, referent.FieldID(i, "email"), r.Email)
		if r.ConseillerNumerique && strings.HasSuffix(strings.ToLower(r.Email), "@conseiller-numerique.fr") {
			d.Errors.Add(referent.FieldID(i, "email"), "Un conseiller numérique doit s'inscrire avec une adresse e-mail autre que @conseiller-numerique.fr.")
		}
		checkName(&d.Errors, referent.FieldID(i, "first"), r.FirstName, "le prénom")
		checkName(&d.Errors, referent.FieldID(i, "last"), r.LastName, "le nom")
		checkName(&d.Errors, referent.FieldID(i, "profession"), r.Profession, "la profession")
		people[i] = store.NewPerson{Email: r.Email, FirstName: r.FirstName, LastName: r.LastName, Profession: r.Profession, ConseillerNumerique: r.ConseillerNumerique}
	}
	if d.Errors.Any() {
		return page(fiber.StatusUnprocessableEntity)
	}
	err := h.Store.RequestHabilitations(c.UserContext(), scope(c), people)
	var rows store.RowErrors
	if errors.As(err, &rows) {
		for i := range d.Rows {
			if p, ok := rows[i]; ok {
				d.Errors.Add(referent.FieldID(i, "email"), rowMessage(p, d.Rows[i].Email, false))
			}
		}
		return page(fiber.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	h.setFlash(c, "ref-requests-sent")
	return redirect(c, paths.ReferentAidants)
}

// TrainedNew is the form for trained aidants.
func (h *Referent) TrainedNew(c *fiber.Ctx) error {
	d := referent.TrainedData{Organisation: current(c).Organisation, Emails: []string{""}}
	return render(c, fiber.StatusOK, referent.Trained(h.shell(c, "Aidants déjà formés"), d))
}

// TrainedCreate adds a row, or adds the aidants and files the requests, all or none.
func (h *Referent) TrainedCreate(c *fiber.Ctx) error {
	d := referent.TrainedData{Organisation: current(c).Organisation}
	for i := range formRows(c) {
		e := strings.TrimSpace(c.FormValue(referent.FieldID(i, "email")))
		if i > 0 && e == "" {
			continue
		}
		d.Emails = append(d.Emails, e)
	}
	page := func(status int) error {
		return render(c, status, referent.Trained(h.shell(c, "Aidants déjà formés"), d))
	}
	if c.FormValue("action") == "row" {
		if len(d.Emails) < referent.MaxRows {
			d.Emails = append(d.Emails, "")
		}
		return page(fiber.StatusOK)
	}
	for i, e := range d.Emails {
		checkEmail(&d.Errors, referent.FieldID(i, "email"), e)
	}
	if d.Errors.Any() {
		return page(fiber.StatusUnprocessableEntity)
	}
	out, err := h.Store.AddTrainedAidants(c.UserContext(), scope(c), append([]string(nil), d.Emails...), h.notice)
	var rows store.RowErrors
	if errors.As(err, &rows) {
		for i := range d.Emails {
			if p, ok := rows[i]; ok {
				d.Errors.Add(referent.FieldID(i, "email"), rowMessage(p, d.Emails[i], true))
			}
		}
		return page(fiber.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	switch {
	case len(out.Requested) == 0:
		h.setFlash(c, "ref-trained-added")
	case len(out.Added) == 0:
		h.setFlash(c, "ref-trained-requested")
	default:
		h.setFlash(c, "ref-trained-mixed")
	}
	return redirect(c, paths.ReferentAidants)
}

// formRows is how many rows a multi-person form posted (at least one, at most MaxRows).
func formRows(c *fiber.Ctx) int {
	n, _ := strconv.Atoi(c.FormValue("rows"))
	return min(max(n, 1), referent.MaxRows)
}

// rowMessage words a refused row. Each reason is about the référent's own organisations.
func rowMessage(p store.RowProblem, email string, trained bool) string {
	switch p {
	case store.RowDuplicate:
		return "L'adresse e-mail « " + email + " » apparaît plusieurs fois dans le formulaire."
	case store.RowMember:
		if trained {
			return "Cet aidant fait déjà partie de l'organisation."
		}
		return "Cette personne a déjà un compte dans l'une de vos organisations."
	case store.RowPending:
		return "Une demande est déjà en cours pour cette adresse e-mail."
	case store.RowNotAidant:
		return "Ce compte de l'une de vos organisations n'est pas un compte aidant actif : il ne peut pas créer de mandats."
	}
	return "Cette ligne ne peut pas être enregistrée."
}

func checkEmail(errs *ui.Errors, field, email string) {
	switch {
	case email == "":
		errs.Add(field, "Saisissez l'adresse e-mail.")
	case !validEmail(email):
		errs.Add(field, "Saisissez une adresse e-mail valide, par exemple nom@domaine.fr.")
	}
}

func validEmail(email string) bool {
	a, err := mail.ParseAddress(email)
	return err == nil && a.Address == email && len(email) <= 254 && strings.Contains(email, "@") && !strings.ContainsAny(email, "<> ")
}

func checkName(errs *ui.Errors, field, v, what string) {
	switch {
	case v == "":
		errs.Add(field, "Saisissez "+what+".")
	case utf8.RuneCountInString(v) > maxName:
		errs.Add(field, "Saisissez au plus "+strconv.Itoa(maxName)+" caractères.")
	}
}

// HabilitationCancel withdraws a habilitation request of the organisation.
func (h *Referent) HabilitationCancel(c *fiber.Ctx) error {
	return h.cancelRequest(c, store.HabilitationKind, paths.ReferentAidants)
}

// StructureChangeCancel withdraws a structure-change request of the organisation.
func (h *Referent) StructureChangeCancel(c *fiber.Ctx) error {
	return h.cancelRequest(c, store.StructureChangeKind, paths.ReferentAidants)
}

// CoReferentCancel withdraws a request for a référent who is not an aidant.
func (h *Referent) CoReferentCancel(c *fiber.Ctx) error {
	return h.cancelRequest(c, store.CoReferentKind, paths.ReferentCoReferents)
}

func (h *Referent) cancelRequest(c *fiber.Ctx, kind store.RequestKind, back string) error {
	id, err := idParam(c, "demande")
	if err != nil {
		return err
	}
	err = h.Store.CancelRequest(c.UserContext(), scope(c), kind, id)
	if errors.Is(err, store.ErrUnavailable) {
		return h.unavailable(c)
	}
	if err != nil {
		return err
	}
	h.setFlash(c, "ref-request-cancelled")
	return redirect(c, back)
}

// CoReferents is the co-référents page.
func (h *Referent) CoReferents(c *fiber.Ctx) error {
	p, err := h.Store.GetReferentsPage(c.UserContext(), scope(c))
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, referent.CoReferents(h.shell(c, "Référents"), referent.CoReferentsData{Page: p, Self: current(c).Aidant.ID}))
}

// CoReferentPromote makes an active aidant of the organisation one of its référents.
func (h *Referent) CoReferentPromote(c *fiber.Ctx) error {
	id, err := parseID(c.FormValue("candidate"))
	if err != nil {
		return err
	}
	err = h.Store.PromoteReferent(c.UserContext(), scope(c), id, h.notice)
	if errors.Is(err, store.ErrUnavailable) {
		return h.unavailable(c)
	}
	if err != nil {
		return err
	}
	h.setFlash(c, "ref-promoted")
	return redirect(c, paths.ReferentCoReferents)
}

// CoReferentRequestCreate asks the team for a référent who is not an aidant.
func (h *Referent) CoReferentRequestCreate(c *fiber.Ctx) error {
	in := store.CoReferentInput{FirstName: strings.TrimSpace(c.FormValue("first_name")), LastName: strings.TrimSpace(c.FormValue("last_name")),
		Profession: strings.TrimSpace(c.FormValue("profession")), Phone: strings.TrimSpace(c.FormValue("phone")), Email: strings.TrimSpace(c.FormValue("email"))}
	var errs ui.Errors
	checkName(&errs, "co-first", in.FirstName, "le prénom")
	checkName(&errs, "co-last", in.LastName, "le nom")
	checkName(&errs, "co-profession", in.Profession, "la profession")
	phone := strings.NewReplacer(" ", "", ".", "", "-", "").Replace(in.Phone)
	if len(phone) != 10 || phone[0] != '0' || strings.Trim(phone, "0123456789") != "" {
		errs.Add("co-phone", "Saisissez un numéro de téléphone à 10 chiffres, par exemple 0612345678.")
	}
	checkEmail(&errs, "co-email", in.Email)
	if !errs.Any() {
		req := in
		req.Phone = phone
		err := h.Store.RequestCoReferent(c.UserContext(), scope(c), req)
		var rows store.RowErrors
		switch {
		case err == nil:
			h.setFlash(c, "ref-coreferent-requested")
			return redirect(c, paths.ReferentCoReferents)
		case errors.As(err, &rows) && rows[0] == store.RowMember:
			errs.Add("co-email", "Cette personne fait déjà partie de l'organisation : désignez-la plutôt comme co-référent ci-dessus.")
		case errors.As(err, &rows):
			errs.Add("co-email", rowMessage(rows[0], in.Email, false))
		default:
			return err
		}
	}
	p, err := h.Store.GetReferentsPage(c.UserContext(), scope(c))
	if err != nil {
		return err
	}
	return render(c, fiber.StatusUnprocessableEntity, referent.CoReferents(h.shell(c, "Référents"),
		referent.CoReferentsData{Page: p, Self: current(c).Aidant.ID, Input: in, Errors: errs}))
}
