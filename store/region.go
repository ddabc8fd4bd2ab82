package store

// Region is a French région, with the départements it groups (INSEE codes, 2016 map).
type Region struct {
	Code         string // the INSEE code of the région
	Name         string
	Departements []string
}

// regions is the whole static table: 13 régions of metropolitan France and the 5 overseas
// ones, 101 départements (Departement gives a request's).
var regions = []Region{
	{"84", "Auvergne-Rhône-Alpes", []string{"01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"}},
	{"27", "Bourgogne-Franche-Comté", []string{"21", "25", "39", "58", "70", "71", "89", "90"}},
	{"53", "Bretagne", []string{"22", "29", "35", "56"}},
	{"24", "Centre-Val de Loire", []string{"18", "28", "36", "37", "41", "45"}},
	{"94", "Corse", []string{"2A", "2B"}},
	{"44", "Grand Est", []string{"08", "10", "51", "52", "54", "55", "57", "67", "68", "88"}},
	{"32", "Hauts-de-France", []string{"02", "59", "60", "62", "80"}},
	{"11", "Île-de-France", []string{"75", "77", "78", "91", "92", "93", "94", "95"}},
	{"28", "Normandie", []string{"14", "27", "50", "61", "76"}},
	{"75", "Nouvelle-Aquitaine", []string{"16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"}},
	{"76", "Occitanie", []string{"09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"}},
	{"52", "Pays de la Loire", []string{"44", "49", "53", "72", "85"}},
	{"93", "Provence-Alpes-Côte d'Azur", []string{"04", "05", "06", "13", "83", "84"}},
	{"01", "Guadeloupe", []string{"971"}},
	{"02", "Martinique", []string{"972"}},
	{"03", "Guyane", []string{"973"}},
	{"04", "La Réunion", []string{"974"}},
	{"06", "Mayotte", []string{"976"}},
}

// Regions are every région, in the table's order (alphabetical, then overseas).
func Regions() []Region { return regions }

// RegionByCode is the région of that INSEE code.
func RegionByCode(code string) (Region, bool) {
	for _, r := range regions {
		if r.Code == code {
			return r, true
		}
	}
	return Region{}, false
}

// RegionOf is the région of a département (as Departement gives it); none for an unknown one.
func RegionOf(departement string) (Region, bool) {
	for _, r := range regions {
		for _, d := range r.Departements {
			if d == departement {
				return r, true
			}
		}
	}
	return Region{}, false
}
