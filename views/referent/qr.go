package referent

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/skip2/go-qrcode"
)

// qrSVG is the QR code of an otpauth URI as an inline SVG, as the attestation draws its own:
// one module per user unit, runs of dark modules merged into one path, colours as attributes
// (the CSP forbids style attributes). Low error correction: the code is scanned from a
// screen, and a smaller code is easier for a phone to read.
func qrSVG(uri string) (string, error) {
	q, err := qrcode.New(uri, qrcode.Low)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	bm := q.Bitmap()
	n := strconv.Itoa(len(bm))
	var d strings.Builder
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&d, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	return `<svg xmlns="http://www.w3.org/2000/svg" class="ac-otp-qr" viewBox="0 0 ` + n + ` ` + n +
		`" width="200" height="200" shape-rendering="crispEdges" role="img" aria-label="QR code à scanner avec l'application d'authentification">` +
		`<rect width="` + n + `" height="` + n + `" fill="#fff"/>` +
		`<path fill="#000" d="` + d.String() + `"/></svg>`, nil
}

// qrCode renders qrSVG inline. The SVG holds no text of the page (the URI is only in the
// modules), so writing it unescaped is safe.
func qrCode(uri string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		svg, err := qrSVG(uri)
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, svg)
		return err
	})
}
