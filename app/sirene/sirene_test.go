package sirene_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aidantsconnect/ac/app/sirene"
	"github.com/aidantsconnect/ac/store"
)

const found = `{"header":{"statut":200},"etablissement":{"siret":"13002526500013",
 "uniteLegale":{"denominationUniteLegale":"DIRECTION INTERMINISTERIELLE DU NUMERIQUE","categorieJuridiqueUniteLegale":"7120"},
 "adresseEtablissement":{"numeroVoieEtablissement":"20","typeVoieEtablissement":"AV","libelleVoieEtablissement":"DE SEGUR",
  "codePostalEtablissement":"75007","libelleCommuneEtablissement":"PARIS 7","codeCommuneEtablissement":"75107"}}}`

func TestINSEE(t *testing.T) {
	t.Parallel()
	var gotKey, gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey, gotPath = r.Header.Get("X-INSEE-Api-Key-Integration"), r.URL.Path
		switch r.URL.Path {
		case "/siret/13002526500013":
			w.Write([]byte(found))
		case "/siret/82123456700005": // a person: no denomination
			w.Write([]byte(`{"etablissement":{"siret":"82123456700005","uniteLegale":{"denominationUniteLegale":null}}}`))
		case "/siret/41912345600016":
			w.WriteHeader(http.StatusForbidden)
		case "/siret/21756123400014":
			w.WriteHeader(http.StatusTooManyRequests)
		case "/siret/77812345600015":
			w.Write([]byte(`{"etablissement":`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	d := sirene.INSEE{URL: srv.URL + "/", Token: "clé-de-test", HTTP: srv.Client()}
	e, err := d.Etablissement(context.Background(), "13002526500013")
	if err != nil {
		t.Fatal(err)
	}
	want := store.Etablissement{Siret: "13002526500013", Name: "DIRECTION INTERMINISTERIELLE DU NUMERIQUE", LegalCategory: "7120",
		Address: "20 AV DE SEGUR", Zipcode: "75007", City: "PARIS 7", CityCode: "75107"}
	if *e != want {
		t.Errorf("got %+v\nwant %+v", *e, want)
	}
	if gotKey != "clé-de-test" || gotPath != "/siret/13002526500013" {
		t.Errorf("request: key %q path %q", gotKey, gotPath)
	}
	for siret, want := range map[string]error{
		"35600000000048": store.ErrNotFound,     // 404
		"82123456700005": store.ErrNotFound,     // no denomination
		"41912345600016": store.ErrNotFound,     // not diffusible
		"21756123400014": sirene.ErrUnavailable, // rate-limited
		"77812345600015": sirene.ErrUnavailable, // truncated body
	} {
		if _, err := d.Etablissement(context.Background(), siret); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", siret, err, want)
		}
	}
	if _, err := (sirene.INSEE{URL: srv.URL}).Etablissement(context.Background(), "13002526500013"); !errors.Is(err, sirene.ErrUnavailable) {
		t.Errorf("without a token: %v", err)
	}
}

// The fictitious directory's SIRETs pass the form's check, and only they are found.
func TestFictitious(t *testing.T) {
	t.Parallel()
	for _, e := range sirene.FictitiousEtablissements() {
		if s, err := store.ParseSiret(e.Siret); err != nil || s != e.Siret {
			t.Errorf("%s: %v", e.Siret, err)
		}
		got, err := sirene.Fictitious{}.Etablissement(context.Background(), e.Siret)
		if err != nil || *got != e {
			t.Errorf("%s: %+v %v", e.Siret, got, err)
		}
	}
	if _, err := (sirene.Fictitious{}).Etablissement(context.Background(), "13002526500013"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
}
