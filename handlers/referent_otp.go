package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/referent"
	"github.com/aidantsconnect/ac/views/ui"
)

// The référent's own first app: welcome, install, scan and confirm, done. It is the same app
// enrolment a référent runs for an aidant, on themselves (a member of their organisation).

// self is the référent as an aidant of their organisation.
func (h *Referent) self(c *fiber.Ctx) (*store.AidantFile, error) {
	return h.Store.GetManagedAidant(c.UserContext(), scope(c), current(c).Aidant.ID)
}

// OTPWelcome starts the setup, for a référent with nothing to log in with.
func (h *Referent) OTPWelcome(c *fiber.Ctx) error {
	f, err := h.self(c)
	if err != nil {
		return err
	}
	if f.Aidant.CanLogIn() {
		return redirect(c, paths.Referent)
	}
	return render(c, fiber.StatusOK, referent.OTPWelcome(h.shell(c, "Bienvenue")))
}

// OTPDismiss puts the setup off for the rest of the session.
func (h *Referent) OTPDismiss(c *fiber.Ctx) error {
	sess, err := h.Session(c)
	if err != nil {
		return err
	}
	sess.Values[sessOTPDismissed] = true
	if err := h.SaveSession(c, sess); err != nil {
		return err
	}
	h.setFlash(c, "ref-otp-dismissed")
	return redirect(c, paths.Referent)
}

// OTPDownload is step 1: install an app.
func (h *Referent) OTPDownload(c *fiber.Ctx) error {
	f, err := h.self(c)
	if err != nil {
		return err
	}
	if f.Aidant.CanLogIn() {
		return redirect(c, paths.Referent)
	}
	return render(c, fiber.StatusOK, referent.OTPDownload(h.shell(c, "Installer une application")))
}

// OTPStart prepares the référent's app (its secret) and goes on to the QR code.
func (h *Referent) OTPStart(c *fiber.Ctx) error {
	err := h.Store.StartApp(c.UserContext(), scope(c), current(c).Aidant.ID, h.OTP)
	if errors.Is(err, store.ErrUnavailable) {
		return redirect(c, paths.Referent) // an app already works
	}
	if err != nil {
		return err
	}
	return redirect(c, paths.ReferentOTPScan)
}

// OTPScan is step 2: the QR code and the key of the app being added.
func (h *Referent) OTPScan(c *fiber.Ctx) error {
	f, err := h.self(c)
	if err != nil {
		return err
	}
	if f.PendingAppSecret == nil {
		if f.Aidant.CanLogIn() {
			return redirect(c, paths.Referent)
		}
		return redirect(c, paths.ReferentOTPDownload)
	}
	return render(c, fiber.StatusOK, referent.OTPScan(h.shell(c, "Scanner le QR code"), h.scanData(f, nil)))
}

func (h *Referent) scanData(f *store.AidantFile, errs ui.Errors) referent.ScanData {
	return referent.ScanData{URI: h.EnrolURI(f.PendingAppSecret, f.Aidant.Email), Key: h.ManualKey(f.PendingAppSecret), Errors: errs}
}

// OTPConfirm checks the app's first code.
func (h *Referent) OTPConfirm(c *fiber.Ctx) error {
	code := normaliseCode(c.FormValue("code"))
	if validCode(code) {
		err := h.Store.ConfirmApp(c.UserContext(), scope(c), current(c).Aidant.ID, code, h.OTP, nil)
		switch {
		case err == nil:
			return redirect(c, paths.ReferentOTPDone)
		case errors.Is(err, store.ErrUnavailable):
			return redirect(c, paths.ReferentOTPDownload) // nothing being added: start again
		case !errors.Is(err, store.ErrCodeRefused):
			return err
		}
	}
	f, err := h.self(c)
	if err != nil {
		return err
	}
	if f.PendingAppSecret == nil {
		return redirect(c, paths.ReferentOTPDownload)
	}
	var errs ui.Errors
	errs.Add("app-code", codeError(code))
	return render(c, fiber.StatusUnprocessableEntity, referent.OTPScan(h.shell(c, "Scanner le QR code"), h.scanData(f, errs)))
}

// OTPDone is step 3.
func (h *Referent) OTPDone(c *fiber.Ctx) error {
	f, err := h.self(c)
	if err != nil {
		return err
	}
	if !f.Aidant.CanLogIn() {
		return redirect(c, paths.ReferentOTPWelcome)
	}
	return render(c, fiber.StatusOK, referent.OTPDone(h.shell(c, "Application prête")))
}
