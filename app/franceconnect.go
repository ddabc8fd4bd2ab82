package app

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/gorilla/sessions"

	"github.com/aidantsconnect/ac/app/fc"
	"github.com/aidantsconnect/ac/app/fcsim"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/handlers"
	"github.com/aidantsconnect/ac/store"
)

const simClientID = "aidants-connect-fs"

// DemoBrokerID is the simulator's broker, registered as a client of our FI in dev and sandbox,
// for the demo service site at /fcsim/demo/.
const DemoBrokerID = "fcsim-broker"

func demoBrokerSecret(cfg Config) string {
	return hex.EncodeToString(store.DeriveKey(cfg.SecretKey, "aidants-connect/fcsim-broker"))
}

// registerDemoBroker registers (replaces) the broker as a client of our FI. A base URL the FI
// refuses for a client (plain http off the loopback) only disables the demo site.
func registerDemoBroker(ctx context.Context, st *store.Store, cfg Config, log *slog.Logger) error {
	base := cfg.BaseURL + paths.FCSim + paths.FCSimDemo
	_, err := st.UpsertIdPClient(ctx, store.IdPClientInput{ID: DemoBrokerID, Name: "Site de démonstration (simulateur FranceConnect)",
		Secret: demoBrokerSecret(cfg), RedirectURIs: []string{base + "callback"}, PostLogoutURIs: []string{base},
		IDTokenAlg: store.AlgES256, UserinfoFormat: store.UserinfoJSON, Source: "config"}) // rep_scope: the démarche keys
	if errors.Is(err, store.ErrIdPClientInvalid) {
		log.Warn("demo service site unavailable: the FI refuses its client", "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("demo broker client: %w", err)
	}
	return nil
}

// franceConnect builds the FS client: against the configured FranceConnect, or against the
// built-in simulator (returned too, for mounting) in dev and sandbox when none is configured.
func franceConnect(cfg Config) (*fc.Client, *fcsim.Simulator, error) {
	issuer, id, secret := fsRegistration(cfg)
	var sim *fcsim.Simulator
	if cfg.SimulatesFC() {
		var err error
		sim, err = fcsim.New(fcsim.Config{Issuer: issuer, Now: cfg.Now, Clients: []fcsim.Client{{
			ID: id, Secret: secret,
			RedirectURIs:   []string{cfg.BaseURL + paths.FCCallback, cfg.BaseURL + paths.MonEspaceFCCallback},
			PostLogoutURIs: []string{cfg.BaseURL + paths.FCLogoutCallback, cfg.BaseURL + paths.MonEspaceLoggedOut},
		}}, Demo: &fcsim.DemoConfig{FIIssuer: cfg.BaseURL, ClientID: DemoBrokerID, Secret: demoBrokerSecret(cfg)}})
		if err != nil {
			return nil, nil, fmt.Errorf("franceconnect simulator: %w", err)
		}
	}
	client, err := fc.New(fc.Config{Issuer: issuer, ClientID: id, ClientSecret: secret, Now: cfg.Now,
		RedirectURL: cfg.BaseURL + paths.FCCallback, PostLogoutURL: cfg.BaseURL + paths.FCLogoutCallback})
	if err != nil {
		return nil, nil, fmt.Errorf("franceconnect client: %w", err)
	}
	return client, sim, nil
}

// fsRegistration is our FS registration: the configured FranceConnect's, or the simulator's
// in dev and sandbox when none is configured.
func fsRegistration(cfg Config) (issuer, id, secret string) {
	if cfg.SimulatesFC() {
		return cfg.BaseURL + paths.FCSim, simClientID, hex.EncodeToString(store.DeriveKey(cfg.SecretKey, "aidants-connect/fcsim-client"))
	}
	return cfg.FCIssuer, cfg.FCClientID, cfg.FCClientSecret
}

// usagerFranceConnect is the same FS registration for the espace usager, where the person
// signs in themselves: its own redirect and post-logout URIs (registered with FranceConnect
// beside the wizard's, see the README), so that each round trip returns where it began.
func usagerFranceConnect(cfg Config) (*fc.Client, error) {
	issuer, id, secret := fsRegistration(cfg)
	client, err := fc.New(fc.Config{Issuer: issuer, ClientID: id, ClientSecret: secret, Now: cfg.Now,
		RedirectURL: cfg.BaseURL + paths.MonEspaceFCCallback, PostLogoutURL: cfg.BaseURL + paths.MonEspaceLoggedOut})
	if err != nil {
		return nil, fmt.Errorf("franceconnect client (espace usager): %w", err)
	}
	return client, nil
}

// espaceUsager builds the usager's space: its FS client and its own session store, whose
// cookie is scoped to the space and lives UsagerSessionTTL.
func espaceUsager(cfg Config, h *handlers.Handlers, st *store.Store) (*handlers.EspaceUsager, error) {
	client, err := usagerFranceConnect(cfg)
	if err != nil {
		return nil, err
	}
	issuer, _, _ := fsRegistration(cfg)
	origin := ""
	if u, err := url.Parse(issuer); err == nil {
		origin = u.Scheme + "://" + u.Host
	}
	sess := st.NewSessionStore(store.DeriveKey(cfg.SecretKey, "aidants-connect/usager-session/v1"), sessions.Options{
		Path: paths.MonEspace, MaxAge: int(handlers.UsagerSessionTTL.Seconds()), HttpOnly: true, Secure: cfg.Secure(), SameSite: http.SameSiteLaxMode,
	})
	return &handlers.EspaceUsager{Handlers: h, FC: fcAdapter{client}, Sessions: sess, FCOrigin: origin}, nil
}

// fcAdapter gives the handlers FranceConnect in their own terms: store identities and the
// handlers' error kinds.
type fcAdapter struct{ c *fc.Client }

var _ handlers.FranceConnect = fcAdapter{}

func (a fcAdapter) AuthCodeURL(ctx context.Context, state, nonce string) (string, error) {
	return a.c.AuthCodeURL(ctx, state, nonce)
}

func (a fcAdapter) CallbackError(q url.Values) error {
	err := fc.CallbackError(q)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fc.ErrCancelled):
		return fmt.Errorf("%w: %w", handlers.ErrFCCancelled, err)
	default:
		return fmt.Errorf("%w: %w", handlers.ErrFCFailed, err)
	}
}

func (a fcAdapter) Exchange(ctx context.Context, code, nonce string) (store.FCIdentity, string, error) {
	id, idToken, err := a.c.Exchange(ctx, code, nonce)
	switch {
	case errors.Is(err, fc.ErrIncompleteIdentity):
		return store.FCIdentity{}, idToken, fmt.Errorf("%w: %w", handlers.ErrFCIncomplete, err)
	case err != nil:
		return store.FCIdentity{}, idToken, fmt.Errorf("%w: %w", handlers.ErrFCFailed, err)
	}
	return id.Store(), idToken, nil
}

func (a fcAdapter) LogoutURL(ctx context.Context, idTokenHint, state string) (string, error) {
	return a.c.LogoutURL(ctx, idTokenHint, state)
}
