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

// TestDaysLeftOnChosenCalendarDays: a 182-day mandat signed on 1 December 2026 at 14h05 has
// 182 days left that day, 1 on the day before its end, « moins d'un jour » on its last day,
// and across the last Sunday of March (23 hours) a day is still one day.
func TestDaysLeftOnChosenCalendarDays(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	signed := time.Date(2026, 12, 1, 14, 5, 0, 0, paris)
	end := signed.AddDate(0, 0, 182) // Tuesday 1 June 2027, 14h05 (summer time)
	for _, tc := range []struct {
		now  time.Time
		want string
	}{
		{signed, "182 jours"},
		{signed.Add(time.Minute), "182 jours"},
		{time.Date(2026, 12, 1, 23, 59, 0, 0, paris), "182 jours"},
		{time.Date(2026, 12, 2, 0, 0, 0, 0, paris), "181 jours"},
		{time.Date(2027, 3, 28, 1, 0, 0, 0, paris), "65 jours"},
		{time.Date(2027, 3, 28, 23, 0, 0, 0, paris), "65 jours"},
		{time.Date(2027, 3, 29, 0, 30, 0, 0, paris), "64 jours"},
		{time.Date(2027, 5, 31, 23, 0, 0, 0, paris), "1 jour"},
		{time.Date(2027, 6, 1, 0, 0, 0, 0, paris), "moins d'un jour"},
		{time.Date(2027, 6, 1, 14, 4, 0, 0, paris), "moins d'un jour"},
	} {
		if got := Remaining(tc.now, end, paris); got != tc.want {
			t.Errorf("Remaining(%s) = %q, want %q", tc.now.Format(time.RFC3339), got, tc.want)
		}
	}
	if n := DaysLeft(end, end, paris); n != 0 {
		t.Errorf("DaysLeft at the end = %d", n)
	}
	if n := DaysLeft(end.Add(time.Hour), end, paris); n != 0 {
		t.Errorf("DaysLeft after the end = %d", n)
	}
}
