package attestation

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/go-pdf/fpdf"
	"golang.org/x/text/unicode/norm"

	"github.com/aidantsconnect/ac/views/ui"
)

// Page geometry and type sizes, in millimetres and points (A4 portrait).
const (
	pdfMargin    = 20.0
	pdfLine      = 5.2 // body line height, mm
	pdfBody      = 10.5
	pdfSmall     = 8.0
	pdfIndent    = 6.0 // list text, from the left margin
	pdfQRSize    = 32.0
	pdfSigHeight = 38.0
	pdfFont      = "Helvetica" // a core font: nothing embedded, and cp1252 covers French
)

// PDF is the mandate document as an A4 PDF. It depends only on d: the PDF's own dates are
// the mandat's creation date, so the same mandat always gives the same bytes.
func PDF(d Data) ([]byte, error) {
	p := newPDF("Mandat - Aidants Connect", d.CreatedAt)
	w := p.pdf

	w.SetFont(pdfFont, "B", 14)
	w.MultiCell(0, 7, p.tr(docTitleLine1+"\n"+docTitleLine2), "", "C", false)
	w.Ln(4)

	p.rich(run{"Je m'appelle ", false}, run{d.UsagerName, true}, run{d.bornClause() + " et je suis le mandant.", false})
	p.rich(run{"J'autorise l'organisation ", false}, run{d.OrganisationName, true}, run{d.placeClause() + " " + mandateScope, false})
	for _, dm := range d.Demarches {
		p.item(dm.Title, dm.Description)
	}
	p.para(d.durationSentence())

	for _, c := range clauses() {
		p.heading(c.Title)
		for _, para := range c.Paras {
			p.para(para)
		}
		for _, it := range c.Items {
			p.item("", it)
		}
	}

	w.Ln(3)
	p.keep(pdfLine + pdfSigHeight + 10) // the date stays with the signatures
	p.para(signedAt(d.OrganisationCity, d.CreatedAt))
	p.signatures(box{"Le mandataire", d.mandataire()}, box{"Le mandant", d.UsagerName})

	if d.VerifyURL != "" || d.AttestationHash != "" {
		if err := p.verification(d.VerifyURL, d.AttestationHash); err != nil {
			return nil, err
		}
	}
	return p.output()
}

// RevocationPDF is the revocation attestation as an A4 PDF, the same text as Revocation. Its
// dates are the revocation's: the same revocation always gives the same bytes.
func RevocationPDF(d RevocationData) ([]byte, error) {
	p := newPDF(d.title(), d.RevokedAt)
	w := p.pdf
	w.SetFont(pdfFont, "B", 14)
	w.MultiCell(0, 7, p.tr(d.title()), "", "C", false)
	w.Ln(4)
	act, scope := d.revocationAct()
	p.rich(run{"Je soussigné(e) ", false}, run{d.UsagerName, true}, run{" " + act, false}, run{d.OrganisationName, true},
		run{" le " + ui.LongDateTime(d.MandatCreatedAt) + serviceClause + " " + scope, false})
	for _, dm := range d.Demarches {
		p.item(dm.Title, dm.Description)
	}
	p.para(d.effectSentence())
	w.Ln(3)
	p.keep(pdfLine + pdfSigHeight + 10)
	p.para(signedAt(d.OrganisationCity, d.RevokedAt))
	p.signatures(box{"Le mandant", d.UsagerName})
	return p.output()
}

// doc wraps fpdf with the few layouts the documents use.
type doc struct {
	pdf *fpdf.Fpdf
	cp  func(string) string // UTF-8 → cp1252, fpdf's own table
}

type run struct {
	s    string
	bold bool
}

type box struct{ label, name string }

