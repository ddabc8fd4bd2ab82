package fcsim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aidantsconnect/ac/app/fc"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// The demo service site (bac à sable): a fictitious "service public" whose login goes through
// the simulator, playing FranceConnect's broker, to OUR identity provider (the FI). The simulator
// sends the aidant to the FI's /authorize with FranceConnect v2's parameters, exchanges the code
// with client_secret_post, verifies the ID token and userinfo as FranceConnect does (app/fc's
// client) and shows whom the aidant is now acting for.

// DemoConfig turns the demo site on, under "<Issuer>/demo/". The FI must know the client:
// redirect URI "<Issuer>/demo/callback", post-logout URI "<Issuer>/demo/", ES256 or RS256 ID
// tokens, rep_scope in the démarche keys' vocabulary.
type DemoConfig struct {
	FIIssuer         string // our FI's issuer (AC_BASE_URL): discovery, JWKS, the iss checked
	ClientID, Secret string // the broker's registration at the FI
	HTTPClient       *http.Client
}

const (
	demoStateCookie = "fcsim_demo_state"
	demoFlowTTL     = 10 * time.Minute
	demoMaxFlows    = 10000 // bounds the memory an unauthenticated visitor can take

	// demoScope and demoClaims are what FranceConnect v2 asks an FI: the identité pivot and
	// email, and one démarche the aidant chooses (rep_scope, with no restriction).
	demoScope  = "openid profile email birth"
	demoClaims = `{"id_token":{"rep_scope":{"essential":true}}}`
)

// demo is the site's state: the FI client and the flows started, keyed by state.
type demo struct {
	authorizeURL, redirectURI, clientID string
	client                              *fc.Client
	secure                              bool // the cookie is Secure when the site is served over https

	mu    sync.Mutex
	flows map[string]demoFlow
}

type demoFlow struct {
	nonce   string
	expires time.Time
}

func newDemo(issuer string, cfg *DemoConfig, now func() time.Time) (*demo, error) {
	fi := strings.TrimRight(cfg.FIIssuer, "/")
	redirectURI := issuer + paths.FCSimDemoCallback
	c, err := fc.New(fc.Config{Issuer: fi, ClientID: cfg.ClientID, ClientSecret: cfg.Secret, RedirectURL: redirectURI,
		PostLogoutURL: issuer + paths.FCSimDemo, HTTPClient: cfg.HTTPClient, Now: now})
	if err != nil {
		return nil, fmt.Errorf("fcsim: demo: %w", err)
	}
	// Static, as FranceConnect configures its FIs; the FI's discovery publishes the same.
	return &demo{authorizeURL: fi + paths.IdPAuthorize, redirectURI: redirectURI, clientID: cfg.ClientID, client: c,
		secure: strings.HasPrefix(issuer, "https://"), flows: map[string]demoFlow{}}, nil
}

// start keeps a new flow and returns its state and nonce (64 hexadecimal digits, as FC).
func (d *demo) start(now time.Time) (state, nonce string, err error) {
	if state, err = randomHex(); err != nil {
		return "", "", err
	}
	if nonce, err = randomHex(); err != nil {
		return "", "", err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, f := range d.flows {
		if !now.Before(f.expires) {
			delete(d.flows, k)
		}
	}
	if len(d.flows) >= demoMaxFlows {
		return "", "", errors.New("too many pending demo flows")
	}
	d.flows[state] = demoFlow{nonce: nonce, expires: now.Add(demoFlowTTL)}
	return state, nonce, nil
}

// finish spends the flow: a state is good for one callback.
func (d *demo) finish(state string, now time.Time) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f, ok := d.flows[state]
	delete(d.flows, state)
	return f.nonce, ok && now.Before(f.expires)
}

func randomHex() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("fcsim: demo: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func (s *Simulator) demoRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+paths.FCSimDemo+"{$}", s.demoHome)
	mux.HandleFunc("GET "+paths.FCSimDemoLogin, s.demoLogin)
	mux.HandleFunc("GET "+paths.FCSimDemoCallback, s.demoCallback)
}

func (s *Simulator) demoHome(w http.ResponseWriter, _ *http.Request) {
	s.render(w, http.StatusOK, "demo-home", struct {
		Head  head
		Login string
	}{newHead("Accueil – Démarche en ligne (démonstration)"), s.path + paths.FCSimDemoLogin})
}

// demoFI is the value of the identity-provider choice that leads to our FI.
const demoFI = "aidants-connect"

