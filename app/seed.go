package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/aidantsconnect/ac/app/otp"
	"github.com/aidantsconnect/ac/store"
)

// Demo accounts seeded in dev and sandbox. They accept the code 123456 in those modes only.
const (
	DemoReferentEmail = "referent@demo.aidantsconnect.fr"
	DemoAidantEmail   = "aidant@demo.aidantsconnect.fr"
	DemoAidant2Email  = "aidant2@demo.aidantsconnect.fr"
	DemoCode          = "123456"
	DemoOrganisation  = "France Services de Démoville"
	DemoOrganisation2 = "CCAS de Démoville"
)

// SeedDemo inserts the demo organisations, référent and aidants. Running it again changes nothing.
func SeedDemo(ctx context.Context, st *store.Store) error {
	if _, err := st.FindAidantByEmail(ctx, DemoReferentEmail); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return st.InTx(ctx, func(tx *store.Store) error {
		org := &store.Organisation{Name: DemoOrganisation, TypeName: "Réseau France Services", Siret: "13002526500013",
			Address: "1 place de la Mairie", Zipcode: "75001", City: "Démoville"}
		org2 := &store.Organisation{Name: DemoOrganisation2, TypeName: "CCAS", Address: "2 rue des Écoles", Zipcode: "75002", City: "Démoville"}
		for _, o := range []*store.Organisation{org, org2} {
			if err := tx.CreateOrganisation(ctx, o); err != nil {
				return err
			}
		}
		people := []struct {
			a        store.Aidant
			referent bool
			serial   string
		}{
			{store.Aidant{Email: DemoReferentEmail, FirstName: "Camille", LastName: "Référente", Profession: "Responsable de structure", CanCreateMandats: true}, true, "DEMO0000001"},
			{store.Aidant{Email: DemoAidantEmail, FirstName: "Jean", LastName: "Aidant", Profession: "Conseiller France Services", CanCreateMandats: true}, false, "DEMO0000002"},
			{store.Aidant{Email: DemoAidant2Email, FirstName: "Amina", LastName: "Médiatrice", Profession: "Médiatrice numérique", CanCreateMandats: true}, false, ""},
		}
		for i := range people {
			p := &people[i]
			p.a.CurrentOrganisationID, p.a.IsActive, p.a.IsDemo = org.ID, true, true
			if err := tx.CreateAidant(ctx, &p.a, p.referent); err != nil {
				return err
			}
			if err := addDevice(ctx, tx, p.a.ID, p.serial); err != nil {
				return err
			}
		}
		// The second aidant also works for the CCAS, to show the organisation switch.
		return tx.AddMembership(ctx, people[1].a.ID, org2.ID, false)
	})
}

// addDevice gives an aidant a confirmed carte TOTP (serial set) or authenticator app.
func addDevice(ctx context.Context, st *store.Store, aidantID int64, serial string) error {
	secret, err := otp.GenerateSecret()
	if err != nil {
		return err
	}
	dev := otp.NewApp(secret)
	if serial != "" {
		dev = otp.NewCarte(secret)
	}
	dev = dev.Confirm()
	d := &store.OTPDevice{AidantID: aidantID, Kind: string(dev.Kind), Step: dev.Step, Tolerance: dev.Tolerance, Confirmed: true, Secret: secret}
	if err := st.AddOTPDevice(ctx, d, serial); err != nil {
		return fmt.Errorf("demo device: %w", err)
	}
	return nil
}
