package app

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"

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
	issuer, id, secret := cfg.FCIssuer, cfg.FCClientID, cfg.FCClientSecret
	var sim *fcsim.Simulator
	if cfg.SimulatesFC() {
		issuer, id = cfg.BaseURL+paths.FCSim, simClientID
		secret = hex.EncodeToString(store.DeriveKey(cfg.SecretKey, "aidants-connect/fcsim-client"))
		var err error
		sim, err = fcsim.New(fcsim.Config{Issuer: issuer, Now: cfg.Now, Clients: []fcsim.Client{{
			ID: id, Secret: secret,
			RedirectURIs: []string{cfg.BaseURL + paths.FCCallback}, PostLogoutURIs: []string{cfg.BaseURL + paths.FCLogoutCallback},
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
