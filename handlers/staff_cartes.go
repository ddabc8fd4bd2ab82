package handlers

import (
	"errors"
	"io"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/staff"
)

// maxCSV bounds an uploaded cartes file (a few thousand lines).
const maxCSV = 512 << 10

// StaffCartes searches a carte by serial number.
func (h *Staff) StaffCartes(c *fiber.Ctx) error {
	d := staff.CartesData{Serial: field(c, "serial")}
	if d.Serial != "" {
		info, err := h.Store.FindCarte(c.UserContext(), d.Serial)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		d.Info = info
	}
	return render(c, fiber.StatusOK, staff.Cartes(h.shell(c, "Cartes TOTP"), d))
}

// StaffCarteUnlink unlinks a carte from its aidant, with a reason.
func (h *Staff) StaffCarteUnlink(c *fiber.Ctx) error {
	id, err := idParam(c, "carte")
	if err != nil {
		return err
	}
	reason, text := store.UnlinkReason(c.FormValue("reason")), field(c, "reason_text")
	err = h.Store.StaffUnlinkCarte(c.UserContext(), staffID(c), id, reason, text)
	if errors.Is(err, store.ErrReason) || errors.Is(err, store.ErrUnavailable) {
		info, ferr := h.Store.GetCarte(c.UserContext(), id)
		if ferr != nil {
			return ferr
		}
		d := staff.CartesData{Serial: info.Carte.SerialNumber, Info: info, Reason: string(reason), Text: text}
		if errors.Is(err, store.ErrReason) {
			d.Errors.Add("reason", "Choisissez une raison ; pour « Autre raison », précisez-la (500 caractères au plus).")
		}
		return render(c, fiber.StatusUnprocessableEntity, staff.Cartes(h.shell(c, "Cartes TOTP"), d))
	}
	if err != nil {
		return err
	}
	h.setFlash(c, "staff-carte-unlinked")
	return redirect(c, paths.StaffCartes)
}

// StaffCartesImportNew is the import form.
func (h *Staff) StaffCartesImportNew(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, staff.Import(h.shell(c, "Importer des cartes"), staff.ImportData{}))
}

// StaffCartesImport previews the CSV (a problem per line) or imports it, all or none.
func (h *Staff) StaffCartesImport(c *fiber.Ctx) error {
	d := staff.ImportData{CSV: c.FormValue("csv")}
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		f, err := fh.Open()
		if err != nil {
			return err
		}
		b, err := io.ReadAll(io.LimitReader(f, maxCSV+1))
		f.Close()
		if err != nil {
			return err
		}
		if len(b) > maxCSV {
			d.Errors.Add("csv", "Ce fichier est trop grand : découpez-le en fichiers de moins de 512 Ko.")
			return render(c, fiber.StatusUnprocessableEntity, staff.Import(h.shell(c, "Importer des cartes"), d))
		}
		d.CSV = string(b)
	}
	d.Lines, d.Valid = store.ParseCartesCSV(d.CSV)
	page := func(status int) error {
		return render(c, status, staff.Import(h.shell(c, "Importer des cartes"), d))
	}
	switch {
	case len(d.Lines) == 0:
		d.Errors.Add("csv", "Le fichier ne contient aucune carte : une ligne par carte, le numéro de série puis la graine.")
		return page(fiber.StatusUnprocessableEntity)
	case !d.Valid:
		d.Errors.Add("csv", "Des lignes sont refusées (voir l'aperçu) : corrigez le fichier, rien n'a été importé.")
		return page(fiber.StatusUnprocessableEntity)
	case c.FormValue("action") != "import":
		return page(fiber.StatusOK)
	}
	err := h.Store.ImportCartes(c.UserContext(), staffID(c), d.Lines)
	if errors.Is(err, store.ErrCartesRefused) {
		d.Valid = false
		d.Errors.Add("csv", "Des cartes sont déjà dans le stock (voir l'aperçu) : rien n'a été importé.")
		return page(fiber.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	h.setFlash(c, "staff-cartes-imported")
	return redirect(c, paths.StaffCartes)
}

// staffFlash is the back-office's one-time messages.
func staffFlash(key string) (string, bool) {
	msg, ok := map[string]string{
		"staff-cartes-imported": "Les cartes sont importées : elles sont libres dans le stock.",
		"staff-carte-unlinked":  "La carte est dissociée de l'aidant : elle est de nouveau libre.",
		"staff-done":            "C'est enregistré.",
		"staff-job-retried":     "La tâche est relancée : elle va s'exécuter de nouveau.",
		"staff-job-cancelled":   "La tâche est annulée.",
	}[key]
	return msg, ok
}
