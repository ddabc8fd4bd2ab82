package apptest

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/aidantsconnect/ac/app/fcsim"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/store/storetest"
)

// SimIdentity is the FranceConnect simulator's fictitious person n (fcsim.Identities()[n])
// as the store receives it.
func SimIdentity(n int) store.FCIdentity { return fcsim.StoreIdentity(n) }

// UsagerWithMandat gives the simulator's person n a mandat with org, for those démarches,
// created through the store's whole flow by a demo aidant of org (Claire Démo, created on
// first use), journaled as the wizard journals it. It returns the mandat with its usager.
func (e *Env) UsagerWithMandat(n int, org *store.Organisation, duree string, demarches ...string) *store.Mandat {
	e.T.Helper()
	email := "claire.demo." + strconv.FormatInt(org.ID, 10) + "@apptest.fr"
	a, err := e.App.Store.FindAidantByEmail(e.T.Context(), email)
	if err != nil {
		a = e.NewPerson(store.Aidant{Email: email, FirstName: "Claire", LastName: "Démo", CanCreateMandats: true, IsDemo: true}, org, false, false).Aidant
	}
	m, u := storetest.Mandat(e.T, e.App.Store, a, SimIdentity(n), duree, demarches...)
	m.Usager = u
	return m
}

var simLoginField = regexp.MustCompile(`name="(id|csrf_token)" value="([^"]+)"`)

// LoginUsager signs the simulator's person n in to their space, the whole round trip: our
// sign-in, the simulator's authorize and login page, our callback. The person must have a
// mandat (UsagerWithMandat). It returns the browser, on the space's home.
func (e *Env) LoginUsager(n int) *Browser {
	e.T.Helper()
	b := e.Browser()
	if r := b.SimFranceConnect(paths.MonEspaceFCAuthorize, n); r.Status != http.StatusSeeOther || r.Location != paths.MonEspace {
		e.T.Fatalf("usager sign-in: %d %q %s", r.Status, r.Location, r.Body)
	}
	return b
}

// SimFranceConnect starts a FranceConnect round trip at start (a path of ours that sends
// the browser to the simulator), picks the simulator's person n, and returns our callback's
// answer.
func (b *Browser) SimFranceConnect(start string, n int) Page {
	b.T.Helper()
	r := b.Get(start)
	for i := 0; i < 5 && (r.Status == http.StatusFound || r.Status == http.StatusSeeOther) && strings.Contains(r.Location, paths.FCSim+"/"); i++ {
		r = b.Get(r.Location)
	}
	if r.Status != http.StatusOK {
		b.T.Fatalf("simulator login page: %d %q", r.Status, r.Location)
	}
	form := url.Values{"action": {"login"}, "identity": {strconv.Itoa(n)}}
	for _, m := range simLoginField.FindAllStringSubmatch(r.Body, -1) {
		form.Set(m[1], m[2])
	}
	r = b.PostRaw(paths.FCSim+paths.FCSimLogin, form)
	for i := 0; i < 5 && (r.Status == http.StatusFound || r.Status == http.StatusSeeOther) && strings.Contains(r.Location, paths.FCSim+"/"); i++ {
		r = b.Get(r.Location)
	}
	if r.Status != http.StatusFound && r.Status != http.StatusSeeOther {
		b.T.Fatalf("simulator login: %d %s", r.Status, r.Body)
	}
	return b.Get(r.Location)
}
