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
