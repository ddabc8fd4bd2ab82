// Package fibench measures FranceConnect logins through the identity provider (we are FI)
// over real HTTP: a world prepared in the database (Seed), full logins driven by a load
// generator in its own process (Run), and the whole measure, servers and PostgreSQL
// included (Bench, `ac bench-fi`; `task bench-fi`). BENCHMARKS.md § Throughput.
package fibench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/fcsim"
	"github.com/aidantsconnect/ac/app/idp"
	"github.com/aidantsconnect/ac/handlers"
	"github.com/aidantsconnect/ac/store"
)

// Callback is the relying party's redirect URI: FranceConnect's, as it registers with an FI.
const Callback = "https://fcp-low.integ01.dev-franceconnect.fr/api/v2/oidc-callback"

// World is what the load generator needs of a prepared database: the relying party's
// credentials, the usager and démarche each login picks, and the session cookies of logged-in
// aidants, one per concurrent client (clients share them past that).
type World struct {
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	RedirectURI  string   `json:"redirect_uri"`
	UsagerID     int64    `json:"usager_id"`
	Demarche     string   `json:"demarche"`
	Sessions     []string `json:"sessions"`
}

// Seed prepares a world in a's database through the store's own flows: an organisation,
// aidants (demo accounts: the mandat is signed with the demo code) who each proved a code
// just now (the FI's prompt=login wants a recent proof: the world serves for the activity
// timeout, 15 minutes by default) and hold a session, a mandat covering the démarche for a
// usager of the simulator, and a relying party registered as `ac client add` does. Dev and
// sandbox databases only: it writes demo accounts.
func Seed(ctx context.Context, a *app.App, aidants int) (*World, error) {
	if aidants < 1 {
		return nil, fmt.Errorf("bench seed: %d aidants, want at least 1", aidants)
	}
	st := a.Store
	now := st.Now()
	tag := strconv.FormatInt(now.UnixNano(), 36)
	org := &store.Organisation{Name: "Banc d'essai FI " + tag}
	if err := st.CreateOrganisation(ctx, org); err != nil {
		return nil, err
	}
	w := &World{RedirectURI: Callback, Demarche: "famille", ClientID: "banc-fi-" + tag}
	var first *store.Aidant
	for i := range aidants {
		ai := &store.Aidant{Email: fmt.Sprintf("banc-fi-%s-%d@example.fr", tag, i), FirstName: "Banc", LastName: "Essai " + strconv.Itoa(i),
			CurrentOrganisationID: org.ID, IsActive: true, IsDemo: true, CanCreateMandats: true}
		if err := st.CreateAidant(ctx, ai, false); err != nil {
			return nil, err
		}
		if ok, err := st.CheckActivityCode(ctx, ai.ID, app.DemoCode, nil, true); err != nil || !ok {
			return nil, fmt.Errorf("bench seed: code proof of aidant %d: %v", ai.ID, err)
		}
		c, err := handlers.NewAidantSession(ctx, a.Sessions, ai.ID, now)
		if err != nil {
			return nil, err
		}
		w.Sessions = append(w.Sessions, c.Value)
		if first == nil {
			first = ai
		}
	}
	_, u, err := st.SignDemoMandat(ctx, first, fcsim.StoreIdentity(0), "LONG", []string{w.Demarche})
	if err != nil {
		return nil, fmt.Errorf("bench seed: mandat: %w", err)
	}
	w.UsagerID = u.ID
	if w.ClientSecret, err = idp.NewSecret(); err != nil {
		return nil, err
	}
	if _, err := st.CreateIdPClient(ctx, store.IdPClientInput{ID: w.ClientID, Secret: w.ClientSecret, RedirectURIs: []string{Callback},
		IDTokenAlg: store.AlgES256, UserinfoFormat: store.UserinfoJSON, Source: "cli"}); err != nil {
		return nil, fmt.Errorf("bench seed: client: %w", err)
	}
	return w, nil
}

// WriteFile saves the world (it holds the client's secret and live sessions: mode 0600).
func (w *World) WriteFile(path string) error {
	b, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// ReadWorld reads a world saved by WriteFile.
func ReadWorld(path string) (*World, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var w World
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(w.Sessions) == 0 {
		return nil, fmt.Errorf("%s: no sessions", path)
	}
	return &w, nil
}
