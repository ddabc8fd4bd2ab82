package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// failingMail refuses the messages to one address while down, and counts what it delivered.
type failingMail struct {
	mu   sync.Mutex
	down bool
	to   string
	sent map[string]int
}

func (m *failingMail) deliver(e store.Email) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down && e.To == m.to {
		return errors.New("serveur SMTP injoignable")
	}
	m.sent[e.To]++
	return nil
}

func (m *failingMail) set(down bool) { m.mu.Lock(); m.down = down; m.mu.Unlock() }

func (m *failingMail) count(to string) int { m.mu.Lock(); defer m.mu.Unlock(); return m.sent[to] }

// work runs the instance's job queue until the returned stop is called.
func work(t *testing.T, e *apptest.Env) (<-chan *river.Event, func()) {
	t.Helper()
	events, unsubscribe := e.App.JobEvents()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.App.Background(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done; unsubscribe() }) }
	t.Cleanup(stop)
	return events, stop
}

// awaitJob waits for an event about that job (the queue's own notification, not a timer; the
// bound only keeps a broken queue from hanging the suite).
func awaitJob(t *testing.T, events <-chan *river.Event, id int64, kind river.EventKind) *river.Event {
	t.Helper()
	bound := time.After(time.Minute)
	for {
		select {
		case ev := <-events:
			if ev.Job != nil && ev.Job.ID == id && ev.Kind == kind {
				return ev
			}
		case <-bound:
			t.Fatalf("job %d: no %s event", id, kind)
			return nil
		}
	}
}

// A failed email is visible to staff, with its recipient and error but never its body; staff
// cancel it, then retry it, each journaled with the staff account; the retried job sends it.
func TestStaffSeeAndRetryAFailedEmail(t *testing.T) {
	t.Parallel()
	mail := &failingMail{down: true, to: "destinataire@example.fr", sent: map[string]int{}}
	e := apptest.Start(t, func(c *app.Config) { c.DeliverEmail = mail.deliver })
	staff, b := e.LoginStaff("claire@beta.gouv.fr")
	ctx := context.Background()
	err := e.App.Store.InTx(ctx, func(tx *store.Store) error {
		return tx.QueueEmail(ctx, store.Email{To: mail.to, Subject: "Votre lien de connexion", BodyText: "Bonjour, LIEN-SECRET"})
	})
	if err != nil {
		t.Fatal(err)
	}
	var jobID int64
	if err := e.App.DB.NewRaw("SELECT id FROM river_job WHERE kind = ? ORDER BY id DESC LIMIT 1", store.DeliverEmailArgs{}.Kind()).Scan(ctx, &jobID); err != nil {
		t.Fatal(err)
	}

	events, stop := work(t, e)
	awaitJob(t, events, jobID, river.EventKindJobFailed)
	stop() // nothing works the queue now: the job stays as staff see it
	// Retryable, or already available when River's backoff is shorter than its scheduler's beat.
	var state rivertype.JobState
	if err := e.App.DB.NewRaw("SELECT state::text FROM river_job WHERE id = ?", jobID).Scan(ctx, &state); err != nil {
		t.Fatal(err)
	}
	if state != rivertype.JobStateRetryable && state != rivertype.JobStateAvailable {
		t.Fatalf("after the failure: %s", state)
	}

	r := b.Get(paths.StaffJobsState(string(state), 1))
	doc := parseHTML(t, r.Body)
	row := doc.Find("#tache-" + strconv.FormatInt(jobID, 10))
	text := squash(row.Text())
	if r.Status != http.StatusOK || !strings.Contains(text, "destinataire@example.fr") || !strings.Contains(text, "serveur SMTP injoignable") ||
		!strings.Contains(text, "1 sur 12") {
		t.Fatalf("retryable list: %d, row %q", r.Status, text)
	}
	if strings.Contains(r.Body, "LIEN-SECRET") {
		t.Error("the staff page shows the email's body")
	}

	// Cancel it: it moves to the cancelled list.
	if r := b.Post(paths.StaffJobCancel(jobID), url.Values{"etat": {string(state)}}); r.Status != http.StatusSeeOther || r.Location != paths.StaffJobsState(string(state), 1) {
		t.Fatalf("cancel: %d %q", r.Status, r.Location)
	}
	if r := b.Get(paths.StaffJobsState("cancelled", 1)); parseHTML(t, r.Body).Find("#tache-"+strconv.FormatInt(jobID, 10)).Length() != 1 {
		t.Fatal("the cancelled job is not in the cancelled list")
	}
	// Cancelling it again is refused (409), nothing journaled twice.
	if r := b.Post(paths.StaffJobCancel(jobID), url.Values{"etat": {"cancelled"}}); r.Status != http.StatusConflict {
		t.Errorf("second cancel: %d", r.Status)
	}

	// The mail server is back; staff retry it; a worker sends it.
	mail.set(false)
	if r := b.Post(paths.StaffJobRetry(jobID), url.Values{"etat": {"cancelled"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("retry: %d %s", r.Status, r.Body)
	}
	events, _ = work(t, e)
	awaitJob(t, events, jobID, river.EventKindJobCompleted)
	if n := mail.count(mail.to); n != 1 {
		t.Errorf("delivered %d times, want 1", n)
	}
	if r := b.Get(paths.StaffJobsState("completed", 1)); parseHTML(t, r.Body).Find("#tache-"+strconv.FormatInt(jobID, 10)).Length() != 1 {
		t.Error("the sent job is not in the completed list")
	}

	var actions []string
	if err := e.App.DB.NewRaw("SELECT action FROM journal WHERE aidant_id = ? AND action LIKE 'staff_%_job' ORDER BY id", staff.Aidant.ID).Scan(ctx, &actions); err != nil {
		t.Fatal(err)
	}
	if strings.Join(actions, ",") != store.ActionStaffCancelJob+","+store.ActionStaffRetryJob {
		t.Errorf("journal: %v", actions)
	}
	// An unknown job is 404.
	if r := b.Post(paths.StaffJobRetry(jobID+1000), url.Values{}); r.Status != http.StatusNotFound {
		t.Errorf("unknown job: %d", r.Status)
	}
}
