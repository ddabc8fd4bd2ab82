package main

import (
	"log/slog"
	"runtime/debug"
	"testing"
)

// TestDefaultMemoryLimit: serve sets a soft memory limit of 64 MiB, unless GOMEMLIMIT is set.
func TestDefaultMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	log := slog.New(slog.DiscardHandler)

	debug.SetMemoryLimit(1 << 40)
	setDefaultMemoryLimit(func(string) string { return "" }, log)
	if got := debug.SetMemoryLimit(-1); got != defaultMemoryLimit {
		t.Errorf("without GOMEMLIMIT: limit %d, want %d", got, defaultMemoryLimit)
	}

	debug.SetMemoryLimit(1 << 40)
	setDefaultMemoryLimit(func(k string) string {
		if k == "GOMEMLIMIT" {
			return "200MiB"
		}
		return ""
	}, log)
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("with GOMEMLIMIT set: limit changed to %d", got)
	}
}
