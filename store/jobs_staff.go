package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"
)

// Journal actions of the staff's job queue page.
const (
	ActionStaffRetryJob  = "staff_retry_job"
	ActionStaffCancelJob = "staff_cancel_job"
)

// JobQueue is what the staff's page does to River's jobs, in the store's transaction
// (River's client is one: JobRetryTx and JobCancelTx on the bun transaction's *sql.Tx).
type JobQueue interface {
	JobRetryTx(ctx context.Context, tx *sql.Tx, id int64) (*rivertype.JobRow, error)
	JobCancelTx(ctx context.Context, tx *sql.Tx, id int64) (*rivertype.JobRow, error)
}

// SetJobQueue gives the store River's client for the staff's retry and cancel (always set,
// unlike SetJobs: dev and sandbox have a queue too). Set it before the store serves.
func (s *Store) SetJobQueue(q JobQueue) { s.hooks.queue = q }

// JobStates are the states the staff's page lists, in its order.
func JobStates() []rivertype.JobState {
	return []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateRunning, rivertype.JobStateRetryable,
		rivertype.JobStateDiscarded, rivertype.JobStateCancelled, rivertype.JobStateCompleted}
}

// ParseJobState reads a state of JobStates; anything else is retryable (what staff look for first).
func ParseJobState(s string) rivertype.JobState {
	for _, st := range JobStates() {
		if string(st) == s {
			return st
		}
	}
	return rivertype.JobStateRetryable
}

// Retryable: the staff may run the job again now (it failed, or was given up or cancelled).
func Retryable(st rivertype.JobState) bool {
	return slices.Contains([]rivertype.JobState{rivertype.JobStateRetryable, rivertype.JobStateDiscarded, rivertype.JobStateCancelled}, st)
}

// Cancellable: the staff may stop the job before it runs (again).
func Cancellable(st rivertype.JobState) bool {
	return slices.Contains([]rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateRetryable, rivertype.JobStateScheduled}, st)
}

// JobsPerPage is the size of a page of the staff's job list.
const JobsPerPage = 25

// maxJobError bounds the error shown for a job.
const maxJobError = 300

// JobRow is a job as staff see it: never its arguments, only, for an email's delivery, the
// recipient's address (never the message, which may hold a login link).
type JobRow struct {
	ID          int64              `bun:"id"`
	Kind        string             `bun:"kind"`
	State       rivertype.JobState `bun:"state"`
	Attempt     int                `bun:"attempt"`
	MaxAttempts int                `bun:"max_attempts"`
	CreatedAt   time.Time          `bun:"created_at"`
	ScheduledAt time.Time          `bun:"scheduled_at"`
	FinalizedAt *time.Time         `bun:"finalized_at"`
	Errors      json.RawMessage    `bun:"errors,type:jsonb"`
	Recipient   string             `bun:"recipient"` // deliver_email's to_address, while the outbox keeps it
	Subject     string             `bun:"subject"`
}

// LastError is the last attempt's error, on one line and bounded ("" when none).
func (j JobRow) LastError() string {
	var errs []struct {
		Error string `json:"error"`
	}
	if len(j.Errors) == 0 || json.Unmarshal(j.Errors, &errs) != nil || len(errs) == 0 {
		return ""
	}
	return sanitiseJobError(errs[len(errs)-1].Error)
}

// sanitiseJobError keeps an error's text on one line, printable, and at most maxJobError runes.
func sanitiseJobError(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }), " ")
	if r := []rune(s); len(r) > maxJobError {
		s = string(r[:maxJobError]) + "…"
	}
	return s
}

// JobList is one page of one state's jobs, with the count of every state.
type JobList struct {
	State  rivertype.JobState
	Counts map[rivertype.JobState]int
	Rows   []JobRow
	Page   int // from 1, clamped
	Pages  int // at least 1
}

// ListJobs returns a page of the jobs in that state, newest first, with the counts by state.
func (s *Store) ListJobs(ctx context.Context, state rivertype.JobState, page int) (*JobList, error) {
	l := &JobList{State: state, Counts: map[rivertype.JobState]int{}}
	var counts []struct {
		State rivertype.JobState `bun:"state"`
		N     int                `bun:"n"`
	}
	if err := s.db.NewRaw("SELECT state::text AS state, count(*) AS n FROM river_job GROUP BY 1").Scan(ctx, &counts); err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	for _, c := range counts {
		l.Counts[c.State] = c.N
	}
	l.Pages = max(1, (l.Counts[state]+JobsPerPage-1)/JobsPerPage)
	l.Page = min(max(1, page), l.Pages)
	err := s.db.NewRaw(`SELECT j.id, j.kind, j.state::text AS state, j.attempt, j.max_attempts, j.created_at, j.scheduled_at,
		j.finalized_at, to_jsonb(j.errors) AS errors, coalesce(e.to_address, '') AS recipient, coalesce(e.subject, '') AS subject
		FROM river_job AS j
		LEFT JOIN emails AS e ON j.kind = ? AND e.id = (j.args->>'email_id')::bigint
		WHERE j.state = ?::river_job_state
		ORDER BY j.id DESC LIMIT ? OFFSET ?`, DeliverEmailArgs{}.Kind(), string(state), JobsPerPage, (l.Page-1)*JobsPerPage).Scan(ctx, &l.Rows)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return l, nil
}

// RetryJob runs a failed, discarded or cancelled job again now, journaled with the staff
// account as actor in the same transaction. Unknown: ErrNotFound; in another state:
// ErrUnavailable.
func (s *Store) RetryJob(ctx context.Context, staffID, id int64) error {
	return s.staffJob(ctx, staffID, id, Retryable, ActionStaffRetryJob, JobQueue.JobRetryTx)
}

// CancelJob cancels a job waiting to run (or to be retried), journaled like RetryJob.
func (s *Store) CancelJob(ctx context.Context, staffID, id int64) error {
	return s.staffJob(ctx, staffID, id, Cancellable, ActionStaffCancelJob, JobQueue.JobCancelTx)
}

func (s *Store) staffJob(ctx context.Context, staffID, id int64, allowed func(rivertype.JobState) bool, action string,
	do func(JobQueue, context.Context, *sql.Tx, int64) (*rivertype.JobRow, error)) error {
	return s.InTx(ctx, func(tx *Store) error {
		var job struct {
			Kind  string             `bun:"kind"`
			State rivertype.JobState `bun:"state"`
		}
		if err := tx.db.NewRaw("SELECT kind, state::text AS state FROM river_job WHERE id = ? FOR UPDATE", id).Scan(ctx, &job); err != nil {
			return notFound(err, "find job")
		}
		if !allowed(job.State) {
			return ErrUnavailable
		}
		btx, ok := tx.db.(bun.Tx)
		if !ok || tx.hooks.queue == nil {
			return fmt.Errorf("job %d: no queue in this transaction", id)
		}
		if _, err := do(tx.hooks.queue, ctx, btx.Tx, id); err != nil {
			return fmt.Errorf("%s %d: %w", action, id, err)
		}
		return tx.appendJournal(ctx, &JournalEntry{Action: action, AidantID: &staffID,
			Info: fmt.Sprintf("tâche #%d (%s, %s)", id, job.Kind, job.State)})
	})
}
