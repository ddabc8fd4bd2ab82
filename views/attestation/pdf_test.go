package attestation

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestPDF(t *testing.T) {
	t.Parallel()
	d := sample()
	d.UsagerName = "Zoë NGUYỄN"                                         // Ễ is not in cp1252: its base letter is
	d.OrganisationName = "Maison de l’Œuvre « Solidarité » – Beaugency" // all cp1252
	pdf, err := PDF(d)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.HasSuffix(bytes.TrimSpace(pdf), []byte("%%EOF")) {
		t.Fatalf("not a PDF: %.20q…", pdf)
	}
	again, err := PDF(d)
	if err != nil || !bytes.Equal(pdf, again) {
		t.Error("the same data gave different PDFs")
	}
	if bytes.Contains(pdf, []byte("/FontFile")) {
		t.Error("a font file is embedded: core fonts need none")
	}

	c := readPDF(t, pdf)
	for _, want := range []string{
		"Mandat pour réaliser des démarches en ligne avec le service « Aidants Connect »",
		"Je m'appelle Zoë NGUYÊN et je suis le mandant.",
		"J'autorise l'organisation Maison de l’Œuvre « Solidarité » – Beaugency, située 3 place du Martroi, 45190 Beaugency, à agir en tant que mandataire",
		"Ce mandat est donné pour une durée de 1 jour. Il prend fin le mercredi 25 novembre 2026 à 14h05, à l'heure de sa signature (heure de Paris).",
		"articles 1984 et suivants du Code civil",
		"je ne suis ni sous tutelle ni sous curatelle.",
		"Fait à Beaugency, le mardi 24 novembre 2026",
		"Le mandataire Maison de l’Œuvre « Solidarité » – Beaugency, représentée par Jean Martin",
		"Le mandant Zoë NGUYÊN",
		d.VerifyURL,
		d.AttestationHash,
	} {
		if !strings.Contains(c.text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	for _, dm := range d.Demarches {
		if !strings.Contains(c.text, dm.Title+" "+dm.Description) {
			t.Errorf("PDF lacks the démarche %q", dm.Title)
		}
	}
	for _, s := range clauses() {
		if !strings.Contains(c.text, s.Title) {
			t.Errorf("PDF lacks the section %q", s.Title)
		}
	}
	if c.pages < 1 {
		t.Fatal("no page")
	}
	for i := 1; i <= c.pages; i++ {
		if want := fmt.Sprintf("Page %d/%d", i, c.pages); !strings.Contains(c.text, want) {
			t.Errorf("PDF lacks the footer %q", want)
		}
	}
	if c.rects != 2 {
		t.Errorf("%d rectangles drawn, want the 2 signature boxes", c.rects)
	}
	if c.images != 1 {
		t.Errorf("%d images, want the QR code", c.images)
	}
}

func TestPDFWithoutVerification(t *testing.T) {
	t.Parallel()
	d := sample()
	d.VerifyURL, d.AttestationHash = "", ""
	pdf, err := PDF(d)
	if err != nil {
		t.Fatal(err)
	}
	c := readPDF(t, pdf)
	if c.images != 0 || strings.Contains(c.text, "Vérification") {
		t.Error("verification block without a URL nor a hash")
	}
}

func TestCP1252Safe(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"Élise D’Aubigné « œuvre » … – — €", "Élise D’Aubigné « œuvre » … – — €"},
		{"NGUYỄN Thị", "NGUYÊN Thi"},
		{"Łukasz Dąbrowski", "?ukasz Dabrowski"},
		{"10\u202F%\u2009!", "10\u00A0%\u00A0!"},
		{"Jean\u2011Pierre", "Jean-Pierre"},
		{"漢字", "??"},
	} {
		if got := cp1252Safe(tc.in); got != tc.want {
			t.Errorf("cp1252Safe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// pdfContent is what a reader of the PDF sees, recovered from fpdf's output.
type pdfContent struct {
	text          string // shown strings in drawing order, whitespace collapsed
	pages         int
	rects, images int
}

var (
	streamStart = regexp.MustCompile(`>>\nstream\n`)
	lengthKey   = regexp.MustCompile(`/Length (\d+)`)
	pageCount   = regexp.MustCompile(`/Type /Pages\n/Kids \[[^\]]*\]\n/Count (\d+)`)
)

// readPDF reads the PDF exactly as served (compressed), so no test-only switch makes the
// tested bytes differ from the downloaded ones. It understands only what fpdf writes for
// core fonts: FlateDecode streams whose text is "(…) Tj" strings in cp1252.
func readPDF(t *testing.T, pdf []byte) pdfContent {
	t.Helper()
	var c pdfContent
	var shown []string
	for _, loc := range streamStart.FindAllIndex(pdf, -1) {
		dict := pdf[bytes.LastIndex(pdf[:loc[0]], []byte("obj")):loc[0]]
		m := lengthKey.FindSubmatch(dict)
		if m == nil {
			t.Fatalf("stream without a direct /Length: %q", dict)
		}
		n, _ := strconv.Atoi(string(m[1]))
		data := pdf[loc[1] : loc[1]+n]
		if bytes.Contains(dict, []byte("/Subtype /Image")) {
			c.images++
			continue
		}
		if bytes.Contains(dict, []byte("/FlateDecode")) {
			r, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("inflate: %v", err)
			}
			if data, err = io.ReadAll(r); err != nil {
				t.Fatalf("inflate: %v", err)
			}
		}
		c.rects += bytes.Count(data, []byte(" re S"))
		shown = append(shown, shownStrings(data)...)
	}
	m := pageCount.FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no page tree")
	}
	c.pages, _ = strconv.Atoi(string(m[1]))
	c.text = strings.Join(strings.Fields(strings.Join(shown, " ")), " ")
	return c
}

// shownStrings are the string operands of Tj, unescaped and decoded from cp1252. Strings
// drawn on the same baseline (fpdf's Write splits a line at each font change) are joined
// as they are; a new baseline starts a new line, hence a space.
func shownStrings(content []byte) []string {
	var out []string
	y := ""
	for _, m := range tjString.FindAllSubmatch(content, -1) {
		s := fromCP1252(unescape(m[2]))
		if len(out) > 0 && string(m[1]) == y {
			out[len(out)-1] += s
		} else {
			out = append(out, s)
		}
		y = string(m[1])
	}
	return out
}

// tjString matches what fpdf writes for one string: "BT x y Td (…)Tj ET".
var tjString = regexp.MustCompile(`BT [\d.]+ ([\d.]+) Td \(((?:\\.|[^\\)])*)\) ?Tj ET`)

// unescape undoes fpdf's escaping of a PDF literal string: \\, \(, \) and \r.
func unescape(b []byte) []byte {
	var s []byte
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) {
			i++
			if b[i] == 'r' {
				s = append(s, '\r')
				continue
			}
		}
		s = append(s, b[i])
	}
	return s
}

