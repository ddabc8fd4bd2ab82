// Package sirene looks establishments up in the SIRENE directory by SIRET: the INSEE API in
// production (a token in the configuration), a built-in directory of fictitious establishments
// in dev and sandbox, as the FranceConnect simulator stands in for FranceConnect. An unknown
// SIRET is store.ErrNotFound; anything else is the directory failing.
package sirene

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aidantsconnect/ac/store"
)

// ErrUnavailable is a directory that cannot answer (no token configured, the API down).
var ErrUnavailable = errors.New("sirene: directory unavailable")

// Fictitious is the dev and sandbox directory: a few fictitious establishments whose SIRETs
// pass the key check, shown on the form's page so testers can pick one.
type Fictitious struct{}

// FictitiousEtablissements are the built-in directory's establishments, in the order shown.
func FictitiousEtablissements() []store.Etablissement {
	return []store.Etablissement{
		{Siret: "82123456700005", Name: "Médiathèque numérique de Fictiville", LegalCategory: "7210",
			Address: "3 rue des Lilas", Zipcode: "45000", City: "Fictiville", CityCode: "45234"},
		{Siret: "77812345600015", Name: "Association Numérique pour Tous", LegalCategory: "9220",
			Address: "12 avenue de la République", Zipcode: "69003", City: "Démoville-sur-Rhône", CityCode: "69383"},
		{Siret: "41912345600016", Name: "Centre social des Tilleuls", LegalCategory: "9220",
			Address: "8 place du Marché", Zipcode: "33000", City: "Exempleville", CityCode: "33063"},
		{Siret: "21756123400014", Name: "CCAS de Fictiville", LegalCategory: "7361",
			Address: "1 place de l'Hôtel de Ville", Zipcode: "97400", City: "Saint-Fictif", CityCode: "97411"},
	}
}

// Etablissement finds a fictitious establishment.
func (Fictitious) Etablissement(_ context.Context, siret string) (*store.Etablissement, error) {
	for _, e := range FictitiousEtablissements() {
		if e.Siret == siret {
			return &e, nil
		}
	}
	return nil, store.ErrNotFound
}

// DefaultINSEEURL is the SIRENE API's base (version 3.11).
const DefaultINSEEURL = "https://api.insee.fr/api-sirene/3.11"

// INSEE is the SIRENE API of the INSEE portal, with an integration key.
type INSEE struct {
	URL   string // DefaultINSEEURL, or a test server
	Token string // AC_INSEE_TOKEN
	HTTP  *http.Client
}

// siretResponse is the part of GET /siret/{siret} the form uses.
type siretResponse struct {
	Etablissement struct {
		Siret       string `json:"siret"`
		UniteLegale struct {
			Denomination       string `json:"denominationUniteLegale"`
			CategorieJuridique string `json:"categorieJuridiqueUniteLegale"`
		} `json:"uniteLegale"`
		Adresse struct {
			Numero      string `json:"numeroVoieEtablissement"`
			TypeVoie    string `json:"typeVoieEtablissement"`
			Voie        string `json:"libelleVoieEtablissement"`
			CodePostal  string `json:"codePostalEtablissement"`
			Commune     string `json:"libelleCommuneEtablissement"`
			CodeCommune string `json:"codeCommuneEtablissement"`
		} `json:"adresseEtablissement"`
		Periodes []struct {
			Enseigne string `json:"enseigne1Etablissement"`
		} `json:"periodesEtablissement"`
	} `json:"etablissement"`
}

// Etablissement asks the API for one SIRET. The establishment must have a denomination (a
// legal unit without one is a person, not a structure): otherwise it is not found.
func (d INSEE) Etablissement(ctx context.Context, siret string) (*store.Etablissement, error) {
	if d.Token == "" {
		return nil, ErrUnavailable
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(d.URL, "/")+"/siret/"+url.PathEscape(siret), nil)
	if err != nil {
		return nil, fmt.Errorf("sirene: %w", err)
	}
	req.Header.Set("X-INSEE-Api-Key-Integration", d.Token)
	req.Header.Set("Accept", "application/json")
	client := d.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusForbidden: // 403: a non-diffusible establishment, not to be shown
		return nil, store.ErrNotFound
	default:
		return nil, fmt.Errorf("%w: status %d", ErrUnavailable, res.StatusCode)
	}
	var body siretResponse
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&body); err != nil {
		return nil, fmt.Errorf("%w: decode: %w", ErrUnavailable, err)
	}
	e, a := body.Etablissement, body.Etablissement.Adresse
	name := e.UniteLegale.Denomination
	if name == "" {
		return nil, store.ErrNotFound
	}
	if e.Siret != siret {
		return nil, fmt.Errorf("%w: asked %s, got %s", ErrUnavailable, siret, e.Siret)
	}
	return &store.Etablissement{
		Siret: siret, Name: name, LegalCategory: e.UniteLegale.CategorieJuridique,
		Address: strings.Join(strings.Fields(a.Numero+" "+a.TypeVoie+" "+a.Voie), " "),
		Zipcode: a.CodePostal, City: a.Commune, CityCode: a.CodeCommune,
	}, nil
}
