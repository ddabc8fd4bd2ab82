// Package stats renders the public statistics: the figures, two charts drawn as SVG on the
// server (no script), the same data as tables, and the CSV download.
package stats

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"

	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/ui"
)

// PageData is the statistics page. Stats is nil until the first recount.
type PageData struct {
	Stats *store.PublicStats
	Loc   *time.Location
}

// Indicator is one monthly column: its label and how to read it.
type Indicator struct {
	Key   string // the CSV's name
	Label string
	Of    func(store.PublicCounts) store.Figure
}

// Indicators are the monthly columns, in table order.
func Indicators() []Indicator {
	return []Indicator{
		{"demarches_realisees", "Démarches réalisées", func(c store.PublicCounts) store.Figure { return c.Demarches }},
		{"personnes_accompagnees", "Personnes accompagnées", func(c store.PublicCounts) store.Figure { return c.Personnes }},
		{"mandats_crees", "Mandats créés", func(c store.PublicCounts) store.Figure { return c.Mandats }},
		{"mandats_en_vigueur", "Mandats en vigueur (fin de mois)", func(c store.PublicCounts) store.Figure { return c.EnVigueur }},
		{"aidants_habilites", "Nouveaux aidants habilités", func(c store.PublicCounts) store.Figure { return c.Aidants }},
		{"structures_habilitees", "Nouvelles structures habilitées", func(c store.PublicCounts) store.Figure { return c.Structures }},
	}
}

var monthNames = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// MonthLabel is "mars 2026".
func MonthLabel(t time.Time) string { return monthNames[t.Month()-1] + " " + strconv.Itoa(t.Year()) }

var shortMonths = [...]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}

// shortMonth is "mars", or "janv. 27" for the first bar and each January, under a bar.
func shortMonth(t time.Time, first bool) string {
	name := shortMonths[t.Month()-1]
	if first || t.Month() == time.January {
		name += " " + strconv.Itoa(t.Year()%100)
	}
	return name
}

// UpdatedText is "Chiffres du mardi 24 novembre 2026 à 14h05, recalculés toutes les heures."
func (d PageData) UpdatedText() string {
	return "Chiffres du " + ui.LongDateTime(d.Stats.ComputedAt.In(d.Loc)) + ", recalculés toutes les heures."
}

// RuleText is the small-count rule, as the page states it.
func RuleText() string {
	return "Pour qu'aucun chiffre ne désigne une personne ou une petite structure, les nombres de 1 à " + strconv.Itoa(store.StatsMinCount-1) +
		" sont remplacés par « moins de " + strconv.Itoa(store.StatsMinCount) + " ». Quand un seul nombre d'une série serait masqué, le plus petit des autres l'est aussi : il ne peut pas se déduire du total."
}

// Bar is one bar of a chart, in the SVG's coordinates.
type Bar struct {
	X, Y, W, H  string
	LabelX      string // the category's label, under (or beside) the bar
	LabelY      string
	Label       string
	ValueX      string // the figure, above (or after) the bar
	ValueY      string
	Value       string
	ValueAnchor string
	LabelAnchor string
	Hidden      bool
}