func fromCP1252(b []byte) string {
	extra := make(map[byte]rune, len(cp1252Extra))
	for r, c := range cp1252Extra {
		extra[c] = r
	}
	var s strings.Builder
	for _, c := range b {
		if r, ok := extra[c]; ok {
			s.WriteRune(r)
		} else {
			s.WriteRune(rune(c)) // ASCII and Latin-1 are their own code points
		}
	}
	return s.String()
}

func TestRevocationPDF(t *testing.T) {
	t.Parallel()
	revokedAt := created().AddDate(0, 2, 8)
	for _, whole := range []bool{true, false} {
		d := RevocationData{UsagerName: "Marie DUPONT", OrganisationName: "France Services de Beaugency", OrganisationCity: "Beaugency",
			MandatCreatedAt: created(), RevokedAt: revokedAt, Demarches: demarches("social", "travail"), WholeMandat: whole}
		pdf, err := RevocationPDF(d)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := RevocationPDF(d); err != nil || !bytes.Equal(pdf, again) {
			t.Error("the same revocation gave different PDFs")
		}
		c := readPDF(t, pdf)
		act, scope := d.revocationAct()
		for _, want := range []string{
			d.title(),
			"Je soussigné(e) Marie DUPONT " + act + "France Services de Beaugency le mardi 24 novembre 2026 à 14h05 avec le service « Aidants Connect », " + scope,
			"Social - Santé " + demarches("social")[0].Description,
			d.effectSentence(),
			"Fait à Beaugency, le",
			"Le mandant Marie DUPONT",
			"Page 1/1",
		} {
			if !strings.Contains(c.text, want) {
				t.Errorf("whole %t: PDF text lacks %q:\n%s", whole, want, c.text)
			}
		}
		if c.rects != 1 || c.images != 0 {
			t.Errorf("whole %t: %d rectangles, %d images; want the mandant's signature box only", whole, c.rects, c.images)
		}
	}
}
