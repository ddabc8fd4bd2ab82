package main

import (
	"log/slog"
	"runtime/debug"
)

// defaultMemoryLimit is the soft memory limit `ac serve` gives the Go runtime when GOMEMLIMIT
// is not set (issue 15: RSS ≤ 100 MB under 200 logged-in aidants). The RSS is the binary's
// pages (≈ 28 MB) plus the memory the runtime holds; with GOGC=100 alone the heap grows to
// twice the live heap before a collection and freed pages go back to the system slowly. Under
// the limit the collector runs earlier and the scavenger returns pages sooner, so the
// runtime's memory stays near 64 MiB while the live heap is well below it (20 MB measured
// with 200 aidants: BENCHMARKS.md). It is soft: past it the runtime collects more often (at
// most about half the CPU goes to it) and never fails an allocation. GOMEMLIMIT overrides it
// (GOMEMLIMIT=off for none).
const defaultMemoryLimit = 64 << 20

// setDefaultMemoryLimit sets defaultMemoryLimit unless GOMEMLIMIT chose one (the runtime
// read it at start-up).
func setDefaultMemoryLimit(getenv func(string) string, log *slog.Logger) {
	if getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
	log.Debug("soft memory limit", "bytes", defaultMemoryLimit)
}
