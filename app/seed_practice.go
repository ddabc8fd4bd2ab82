package app

import (
	"context"
	"fmt"
	"time"

	"github.com/aidantsconnect/ac/app/fcsim"
	"github.com/aidantsconnect/ac/store"
)

// practiceMandat is one of the demo aidant's practice mandats: the simulator's person n, made
// ageDays ago, and what happened to it since.
type practiceMandat struct {
	person    int
	duree     string
	demarches []string
	ageDays   int
	revoke    string // "": nothing; "mandat": revoked whole, after half its age; else the démarche revoked
}

// practiceMandats give « Mes usagers » of the demo aidant something in every state, for the
// simulator's persons, so that renewal (the same person back through the simulator) and
// revocation can be tried at once.
var practiceMandats = []practiceMandat{
	{0, "LONG", []string{"papiers", "famille"}, 10, ""},                    // in force
	{1, "MONTH", []string{"argent", "social"}, 20, ""},                     // in force, expires in 11 days: « expire bientôt »
	{2, "SEMESTER", []string{"logement", "travail"}, 200, ""},              // expired 18 days ago: to renew
	{3, "LONG", []string{"transports", "loisirs"}, 40, "mandat"},           // revoked
	{4, "LONG", []string{"papiers", "justice", "etranger"}, 60, "justice"}, // in force, one démarche revoked
}

// SeedPractice gives the demo aidant (Jean Aidant, of the demo organisation) the practice
// mandats, made through the store's own flow on a clock set back, journaled as the wizard
// journals them. Dev and sandbox only; running it again changes nothing.
func SeedPractice(ctx context.Context, st *store.Store) error {
	a, err := st.FindAidantByEmail(ctx, DemoAidantEmail)
	if err != nil {
		return fmt.Errorf("practice mandats: %w", err)
	}
	var n int
	if err := st.DB().NewRaw("SELECT count(*) FROM mandats WHERE organisation_id = ?", a.CurrentOrganisationID).Scan(ctx, &n); err != nil {
		return fmt.Errorf("practice mandats: %w", err)
	}
	if n > 0 {
		return nil
	}
	return st.InTx(ctx, func(tx *store.Store) error { return seedPracticeMandats(ctx, tx, a) })
}

// seedPracticeMandats makes the practice mandats of a's current organisation, as a made them:
// the demo aidant's (SeedPractice) and each trainee's (SignUpTrainee). It runs in tx.
func seedPracticeMandats(ctx context.Context, tx *store.Store, a *store.Aidant) error {
	now := tx.Now()
	for _, p := range practiceMandats {
		made := now.AddDate(0, 0, -p.ageDays)
		at := tx.WithClock(func() time.Time { return made })
		m, _, err := at.SignDemoMandat(ctx, a, fcsim.StoreIdentity(p.person), p.duree, p.demarches)
		if err != nil {
			return fmt.Errorf("practice mandat %d: %w", p.person, err)
		}
		revoked := now.AddDate(0, 0, -p.ageDays/2)
		later := tx.WithClock(func() time.Time { return revoked })
		switch p.revoke {
		case "":
		case "mandat":
			_, err = later.RevokeMandat(ctx, a.CurrentOrganisationID, a.ID, m.ID)
		default:
			for _, au := range m.Autorisations {
				if au.Demarche == p.revoke {
					_, _, err = later.RevokeAutorisation(ctx, a.CurrentOrganisationID, a.ID, m.ID, au.ID)
				}
			}
		}
		if err != nil {
			return fmt.Errorf("practice mandat %d: revoke: %w", p.person, err)
		}
	}
	return nil
}
