package app

import (
	"context"
	"crypto/sha1"
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

	// The référent's demo: aidants in every carte state, in the demo organisation unless said.
	DemoNoDeviceEmail    = "lucie@demo.aidantsconnect.fr"  // active, neither carte nor app
	DemoUnvalidatedEmail = "paul@demo.aidantsconnect.fr"   // active, carte DEMO0000003 not validated yet
	DemoInactiveEmail    = "helene@demo.aidantsconnect.fr" // deactivated, no carte
	DemoInactiveCarte    = "marc@demo.aidantsconnect.fr"   // deactivated, carte DEMO0000004 validated
	DemoCcasEmail        = "karim@demo.aidantsconnect.fr"  // of the CCAS only, which Camille also manages
	// DemoStaffEmail is the national team's demo staff account (the back-office, /staff/).
	DemoStaffEmail = "equipe@demo.aidantsconnect.fr"
	// DemoHabilitationEmail is the person of the pending habilitation request.
	DemoHabilitationEmail = "sophie@demo.aidantsconnect.fr"
	// DemoStockFirst is the first free carte of the stock: DEMO0000010 to DEMO0000019.
	DemoStockFirst = 10
	demoStockSize  = 10
)

// DemoCarteSecret is the seed of a demo carte, derived from its serial number so that dev
// tooling and tests can play the carte (otp.Code(DemoCarteSecret(serial), otp.CarteStep, now)).
// Demo data exists in dev and sandbox only, whose demo accounts accept a fixed code anyway.
func DemoCarteSecret(serial string) []byte {
	sum := sha1.Sum([]byte("aidants-connect demo carte " + serial))
	return sum[:]
}

// DemoSerial is the serial number of the demo carte n.
func DemoSerial(n int) string { return fmt.Sprintf("DEMO%07d", n) }

// SeedDemo inserts the demo organisations, référent and aidants. Running it again changes nothing.
func SeedDemo(ctx context.Context, st *store.Store) error {
	if _, err := st.FindAidantByEmail(ctx, DemoReferentEmail); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return st.InTx(ctx, func(tx *store.Store) error {
		org := &store.Organisation{Name: DemoOrganisation, TypeName: "Réseau France Services", Siret: "13002526500013",
			Address: "1 place de la Mairie", Zipcode: "75001", City: "Démoville", IsDemo: true}
		org2 := &store.Organisation{Name: DemoOrganisation2, TypeName: "CCAS", Address: "2 rue des Écoles", Zipcode: "75002", City: "Démoville", IsDemo: true}
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
		if err := tx.AddMembership(ctx, people[1].a.ID, org2.ID, false); err != nil {
			return err
		}
		if err := seedStaffDemo(ctx, tx); err != nil {
			return err
		}
		return seedReferentDemo(ctx, tx, people[0].a.ID, org, org2)
	})
}

// seedStaffDemo is the national team's demo account: the back-office, with the demo code.
func seedStaffDemo(ctx context.Context, tx *store.Store) error {
	secret, err := otp.GenerateSecret()
	if err != nil {
		return err
	}
	_, err = tx.CreateStaff(ctx, store.StaffInput{Email: DemoStaffEmail, FirstName: "Dominique", LastName: "Équipe",
		Secret: secret, Step: otp.AppStep, Demo: true})
	return err
}

// seedReferentDemo gives the demo référent something to manage: aidants in every carte state,
// a stock of free cartes, a pending habilitation request, and the CCAS as a second
// organisation (for the switch, and a trained aidant to add directly).
func seedReferentDemo(ctx context.Context, tx *store.Store, referentID int64, org, org2 *store.Organisation) error {
	if err := tx.AddMembership(ctx, referentID, org2.ID, true); err != nil {
		return err
	}
	stock := map[string][]byte{}
	// DEMO0000003 and DEMO0000004 are linked below; the stock proper starts at DemoStockFirst.
	for _, n := range []int{3, 4} {
		stock[DemoSerial(n)] = DemoCarteSecret(DemoSerial(n))
	}
	for n := DemoStockFirst; n < DemoStockFirst+demoStockSize; n++ {
		stock[DemoSerial(n)] = DemoCarteSecret(DemoSerial(n))
	}
	if err := tx.AddCartesToStock(ctx, stock); err != nil {
		return err
	}
	scope, rules := store.ReferentScope{ReferentID: referentID, OrganisationID: org.ID}, otp.StoreRules()
	for _, p := range []struct {
		email, first, last, profession string
		org                            *store.Organisation
		carte                          int  // 0: none
		validated, active              bool // the carte's state; the account's
	}{
		{DemoNoDeviceEmail, "Lucie", "Sanscarte", "Conseillère numérique", org, 0, false, true},
		{DemoUnvalidatedEmail, "Paul", "Avalider", "Agent d'accueil", org, 3, false, true},
		{DemoInactiveEmail, "Hélène", "Partie", "Travailleuse sociale", org, 0, false, false},
		{DemoInactiveCarte, "Marc", "Inactif", "Médiateur numérique", org, 4, true, false},
		{DemoCcasEmail, "Karim", "Ccas", "Agent du CCAS", org2, 0, false, true},
	} {
		a := &store.Aidant{Email: p.email, FirstName: p.first, LastName: p.last, Profession: p.profession,
			CurrentOrganisationID: p.org.ID, CanCreateMandats: true, IsActive: true, IsDemo: true}
		if err := tx.CreateAidant(ctx, a, false); err != nil {
			return err
		}
		if p.carte != 0 {
			serial := DemoSerial(p.carte)
			if err := tx.LinkCarte(ctx, scope, a.ID, serial, rules, nil); err != nil {
				return fmt.Errorf("demo carte %s: %w", serial, err)
			}
			if p.validated {
				code, err := otp.Code(DemoCarteSecret(serial), otp.CarteStep, tx.Now())
				if err != nil {
					return err
				}
				if err := tx.ValidateCarte(ctx, scope, a.ID, code, rules, nil); err != nil {
					return fmt.Errorf("demo carte %s: %w", serial, err)
				}
			}
		}
		if !p.active {
			if _, err := tx.DeactivateAidant(ctx, scope, a.ID, nil); err != nil {
				return err
			}
		}
	}
	return tx.RequestHabilitations(ctx, scope, []store.NewPerson{{Email: DemoHabilitationEmail, FirstName: "Sophie",
		LastName: "Aformer", Profession: "Secrétaire de mairie"}})
}

// addDevice gives an aidant a confirmed carte TOTP (serial set) or authenticator app.
func addDevice(ctx context.Context, st *store.Store, aidantID int64, serial string) error {
	secret, err := otp.GenerateSecret()
	if err != nil {
		return err
	}
	dev := otp.NewApp(secret)
	if serial != "" {
		secret = DemoCarteSecret(serial)
		dev = otp.NewCarte(secret)
	}
	dev = dev.Confirm()
	d := &store.OTPDevice{AidantID: aidantID, Kind: string(dev.Kind), Step: dev.Step, Tolerance: dev.Tolerance, Confirmed: true, Secret: secret}
	if err := st.AddOTPDevice(ctx, d, serial); err != nil {
		return fmt.Errorf("demo device: %w", err)
	}
	return nil
}