func newPDF(title string, date time.Time) *doc {
	w := fpdf.New("P", "mm", "A4", "")
	w.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	w.SetAutoPageBreak(true, pdfMargin)
	// fpdf writes these without a zone, which readers take as UTC.
	w.SetCreationDate(date.UTC())
	w.SetModificationDate(date.UTC())
	w.SetCatalogSort(true)
	w.SetTitle(title, true)
	w.SetCreator("Aidants Connect", true)
	w.SetLang("fr-FR")
	p := &doc{pdf: w, cp: w.UnicodeTranslatorFromDescriptor("cp1252")}
	w.AliasNbPages("{nb}")
	w.SetFooterFunc(func() {
		w.SetY(-pdfMargin + 5)
		w.SetFont(pdfFont, "", pdfSmall)
		w.SetTextColor(80, 80, 80)
		w.CellFormat(0, 5, fmt.Sprintf("Page %d/{nb}", w.PageNo()), "", 0, "C", false, 0, "")
		w.SetTextColor(0, 0, 0)
	})
	w.AddPage()
	return p
}

// tr prepares text for a core font: cp1252 bytes, with what cp1252 lacks replaced by its
// closest form ("Nguyễn" → "Nguyên") rather than fpdf's "." placeholder.
func (p *doc) tr(s string) string {
	return p.cp(cp1252Safe(s))
}

// heading starts a section, on the next page if its first lines would not fit under it.
func (p *doc) heading(s string) {
	p.keep(8 + 3*pdfLine)
	p.pdf.Ln(2)
	p.pdf.SetFont(pdfFont, "B", 11)
	p.pdf.MultiCell(0, 6, p.tr(s), "", "L", false)
	p.pdf.Ln(0.5)
}

func (p *doc) para(s string) {
	p.pdf.SetFont(pdfFont, "", pdfBody)
	p.pdf.MultiCell(0, pdfLine, p.tr(s), "", "L", false)
	p.pdf.Ln(1.5)
}

// rich is a left-aligned paragraph mixing regular and bold runs.
func (p *doc) rich(parts ...run) {
	for _, t := range parts {
		style := ""
		if t.bold {
			style = "B"
		}
		p.pdf.SetFont(pdfFont, style, pdfBody)
		p.pdf.Write(pdfLine, p.tr(t.s))
	}
	p.pdf.Ln(pdfLine + 1.5)
}

// item is a bulleted list entry: an optional bold title on its own line, then the text,
// both hanging at the indent.
func (p *doc) item(title, body string) {
	w := p.pdf
	left, _, right, _ := w.GetMargins()
	pageW, _ := w.GetPageSize()
	width := pageW - left - right - pdfIndent
	w.SetFont(pdfFont, "", pdfBody)
	w.SetX(left + 2)
	w.CellFormat(pdfIndent-2, pdfLine, p.tr("•"), "", 0, "L", false, 0, "")
	if title != "" {
		w.SetFont(pdfFont, "B", pdfBody)
		w.MultiCell(width, pdfLine, p.tr(title), "", "L", false)
		w.SetFont(pdfFont, "", pdfBody)
		w.SetX(left + pdfIndent)
	}
	w.MultiCell(width, pdfLine, p.tr(body), "", "L", false)
	w.Ln(1)
}

// signatures draws the boxes side by side, each half the text width, kept on one page.
func (p *doc) signatures(boxes ...box) {
	w := p.pdf
	left, _, right, _ := w.GetMargins()
	pageW, _ := w.GetPageSize()
	const gap = 6.0
	boxW := (pageW - left - right - gap) / 2
	p.keep(pdfSigHeight + 4)
	w.Ln(2)
	y := w.GetY()
	for i, b := range boxes {
		x := left + float64(i)*(boxW+gap)
		w.SetDrawColor(0, 0, 0)
		w.SetLineWidth(0.3)
		w.Rect(x, y, boxW, pdfSigHeight, "D")
		w.SetXY(x+3, y+3)
		w.SetFont(pdfFont, "B", pdfBody)
		w.MultiCell(boxW-6, pdfLine, p.tr(b.label), "", "L", false)
		w.SetX(x + 3)
		w.SetFont(pdfFont, "", 9)
		w.MultiCell(boxW-6, 4.5, p.tr(b.name), "", "L", false)
	}
	w.SetXY(left, y+pdfSigHeight+4)
}

