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
	s.render(w, http.StatusOK, "demo-home", struct{ Login string }{s.path + paths.FCSimDemoLogin})
}

// demoLogin starts a flow and sends the browser to the FI, as FranceConnect does once the user
// has picked the FI.
func (s *Simulator) demoLogin(w http.ResponseWriter, r *http.Request) {
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
	s.render(w, http.StatusOK, "demo-result", demoResult{
		Name: strings.TrimSpace(id.GivenName + " " + id.FamilyName), RepScope: claims.RepScope, Again: s.path + paths.FCSimDemo,
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
	Name, Again string
	RepScope    []string
	Claims      []demoClaim
}

type demoClaim struct{ Term, Value string }

func (s *Simulator) demoError(w http.ResponseWriter, status int, title, message string) {
	s.render(w, status, "demo-error", struct{ Title, Message, Again string }{title, message, s.path + paths.FCSimDemo})
}

// demoHTML follows pagesHTML's rules: plain HTML, no inline script or style.
const demoHTML = `{{define "demo-head"}}<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} – Démarche en ligne (démonstration)</title>
</head>
<body>
<main>
<h1>Démarche en ligne (démonstration)</h1>
<p>Ce site fictif représente un service public en ligne. Il sert à s'entraîner dans le bac à sable : la connexion passe par un FranceConnect simulé, puis par Aidants Connect.</p>
{{end}}
{{define "demo-home"}}{{template "demo-head" "Accueil"}}
<h2>Se connecter au service</h2>
<p>Pour effectuer une démarche pour le compte d'un usager, identifiez-vous avec FranceConnect, puis choisissez Aidants Connect.</p>
<p><a href="{{.Login}}">S'identifier avec FranceConnect</a></p>
{{template "foot"}}{{end}}
{{define "demo-result"}}{{template "demo-head" "Connecté"}}
<h2 id="demo-connected">Vous êtes connecté pour le compte de {{.Name}}</h2>
{{if .RepScope}}<p>Démarche autorisée : {{range $i, $d := .RepScope}}{{if $i}}, {{end}}{{$d}}{{end}}</p>
{{else}}<p>Aucune démarche n'a été transmise.</p>
{{end}}<h3>Informations transmises au service</h3>
<dl>
{{range .Claims}}<dt>{{.Term}}</dt>
<dd>{{if .Value}}{{.Value}}{{else}}(vide){{end}}</dd>
{{end}}</dl>
<p><a href="{{.Again}}">Recommencer</a></p>
{{template "foot"}}{{end}}
{{define "demo-error"}}{{template "demo-head" "Erreur"}}
<h2>{{.Title}}</h2>
<p>{{.Message}}</p>
<p><a href="{{.Again}}">Recommencer la connexion</a></p>
{{template "foot"}}{{end}}
`
