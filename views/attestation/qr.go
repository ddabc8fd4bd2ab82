package attestation

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/skip2/go-qrcode"
)

// qrLevel is medium error correction: a printed, folded, photocopied sheet must still scan,
// and the verification URL stays small enough for a low version.
const qrLevel = qrcode.Medium

// qrBitmap is the QR code of url, quiet zone (4 modules) included; true is a dark module.
func qrBitmap(url string) ([][]bool, error) {
	q, err := qrcode.New(url, qrLevel)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	return q.Bitmap(), nil
}

// QRSVG is the QR code of url as an inline SVG, one module per user unit. Horizontal runs
// of dark modules are merged into one path, which keeps a typical URL's code around 2 KB;
// colours are attributes because the CSP forbids style attributes.
func QRSVG(url string) (string, error) {
	bm, err := qrBitmap(url)
	if err != nil {
		return "", err
	}
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
	return `<svg xmlns="http://www.w3.org/2000/svg" class="ac-attestation-qr__code" viewBox="0 0 ` + n + ` ` + n +
		`" width="160" height="160" shape-rendering="crispEdges" role="img" aria-label="QR code de vérification du mandat">` +
		`<rect width="` + n + `" height="` + n + `" fill="#fff"/>` +
		`<path fill="#000" d="` + d.String() + `"/></svg>`, nil
}

// QRPNG is the QR code of url as a size×size PNG (at least one pixel per module). Every
// module gets the same whole number of pixels, so edges stay sharp when printed; the few
// pixels left over widen the white border.
func QRPNG(url string, size int) ([]byte, error) {
	bm, err := qrBitmap(url)
	if err != nil {
		return nil, err
	}
	n := len(bm)
	size = max(size, n)
	scale, offset := size/n, size%n/2
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for y, row := range bm {
		for x, dark := range row {
			if !dark {
				continue
			}
			for py := offset + y*scale; py < offset+(y+1)*scale; py++ {
				for px := offset + x*scale; px < offset+(x+1)*scale; px++ {
					img.SetColorIndex(px, py, 1)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qr code png: %w", err)
	}
	return buf.Bytes(), nil
}

// qrCode renders QRSVG inline. The SVG holds no user text (the URL is only in the modules),
// so writing it unescaped is safe.
func qrCode(url string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		svg, err := QRSVG(url)
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, svg)
		return err
	})
}
