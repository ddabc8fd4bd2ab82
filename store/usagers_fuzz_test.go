package store_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/aidantsconnect/ac/store"
)

// FuzzSearchWords: the words of a query are pieces of it, in order, each valid UTF-8 with a
// letter, digit or literal character in it and no separator; splitting them again gives them
// back.
func FuzzSearchWords(f *testing.F) {
	for _, s := range []string{"dupont jean", "Jean-François", "N'Diaye, Maëlle", "50% _ d\\u ' - ’", "a\x00b", "a\xffb", "", "   ",
		"''--", "Du%ont", "ÇELIK œuvr", "a\u202eb", "\u00a0x\u2028y", "d’Almeida"} {
		f.Add(s)
	}
	joiners := "-'’ʼ‘`´‐‑"
	f.Fuzz(func(t *testing.T, q string) {
		words := store.SearchWords(q)
		rest := q
		for _, w := range words {
			i := strings.Index(rest, w)
			if w == "" || i < 0 {
				t.Fatalf("SearchWords(%q) = %q: %q is not the next piece of the query", q, words, w)
			}
			rest = rest[i+len(w):]
			if !utf8.ValidString(w) {
				t.Fatalf("SearchWords(%q): %q is not UTF-8", q, w)
			}
			if strings.Trim(w, joiners) == "" {
				t.Fatalf("SearchWords(%q): %q holds only hyphens and apostrophes", q, w)
			}
			for _, r := range w {
				if strings.ContainsRune(joiners, r) || r == '%' || r == '_' {
					continue
				}
				if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
					t.Fatalf("SearchWords(%q): %q holds the separator %U", q, w, r)
				}
			}
		}
		if again := store.SearchWords(strings.Join(words, " ")); strings.Join(again, "\x00") != strings.Join(words, "\x00") {
			t.Fatalf("SearchWords(%q) = %q, but the words joined give %q", q, words, again)
		}
	})
}
