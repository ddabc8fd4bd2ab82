package store

import "context"

// AppendJournal exposes appendJournal to the store_test package.
func (s *Store) AppendJournal(ctx context.Context, e *JournalEntry) error {
	return s.appendJournal(ctx, e)
}
