package attestation

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzCP1252Safe: the PDF's text folding gives one cp1252 character for each character of the
// input, leaves text cp1252 already has alone, is idempotent, and fpdf's cp1252 table then
// encodes it in one byte each, with no "." placeholder of its own.
func FuzzCP1252Safe(f *testing.F) {
	for _, s := range []string{"Marie-Thérèse N’Diaye", "Nguyễn Văn Đức", "Œuvrard — « 24 août »", "a\u202fb\u2009c\u2011d", "Ærøskøbing Łódź",
		"名前", "a\u202eb\x01c", "\xff\xfe", "", "€ ‰ ™", "Ǆ ǅ ǆ", "ﬁ ﬀ"} {
		f.Add(s)
	}
	p := newPDF("fuzz", time.Unix(0, 0))
	f.Fuzz(func(t *testing.T, s string) {
		out := cp1252Safe(s)
		if n, m := utf8.RuneCountInString(s), utf8.RuneCountInString(out); n != m {
			t.Fatalf("cp1252Safe(%q) = %q: %d characters for %d", s, out, m, n)
		}
		for _, r := range out {
			if !inCP1252(r) {
				t.Fatalf("cp1252Safe(%q) = %q holds %U", s, out, r)
			}
		}
		if again := cp1252Safe(out); again != out {
			t.Fatalf("cp1252Safe(%q) = %q, then %q", s, out, again)
		}
		if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !inCP1252(r) }) < 0 && out != s {
			t.Fatalf("cp1252Safe(%q) = %q: changed text cp1252 has", s, out)
		}
		enc := p.cp(out)
		if len(enc) != utf8.RuneCountInString(out) || strings.Count(enc, ".") != strings.Count(out, ".") {
			t.Fatalf("fpdf encodes %q as %q", out, enc)
		}
	})
}
