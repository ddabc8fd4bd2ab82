package ui

import (
	"strconv"
	"time"
)

// Dates are written the French way, without depending on the machine's locale. Each function
// formats t as it is: the caller puts it in Europe/Paris first (birth dates, which have no
// time, are left as they are).

var (
	weekdays = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	months   = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
)

// Date is "24/11/2026", for tables and lists.
func Date(t time.Time) string { return t.Format("02/01/2006") }

// DayMonthYear is "24 novembre 2026" ("1er" on the first of the month), for birth dates.
func DayMonthYear(t time.Time) string {
	day := strconv.Itoa(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return day + " " + months[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// LongDate is "mardi 24 novembre 2026", for documents.
func LongDate(t time.Time) string { return weekdays[t.Weekday()] + " " + DayMonthYear(t) }

// LongDateTime is "mardi 24 novembre 2026 à 14h05".
func LongDateTime(t time.Time) string { return LongDate(t) + " à " + t.Format("15h04") }

// DaysLeft counts the calendar days from now to end, both read in loc: a mandat of 182 days
// has 182 left on the day it is signed, 1 on the day before its end, 0 on its last day. It is
// 0 once end has passed. Whole dates are compared, so a day of 23 or 25 hours (daylight saving
// time) counts as one.
func DaysLeft(now, end time.Time, loc *time.Location) int {
	if !end.After(now) {
		return 0
	}
	day := func(t time.Time) time.Time {
		t = t.In(loc)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	return int(day(end).Sub(day(now)).Hours() / 24)
}

// Remaining is DaysLeft in words: « moins d'un jour » on the last day, never « 0 jours ».
func Remaining(now, end time.Time, loc *time.Location) string {
	switch n := DaysLeft(now, end, loc); n {
	case 0:
		return "moins d'un jour"
	case 1:
		return "1 jour"
	default:
		return strconv.Itoa(n) + " jours"
	}
}
