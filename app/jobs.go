package app

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"

	"github.com/aidantsconnect/ac/store"
)

// Background work runs on River, a job queue in the same PostgreSQL database (no other
// server): the delivery of each email, inserted by the store in the transaction of the action
// that wrote it, and the periodic jobs below, which only the elected leader among the app's
// instances schedules (River's leader election), each at most once per period (unique jobs).
//
// River's database/sql driver runs on the bun pool, so a job joins a bun transaction; a small
// pgx pool carries River's LISTEN, so a job inserted anywhere wakes the workers at once.

// The periodic jobs and their periods.
const (
	purgeEvery      = 5 * time.Minute
	checkpointEvery = 5 * time.Minute
	statsEvery      = 10 * time.Minute // RefreshStats recounts only past store.StatsRefreshEvery
	// The notifications look every few hours; each recipient gets at most one email per
	// period (the week, or for a draft its untouched stretch: store.notifications_sent).
	notifyEvery = 6 * time.Hour
)

// PurgeArgs purges what has expired: sessions, login links, wizard runs holding personal data,
// rate-limit windows, outbox rows past their retention.
type PurgeArgs struct{}

func (PurgeArgs) Kind() string { return "purge_expired" }

// CheckpointArgs signs a journal checkpoint if the journal moved.
type CheckpointArgs struct{}

func (CheckpointArgs) Kind() string { return "journal_checkpoint" }

// StatsArgs recounts the public statistics when they are older than their period.
type StatsArgs struct{}

func (StatsArgs) Kind() string { return "stats_recount" }

// DigestArgs sends the aidants' weekly digest of the mandats that expire soon.
type DigestArgs struct{}

func (DigestArgs) Kind() string { return "notify_aidants_digest" }

// ReferentFollowUpArgs sends the référents' weekly follow-up (aidants without a device, old requests).
type ReferentFollowUpArgs struct{}

func (ReferentFollowUpArgs) Kind() string { return "notify_referents" }

// DraftReminderArgs reminds the demandeurs of draft habilitation requests untouched for 30 days.
type DraftReminderArgs struct{}

func (DraftReminderArgs) Kind() string { return "notify_demandeurs" }

// PeriodicKinds are the kinds of the periodic jobs.
var PeriodicKinds = []string{PurgeArgs{}.Kind(), CheckpointArgs{}.Kind(), StatsArgs{}.Kind(),
	DigestArgs{}.Kind(), ReferentFollowUpArgs{}.Kind(), DraftReminderArgs{}.Kind()}

type jobs struct {
	client *river.Client[*sql.Tx]
	listen *pgxpool.Pool
}

// InsertTx is store.Jobs.
func (j *jobs) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := j.client.InsertTx(ctx, tx, args, opts)
	return err
}

type deliverWorker struct {
	river.WorkerDefaults[store.DeliverEmailArgs]
	st   *store.Store
	send func(store.Email) error
}

func (w *deliverWorker) Work(ctx context.Context, job *river.Job[store.DeliverEmailArgs]) error {
	return w.st.DeliverEmail(ctx, job.Args.EmailID, w.send)
}

// funcWorker runs a periodic job's function.
type funcWorker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	run func(ctx context.Context) error
}

func (w *funcWorker[T]) Work(ctx context.Context, _ *river.Job[T]) error { return w.run(ctx) }

func periodic(every time.Duration, args river.JobArgs) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
		// Unique per period: a new leader's start-up run does not repeat the period's job.
		return args, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: every}}
	}, &river.PeriodicJobOpts{ID: args.Kind(), RunOnStart: true})
}

// newJobs builds the River client over the app's database (dsn is the serving role's, for
// the listener). send delivers an email; nil keeps mail in the outbox (dev and sandbox).
func (a *App) newJobs(dsn string, send func(store.Email) error) error {
	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("job queue listener: %w", err)
	}
	pcfg.MaxConns = 2
	listen, err := pgxpool.NewWithConfig(context.Background(), pcfg) // connects on first use
	if err != nil {
		return fmt.Errorf("job queue listener: %w", err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &funcWorker[PurgeArgs]{run: func(ctx context.Context) error {
		if err := a.Store.PurgeExpired(ctx); err != nil {
			return err
		}
		return a.Store.PurgeOutbox(ctx, a.outboxRetention())
	}})
	river.AddWorker(workers, &funcWorker[CheckpointArgs]{run: func(ctx context.Context) error {
		_, err := a.Store.WriteJournalCheckpoint(ctx)
		return err
	}})
	river.AddWorker(workers, &funcWorker[StatsArgs]{run: func(ctx context.Context) error {
		_, err := a.Store.RefreshStats(ctx, store.StatsRefreshEvery, a.Handlers.Loc)
		return err
	}})
	river.AddWorker(workers, &funcWorker[DigestArgs]{run: func(ctx context.Context) error {
		_, err := a.Store.SendDigests(ctx, a.Handlers.DigestMail)
		return err
	}})
	river.AddWorker(workers, &funcWorker[ReferentFollowUpArgs]{run: func(ctx context.Context) error {
		_, err := a.Store.SendReferentFollowUps(ctx, a.Handlers.ReferentMail)
		return err
	}})
	river.AddWorker(workers, &funcWorker[DraftReminderArgs]{run: func(ctx context.Context) error {
		_, err := a.Store.SendDraftReminders(ctx, a.Handlers.HabilitationMail)
		return err
	}})
	river.AddWorker(workers, &deliverWorker{st: a.Store, send: send})
	sandbox := a.sandboxJobs(workers, a.Handlers.Loc) // the bac à sable's: scheduled in sandbox mode only
	client, err := river.NewClient(riverdatabasesql.NewWithPgxListener(a.DB.DB, listen), &river.Config{
		Logger: a.Log,
		// Two workers: jobs share the serving pool (AC_DB_POOL, 4 by default) with requests.
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers: workers,
		// A failed delivery is retried with River's backoff (seconds, then up to hours) for
		// about a day and a half, then kept as discarded, with its errors, for staff to see.
		MaxAttempts: 12,
		JobTimeout:  time.Minute,
		PeriodicJobs: append([]*river.PeriodicJob{
			periodic(purgeEvery, PurgeArgs{}),
			periodic(checkpointEvery, CheckpointArgs{}),
			periodic(statsEvery, StatsArgs{}),
			periodic(notifyEvery, DigestArgs{}),
			periodic(notifyEvery, ReferentFollowUpArgs{}),
			periodic(notifyEvery, DraftReminderArgs{}),
		}, sandbox...),
	})
	if err != nil {
		listen.Close()
		return fmt.Errorf("job queue: %w", err)
	}
	a.jobs = &jobs{client: client, listen: listen}
	a.Store.SetJobQueue(client)
	if send != nil {
		a.Store.SetJobs(a.jobs)
	}
	return nil
}

// Background works the job queue until ctx ends: the serve command runs it beside Serve
// (tests that move the clock do not). Serve signs the last checkpoint at shutdown.
func (a *App) Background(ctx context.Context) {
	if err := a.jobs.client.Start(ctx); err != nil {
		a.Log.Error("job queue", "err", err)
		return
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := a.jobs.client.Stop(sctx); err != nil {
		a.Log.Error("job queue stop", "err", err)
	}
}

// JobEvents subscribes to the queue's finished jobs (completed, failed, discarded, cancelled)
// on this instance: tests wait on them instead of polling. Call cancel when done.
func (a *App) JobEvents() (<-chan *river.Event, func()) {
	return a.jobs.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
}
