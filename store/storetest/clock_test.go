package storetest

import (
	"testing"
	"time"
)

// The clock starts at the real time, truncated to the minute, moved by AC_TEST_CLOCK_SHIFT;
// it moves only when told.
func TestClockStartsAtTheRealTime(t *testing.T) {
	for _, tc := range []struct {
		shift string
		by    time.Duration
	}{{"", 0}, {"8760h", 8760 * time.Hour}, {"-30m", -30 * time.Minute}} {
		t.Setenv(ClockShiftEnv, tc.shift)
		before := time.Now().UTC().Add(tc.by)
		c := NewClock(t)
		after := time.Now().UTC().Add(tc.by)
		start := c.Now()
		if start.Before(before.Truncate(time.Minute)) || start.After(after) || start.Truncate(time.Minute) != start {
			t.Errorf("shift %q: clock starts at %v, real time shifted is between %v and %v", tc.shift, start, before, after)
		}
		c.Advance(90 * time.Second)
		if got := c.Now().Sub(start); got != 90*time.Second {
			t.Errorf("shift %q: advanced by %v", tc.shift, got)
		}
		if off := c.Offset(); off < tc.by-2*time.Minute || off > tc.by+2*time.Minute {
			t.Errorf("shift %q: offset %v", tc.shift, off)
		}
	}
}
