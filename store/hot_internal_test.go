package store

import (
	"slices"
	"testing"
)

func TestHotSQL(t *testing.T) {
	for _, c := range []struct {
		bun, sql string
		args     []int
	}{
		{"SELECT ? WHERE x = ?", "SELECT $1 WHERE x = $2", []int{0, 1}},
		{"a = ?2 AND b = ?0 AND c = ?2", "a = $1 AND b = $2 AND c = $1", []int{2, 0}},
		// An argument never referenced is not sent (PostgreSQL could not type it).
		{"a = ?0 AND c = ?3", "a = $1 AND c = $2", []int{0, 3}},
		{"a = '?' AND b = ?1", "a = '?' AND b = $1", []int{1}},
		{"a = ?10", "a = $1", []int{10}},
	} {
		h := hotSQL(c.bun)
		if h.sql != c.sql || !slices.Equal(h.args, c.args) {
			t.Errorf("hotSQL(%q) = %q %v, want %q %v", c.bun, h.sql, h.args, c.sql, c.args)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a named placeholder was accepted")
		}
	}()
	hotSQL("SELECT ?TableName")
}
