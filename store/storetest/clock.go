package storetest

import (
	"os"
	"sync"
	"testing"
	"time"
)

// ClockShiftEnv names an optional duration ("8760h") added to every test clock's start, to
// check that nothing in the suite depends on how far today is from a date written in a test.
const ClockShiftEnv = "AC_TEST_CLOCK_SHIFT"

// Clock is the tests' injected time: it starts at the real time (truncated to the minute,
// plus AC_TEST_CLOCK_SHIFT) and moves only when a test moves it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at the real time. A malformed AC_TEST_CLOCK_SHIFT fails the test: a
// silently ignored setting would prove nothing.
func NewClock(t testing.TB) *Clock {
	t.Helper()
	start := time.Now().UTC().Truncate(time.Minute)
	if v := os.Getenv(ClockShiftEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("%s=%q: %v", ClockShiftEnv, v, err)
		}
		start = start.Add(d)
	}
	return &Clock{t: start}
}

// Now is the clock's time, for store.New, app.Config.Now and the like.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward (or back, with a negative d).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Offset is how far the clock is from the wall clock: what a library that reads the wall
// clock (zitadel's token verifier) must be given to see the clock's time.
func (c *Clock) Offset() time.Duration { return c.Now().Sub(time.Now()) }
