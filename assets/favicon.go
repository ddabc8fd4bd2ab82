package assets

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// faviconSize is the side of the /favicon.ico image, in pixels: what a browser tab shows.
const faviconSize = 32

// faviconCache: the address is fixed (browsers ask for it by name), so it is not immutable
// like the hashed assets; a month is long enough to cost one request per visitor per month.
const faviconCache = "public, max-age=2592000"

// favicon is the ICO served at /favicon.ico, made once from the DSFR's touch icon: browsers
// fetch that address whatever the page names, and it should not cost a 404 page each time.
var favicon = sync.OnceValues(func() ([]byte, error) {
	src, err := static.ReadFile("static/vendor/dsfr/favicon/apple-touch-icon.png")
	if err != nil {
		return nil, err
	}
	img, err := png.Decode(bytes.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("favicon: %w", err)
	}
	return ico(shrink(img, faviconSize))
})

// Favicon serves /favicon.ico.
func Favicon() fiber.Handler {
	return func(c *fiber.Ctx) error {
		body, err := favicon()
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, faviconCache)
		c.Set(fiber.HeaderContentType, "image/x-icon")
		return c.Send(body)
	}
}

// shrink scales img down to size×size, each pixel the average of the source pixels it covers.
func shrink(img image.Image, size int) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := range size {
		y0, y1 := b.Min.Y+y*b.Dy()/size, b.Min.Y+(y+1)*b.Dy()/size
		for x := range size {
			x0, x1 := b.Min.X+x*b.Dx()/size, b.Min.X+(x+1)*b.Dx()/size
			var r, g, bl, a, n uint64
			for sy := y0; sy < max(y1, y0+1); sy++ {
				for sx := x0; sx < max(x1, x0+1); sx++ {
					c := color.NRGBAModel.Convert(img.At(sx, sy)).(color.NRGBA)
					r, g, bl, a, n = r+uint64(c.R), g+uint64(c.G), bl+uint64(c.B), a+uint64(c.A), n+1
				}
			}
			out.SetNRGBA(x, y, color.NRGBA{uint8(r / n), uint8(g / n), uint8(bl / n), uint8(a / n)})
		}
	}
	return out
}

// ico wraps one PNG image in an ICO file (a PNG entry, which every current browser reads).
func ico(img image.Image) ([]byte, error) {
	var p bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		return nil, fmt.Errorf("favicon: %w", err)
	}
	size := img.Bounds().Dx()
	var out bytes.Buffer
	// ICONDIR: reserved, type 1 (icon), one image; ICONDIRENTRY: width, height, no palette,
	// reserved, one plane, 32 bits per pixel, the PNG's length and offset (6 + 16 bytes).
	_ = binary.Write(&out, binary.LittleEndian, []uint16{0, 1, 1})
	out.Write([]byte{byte(size), byte(size), 0, 0})
	_ = binary.Write(&out, binary.LittleEndian, []uint16{1, 32})
	_ = binary.Write(&out, binary.LittleEndian, []uint32{uint32(p.Len()), 22})
	out.Write(p.Bytes())
	return out.Bytes(), nil
}
