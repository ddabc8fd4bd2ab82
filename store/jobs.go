package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"
)

// Jobs inserts background jobs (River) in the caller's transaction: a job that follows an
// action is committed with it or not at all.
type Jobs interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) error
}

// DeliverEmailArgs is the job that delivers one outbox message.
type DeliverEmailArgs struct {
	EmailID int64 `json:"email_id"`
}

// Kind is the job's stable name in the queue.
func (DeliverEmailArgs) Kind() string { return "deliver_email" }

// SetJobs makes QueueEmail enqueue a delivery job for each message (when mail is delivered:
// production, or a test's fake). Without it messages only wait in the outbox (dev and sandbox
// read them at /dev/emails/). Set it before the store serves: it is not synchronised.
func (s *Store) SetJobs(j Jobs) { s.hooks.jobs = j }

// enqueue inserts a job in the current transaction (InTx's).
func (s *Store) enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	tx, ok := s.db.(bun.Tx)
	if !ok {
		return fmt.Errorf("job %s: %w", args.Kind(), ErrJournalOutsideTx)
	}
	if err := s.hooks.jobs.InsertTx(ctx, tx.Tx, args, opts); err != nil {
		return fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// DeliverEmail sends one queued message with send and marks it delivered, its body wiped, in
// one transaction holding the row: two workers never both send it, and a message already
// delivered (or purged) is done. A send error leaves it queued for the job's next attempt.
func (s *Store) DeliverEmail(ctx context.Context, id int64, send func(Email) error) error {
	return s.InTx(ctx, func(tx *Store) error {
		es := []Email{}
		if err := tx.db.NewSelect().Model(&es).Where("id = ? AND sent_at IS NULL", id).For("UPDATE").Scan(ctx); err != nil {
			return fmt.Errorf("claim email %d: %w", id, err)
		}
		if len(es) == 0 {
			return nil
		}
		if err := tx.openEmails(es); err != nil {
			return err
		}
		if err := send(es[0]); err != nil {
			return fmt.Errorf("deliver email %d: %w", id, err)
		}
		_, err := tx.db.NewUpdate().Model((*Email)(nil)).Set("sent_at = ?, body_sealed = NULL", tx.Now()).Where("id = ?", id).Exec(ctx)
		return notFound(err, "mark email sent")
	})
}
