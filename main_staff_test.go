package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/store/storetest"
)

func TestStaffAddCommand(t *testing.T) {
	dsn := storetest.NewDSN(t)
	getenv := func(k string) string {
		return map[string]string{"DATABASE_URL": dsn, "AC_MODE": "dev"}[k]
	}
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"staff", "add", "claire@beta.gouv.fr", "--prenom", "Claire", "--nom", "Martin"}, getenv, &out); err != nil {
		t.Fatalf("staff add: %v (%s)", err, out.String())
	}
	got := out.String()
	for _, want := range []string{"compte de l'équipe créé : claire@beta.gouv.fr", "▀", "ou saisissez la clé : ", "otpauth://totp/Aidants%20Connect:claire@beta.gouv.fr?"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	cfg, _ := app.Load(getenv)
	cfg.SkipSeed = true
	a, err := app.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	staff, err := a.Store.FindAidantByEmail(ctx, "claire@beta.gouv.fr")
	if err != nil {
		t.Fatal(err)
	}
	if !staff.IsStaff || staff.CanCreateMandats || staff.CurrentOrganisationID != 0 || staff.FirstName != "Claire" || staff.LastName != "Martin" || !staff.IsActive || staff.IsDemo {
		t.Errorf("staff account %+v", staff)
	}
	for _, args := range [][]string{
		{"staff", "add", "claire@beta.gouv.fr"}, // taken
		{"staff", "add", "pas-une-adresse"},
		{"staff"},
		{"staff", "remove", "claire@beta.gouv.fr"},
		{"staff", "add", "x@y.fr", "de trop"},
	} {
		out.Reset()
		if err := run(ctx, args, getenv, &out); err == nil {
			t.Errorf("%q accepted: %s", args, out.String())
		}
	}
}
