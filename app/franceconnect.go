package app

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"

	"github.com/aidantsconnect/ac/app/fc"
	"github.com/aidantsconnect/ac/app/fcsim"
	"github.com/aidantsconnect/ac/handlers"
	"github.com/aidantsconnect/ac/store"
)

// fcSimPrefix is where the FranceConnect simulator lives in dev and sandbox.
const fcSimPrefix = "/fcsim"

const simClientID = "aidants-connect-fs"

// franceConnect builds the FS client: against the configured FranceConnect, or against the
// built-in simulator (returned too, for mounting) in dev and sandbox when none is configured.
func franceConnect(cfg Config) (*fc.Client, *fcsim.Simulator, error) {
	issuer, id, secret := cfg.FCIssuer, cfg.FCClientID, cfg.FCClientSecret
	var sim *fcsim.Simulator
	if cfg.SimulatesFC() {
		issuer, id = cfg.BaseURL+fcSimPrefix, simClientID
		secret = hex.EncodeToString(store.DeriveKey(cfg.SecretKey, "aidants-connect/fcsim-client"))
		var err error
		sim, err = fcsim.New(fcsim.Config{Issuer: issuer, Now: cfg.Now, Clients: []fcsim.Client{{
			ID: id, Secret: secret,
			RedirectURIs: []string{cfg.BaseURL + "/callbackv2/"}, PostLogoutURIs: []string{cfg.BaseURL + "/logout-callback/"},
		}}})
		if err != nil {
			return nil, nil, fmt.Errorf("franceconnect simulator: %w", err)
		}
	}
	client, err := fc.New(fc.Config{Issuer: issuer, ClientID: id, ClientSecret: secret, Now: cfg.Now,
		RedirectURL: cfg.BaseURL + "/callbackv2/", PostLogoutURL: cfg.BaseURL + "/logout-callback/"})
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
	return store.FCIdentity{Sub: id.Sub, GivenName: id.GivenName, FamilyName: id.FamilyName, PreferredUsername: id.PreferredUsername,
		Birthdate: id.Birthdate, Gender: id.Gender, Birthplace: id.Birthplace, Birthcountry: id.Birthcountry, Email: id.Email}, idToken, nil
}

func (a fcAdapter) LogoutURL(ctx context.Context, idTokenHint, state string) (string, error) {
	return a.c.LogoutURL(ctx, idTokenHint, state)
}
