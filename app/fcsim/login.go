package fcsim

import (
	"bytes"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/assets"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// pagesHTML is semantic HTML styled with the app's own DSFR files (no FranceConnect asset is
// copied): the app serves the simulator under a CSP without inline style or script, and it
// must work without JavaScript. Validation is the server's, in French (no `required`: the
// browser would answer in its own language).
const pagesHTML = `{{define "head"}}<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="Simulateur de FranceConnect pour le développement et le bac à sable d'Aidants Connect : les personnes proposées sont fictives.">
<title>{{.Title}} – FranceConnect (simulateur)</title>
<link rel="stylesheet" href="{{.CSS}}">
<link rel="stylesheet" href="{{.AppCSS}}">
</head>
<body>
<header role="banner" class="fr-header">
<div class="fr-header__body"><div class="fr-container"><div class="fr-header__body-row">
<div class="fr-header__brand"><div class="fr-header__brand-top"><div class="fr-header__logo"><p class="fr-logo">République<br>Française</p></div></div>
<div class="fr-header__service"><p class="fr-header__service-title">FranceConnect <span class="fr-badge fr-badge--sm fr-badge--info">simulateur</span></p>
<p class="fr-header__service-tagline">Personnes et comptes fictifs, pour s'entraîner</p></div></div>
</div></div></div>
</header>
<main id="contenu" class="fr-container fr-my-6w">
{{end}}
{{define "foot"}}</main>
<footer class="fr-footer" role="contentinfo"><div class="fr-container"><div class="fr-footer__body"><div class="fr-footer__content">
<p class="fr-footer__content-desc">Ce simulateur remplace FranceConnect en développement et dans le bac à sable d'Aidants Connect. Aucune donnée réelle n'y est utilisée.</p>
</div></div></div></footer>
</body>
</html>
{{end}}
{{define "login"}}{{template "head" .Head}}
<h1>Choix de l'identité</h1>
<p class="fr-text--lead">Choisissez la personne fictive avec laquelle l'usager se connecte.</p>
<form method="post" action="{{.Action}}" novalidate>
<input type="hidden" name="id" value="{{.ID}}">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<fieldset class="fr-fieldset{{if .Error}} fr-fieldset--error{{end}}" id="identities"{{if .Error}} aria-labelledby="identities-legend identity-error"{{end}}>
<legend class="fr-fieldset__legend" id="identities-legend">Identité avec laquelle l'usager se connecte</legend>
{{range .Choices}}<div class="fr-fieldset__element"><div class="fr-radio-group">
<input type="radio" id="identity-{{.N}}" name="identity" value="{{.N}}">
<label class="fr-label" for="identity-{{.N}}">{{.Label}}</label>
</div></div>
{{end}}{{if .Error}}<div class="fr-messages-group" aria-live="polite"><p class="fr-message fr-message--error" id="identity-error">{{.Error}}</p></div>
{{end}}</fieldset>
<ul class="fr-btns-group fr-btns-group--inline-md">
<li><button class="fr-btn" type="submit" name="action" value="login">Se connecter</button></li>
<li><button class="fr-btn fr-btn--secondary" type="submit" name="action" value="cancel">Annuler</button></li>
</ul>
</form>
{{template "foot"}}{{end}}
{{define "error"}}{{template "head" .Head}}
<h1>{{.Title}}</h1>
<div class="fr-alert fr-alert--error"><p>{{.Message}}</p></div>
{{template "foot"}}{{end}}
`

// head is what every simulator page's head needs: its title and the stylesheets.
type head struct{ Title, CSS, AppCSS string }

func newHead(title string) head {
	return head{Title: title, CSS: assets.Path("vendor/dsfr/dsfr.min.css"), AppCSS: assets.Path("css/app.css")}
}

type loginData struct {
	Head                    head
	Action, ID, CSRF, Error string
	Choices                 []choice
}

type choice struct {
	N     int
	Label string
}

func (s *Simulator) loginPage(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.st.pendingAuthRequest(r.URL.Query().Get("id"))
	if !ok {
		s.errorPage(w, http.StatusBadRequest, "Demande de connexion inconnue ou expirée",
			"Retournez sur le service qui vous a envoyé ici et recommencez la connexion.")
		return
	}
	s.renderLogin(w, http.StatusOK, ar, "")
}

func (s *Simulator) renderLogin(w http.ResponseWriter, status int, ar *authRequest, errMsg string) {
	title := "Choix de l'identité"
	if errMsg != "" {
		title = "Erreur – " + title
	}
	d := loginData{Head: newHead(title), Action: s.path + paths.FCSimLogin, ID: ar.id, CSRF: ar.csrf, Error: errMsg}
	for n, id := range Identities() {
		d.Choices = append(d.Choices, choice{N: n, Label: identityLabel(id)})
	}
	s.render(w, status, "login", d)
}

// loginSubmit completes or cancels the auth request. The csrf_token field, bound to the auth
// request and only readable on our page, keeps a cross-site form from completing it.
func (s *Simulator) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "Formulaire invalide", "Rechargez la page et recommencez.")
		return
	}
	id, csrf := r.PostForm.Get("id"), r.PostForm.Get("csrf_token")
	expired := func() {
		s.errorPage(w, http.StatusBadRequest, "Demande de connexion inconnue ou expirée",
			"Retournez sur le service qui vous a envoyé ici et recommencez la connexion.")
	}
	if r.PostForm.Get("action") == "cancel" {
		ar, ok := s.st.finishAuthRequest(id, csrf, "")
		if !ok {
			expired()
			return
		}
		// As FC: the FS gets error=access_denied with its state.
		op.AuthRequestError(w, r, ar, oidc.ErrAccessDenied().WithDescription("user cancelled the authentication"), s.provider)
		return
	}
	n, err := strconv.Atoi(r.PostForm.Get("identity"))
	people := Identities()
	if err != nil || n < 0 || n >= len(people) {
		ar, ok := s.st.pendingAuthRequest(id)
		if !ok {
			expired()
			return
		}
		s.renderLogin(w, http.StatusUnprocessableEntity, ar, "Choisissez une identité pour continuer.")
		return
	}
	ar, ok := s.st.finishAuthRequest(id, csrf, people[n].Sub)
	if !ok {
		expired()
		return
	}
	// Issues the code and redirects to the FS with code and state.
	op.AuthResponse(ar, s.provider, w, r)
}

func (s *Simulator) errorPage(w http.ResponseWriter, status int, title, message string) {
	s.render(w, status, "error", struct {
		Head           head
		Title, Message string
	}{newHead(title), title, message})
}

// render buffers the page so that a template failure still gets a clean 500.
func (s *Simulator) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		slog.Error("fcsim: page failed", "page", name, "err", err)
		http.Error(w, "Erreur du simulateur FranceConnect.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store") // the page carries a per-request token
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
