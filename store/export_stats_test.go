package store

import (
	"context"
	"encoding/json"
)

// RawStats exposes the stored figures before the small-count rule, for the tests that check
// them against counts made directly in SQL.
func (s *Store) RawStats(ctx context.Context) (*Stats, error) {
	row := new(statsRow)
	if err := s.db.NewSelect().Model(row).Where("id = 1").Scan(ctx); err != nil {
		return nil, notFound(err, "raw stats")
	}
	st := new(Stats)
	return st, json.Unmarshal(row.Figures, st)
}
