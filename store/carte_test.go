package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app/otp"
	"github.com/aidantsconnect/ac/store"
)

// withCarte brings a fresh aidant of the world's organisation to a carte state, active or not.
func (w *refWorld) withCarte(t *testing.T, email string, active bool, st store.CarteState, serial string) *store.Aidant {
	t.Helper()
	ctx := context.Background()
	a := w.aidant(t, email, w.org, false)
	if st != store.DeviceNone {
		if err := w.st.LinkCarte(ctx, w.scope, a.ID, serial, w.rules, w.notify); err != nil {
			t.Fatal(err)
		}
	}
	if st == store.DeviceValidated {
		if err := w.st.ValidateCarte(ctx, w.scope, a.ID, w.carteCode(t, serial), w.rules, w.notify); err != nil {
			t.Fatal(err)
		}
	}
	if !active {
		if _, err := w.st.DeactivateAidant(ctx, w.scope, a.ID, w.notify); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// The carte actions against the reference's availability matrix: for each aidant state, what
// the page offers (CarteActionsFor, and the ManagedAidant the page is built from), and what
// the store does when each action is posted anyway — done and journaled when offered,
// ErrUnavailable with nothing changed when not.
func TestCarteActionsMatrix(t *testing.T) {
	t.Parallel()
	type offer struct{ link, linkDisabled, validate, unlink bool }
	for i, tc := range []struct {
		name   string
		active bool
		state  store.CarteState
		offer  offer
	}{
		{"active, no carte", true, store.DeviceNone, offer{link: true}},
		{"active, carte not validated", true, store.DeviceUnvalidated, offer{validate: true, unlink: true}},
		{"active, carte validated", true, store.DeviceValidated, offer{unlink: true}},
		{"inactive, no carte", false, store.DeviceNone, offer{linkDisabled: true}},
		{"inactive, carte not validated", false, store.DeviceUnvalidated, offer{unlink: true}},
		{"inactive, carte validated", false, store.DeviceValidated, offer{unlink: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newRefWorld(t)
			ctx := context.Background()
			want := store.CarteActions{Link: tc.offer.link, LinkDisabled: tc.offer.linkDisabled, Validate: tc.offer.validate, Unlink: tc.offer.unlink}
			if got := store.CarteActionsFor(tc.active, tc.state); got != want {
				t.Errorf("CarteActionsFor = %+v, want %+v", got, want)
			}
			// Each action on an aidant of its own in that state, with a carte of its own.
			for k, act := range []struct {
				name    string
				offered bool
				do      func(a *store.Aidant, serial string) error
				journal string
			}{
				{"link", tc.offer.link, func(a *store.Aidant, _ string) error {
					return w.st.LinkCarte(ctx, w.scope, a.ID, "GADT0000012", w.rules, w.notify)
				}, store.ActionCardAssociation},
				{"validate", tc.offer.validate, func(a *store.Aidant, serial string) error {
					return w.st.ValidateCarte(ctx, w.scope, a.ID, w.carteCode(t, serial), w.rules, w.notify)
				}, store.ActionCardValidation},
				{"unlink", tc.offer.unlink, func(a *store.Aidant, _ string) error {
					return w.st.UnlinkCarte(ctx, w.scope, a.ID, store.ReasonCasse, "", w.notify)
				}, store.ActionCardDissociation},
			} {
				serial := fmt.Sprintf("GADT%07d", k+1)
				a := w.withCarte(t, fmt.Sprintf("a%d.%d@mfs.fr", i, k), tc.active, tc.state, serial)
				f, err := w.st.GetManagedAidant(ctx, w.scope, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				if f.Aidant.IsActive != tc.active || f.Aidant.Carte() != tc.state || f.Aidant.CarteActions() != want {
					t.Errorf("page: active %v, carte %v, actions %+v", f.Aidant.IsActive, f.Aidant.Carte(), f.Aidant.CarteActions())
				}
				before, told := dump(t, w.st), len(w.emails)
				err = act.do(a, serial)
				if !act.offered {
					if !errors.Is(err, store.ErrUnavailable) {
						t.Errorf("%s, not offered: %v, want ErrUnavailable", act.name, err)
					}
					if dump(t, w.st) != before {
						t.Errorf("%s, not offered: the database changed", act.name)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s, offered: %v", act.name, err)
				}
				if e := lastJournal(t, w.st, w.org.ID); e.Action != act.journal || *e.AidantID != w.ref.ID || !strings.Contains(e.Info, fmt.Sprintf("aidant #%d", a.ID)) {
					t.Errorf("%s: journal %+v", act.name, e)
				}
				if len(w.emails) != told+1 || w.emails[told].Aidant.ID != a.ID {
					t.Errorf("%s: the aidant was not told", act.name)
				}
				if act.name == "link" {
					// Linked (GADT0000012 is in use now): unlink it for the next state's rows.
					if err := w.st.UnlinkCarte(ctx, w.scope, a.ID, store.ReasonErreur, "", w.notify); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

// Linking: the serial must be in the stock and free; validation takes a code within the new
// carte's wide window, then narrows it; wrong codes are refused and counted; the carte logs in
// only once validated; unlinked, it is free again.
func TestCarteLifecycle(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	ctx := context.Background()
	a := w.aidant(t, "a@mfs.fr", w.org, false)
	b := w.aidant(t, "b@mfs.fr", w.org, false)
	before := dump(t, w.st)
	if err := w.st.LinkCarte(ctx, w.scope, a.ID, "NOPE0000001", w.rules, w.notify); !errors.Is(err, store.ErrCarteUnknown) {
		t.Fatalf("unknown serial: %v", err)
	}
	if dump(t, w.st) != before {
		t.Fatal("an unknown serial changed something")
	}
	if err := w.st.LinkCarte(ctx, w.scope, a.ID, " gadt0000003 ", w.rules, w.notify); err != nil {
		t.Fatalf("serial typed in lower case with spaces: %v", err)
	}
	if err := w.st.LinkCarte(ctx, w.scope, b.ID, "GADT0000003", w.rules, w.notify); !errors.Is(err, store.ErrCarteTaken) {
		t.Fatalf("taken: %v", err)
	}
	var tol int
	var confirmed bool
	device := func() {
		t.Helper()
		if err := w.st.DB().NewRaw("SELECT tolerance, confirmed FROM otp_devices WHERE aidant_id = ? AND kind = 'carte'", a.ID).Scan(ctx, &tol, &confirmed); err != nil {
			t.Fatal(err)
		}
	}
	device()
	if tol != otp.NewCarteTolerance || confirmed {
		t.Fatalf("linked: tolerance %d confirmed %v, want %d, false", tol, confirmed, otp.NewCarteTolerance)
	}
	// Not validated yet: the carte does not log in.
	if err := w.login(t, a, w.carteCode(t, "GADT0000003")); !errors.Is(err, store.ErrLoginRefused) {
		t.Fatalf("login with an unvalidated carte: %v", err)
	}
	if err := w.st.ValidateCarte(ctx, w.scope, a.ID, "000000", w.rules, w.notify); !errors.Is(err, store.ErrCodeRefused) {
		t.Fatalf("wrong code: %v", err)
	}
	var failures int
	if err := w.st.DB().NewRaw("SELECT failures FROM otp_devices WHERE aidant_id = ?", a.ID).Scan(ctx, &failures); err != nil || failures != 1 {
		t.Fatalf("the failure was not kept: %d, %v", failures, err)
	}
	w.clock.Advance(5 * time.Second) // past the backoff
	// The carte's clock runs 8 minutes late: within the new carte's window.
	late, err := otp.Code(w.seeds["GADT0000003"], otp.CarteStep, w.clock.Now().Add(-8*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.st.ValidateCarte(ctx, w.scope, a.ID, late, w.rules, w.notify); err != nil {
		t.Fatalf("validation 8 minutes late: %v", err)
	}
	device()
	if tol != 1 || !confirmed {
		t.Fatalf("validated: tolerance %d confirmed %v, want 1, true", tol, confirmed)
	}
	w.clock.Advance(time.Minute)
	late, _ = otp.Code(w.seeds["GADT0000003"], otp.CarteStep, w.clock.Now().Add(-8*time.Minute))
	if err := w.login(t, a, late); err != nil {
		t.Fatalf("login with the validated carte (its drift learnt): %v", err)
	}
	if err := w.st.UnlinkCarte(ctx, w.scope, a.ID, store.ReasonAutre, " ", w.notify); !errors.Is(err, store.ErrReason) {
		t.Fatalf("autre without a text: %v", err)
	}
	if err := w.st.UnlinkCarte(ctx, w.scope, a.ID, "volée", "", w.notify); !errors.Is(err, store.ErrReason) {
		t.Fatalf("unknown reason: %v", err)
	}
	if err := w.st.UnlinkCarte(ctx, w.scope, a.ID, store.ReasonAutre, "Prêtée à un collègue", w.notify); err != nil {
		t.Fatal(err)
	}
	if e := lastJournal(t, w.st, w.org.ID); e.Action != store.ActionCardDissociation || !strings.HasSuffix(e.Info, "carte GADT0000003, raison : autre : Prêtée à un collègue") {
		t.Errorf("journal %q", e.Info)
	}
	if err := w.st.LinkCarte(ctx, w.scope, b.ID, "GADT0000003", w.rules, w.notify); err != nil {
		t.Errorf("the unlinked carte is not free again: %v", err)
	}
	var kinds []string
	for _, n := range w.emails {
		kinds = append(kinds, string(n.Kind)+" "+n.Serial)
	}
	if got, want := strings.Join(kinds, ", "), "carte_linked GADT0000003, carte_validated GADT0000003, carte_unlinked GADT0000003, carte_linked GADT0000003"; got != want {
		t.Errorf("notices %s, want %s", got, want)
	}
}

// login runs the login check (code, then link) through the store, as the login page does.
func (w *refWorld) login(t *testing.T, a *store.Aidant, code string) error {
	t.Helper()
	return w.st.RequestLogin(context.Background(), store.LoginInput{
		Email: a.Email, Code: code, Verify: otp.StoreVerify,
		LinkEmail: func(context.Context, *store.Aidant, string) (store.Email, error) {
			return store.Email{To: a.Email, Subject: "lien", BodyText: "lien"}, nil
		},
	})
}

// An app: started (a pending device, nothing journaled, its secret shown), confirmed by the
// current code only, then it logs in (not with the pairing code again); removed, it is gone.
func TestAppEnrolment(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	ctx := context.Background()
	a := w.aidant(t, "a@mfs.fr", w.org, false)
	journal := func() int {
		n, _ := w.st.DB().NewSelect().Table("journal").Count(ctx)
		return int(n)
	}
	j0 := journal()
	if err := w.st.StartApp(ctx, w.scope, a.ID, w.rules); err != nil {
		t.Fatal(err)
	}
	f, err := w.st.GetManagedAidant(ctx, w.scope, a.ID)
	if err != nil || f.Aidant.App() != store.DeviceUnvalidated || len(f.PendingAppSecret) != otp.SecretSize {
		t.Fatalf("pending app: %+v, %v", f, err)
	}
	secret := f.PendingAppSecret
	if err := w.st.StartApp(ctx, w.scope, a.ID, w.rules); err != nil {
		t.Fatal(err)
	}
	if f, _ = w.st.GetManagedAidant(ctx, w.scope, a.ID); string(f.PendingAppSecret) != string(secret) {
		t.Fatal("starting again changed the secret the aidant may have scanned")
	}
	if journal() != j0 {
		t.Error("a pending app was journaled")
	}
	prev, _ := otp.Code(secret, otp.AppStep, w.clock.Now().Add(-30*time.Second))
	if err := w.st.ConfirmApp(ctx, w.scope, a.ID, prev, w.rules, w.notify); !errors.Is(err, store.ErrCodeRefused) {
		t.Fatalf("previous step's code: %v", err)
	}
	w.clock.Advance(2 * time.Second)
	code, _ := otp.Code(secret, otp.AppStep, w.clock.Now())
	if err := w.st.ConfirmApp(ctx, w.scope, a.ID, code, w.rules, w.notify); err != nil {
		t.Fatal(err)
	}
	if e := lastJournal(t, w.st, w.org.ID); e.Action != store.ActionCardAssociation || !strings.Contains(e.Info, "application") {
		t.Errorf("journal %+v", e)
	}
	if err := w.login(t, a, code); !errors.Is(err, store.ErrLoginRefused) {
		t.Errorf("the pairing code logs in again: %v", err)
	}
	w.clock.Advance(30 * time.Second)
	code, _ = otp.Code(secret, otp.AppStep, w.clock.Now())
	if err := w.login(t, a, code); err != nil {
		t.Errorf("login with the app: %v", err)
	}
	if err := w.st.StartApp(ctx, w.scope, a.ID, w.rules); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("a second app: %v", err)
	}
	if err := w.st.RemoveApp(ctx, w.scope, a.ID, w.notify); err != nil {
		t.Fatal(err)
	}
	if e := lastJournal(t, w.st, w.org.ID); e.Action != store.ActionCardDissociation {
		t.Errorf("journal %s", e.Action)
	}
	if err := w.st.RemoveApp(ctx, w.scope, a.ID, w.notify); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("removing twice: %v", err)
	}
}
