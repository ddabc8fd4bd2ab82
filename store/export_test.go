package store

import "context"

// AppendJournal exposes appendJournal to the store_test package.
func (s *Store) AppendJournal(ctx context.Context, e *JournalEntry) error {
	return s.appendJournal(ctx, e)
}

// Canonical exposes the bytes a journal row's hash covers, for tests that recompute the chain
// as someone without the key would.
func (e *JournalEntry) Canonical() []byte { return e.canonical() }
