package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func TestJournalVerifyCommand(t *testing.T) {
	dsn := storetest.NewDSN(t)
	getenv := func(k string) string {
		return map[string]string{"DATABASE_URL": dsn, "AC_MODE": "dev"}[k]
	}
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"seed"}, getenv, &out); err != nil {
		t.Fatalf("seed: %v", err)
	}
	// Produce journal rows through a real action: the demo aidant switches organisation twice.
	cfg, _ := app.Load(getenv)
	cfg.SkipSeed = true
	a, err := app.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	aidant, err := a.Store.FindAidantByEmail(ctx, app.DemoAidantEmail)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := a.Store.ListMemberships(ctx, aidant.ID)
	if err != nil || len(ms) != 2 {
		t.Fatalf("memberships %v %v", ms, err)
	}
	for _, m := range []int64{ms[0].OrganisationID, ms[1].OrganisationID} {
		if _, err := a.Store.SwitchOrganisation(ctx, aidant.ID, m); err != nil {
			t.Fatal(err)
		}
	}
	// The seed journals what it does through the référent's actions; the switches add 2.
	rows, err := a.DB.NewSelect().Table("journal").Count(ctx)
	if err != nil || rows < 2 {
		t.Fatalf("journal rows: %d, %v", rows, err)
	}
	out.Reset()
	if err := run(ctx, []string{"journal", "verify"}, getenv, &out); err != nil || !strings.Contains(out.String(), fmt.Sprintf("journal intact : %d entrées vérifiées", rows)) {
		t.Fatalf("verify intact: %v, %q", err, out.String())
	}
	if _, err := a.DB.ExecContext(ctx, "ALTER TABLE journal DISABLE TRIGGER USER; UPDATE journal SET info = 'falsifié'; ALTER TABLE journal ENABLE TRIGGER USER"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	out.Reset()
	err = run(ctx, []string{"journal", "verify"}, getenv, &out)
	if err == nil || !strings.Contains(err.Error(), "journal altéré : entrée n°") {
		t.Fatalf("verify tampered: %v", err)
	}
	if err := run(ctx, []string{"frobnicate"}, getenv, &out); err == nil {
		t.Fatal("unknown command accepted")
	}
}
