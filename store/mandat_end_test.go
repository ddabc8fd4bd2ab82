package store_test

import (
	"testing"
	"time"

	"github.com/aidantsconnect/ac/store"
)

// TestMandatEndOnDaylightSavingCalendarDays: a mandat ends at the Paris wall-clock time it was
// signed at, N calendar days later, including across the last Sundays of March 2027 (a day of
// 23 hours) and October 2027 (25 hours).
func TestMandatEndOnDaylightSavingCalendarDays(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation(store.MandatTimeZone)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		signed time.Time
		days   int
		end    time.Time
		hours  float64 // the real time between the two, for the reader
	}{
		{"1 day over the last Sunday of March", time.Date(2027, 3, 27, 14, 5, 0, 0, paris), 1, time.Date(2027, 3, 28, 14, 5, 0, 0, paris), 23},
		{"1 day over the last Sunday of October", time.Date(2027, 10, 30, 14, 5, 0, 0, paris), 1, time.Date(2027, 10, 31, 14, 5, 0, 0, paris), 25},
		{"31 days over March", time.Date(2027, 3, 15, 9, 30, 0, 0, paris), 31, time.Date(2027, 4, 15, 9, 30, 0, 0, paris), 31*24 - 1},
		{"182 days over both", time.Date(2027, 3, 1, 23, 30, 0, 0, paris), 182, time.Date(2027, 8, 30, 23, 30, 0, 0, paris), 182*24 - 1},
		{"365 days, winter to winter", time.Date(2026, 12, 1, 14, 5, 0, 0, paris), 365, time.Date(2027, 12, 1, 14, 5, 0, 0, paris), 365 * 24},
		{"signed given in UTC", time.Date(2027, 10, 30, 12, 5, 0, 0, time.UTC), 1, time.Date(2027, 10, 31, 14, 5, 0, 0, paris), 25},
	} {
		got, err := store.MandatEnd(tc.signed, tc.days)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(tc.end) {
			t.Errorf("%s: ends %s, want %s", tc.name, got.In(paris), tc.end)
		}
		if h := got.Sub(tc.signed).Hours(); h != tc.hours {
			t.Errorf("%s: %v hours, want %v", tc.name, h, tc.hours)
		}
	}
}

// TestCreateMandatOnSaturday27March2027: a one-day mandat signed the day before summer time
// starts ends the next day at the same Paris time, 23 hours later, as recorded.
func TestCreateMandatOnSaturday27March2027(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	paris, _ := time.LoadLocation(store.MandatTimeZone)
	w.clock.Set(time.Date(2027, 3, 27, 14, 5, 0, 0, paris).UTC())
	m := w.mandat(t, w.aidant, "sub-dst", "SHORT", "papiers")
	got := w.get(t, w.org.ID, m.ID)
	if want := time.Date(2027, 3, 28, 14, 5, 0, 0, paris); !got.ExpiresAt.Equal(want) {
		t.Fatalf("ends %s, want %s", got.ExpiresAt.In(paris), want)
	}
}
