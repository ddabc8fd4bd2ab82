package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/views/layout"
)

// Request locals shared with the app's transport middleware.
const (
	// CSRFTokenLocal is where the CSRF middleware puts the token, for forms and hx-headers.
	CSRFTokenLocal = "csrf_token"
	// FormActionLocal is an origin a page's forms may also submit to (the FI's relying party),
	// added to the Content-Security-Policy's form-action by the security-headers middleware.
	FormActionLocal = "form_action"
)

const flashCookie = "ac_flash"

// flashFor maps the key a redirect carries to its one-time message. The cookie holds only a
// key, so nothing a third party writes into it can reach the page.
func flashFor(key string) (layout.Flash, bool) {
	switch key {
	case "logged-out":
		return layout.Flash{Kind: "success", Text: "Vous avez été déconnecté."}, true
	case "link-invalid":
		return layout.Flash{Kind: "error", Text: "Ce lien de connexion ne fonctionne plus : il a expiré ou a déjà servi. Recommencez la connexion."}, true
	case "org-switched": // shell names the organisation (the page's current one)
		return layout.Flash{Kind: "success", Text: "Vous travaillez maintenant pour cette organisation."}, true
	case "preferences-saved":
		return layout.Flash{Kind: "success", Text: "Vos préférences sont enregistrées."}, true
	case "no-organisation":
		return layout.Flash{Kind: "error", Text: "Votre compte n'est plus rattaché à aucune organisation active : vous avez été déconnecté. Rapprochez-vous du référent de votre organisation."}, true
	case "login-required":
		return layout.Flash{Kind: "info", Text: "Connectez-vous pour accéder à cette page."}, true
	case "flow-expired":
		return layout.Flash{Kind: "error", Text: "La création du mandat a pris trop de temps ou a été interrompue. Rien n'a été enregistré : recommencez depuis le début."}, true
	case "mandat-cancelled":
		return layout.Flash{Kind: "info", Text: "Le mandat n'a pas été créé : rien n'a été enregistré, et les informations de l'usager reçues de FranceConnect ont été effacées."}, true
	case "fc-cancelled":
		return layout.Flash{Kind: "warning", Text: "L'usager a annulé la connexion FranceConnect. Rien n'a été enregistré : vous pouvez recommencer."}, true
	case "fc-failed":
		return layout.Flash{Kind: "error", Text: "La connexion avec FranceConnect n'a pas abouti. C'est probablement temporaire : rien n'a été enregistré, recommencez dans quelques instants."}, true
	case "fc-incomplete":
		return layout.Flash{Kind: "error", Text: "FranceConnect n'a pas transmis toutes les informations nécessaires sur l'usager (nom, date ou lieu de naissance…). Rien n'a été enregistré."}, true
	}
	if msg, ok := referentFlash(key); ok {
		return layout.Flash{Kind: "success", Text: msg}, true
	}
	if msg, ok := staffFlash(key); ok {
		return layout.Flash{Kind: "success", Text: msg}, true
	}
	return layout.Flash{}, false
}

// setFlash arranges for a message on the next page.
func (h *Handlers) setFlash(c *fiber.Ctx, key string) {
	c.Cookie(&fiber.Cookie{Name: flashCookie, Value: key, Path: "/", HTTPOnly: true, Secure: h.SecureCookies, SameSite: "Lax", Expires: time.Now().Add(5 * time.Minute)})
}

// shell builds the request-wide data every page needs, consuming any pending flash.
func (h *Handlers) shell(c *fiber.Ctx, title string) layout.Shell {
	cur := current(c)
	csrf, _ := c.Locals(CSRFTokenLocal).(string)
	s := layout.Shell{
		Title:        title,
		CSRF:         csrf,
		Path:         c.Path(),
		Aidant:       cur.Aidant,
		Organisation: cur.Organisation,
		Memberships:  cur.Memberships,
	}
	if h.Dev() {
		s.Mode = h.Mode
	}
	if left := h.activityLeft(c); left > 0 {
		s.ActivityLeft, s.ActivityWarn = int(left.Seconds()), int(min(2*time.Minute, h.ActivityTimeout/2).Seconds())
	}
	if key := c.Cookies(flashCookie); key != "" {
		if f, ok := flashFor(key); ok {
			if key == "org-switched" && cur.Organisation != nil {
				f.Text = "Vous travaillez maintenant pour " + cur.Organisation.Name + "."
			}
			s.Flashes = append(s.Flashes, f)
		}
		c.Cookie(&fiber.Cookie{Name: flashCookie, Value: "", Path: "/", HTTPOnly: true, Secure: h.SecureCookies, SameSite: "Lax", Expires: time.Unix(1, 0), MaxAge: -1})
	}
	return s
}
