package store_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/store/storetest"
)

var seed20 = []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}

const (
	hex20    = "0102030405060708090a0b0c0d0e0f1011121314"
	base3220 = "AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYU"
)

func TestParseCartesCSV(t *testing.T) {
	t.Parallel()
	type line struct {
		serial, encoding, problem string // problem: a part of the message
	}
	for _, tc := range []struct {
		name string
		csv  string
		ok   bool
		want []line
	}{
		{"hex", "AC0001," + hex20 + "\n", true, []line{{"AC0001", "hexadécimal", ""}}},
		{"hex in capitals, spaced", "ac 0001,  " + strings.ToUpper(hex20[:20]) + " " + hex20[20:], true, []line{{"AC0001", "hexadécimal", ""}}},
		{"base32", "AC0002," + base3220, true, []line{{"AC0002", "base32", ""}}},
		{"base32 lower case with padding", "AC0002," + strings.ToLower(base3220) + "====", true, []line{{"AC0002", "base32", ""}}},
		{"header, semicolons, blank lines, BOM", "\ufeffnuméro de série;graine\n\nAC1;" + hex20 + "\r\nAC2;" + base3220 + "\n\n", true,
			[]line{{"AC1", "hexadécimal", ""}, {"AC2", "base32", ""}}},
		{"one column", "AC1\n", false, []line{{"", "", "deux colonnes"}}},
		{"three columns", "AC1," + hex20 + ",x\n", false, []line{{"", "", "deux colonnes"}}},
		{"no serial", "," + hex20, false, []line{{"", "", "numéro de série manque"}}},
		{"bad serial", "AC 1/2," + hex20, false, []line{{"AC1/2", "", "lettres, des chiffres"}}},
		{"no seed", "AC1,", false, []line{{"AC1", "", "graine manque"}}},
		{"neither hex nor base32", "AC1,zz!!", false, []line{{"AC1", "", "ni en hexadécimal ni en base32"}}},
		{"odd hex read as base32 fails", "AC1,0102030", false, []line{{"AC1", "", "ni en hexadécimal ni en base32"}}},
		{"seed too short", "AC1,0102030405", false, []line{{"AC1", "", "5 octets"}}},
		{"duplicate in the file", "AC1," + hex20 + "\nac1," + base3220, false, []line{{"AC1", "hexadécimal", ""}, {"AC1", "", "déjà à la ligne 1"}}},
		{"one bad line among good", "AC1," + hex20 + "\nAC2,xyz!\nAC3," + base3220, false,
			[]line{{"AC1", "hexadécimal", ""}, {"AC2", "", "ni en hexadécimal"}, {"AC3", "base32", ""}}},
		{"empty", "\n\n", false, nil},
		{"header only", "serial,seed\n", false, nil},
		{"unclosed quote", "\"AC1," + hex20, false, []line{{"", "", "pas lisible"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := store.ParseCartesCSV(tc.csv)
			if ok != tc.ok || len(got) != len(tc.want) {
				t.Fatalf("ok %v, %d lines %+v; want %v, %d", ok, len(got), got, tc.ok, len(tc.want))
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Serial != w.serial || g.Encoding != w.encoding || (w.problem == "") != (g.Problem == "") || !strings.Contains(g.Problem, w.problem) {
					t.Errorf("line %d: %+v, want %+v", i, g, w)
				}
				if w.problem == "" && !bytes.Equal(g.Seed, seed20) {
					t.Errorf("line %d: seed %x", i, g.Seed)
				}
				if w.problem != "" && g.Seed != nil {
					t.Errorf("line %d: a refused line keeps its seed", i)
				}
			}
		})
	}
}

// Nothing is imported while any line is refused; a serial already in stock refuses its line.
func TestImportCartes(t *testing.T) {
	t.Parallel()
	sealer, err := store.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	clock := storetest.NewClock(t)
	db := storetest.New(t)
	st := store.New(db, clock.Now, sealer)
	ctx := context.Background()
	staff, err := st.CreateStaff(ctx, store.StaffInput{Email: "equipe@beta.gouv.fr", FirstName: "Sam", LastName: "Équipe", Secret: seed20, Step: 30})
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n, err := db.NewSelect().Table("cartes_totp").Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	lines, ok := store.ParseCartesCSV("AC1," + hex20 + "\nAC2,zz!\n")
	if ok {
		t.Fatal("a bad line parsed ok")
	}
	if err := st.ImportCartes(ctx, staff.ID, lines); !errors.Is(err, store.ErrCartesRefused) || count() != 0 {
		t.Fatalf("bad lines: %v, %d cartes", err, count())
	}
	lines, _ = store.ParseCartesCSV("AC1," + hex20 + "\nAC2," + base3220 + "\n")
	if err := st.ImportCartes(ctx, staff.ID, lines); err != nil || count() != 2 {
		t.Fatalf("import: %v, %d cartes", err, count())
	}
	lines, _ = store.ParseCartesCSV("AC3," + hex20 + "\nAC2," + hex20 + "\n")
	err = st.ImportCartes(ctx, staff.ID, lines)
	if !errors.Is(err, store.ErrCartesRefused) || count() != 2 || lines[0].Problem != "" || lines[1].Problem != "Cette carte est déjà dans le stock." {
		t.Fatalf("duplicate of the stock: %v, %d cartes, %+v", err, count(), lines)
	}
	var js []store.JournalEntry
	if err := db.NewSelect().Model(&js).Where("action = ?", store.ActionImportTOTPCards).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(js) != 1 || *js[0].AidantID != staff.ID || js[0].Info != "2 cartes, de AC1 à AC2" {
		t.Errorf("journal %+v", js)
	}
}
