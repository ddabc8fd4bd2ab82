package attestation

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/skip2/go-qrcode"
)

// No QR decoder is available offline, so the tests check the geometry and that the SVG and
// the PNG draw exactly the encoder's modules.

const quietZone = 4

func TestQRBitmap(t *testing.T) {
	t.Parallel()
	url := sample().VerifyURL
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	bm, err := qrBitmap(url)
	if err != nil {
		t.Fatal(err)
	}
	n := 17 + 4*q.VersionNumber + 2*quietZone
	if len(bm) != n {
		t.Fatalf("%d rows, want %d (version %d plus the quiet zone)", len(bm), n, q.VersionNumber)
	}
	for y, row := range bm {
		if len(row) != n {
			t.Fatalf("row %d has %d modules, want %d", y, len(row), n)
		}
		for x, dark := range row {
			inQuiet := x < quietZone || y < quietZone || x >= n-quietZone || y >= n-quietZone
			if inQuiet && dark {
				t.Fatalf("dark module (%d,%d) in the quiet zone", x, y)
			}
		}
	}
	// The top edge of the top-left finder pattern: seven dark modules right after the quiet zone.
	for x := quietZone; x < quietZone+7; x++ {
		if !bm[quietZone][x] {
			t.Fatalf("finder pattern broken at (%d,%d)", x, quietZone)
		}
	}
}

type svgDoc struct {
	ViewBox   string `xml:"viewBox,attr"`
	Role      string `xml:"role,attr"`
	AriaLabel string `xml:"aria-label,attr"`
	Rects     []struct {
		Fill string `xml:"fill,attr"`
	} `xml:"rect"`
	Paths []struct {
		D    string `xml:"d,attr"`
		Fill string `xml:"fill,attr"`
	} `xml:"path"`
}

var svgRun = regexp.MustCompile(`^M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

func TestQRSVG(t *testing.T) {
	t.Parallel()
	url := sample().VerifyURL
	bm, err := qrBitmap(url)
	if err != nil {
		t.Fatal(err)
	}
	n := len(bm)
	svg, err := QRSVG(url)
	if err != nil {
		t.Fatal(err)
	}
	var s svgDoc
	if err := xml.Unmarshal([]byte(svg), &s); err != nil {
		t.Fatalf("not well-formed XML: %v", err)
	}
	if want := fmt.Sprintf("0 0 %d %d", n, n); s.ViewBox != want {
		t.Errorf("viewBox = %q, want %q", s.ViewBox, want)
	}
	if s.Role != "img" || s.AriaLabel != "QR code de vérification du mandat" {
		t.Errorf("role %q, aria-label %q", s.Role, s.AriaLabel)
	}
	if len(s.Paths) != 1 || s.Paths[0].Fill != "#000" || len(s.Rects) != 1 || s.Rects[0].Fill != "#fff" {
		t.Fatalf("want one white background and one black path, got %+v", s)
	}
	if strings.Contains(svg, "style") {
		t.Error("the SVG uses a style attribute: the CSP forbids it")
	}

	// Draw the path back onto a grid: it must be the bitmap, run for run.
	got := make([][]bool, n)
	for i := range got {
		got[i] = make([]bool, n)
	}
	runs := 0
	for d := s.Paths[0].D; d != ""; runs++ {
		m := svgRun.FindStringSubmatch(d)
		if m == nil || m[3] != m[4] {
			t.Fatalf("unexpected path data at %.40q", d)
		}
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		w, _ := strconv.Atoi(m[3])
		for i := x; i < x+w; i++ {
			if got[y][i] {
				t.Fatalf("module (%d,%d) drawn twice", i, y)
			}
			got[y][i] = true
		}
		d = d[len(m[0]):]
	}
	dark := 0
	for y := range bm {
		for x := range bm[y] {
			if got[y][x] != bm[y][x] {
				t.Fatalf("module (%d,%d): drawn %v, want %v", x, y, got[y][x], bm[y][x])
			}
			if bm[y][x] {
				dark++
			}
		}
	}
	if runs >= dark {
		t.Errorf("%d runs for %d dark modules: adjacent modules were not merged", runs, dark)
	}
}

func TestQRPNG(t *testing.T) {
	t.Parallel()
	url := sample().VerifyURL
	bm, err := qrBitmap(url)
	if err != nil {
		t.Fatal(err)
	}
	n := len(bm)
	for _, size := range []int{400, n * 8, 10} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			t.Parallel()
			b, err := QRPNG(url, size)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			side := max(size, n)
			if r := img.Bounds(); r.Dx() != side || r.Dy() != side {
				t.Fatalf("image is %v, want %dx%d", r, side, side)
			}
			scale, offset := side/n, side%n/2
			for y := range bm {
				for x := range bm[y] {
					// Both corners of every module: same whole-pixel size everywhere.
					for _, p := range [][2]int{{offset + x*scale, offset + y*scale}, {offset + (x+1)*scale - 1, offset + (y+1)*scale - 1}} {
						r, _, _, _ := img.At(p[0], p[1]).RGBA()
						if (r == 0) != bm[y][x] {
							t.Fatalf("module (%d,%d) at pixel %v: dark=%v, want %v", x, y, p, r == 0, bm[y][x])
						}
					}
				}
			}
			if r, _, _, _ := img.At(0, 0).RGBA(); r == 0 {
				t.Error("the corner is dark: no white border")
			}
		})
	}
}

func TestQRTooLong(t *testing.T) {
	t.Parallel()
	long := "https://example.fr/" + strings.Repeat("a", 3000)
	if _, err := QRSVG(long); err == nil {
		t.Error("QRSVG accepted content no QR code can hold")
	}
	if _, err := QRPNG(long, 200); err == nil {
		t.Error("QRPNG accepted content no QR code can hold")
	}
}
