package store

import "context"

// AppendJournal exposes appendJournal to the store_test package.
func (s *Store) AppendJournal(ctx context.Context, e *JournalEntry) error {
	return s.appendJournal(ctx, e)
}

// Canonical exposes the bytes a journal row's hash covers, for tests that recompute the chain
// as someone without the key would.
func (e *JournalEntry) Canonical() []byte { return e.canonical() }

// JournalMAC is a row's hash under the store's own key: what an insider holding the secret key
// would compute.
func (s *Store) JournalMAC(e *JournalEntry) []byte { return e.mac(s.journalKey()) }
