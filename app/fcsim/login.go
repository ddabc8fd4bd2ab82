package fcsim

import (
	"bytes"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// pagesHTML is plain semantic HTML: the app serves the simulator under a CSP without inline
// style or script, and it must work without JavaScript.
const pagesHTML = `{{define "head"}}<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} – FranceConnect (simulateur)</title>
</head>
<body>
<main>
<h1>FranceConnect (simulateur)</h1>
{{end}}
{{define "foot"}}</main>
</body>
</html>
{{end}}
{{define "login"}}{{template "head" "Choix de l'identité"}}
<p>Ce simulateur remplace FranceConnect en développement et dans le bac à sable. Les personnes proposées sont fictives.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="id" value="{{.ID}}">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<fieldset{{if .Error}} aria-describedby="identity-error"{{end}}>
<legend>Identité avec laquelle l'usager se connecte</legend>
{{if .Error}}<p id="identity-error">{{.Error}}</p>
{{end}}{{range .Choices}}<div>
<input type="radio" id="identity-{{.N}}" name="identity" value="{{.N}}" required>
<label for="identity-{{.N}}">{{.Label}}</label>
</div>
{{end}}</fieldset>
<p>
<button type="submit" name="action" value="login">Se connecter</button>
<button type="submit" name="action" value="cancel" formnovalidate>Annuler</button>
</p>
</form>
{{template "foot"}}{{end}}
{{define "error"}}{{template "head" "Erreur"}}
<h2>{{.Title}}</h2>
<p>{{.Message}}</p>
{{template "foot"}}{{end}}
`

type loginData struct {
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
	d := loginData{Action: s.path + paths.FCSimLogin, ID: ar.id, CSRF: ar.csrf, Error: errMsg}
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
	s.render(w, status, "error", struct{ Title, Message string }{title, message})
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
