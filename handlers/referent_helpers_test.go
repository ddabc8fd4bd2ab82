package handlers_test

import (
	"context"
	"crypto/sha1"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/otp"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// refWorld is a référent (ref) of organisations a and c, a stock of cartes, and b, an
// organisation of someone else's.
type refWorld struct {
	e       *apptest.Env
	a, b, c *store.Organisation
	ref     *apptest.Person
	browser *apptest.Browser // ref, logged in
	seeds   map[string][]byte
}

func newRefWorld(t *testing.T) *refWorld {
	t.Helper()
	e := apptest.Start(t)
	w := &refWorld{e: e, a: e.Org("MFS Beaugency"), b: e.Org("Mairie d'ailleurs"), c: e.Org("CCAS Meung"), seeds: map[string][]byte{}}
	w.ref = e.NewPerson(store.Aidant{Email: "ref@mfs.fr", FirstName: "Rose", LastName: "Référente", CanCreateMandats: true}, w.a, true, true)
	ctx := context.Background()
	if err := e.App.Store.AddMembership(ctx, w.ref.Aidant.ID, w.c.ID, true); err != nil {
		t.Fatal(err)
	}
	stock := map[string][]byte{}
	for i := range 10 {
		serial := fmt.Sprintf("GADT%07d", i+1)
		seed := sha1.Sum([]byte("carte " + serial))
		stock[serial], w.seeds[serial] = seed[:], seed[:]
	}
	if err := e.App.Store.AddCartesToStock(ctx, stock); err != nil {
		t.Fatal(err)
	}
	w.browser = e.Login(w.ref)
	return w
}

// aidant is an active aidant of org without any device.
func (w *refWorld) aidant(email string, org *store.Organisation) *store.Aidant {
	w.e.T.Helper()
	return w.e.NewPerson(store.Aidant{Email: email, FirstName: "Jean", LastName: strings.Split(email, "@")[0], CanCreateMandats: true}, org, false, false).Aidant
}

func (w *refWorld) carteCode(serial string) string {
	w.e.T.Helper()
	c, err := otp.Code(w.seeds[serial], otp.CarteStep, w.e.Clock.Now())
	if err != nil {
		w.e.T.Fatal(err)
	}
	return c
}

func (w *refWorld) scope() store.ReferentScope {
	return store.ReferentScope{ReferentID: w.ref.Aidant.ID, OrganisationID: w.a.ID}
}

// loginWith runs the whole login of an aidant with that code (email and code, the e-mailed
// link's wait page, its POST); ok is false when the login page refused the code.
func loginWith(e *apptest.Env, email, code string) (*apptest.Browser, bool) {
	e.T.Helper()
	b := e.Browser()
	r := b.Post(paths.Login, url.Values{"email": {email}, "otp_token": {code}})
	if r.Status != http.StatusSeeOther {
		return b, false
	}
	link := e.LastLoginLink()
	if w := b.Get(link); w.Status != http.StatusOK {
		e.T.Fatalf("wait page: %d", w.Status)
	}
	token := strings.TrimSuffix(strings.TrimPrefix(link, "/chargement/code/"), "/")
	if r := b.Post(paths.MagicLink(token), nil); r.Status != http.StatusSeeOther {
		e.T.Fatalf("magic link: %d", r.Status)
	}
	return b, true
}

// htmxPost submits a form as an htmx request of its own (hx-post: not boosted), which gets a
// fragment back.
func htmxPost(b *apptest.Browser, path string, form url.Values) apptest.Page {
	b.T.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set(app.CSRFField, b.Jar[app.CSRFCookie])
	req := httptest.NewRequest(http.MethodPost, b.Env.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	return b.Do(req)
}

// htmxGet is an htmx GET of its own for the element target (the live filter's results).
func htmxGet(b *apptest.Browser, path, target string) apptest.Page {
	b.T.Helper()
	req := httptest.NewRequest(http.MethodGet, b.Env.URL+path, nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Target", target)
	return b.Do(req)
}

// referentTables are the rows a référent action may change: a dump of them before and after
// proves that a refused request changed nothing.
var referentTables = []string{
	"SELECT concat_ws('|', id, email, first_name, last_name, is_active, current_organisation_id, can_create_mandats) FROM aidants ORDER BY id",
	"SELECT concat_ws('|', aidant_id, organisation_id, is_referent) FROM aidant_organisations ORDER BY 1",
	"SELECT concat_ws('|', id, aidant_id, kind, carte_id, step, tolerance, drift, last_step, failures, locked_until, confirmed, md5(seed_enc)) FROM otp_devices ORDER BY id",
	"SELECT concat_ws('|', id, serial_number) FROM cartes_totp ORDER BY id",
	"SELECT concat_ws('|', id, name, array_to_string(allowed_demarches, ','), is_active) FROM organisations ORDER BY id",
	"SELECT concat_ws('|', id, organisation_id, email, status, updated_at) FROM habilitation_requests ORDER BY id",
	"SELECT concat_ws('|', id, organisation_id, email, aidant_id, status, updated_at) FROM structure_change_requests ORDER BY id",
	"SELECT concat_ws('|', id, organisation_id, email, status, updated_at) FROM coreferent_requests ORDER BY id",
	"SELECT concat_ws('|', id, action, aidant_id, organisation_id, info) FROM journal ORDER BY id",
	"SELECT concat_ws('|', id, to_address, subject) FROM emails ORDER BY id",
	"SELECT concat_ws('|', count(*)) FROM autorisations WHERE revoked_at IS NULL",
}

func dumpTables(t *testing.T, e *apptest.Env) string {
	t.Helper()
	var out []string
	for _, q := range referentTables {
		var rows []string
		if err := e.App.DB.NewRaw(q).Scan(context.Background(), &rows); err != nil {
			t.Fatal(err)
		}
		out = append(out, q, strings.Join(rows, "\n"))
	}
	return strings.Join(out, "\n")
}

// lastEmail is the newest e-mail of the outbox.
func lastEmail(t *testing.T, e *apptest.Env) store.Email {
	t.Helper()
	es := e.Emails()
	if len(es) == 0 {
		t.Fatal("no e-mail")
	}
	return es[0]
}
