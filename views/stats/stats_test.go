package stats

import (
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/store"
)

func TestChartsDrawNoHiddenValue(t *testing.T) {
	t.Parallel()
	months := make([]store.StatsMonth, store.StatsMonths)
	for i := range months {
		months[i].Month = time.Date(2026, time.Month(1+i), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
		months[i].Demarches = int64(100 * (i + 1))
	}
	months[2].Demarches = 4 // hidden, and so is January (100), the smallest other
	p := store.Stats{Months: months, Demarches: []store.StatsDemarche{{Key: "papiers", Year: 50}, {Key: "famille", Year: 25}}}.Publish()
	c := MonthlyChart("g", "Démarches réalisées", p.Months, Indicators()[0].Of)
	if len(c.Bars) != store.StatsMonths {
		t.Fatalf("%d bars", len(c.Bars))
	}
	for _, i := range []int{0, 2} {
		if b := c.Bars[i]; !b.Hidden || b.H != "0.0" || b.Value != "< 11" {
			t.Errorf("hidden bar %d: %+v", i, b)
		}
	}
	if b := c.Bars[11]; b.H != "232.0" || b.Value != "1\u202f200" || b.Label != "déc." {
		t.Errorf("the tallest bar: %+v", b)
	}
	if c.Bars[0].Label != "janv. 26" || c.Bars[1].Label != "févr." {
		t.Errorf("labels: %q %q", c.Bars[0].Label, c.Bars[1].Label)
	}
	d := DemarchesChart("d", "Par domaine", p.Demarches)
	if d.Bars[0].W != "460.0" || d.Bars[1].W != "230.0" || d.Bars[0].Label != "Papiers" {
		t.Errorf("démarche bars: %+v", d.Bars)
	}

	var b strings.Builder
	if err := WriteCSV(&b, &p); err != nil {
		t.Fatal(err)
	}
	csv := b.String()
	for _, want := range []string{"indicateur,periode,demarche,valeur\n", "demarches_realisees,2026-03,,<11\n", "demarches_realisees,2026-12,,1200\n",
		"demarches_realisees,12_derniers_mois,famille,25\n"} {
		if !strings.Contains(csv, want) {
			t.Errorf("CSV lacks %q", want)
		}
	}
}