// Chart is a bar chart ready to draw: the viewBox, the bars, the axis.
type Chart struct {
	ID                             string // the element id prefix of its title and description
	Title, Desc                    string
	Width, Height                  string
	AxisX1, AxisY1, AxisX2, AxisY2 string
	Bars                           []Bar
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// MonthlyChart draws one indicator over the months as vertical bars. A hidden figure has no
// bar and says "< 11" where its value would be.
func MonthlyChart(id, title string, months []store.PublicMonth, of func(store.PublicCounts) store.Figure) Chart {
	const w, h, top, bottom, left, gap = 720.0, 300.0, 28.0, 40.0, 8.0, 10.0
	c := Chart{ID: id, Title: title, Width: f1(w), Height: f1(h), AxisX1: f1(left), AxisY1: f1(h - bottom), AxisX2: f1(w - left), AxisY2: f1(h - bottom)}
	c.Desc = title + ", par mois : le tableau qui suit donne les mêmes chiffres."
	var peak int64
	for _, m := range months {
		peak = max(peak, of(m.PublicCounts).N)
	}
	slot := (w - 2*left) / float64(max(1, len(months)))
	for i, m := range months {
		fig := of(m.PublicCounts)
		height := 0.0
		if peak > 0 {
			height = float64(fig.N) / float64(peak) * (h - top - bottom)
		}
		x := left + float64(i)*slot + gap/2
		value := fig.String()
		if fig.Hidden {
			value = "< " + strconv.Itoa(store.StatsMinCount)
		}
		c.Bars = append(c.Bars, Bar{X: f1(x), Y: f1(h - bottom - height), W: f1(slot - gap), H: f1(height),
			LabelX: f1(x + (slot-gap)/2), LabelY: f1(h - bottom + 18), Label: shortMonth(m.Month, i == 0), LabelAnchor: "middle",
			ValueX: f1(x + (slot-gap)/2), ValueY: f1(h - bottom - height - 6), Value: value, ValueAnchor: "middle", Hidden: fig.Hidden})
	}
	return c
}

// DemarchesChart draws each démarche's count over the months as horizontal bars.
func DemarchesChart(id, title string, ds []store.PublicDemarche) Chart {
	const w, rowH, left, right, top = 720.0, 30.0, 170.0, 90.0, 8.0
	h := top*2 + rowH*float64(len(ds))
	c := Chart{ID: id, Title: title, Width: f1(w), Height: f1(h), AxisX1: f1(left), AxisY1: f1(top), AxisX2: f1(left), AxisY2: f1(h - top)}
	c.Desc = title + " : le tableau qui suit donne les mêmes chiffres."
	var peak int64
	for _, d := range ds {
		peak = max(peak, d.Year.N)
	}
	for i, d := range ds {
		length := 0.0
		if peak > 0 {
			length = float64(d.Year.N) / float64(peak) * (w - left - right)
		}
		y := top + float64(i)*rowH + 5
		value := d.Year.String()
		if d.Year.Hidden {
			value = "< " + strconv.Itoa(store.StatsMinCount)
		}
		c.Bars = append(c.Bars, Bar{X: f1(left), Y: f1(y), W: f1(length), H: f1(rowH - 10),
			LabelX: f1(left - 8), LabelY: f1(y + (rowH-10)/2 + 5), Label: d.Demarche.ShortTitle, LabelAnchor: "end",
			ValueX: f1(left + length + 6), ValueY: f1(y + (rowH-10)/2 + 5), Value: value, ValueAnchor: "start", Hidden: d.Year.Hidden})
	}
	return c
}

// WriteCSV writes the published figures in long form: one line per indicator, period and
// démarche (periods "2026-03", "12_derniers_mois", "total"; "<11" for a hidden figure).
func WriteCSV(w io.Writer, st *store.PublicStats) error {
	cw := csv.NewWriter(w)
	rows := [][]string{{"indicateur", "periode", "demarche", "valeur"}}
	for _, ind := range Indicators() {
		for _, m := range st.Months {
			rows = append(rows, []string{ind.Key, m.Month.Format("2006-01"), "", ind.Of(m.PublicCounts).CSV()})
		}
	}
	for _, t := range totals(st) {
		rows = append(rows, []string{t.key, "total", "", t.fig.CSV()})
	}
	for _, d := range st.Demarches {
		rows = append(rows, []string{"demarches_realisees", "12_derniers_mois", d.Demarche.Key, d.Year.CSV()},
			[]string{"demarches_realisees", "total", d.Demarche.Key, d.Total.CSV()})
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

type total struct {
	key, label, hint string
	fig              store.Figure
}

// totals are the headline figures.
func totals(st *store.PublicStats) []total {
	t := st.Totals
	return []total{
		{"demarches_realisees", "Démarches réalisées", "depuis l'ouverture du service", t.Demarches},
		{"personnes_accompagnees", "Personnes accompagnées", "pour qui au moins une démarche a été réalisée", t.Personnes},
		{"mandats_crees", "Mandats créés", "depuis l'ouverture du service", t.Mandats},
		{"mandats_en_vigueur", "Mandats en vigueur", "aujourd'hui", t.EnVigueur},
		{"aidants_habilites", "Aidants habilités", "aujourd'hui", t.Aidants},
		{"structures_habilitees", "Structures habilitées", "aujourd'hui", t.Structures},
	}
}
