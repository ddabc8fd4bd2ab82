package ui

import (
	"testing"
	"time"
)

// TestFrenchDatesOnChosenCalendarDays is about particular days: the first of a month, a leap
// day, a date given in UTC, a minute before midnight.
func TestFrenchDatesOnChosenCalendarDays(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		t               time.Time
		short, date, dt string
	}{
		{time.Date(2026, 11, 24, 14, 5, 0, 0, paris), "24/11/2026", "mardi 24 novembre 2026", "mardi 24 novembre 2026 à 14h05"},
		{time.Date(2026, 12, 1, 0, 0, 0, 0, paris), "01/12/2026", "mardi 1er décembre 2026", "mardi 1er décembre 2026 à 00h00"},
		{time.Date(2027, 2, 14, 23, 59, 0, 0, paris), "14/02/2027", "dimanche 14 février 2027", "dimanche 14 février 2027 à 23h59"},
		{time.Date(2027, 8, 15, 9, 0, 0, 0, time.UTC), "15/08/2027", "dimanche 15 août 2027", "dimanche 15 août 2027 à 09h00"},
		{time.Date(2028, 2, 29, 12, 0, 0, 0, paris), "29/02/2028", "mardi 29 février 2028", "mardi 29 février 2028 à 12h00"},
	} {
		if got := Date(tc.t); got != tc.short {
			t.Errorf("Date(%v) = %q, want %q", tc.t, got, tc.short)
		}
		if got := weekdays[tc.t.Weekday()] + " " + DayMonthYear(tc.t); got != tc.date {
			t.Errorf("DayMonthYear(%v) = %q, want the end of %q", tc.t, got, tc.date)
		}
		if got := LongDate(tc.t); got != tc.date {
			t.Errorf("LongDate(%v) = %q, want %q", tc.t, got, tc.date)
		}
		if got := LongDateTime(tc.t); got != tc.dt {
			t.Errorf("LongDateTime(%v) = %q, want %q", tc.t, got, tc.dt)
		}
	}
}
