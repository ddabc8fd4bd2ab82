package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/aidantsconnect/ac/store"
)

// The bac à sable (AC_MODE=sandbox, and dev): trainees sign up for a practice organisation
// of their own (SignUpTrainee), which expires after AC_SANDBOX_TRAINEE_TTL; `ac sandbox
// reset` (ResetSandbox) and the nightly job put the instance's practice data back as the seed
// made it.

// ErrNotSandbox refuses the bac à sable's maintenance in production.
var ErrNotSandbox = errors.New("le bac à sable n'existe pas en production (AC_MODE=production) : rien n'a été effacé")

// traineeCarte is the serial of the demo carte of a trainee's account n: one per account,
// free, its seed derived from the serial as the demo cartes' are (DemoCarteSecret).
func traineeCarte(orgID int64, n int) string { return fmt.Sprintf("BAC%07d%d", orgID, n) }

// trainees is the handlers' way to sign trainees up (handlers.Trainees).
type trainees struct{ a *App }

// SignUp is handlers.Trainees.
func (t trainees) SignUp(ctx context.Context, firstName, lastName, email string) (*store.Trainee, error) {
	return t.a.SignUpTrainee(ctx, firstName, lastName, email)
}

// SignUpTrainee makes a trainee's practice organisation in one transaction (store.CreateTrainee):
// the trainee as référent, two aidants, a demo carte linked to each account (they log in
// with the demo code all the same), and the practice mandats in every state, made by the
// trainee for the simulator's persons as the demo aidant's are (seedPracticeMandats).
func (a *App) SignUpTrainee(ctx context.Context, firstName, lastName, email string) (*store.Trainee, error) {
	if !a.Cfg.Dev() {
		return nil, ErrNotSandbox
	}
	return a.Store.CreateTrainee(ctx, store.TraineeInput{
		FirstName: firstName, LastName: lastName, Email: email, TTL: cmp.Or(a.Cfg.SandboxTraineeTTL, store.TraineeTTL),
		Equip: func(ctx context.Context, tx *store.Store, org *store.Organisation, accounts []*store.Aidant) error {
			for i, acc := range accounts {
				if err := addDevice(ctx, tx, acc.ID, traineeCarte(org.ID, i)); err != nil {
					return err
				}
			}
			return seedPracticeMandats(ctx, tx, accounts[0])
		},
	})
}

// ResetSandbox removes practice data (store.PurgeSandbox) and, when p.Demo, puts the demo
// data back as the seed makes it (SeedDemo, and SeedPractice unless the App skips it), in
// the same transaction. It runs as the database's owner: the journal's triggers are
// disabled while its chain is re-linked. Refused in production.
func (a *App) ResetSandbox(ctx context.Context, p store.SandboxPurge) (store.SandboxPurged, error) {
	if !a.Cfg.Dev() {
		return store.SandboxPurged{}, ErrNotSandbox
	}
	owner, release, err := a.OwnerStore()
	if err != nil {
		return store.SandboxPurged{}, err
	}
	defer release()
	var reseed func(ctx context.Context, tx *store.Store) error
	if p.Demo {
		reseed = func(ctx context.Context, tx *store.Store) error {
			if err := SeedDemo(ctx, tx); err != nil {
				return err
			}
			if a.Cfg.SkipPractice {
				return nil
			}
			return SeedPractice(ctx, tx)
		}
	}
	return owner.PurgeSandbox(ctx, p, reseed)
}

// SandboxResetArgs is the nightly reset of the bac à sable: the demo data back as the seed
// made it, and the expired trainees gone. Trainees within their AC_SANDBOX_TRAINEE_TTL keep
// their organisation: a nightly wipe of every trainee would make the TTL meaningless and
// empty the space of someone who signed up at 23:59. `ac sandbox reset` removes them all.
type SandboxResetArgs struct{}

func (SandboxResetArgs) Kind() string { return "sandbox_reset" }

// TraineePurgeArgs removes the trainees past their expiry, hourly, so an expired account
// goes within the hour; it writes nothing when none has expired.
type TraineePurgeArgs struct{}

func (TraineePurgeArgs) Kind() string { return "trainee_purge" }

const traineePurgeEvery = time.Hour

// SandboxKinds are the periodic jobs only the sandbox schedules.
var SandboxKinds = []string{SandboxResetArgs{}.Kind(), TraineePurgeArgs{}.Kind()}

// nightly is a River schedule: every day at 03:30, Paris time.
type nightly struct{ loc *time.Location }

func (n nightly) Next(t time.Time) time.Time {
	l := t.In(n.loc)
	next := time.Date(l.Year(), l.Month(), l.Day(), 3, 30, 0, 0, n.loc)
	if !next.After(l) {
		next = time.Date(l.Year(), l.Month(), l.Day()+1, 3, 30, 0, 0, n.loc)
	}
	return next
}

// sandboxJobs adds the bac à sable's workers, and, in sandbox mode only, its periodic jobs.
func (a *App) sandboxJobs(workers *river.Workers, loc *time.Location) []*river.PeriodicJob {
	river.AddWorker(workers, &funcWorker[SandboxResetArgs]{run: func(ctx context.Context) error {
		_, err := a.ResetSandbox(ctx, store.SandboxPurge{Demo: true})
		return err
	}})
	river.AddWorker(workers, &funcWorker[TraineePurgeArgs]{run: func(ctx context.Context) error {
		if expired, err := a.Store.ExpiredTrainees(ctx); err != nil || !expired {
			return err
		}
		_, err := a.ResetSandbox(ctx, store.SandboxPurge{})
		return err
	}})
	if a.Cfg.Mode != ModeSandbox {
		return nil
	}
	return []*river.PeriodicJob{
		river.NewPeriodicJob(nightly{loc}, func() (river.JobArgs, *river.InsertOpts) {
			return SandboxResetArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: 24 * time.Hour}}
		}, &river.PeriodicJobOpts{ID: SandboxResetArgs{}.Kind()}),
		periodic(traineePurgeEvery, TraineePurgeArgs{}),
	}
}