// demoLogin is FranceConnect's identity-provider choice, as FranceConnect shows it: Aidants
// Connect among the others (which the simulator does not offer). Once it is picked, it starts a
// flow and sends the browser to the FI.
func (s *Simulator) demoLogin(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("fi") != demoFI {
		w.Header().Set("Cache-Control", "no-store")
		s.render(w, http.StatusOK, "demo-choice", struct {
			Head         head
			Action, Back string
			FI           string
		}{newHead("Choix du compte – FranceConnect (simulateur)"), s.path + paths.FCSimDemoLogin, s.path + paths.FCSimDemo, demoFI})
		return
	}
	state, nonce, err := s.demo.start(s.now())
	if err != nil {
		slog.ErrorContext(r.Context(), "fcsim: demo flow", "err", err)
		s.demoError(w, http.StatusServiceUnavailable, "Connexion impossible pour le moment",
			"Le site de démonstration ne peut pas démarrer de connexion. Réessayez dans quelques minutes.")
		return
	}
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {s.demo.clientID},
		"redirect_uri":  {s.demo.redirectURI},
		"scope":         {demoScope},
		"acr_values":    {fc.ACR},
		"claims":        {demoClaims},
		"state":         {state},
		"nonce":         {nonce},
		"prompt":        {"login"},
	}
	// The cookie ties the callback to this browser (no login CSRF); it only lives for the flow.
	http.SetCookie(w, &http.Cookie{Name: demoStateCookie, Value: state, Path: s.path + paths.FCSimDemo,
		MaxAge: int(demoFlowTTL / time.Second), HttpOnly: true, Secure: s.demo.secure, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.demo.authorizeURL+"?"+q.Encode(), http.StatusFound)
}

// demoCallback is the broker's redirect URI: state, then the FI's error or the code.
func (s *Simulator) demoCallback(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: demoStateCookie, Value: "", Path: s.path + paths.FCSimDemo, MaxAge: -1,
		HttpOnly: true, Secure: s.demo.secure, SameSite: http.SameSiteLaxMode})
	q := r.URL.Query()
	state := q.Get("state")
	cookie, _ := r.Cookie(demoStateCookie)
	// The cookie is checked first, so that a callback from another browser does not spend the flow.
	ok := state != "" && cookie != nil && subtle.ConstantTimeCompare([]byte(cookie.Value), []byte(state)) == 1
	var nonce string
	if ok {
		nonce, ok = s.demo.finish(state, s.now())
	}
	if !ok {
		s.demoError(w, http.StatusBadRequest, "Connexion inconnue ou expirée",
			"Cette connexion n'a pas été démarrée depuis ce navigateur, ou elle a expiré.")
		return
	}
	if err := fc.CallbackError(q); err != nil {
		if errors.Is(err, fc.ErrCancelled) {
			s.demoError(w, http.StatusOK, "Connexion annulée",
				"La connexion a été annulée : aucune information n'a été transmise au service.")
			return
		}
		slog.WarnContext(r.Context(), "fcsim: demo callback error", "err", err)
		s.demoError(w, http.StatusBadGateway, "La connexion a échoué",
			"Le fournisseur d'identité a refusé la demande. Recommencez la connexion.")
		return
	}
	id, idToken, err := s.demo.client.Exchange(r.Context(), q.Get("code"), nonce)
	if err != nil {
		slog.WarnContext(r.Context(), "fcsim: demo exchange", "err", err)
		msg := "La réponse du fournisseur d'identité n'a pas pu être vérifiée. Recommencez la connexion."
		if errors.Is(err, fc.ErrIncompleteIdentity) {
			msg = "L'identité transmise par le fournisseur d'identité est incomplète."
		}
		s.demoError(w, http.StatusBadGateway, "La connexion a échoué", msg)
		return
	}
	// Exchange has verified the ID token's signature and claims: reading its payload is safe.
	claims, err := idTokenExtras(idToken)
	if err != nil {
		slog.WarnContext(r.Context(), "fcsim: demo ID token", "err", err)
		s.demoError(w, http.StatusBadGateway, "La connexion a échoué",
			"La réponse du fournisseur d'identité n'a pas pu être lue. Recommencez la connexion.")
		return
	}
	labels := make([]string, len(claims.RepScope))
	for i, v := range claims.RepScope {
		labels[i] = demarcheLabel(v)
	}
	s.render(w, http.StatusOK, "demo-result", demoResult{Head: newHead("Connecté – Démarche en ligne (démonstration)"),
		Name: strings.TrimSpace(id.GivenName + " " + id.FamilyName), RepScope: labels, Again: s.path + paths.FCSimDemo,
		Claims: []demoClaim{
			{"sub", id.Sub}, {"given_name", id.GivenName}, {"family_name", id.FamilyName},
			{"preferred_username", id.PreferredUsername}, {"birthdate", id.Birthdate}, {"gender", id.Gender},
			{"birthplace", id.Birthplace}, {"birthcountry", id.Birthcountry}, {"email", id.Email},
			{"acr", claims.ACR}, {"rep_scope", strings.Join(claims.RepScope, ", ")},
		}})
}

type idTokenClaims struct {
	ACR      string
	RepScope []string
}

