package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/views/public"
)

// Home is the public landing page.
func (h *Handlers) Home(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, public.Home(h.shell(c, "")))
}

// TextPage serves a fixed content page.
func (h *Handlers) TextPage(title string, paragraphs ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return render(c, fiber.StatusOK, public.TextPage(h.shell(c, title), paragraphs))
	}
}

// ErrorPage renders the French error page for a status.
func (h *Handlers) ErrorPage(c *fiber.Ctx, status int) error {
	d := public.ErrorData{Status: status}
	switch status {
	case fiber.StatusBadRequest:
		d.Title, d.Message = "Requête invalide", "La demande envoyée n'est pas valide. Revenez en arrière et réessayez."
	case fiber.StatusForbidden:
		d.Title, d.Message = "Accès refusé", "Vous n'avez pas accès à cette page, ou le formulaire a expiré. Revenez en arrière, rechargez la page et réessayez."
	case fiber.StatusNotFound:
		d.Title, d.Message = "Page introuvable ou inaccessible", "La page que vous cherchez n'existe pas ou ne vous est pas accessible. Vérifiez l'adresse, ou repartez de la page d'accueil."
	case fiber.StatusMethodNotAllowed:
		d.Title, d.Message = "Action impossible", "Cette adresse ne permet pas cette action."
	case fiber.StatusUnprocessableEntity:
		d.Title, d.Message = "Données invalides", "Les informations envoyées ne sont pas valides. Revenez en arrière, corrigez-les et réessayez."
	case fiber.StatusRequestEntityTooLarge:
		d.Title, d.Message = "Envoi trop volumineux", "Les informations envoyées sont trop volumineuses."
	case fiber.StatusRequestHeaderFieldsTooLarge:
		d.Title, d.Message = "Adresse trop longue", "L'adresse demandée, ou ce que votre navigateur envoie avec elle, est trop longue. Revenez en arrière et réessayez ; si le problème persiste, effacez les cookies de ce site."
	case fiber.StatusRequestTimeout:
		d.Title, d.Message = "Délai dépassé", "La demande a mis trop de temps à arriver. Réessayez."
	default:
		d.Status = fiber.StatusInternalServerError
		d.Title, d.Message = "Erreur du service", "Une erreur est survenue de notre côté. Elle a été enregistrée. Réessayez dans quelques instants."
	}
	return h.errorPage(c, d.Status, d.Title, d.Message)
}

// InvalidCharacters answers a request whose query or form holds a NUL byte or invalid UTF-8.
func (h *Handlers) InvalidCharacters(c *fiber.Ctx) error {
	return h.errorPage(c, fiber.StatusUnprocessableEntity, "Caractères invalides",
		"Les informations envoyées contiennent des caractères qui ne peuvent pas être lus (un caractère nul, ou un texte qui n'est pas en UTF-8). "+
			"Revenez en arrière, corrigez votre saisie et réessayez.")
}

// errorPage renders the French error page with its own title and message; an htmx request
// that is not a navigation gets the message alone (see public.ErrorFragment).
func (h *Handlers) errorPage(c *fiber.Ctx, status int, title, message string) error {
	if wantsFragment(c) {
		errorIntoRegion(c)
		return render(c, status, public.ErrorFragment(public.ErrorData{Status: status, Title: title, Message: message}))
	}
	return render(c, status, public.Error(h.shell(c, title), public.ErrorData{Status: status, Title: title, Message: message}))
}