// verification prints the QR code with the URL and the attestation hash next to it.
func (p *doc) verification(url, hash string) error {
	w := p.pdf
	left, _, _, _ := w.GetMargins()
	p.keep(pdfQRSize + 12) // the heading stays with the code
	p.heading("Vérification")
	y := w.GetY()
	textX := left
	if url != "" {
		png, err := QRPNG(url, 400)
		if err != nil {
			return err
		}
		opt := fpdf.ImageOptions{ImageType: "PNG"}
		w.RegisterImageOptionsReader("qr", opt, bytes.NewReader(png))
		w.ImageOptions("qr", left, y, pdfQRSize, pdfQRSize, false, opt, 0, "")
		textX = left + pdfQRSize + 4
	}
	pageW, _ := w.GetPageSize()
	width := pageW - pdfMargin - textX
	w.SetFont(pdfFont, "", pdfSmall)
	w.SetXY(textX, y+2)
	if url != "" {
		w.MultiCell(width, 4, p.tr("Pour vérifier que ce mandat est en cours, scannez ce code ou ouvrez l'adresse : "+url), "", "L", false)
		w.Ln(1)
		w.SetX(textX)
	}
	if hash != "" {
		w.MultiCell(width, 4, p.tr("Empreinte du mandat : "+hash), "", "L", false)
	}
	if end := y + pdfQRSize; url != "" && w.GetY() < end {
		w.SetY(end)
	}
	return nil
}

// keep starts a new page unless h millimetres still fit on this one.
func (p *doc) keep(h float64) {
	_, pageH := p.pdf.GetPageSize()
	if p.pdf.GetY()+h > pageH-pdfMargin {
		p.pdf.AddPage()
	}
}

func (p *doc) output() ([]byte, error) {
	var buf bytes.Buffer
	if err := p.pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// cp1252Extra are the characters cp1252 adds to Latin-1 in 0x80–0x9F.
var cp1252Extra = map[rune]byte{
	'€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87, 'ˆ': 0x88,
	'‰': 0x89, 'Š': 0x8A, '‹': 0x8B, 'Œ': 0x8C, 'Ž': 0x8E, '‘': 0x91, '’': 0x92, '“': 0x93,
	'”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97, '˜': 0x98, '™': 0x99, 'š': 0x9A, '›': 0x9B,
	'œ': 0x9C, 'ž': 0x9E, 'Ÿ': 0x9F,
}

// inCP1252 reports whether cp1252 can encode r.
func inCP1252(r rune) bool {
	if r < 0x80 || r >= 0xA0 && r <= 0xFF {
		return true
	}
	_, ok := cp1252Extra[r]
	return ok
}

// cp1252Safe replaces what cp1252 cannot encode: typographic spaces and hyphens by their
// plain forms, accented letters by their base letter, anything else by "?".
func cp1252Safe(s string) string {
	ok := true
	for _, r := range s {
		if !inCP1252(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case inCP1252(r):
			b.WriteRune(r)
		case r == '\u202F' || r == '\u2007' || r == '\u2009':
			b.WriteRune('\u00A0')
		case unicode.IsSpace(r):
			b.WriteRune(' ')
		case r == '\u2010' || r == '\u2011' || r == '\u2212':
			b.WriteRune('-')
		default:
			b.WriteRune(baseLetter(r))
		}
	}
	return b.String()
}

// baseLetter is r's closest cp1252 letter: its canonical decomposition, marks dropped and
// recomposed as far as cp1252 allows ("ễ" → "ê"), or "?".
func baseLetter(r rune) rune {
	d := []rune(norm.NFD.String(string(r)))
	for n := len(d); n > 0; n-- {
		c := []rune(norm.NFC.String(string(d[:n])))
		if len(c) == 1 && inCP1252(c[0]) {
			return c[0]
		}
	}
	return '?'
}
