package app_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// deliveries is a fake outgoing mail server shared by the instances of a test: how many times
// each message was delivered.
type deliveries struct {
	mu   sync.Mutex
	sent map[int64]int
}

func (d *deliveries) deliver(e store.Email) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sent[e.ID]++
	return nil
}

func countJobs(t *testing.T, e *apptest.Env, where string, args ...any) int {
	t.Helper()
	var n int
	if err := e.App.DB.NewRaw("SELECT count(*) FROM river_job WHERE "+where, args...).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// An action and its email are committed together or not at all: a transaction that queues an
// email and then fails leaves neither the message nor its delivery job; a login request that
// commits leaves both.
func TestRolledBackActionEnqueuesNothing(t *testing.T) {
	t.Parallel()
	d := &deliveries{sent: map[int64]int{}}
	e := apptest.Start(t, func(c *app.Config) { c.DeliverEmail = d.deliver })
	ctx := context.Background()
	failed := errors.New("the action failed after its email")
	err := e.App.Store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.QueueEmail(ctx, store.Email{To: "jean@example.fr", Subject: "Votre lien", BodyText: "Bonjour"}); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("err = %v", err)
	}
	if n, jobs := e.Count("emails"), countJobs(t, e, "true"); n != 0 || jobs != 0 {
		t.Fatalf("after the rollback: %d emails, %d jobs; want none", n, jobs)
	}

	p := e.Aidant("jobs@example.fr", e.Org("CCAS de Meung"), true)
	b := e.Browser()
	if r := b.Post(paths.Login, url.Values{"email": {p.Aidant.Email}, "otp_token": {e.Code(p)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("login request: %d %s", r.Status, r.Body)
	}
	es := e.Emails()
	if len(es) != 1 {
		t.Fatalf("%d emails after the login request, want 1", len(es))
	}
	if n := countJobs(t, e, "kind = ? AND (args->>'email_id')::bigint = ?", store.DeliverEmailArgs{}.Kind(), es[0].ID); n != 1 {
		t.Fatalf("%d delivery jobs for the login email, want 1", n)
	}
}

// Two instances of the app on one database share one queue: each periodic job runs once (only
// the elected leader schedules, once per period), and each email is delivered once, whichever
// instance queued it and whichever works it.
func TestTwoInstancesShareOneQueue(t *testing.T) {
	t.Parallel()
	d := &deliveries{sent: map[int64]int{}}
	a := apptest.Start(t, func(c *app.Config) { c.DeliverEmail = d.deliver })
	b := apptest.Start(t, func(c *app.Config) {
		c.DeliverEmail = d.deliver
		c.DatabaseURL, c.MigrateDatabaseURL = a.App.Cfg.DatabaseURL, a.App.Cfg.MigrateDatabaseURL
	})
	ctx, cancel := context.WithCancel(context.Background())
	var events []<-chan *river.Event
	var wg sync.WaitGroup
	for _, e := range []*apptest.Env{a, b} {
		ch, unsubscribe := e.App.JobEvents()
		events = append(events, ch)
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.App.Background(ctx)
		}()
		t.Cleanup(unsubscribe)
	}
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})

	const perInstance = 10
	for _, e := range []*apptest.Env{a, b} {
		for range perInstance {
			if err := e.App.Store.QueueEmail(ctx, store.Email{To: "jean@example.fr", Subject: "Sujet", BodyText: "Bonjour"}); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Wait for every delivery and one run of each periodic job, on either instance.
	want := map[string]int{store.DeliverEmailArgs{}.Kind(): 2 * perInstance}
	for _, k := range app.PeriodicKinds {
		want[k] = 1
	}
	done := map[string]int{}
	finished := func() bool {
		for k, n := range want {
			if done[k] < n {
				return false
			}
		}
		return true
	}
	timeout := time.After(2 * time.Minute)
	for !finished() {
		select {
		case ev := <-events[0]:
			done[ev.Job.Kind]++
			if ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("job %s: %s, errors %v", ev.Job.Kind, ev.Kind, ev.Job.Errors)
			}
		case ev := <-events[1]:
			done[ev.Job.Kind]++
			if ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("job %s: %s, errors %v", ev.Job.Kind, ev.Kind, ev.Job.Errors)
			}
		case <-timeout:
			t.Fatalf("jobs finished so far: %v, want %v", done, want)
		}
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.sent) != 2*perInstance {
		t.Errorf("%d emails delivered, want %d", len(d.sent), 2*perInstance)
	}
	for id, n := range d.sent {
		if n != 1 {
			t.Errorf("email %d delivered %d times", id, n)
		}
	}
	for _, e := range a.Emails() {
		if e.SentAt == nil || e.BodyText != "" {
			t.Errorf("email %d: sent %v, body kept %v", e.ID, e.SentAt, e.BodyText != "")
		}
	}
	for _, k := range app.PeriodicKinds {
		if n := countJobs(t, a, "kind = ?", k); n != 1 {
			t.Errorf("periodic job %s inserted %d times, want once", k, n)
		}
	}
}
