package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/store/storetest"
)

// `ac sandbox reset` in sandbox mode: the trainees gone, the demo data back, the journal
// still verifying (`ac journal verify`).
func TestSandboxResetCommand(t *testing.T) {
	dsn := storetest.NewDSN(t)
	env := map[string]string{"DATABASE_URL": dsn, "AC_MODE": "sandbox", "AC_SECRET_KEY": strings.Repeat("ab", 32)}
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"seed"}, getenv, &out); err != nil {
		t.Fatalf("seed: %v (%s)", err, out.String())
	}
	cfg, err := app.Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	cfg.SkipSeed = true
	a, err := app.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.SignUpTrainee(ctx, "Inès", "Formée", "ines@exemple.fr"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store.WriteJournalCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"sandbox", "reset"}, getenv, &out); err != nil {
		t.Fatalf("sandbox reset: %v (%s)", err, out.String())
	}
	if !strings.Contains(out.String(), "bac à sable remis à zéro : 3 organisations, ") {
		t.Errorf("output: %s", out.String())
	}
	if _, err := a.Store.FindAidantByEmail(ctx, "ines@exemple.fr"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the trainee after the reset: %v", err)
	}
	if _, err := a.Store.FindAidantByEmail(ctx, app.DemoAidantEmail); err != nil {
		t.Errorf("the demo aidant after the reset: %v", err)
	}
	out.Reset()
	if err := run(ctx, []string{"journal", "verify"}, getenv, &out); err != nil {
		t.Fatalf("journal verify after the reset: %v (%s)", err, out.String())
	}
	for _, args := range [][]string{{"sandbox"}, {"sandbox", "wipe"}, {"sandbox", "reset", "now"}} {
		if err := run(ctx, args, getenv, &out); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// In production the command refuses, before it opens the database.
func TestSandboxResetRefusedInProduction(t *testing.T) {
	env := map[string]string{"AC_MODE": "production", "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
		"AC_BASE_URL": "https://aidantsconnect.beta.gouv.fr", "AC_SECRET_KEY": strings.Repeat("cd", 32),
		"AC_SMTP_URL": "smtp://127.0.0.1:1", "AC_FC_ISSUER": "https://fc.invalid", "AC_FC_CLIENT_ID": "id", "AC_FC_CLIENT_SECRET": "s"}
	var out bytes.Buffer
	err := run(context.Background(), []string{"sandbox", "reset"}, func(k string) string { return env[k] }, &out)
	if !errors.Is(err, app.ErrNotSandbox) || !strings.Contains(err.Error(), "n'existe pas en production") {
		t.Fatalf("sandbox reset in production: %v", err)
	}
}