// idTokenExtras reads acr and rep_scope (an array, or a single string) from a verified ID token.
func idTokenExtras(raw string) (idTokenClaims, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return idTokenClaims{}, errors.New("ID token is not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return idTokenClaims{}, fmt.Errorf("ID token payload: %w", err)
	}
	var c struct {
		ACR      string          `json:"acr"`
		RepScope json.RawMessage `json:"rep_scope"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return idTokenClaims{}, fmt.Errorf("ID token claims: %w", err)
	}
	out := idTokenClaims{ACR: c.ACR}
	if len(c.RepScope) > 0 {
		if err := json.Unmarshal(c.RepScope, &out.RepScope); err != nil {
			var one string
			if json.Unmarshal(c.RepScope, &one) != nil {
				return idTokenClaims{}, fmt.Errorf("rep_scope %s", c.RepScope)
			}
			out.RepScope = []string{one}
		}
	}
	return out, nil
}

type demoResult struct {
	Head        head
	Name, Again string
	RepScope    []string
	Claims      []demoClaim
}

type demoClaim struct{ Term, Value string }

func (s *Simulator) demoError(w http.ResponseWriter, status int, title, message string) {
	s.render(w, status, "demo-error", struct {
		Head                  head
		Title, Message, Again string
	}{newHead(title + " – Démarche en ligne (démonstration)"), title, message, s.path + paths.FCSimDemo})
}

// demarcheLabel is a rep_scope value as people read it: the démarche's title for one of our
// keys, else the value itself.
func demarcheLabel(v string) string {
	if d, ok := store.FindDemarche(v); ok {
		return d.Title
	}
	return v
}

// demoHTML follows pagesHTML's rules: the app's DSFR files, no inline script or style.
const demoHTML = `{{define "demo-head"}}{{template "head" .}}
<p class="fr-badge fr-badge--new fr-mb-2w">Site de démonstration</p>
{{end}}
{{define "demo-home"}}{{template "demo-head" .Head}}
<h1>Démarche en ligne (démonstration)</h1>
<p class="fr-text--lead">Ce site fictif représente un service public en ligne. Il sert à s'entraîner dans le bac à sable : la connexion passe par un FranceConnect simulé, puis par Aidants Connect.</p>
<h2>Se connecter au service</h2>
<p>Pour effectuer une démarche pour le compte d'un usager, identifiez-vous avec FranceConnect, puis choisissez Aidants Connect.</p>
<div class="fr-connect-group">
<a class="fr-connect" href="{{.Login}}"><span class="fr-connect__login">S'identifier avec</span> <span class="fr-connect__brand">FranceConnect</span></a>
</div>
{{template "foot"}}{{end}}
{{define "demo-choice"}}{{template "head" .Head}}
<h1>Je choisis un compte pour me connecter</h1>
<p class="fr-text--lead">Sur : <strong>Démarche en ligne (démonstration)</strong></p>
<p>Un aidant habilité qui agit pour le compte d'un usager choisit Aidants Connect. Dans le simulateur, les autres comptes ne sont pas proposés.</p>
<form method="get" action="{{.Action}}">
<ul class="fr-btns-group fr-btns-group--inline-md">
<li><button class="fr-btn" type="submit" name="fi" value="{{.FI}}">Aidants Connect</button></li>
</ul>
</form>
<h2 class="fr-h6">Autres comptes (non disponibles dans le simulateur)</h2>
<ul>
<li>impots.gouv.fr</li>
<li>ameli.fr</li>
<li>L'Identité Numérique La Poste</li>
<li>MSA</li>
</ul>
<p><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="{{.Back}}">Revenir sur Démarche en ligne (démonstration)</a></p>
{{template "foot"}}{{end}}
{{define "demo-result"}}{{template "demo-head" .Head}}
<h1 id="demo-connected">Vous êtes connecté pour le compte de {{.Name}}</h1>
{{if .RepScope}}<p class="fr-text--lead">Démarche autorisée : {{range $i, $d := .RepScope}}{{if $i}}, {{end}}{{$d}}{{end}}</p>
{{else}}<p class="fr-text--lead">Aucune démarche n'a été transmise.</p>
{{end}}<h2>Informations transmises au service</h2>
<div class="fr-table"><table>
<caption class="fr-sr-only">Informations transmises au service</caption>
<thead><tr><th scope="col">Information</th><th scope="col">Valeur</th></tr></thead>
<tbody>
{{range .Claims}}<tr><th scope="row"><code>{{.Term}}</code></th><td>{{if .Value}}{{.Value}}{{else}}(vide){{end}}</td></tr>
{{end}}</tbody></table></div>
<p><a class="fr-btn fr-btn--secondary" href="{{.Again}}">Recommencer</a></p>
{{template "foot"}}{{end}}
{{define "demo-error"}}{{template "demo-head" .Head}}
<h1>{{.Title}}</h1>
<div class="fr-alert fr-alert--error"><p>{{.Message}}</p></div>
<p><a class="fr-btn fr-btn--secondary" href="{{.Again}}">Recommencer la connexion</a></p>
{{template "foot"}}{{end}}
`
