package assets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"
)

func newApp() *fiber.App {
	app := fiber.New()
	app.Get("/static/*", Handler())
	return app
}

// get requests url; header is alternating names and values.
func get(t *testing.T, app *fiber.App, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp, body
}

func decode(t *testing.T, encoding string, body []byte) []byte {
	t.Helper()
	var r io.Reader
	switch encoding {
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	case "":
		return body
	default:
		t.Fatalf("unexpected Content-Encoding %q", encoding)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decoding %s: %v", encoding, err)
	}
	return out
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := static.ReadFile("static/" + name)
	if err != nil {
		t.Fatalf("reading %s: %v", name, err)
	}
	return b
}

const (
	htmxJS    = "vendor/htmx/htmx.min.js"
	dsfrCSS   = "vendor/dsfr/dsfr.min.css"
	appCSS    = "css/app.css"
	appJS     = "js/app.js"
	fontReg   = "vendor/dsfr/fonts/Marianne-Regular.woff2"
	fontBold  = "vendor/dsfr/fonts/Marianne-Bold.woff2"
	iconSVG   = "vendor/dsfr/icons/arrow-right-line.svg"
	faviconSV = "vendor/dsfr/favicon/favicon.svg"
	touchIcon = "vendor/dsfr/favicon/apple-touch-icon.png"
)

func TestEmbeddedFilesVerify(t *testing.T) {
	if err := Verify(); err != nil {
		t.Fatal(err)
	}
}

func TestPath(t *testing.T) {
	tests := []struct {
		name string
		want string // regexp
	}{
		{appCSS, `^/static/css/app\.[0-9a-f]{10}\.css$`},
		{appJS, `^/static/js/app\.[0-9a-f]{10}\.js$`},
		{htmxJS, `^/static/vendor/htmx/htmx\.min\.[0-9a-f]{10}\.js$`},
		{fontReg, `^/static/vendor/dsfr/fonts/Marianne-Regular\.[0-9a-f]{10}\.woff2$`},
		{"css/nope.css", `^/static/missing/css/nope\.css$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Path(tt.name); !regexp.MustCompile(tt.want).MatchString(got) {
				t.Errorf("Path(%q) = %q, want match of %s", tt.name, got, tt.want)
			}
		})
	}
}

func TestServeHashedURL(t *testing.T) {
	app := newApp()
	tests := []struct {
		name        string
		contentType string
	}{
		{appCSS, "text/css; charset=utf-8"},
		{dsfrCSS, "text/css; charset=utf-8"},
		{appJS, "text/javascript; charset=utf-8"},
		{htmxJS, "text/javascript; charset=utf-8"},
		{fontReg, "font/woff2"},
		{fontBold, "font/woff2"},
		{iconSVG, "image/svg+xml"},
		{faviconSV, "image/svg+xml"},
		{touchIcon, "image/png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, app, Path(tt.name))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", resp.StatusCode)
			}
			wantHeaders := map[string]string{
				"Cache-Control":          "public, max-age=31536000, immutable",
				"Content-Type":           tt.contentType,
				"Content-Encoding":       "",
				"X-Content-Type-Options": "nosniff",
			}
			for k, want := range wantHeaders {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			sum := sha256.Sum256(body)
			hash := hex.EncodeToString(sum[:])[:10]
			if !strings.Contains(Path(tt.name), "."+hash+".") {
				t.Errorf("URL %s does not carry the hash of the served bytes (%s)", Path(tt.name), hash)
			}
			if got, want := resp.Header.Get("ETag"), `"`+hash+`"`; got != want {
				t.Errorf("ETag = %s, want %s", got, want)
			}
			if !strings.HasSuffix(tt.name, ".css") && !bytes.Equal(body, mustRead(t, tt.name)) {
				t.Errorf("body differs from the embedded file")
			}
		})
	}
}

func TestServeRefusesOtherURLs(t *testing.T) {
	app := newApp()
	good := Path(appCSS)
	hash := regexp.MustCompile(`\.([0-9a-f]{10})\.css$`).FindStringSubmatch(good)[1]
	tests := []struct {
		name string
		url  string
	}{
		{"stale hash", strings.Replace(good, hash, "0123456789", 1)},
		{"hash of another file", strings.Replace(good, hash, regexp.MustCompile(`\.([0-9a-f]{10})\.js$`).FindStringSubmatch(Path(appJS))[1], 1)},
		{"unhashed", "/static/css/app.css"},
		{"unknown name", Path("css/nope.css")},
		{"directory", "/static/css/"},
		{"root", "/static/"},
		{"traversal", "/static/../assets.go"},
		{"embed root prefix", "/static/static/css/app.css"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := get(t, app, tt.url)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: status %d, want 404", tt.url, resp.StatusCode)
			}
			if cc := resp.Header.Get("Cache-Control"); strings.Contains(cc, "immutable") {
				t.Errorf("GET %s: a 404 must not be cached forever (Cache-Control %q)", tt.url, cc)
			}
		})
	}
}

func TestServeCompression(t *testing.T) {
	app := newApp()
	tests := []struct {
		acceptEncoding string
		want           string
	}{
		{"br", "br"},
		{"gzip, deflate, br, zstd", "br"},
		{"gzip", "gzip"},
		{"gzip;q=1, br;q=0.5", "gzip"},
		{"br;q=0, gzip", "gzip"},
		{"*", "br"},
		{"deflate", ""},
		{"", ""},
		{"br;q=0, gzip;q=0", ""},
	}
	for _, name := range []string{dsfrCSS, appCSS, htmxJS, appJS, iconSVG} {
		_, plain := get(t, app, Path(name))
		for _, tt := range tests {
			t.Run(name+" "+tt.acceptEncoding, func(t *testing.T) {
				resp, body := get(t, app, Path(name), "Accept-Encoding", tt.acceptEncoding)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d", resp.StatusCode)
				}
				got := resp.Header.Get("Content-Encoding")
				if got != tt.want {
					t.Errorf("Content-Encoding = %q, want %q", got, tt.want)
				}
				if v := resp.Header.Get("Vary"); v != "Accept-Encoding" {
					t.Errorf("Vary = %q, want Accept-Encoding", v)
				}
				if got != "" && len(body) >= len(plain) {
					t.Errorf("%s body is %d bytes, plain is %d", got, len(body), len(plain))
				}
				if !bytes.Equal(decode(t, got, body), plain) {
					t.Errorf("decoded body differs from the plain one")
				}
			})
		}
	}
}

func TestServeNeverCompressesCompressedFormats(t *testing.T) {
	app := newApp()
	for _, name := range []string{fontReg, fontBold, touchIcon} {
		resp, body := get(t, app, Path(name), "Accept-Encoding", "br, gzip")
		if enc := resp.Header.Get("Content-Encoding"); enc != "" {
			t.Errorf("%s: Content-Encoding %q, want none", name, enc)
		}
		if v := resp.Header.Get("Vary"); v != "" {
			t.Errorf("%s: Vary %q, want none", name, v)
		}
		if !bytes.Equal(body, mustRead(t, name)) {
			t.Errorf("%s: body differs from the embedded file", name)
		}
	}
}

func TestServeNotModified(t *testing.T) {
	app := newApp()
	tests := []struct {
		ifNoneMatch string
		want        int
	}{
		{`"` + files().byName[appCSS].hash + `"`, http.StatusNotModified},
		{`"` + files().byName[appCSS].hash + `-br"`, http.StatusNotModified},
		{`"0123456789"`, http.StatusOK},
	}
	for _, tt := range tests {
		resp, body := get(t, app, Path(appCSS), "If-None-Match", tt.ifNoneMatch, "Accept-Encoding", "br")
		if resp.StatusCode != tt.want {
			t.Errorf("If-None-Match %s: status %d, want %d", tt.ifNoneMatch, resp.StatusCode, tt.want)
		}
		if tt.want == http.StatusNotModified && len(body) != 0 {
			t.Errorf("If-None-Match %s: 304 with a %d-byte body", tt.ifNoneMatch, len(body))
		}
	}
}

// Every url() in a served stylesheet is a hashed URL that answers 200.
func TestServedCSSReferencesAreHashed(t *testing.T) {
	app := newApp()
	hashed := regexp.MustCompile(`^/static/.+\.[0-9a-f]{10}(\.[a-z0-9]+)?$`)
	for _, name := range []string{dsfrCSS, appCSS} {
		resp, body := get(t, app, Path(name))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", name, resp.StatusCode)
		}
		refs := cssURL.FindAllSubmatch(body, -1)
		if name == dsfrCSS && len(refs) < 20 {
			t.Errorf("%s: only %d url()s, the DSFR bundle has fonts, icons and images", name, len(refs))
		}
		for _, m := range refs {
			ref := string(bytes.Join(m[1:], nil))
			if !hashed.MatchString(ref) {
				t.Errorf("%s: url(%s) is not a hashed URL", name, ref)
				continue
			}
			if resp, _ := get(t, app, ref); resp.StatusCode != http.StatusOK {
				t.Errorf("%s: url(%s) answers %d", name, ref, resp.StatusCode)
			}
		}
	}
}

// scripts/assets.mjs prunes the DSFR custom properties that nothing reads, app.css
// included: a property app.css starts using after the last `task assets` would be unset.
func TestAppCSSCustomPropertiesAreDeclared(t *testing.T) {
	declared := map[string]bool{}
	for _, name := range []string{dsfrCSS, appCSS} {
		for _, m := range regexp.MustCompile(`[{;]\s*(--[\w-]+)\s*:`).FindAllStringSubmatch(string(mustRead(t, name)), -1) {
			declared[m[1]] = true
		}
	}
	if !declared["--text-default-grey"] {
		t.Fatal("the declaration pattern finds nothing: --text-default-grey not seen in the DSFR bundle")
	}
	for _, m := range regexp.MustCompile(`var\(\s*(--[\w-]+)\s*\)`).FindAllStringSubmatch(string(mustRead(t, appCSS)), -1) {
		if !declared[m[1]] {
			t.Errorf("app.css reads %s, which the DSFR bundle does not declare: run `task assets`", m[1])
		}
	}
}

func TestCatalogRewritesAndReportsProblems(t *testing.T) {
	fsys := fstest.MapFS{
		"root/css/a.css":  {Data: []byte(`.a{background:url(../img/x.svg)}.b{mask:url("../img/x.svg?v=1#frag")}.c{filter:url(#f)}`)},
		"root/img/x.svg":  {Data: []byte(`<svg/>`)},
		"root/bad.css":    {Data: []byte(`.a{background:url(missing.svg)}.b{background:url(data:image/png;base64,AA==)}.c{background:url(https://cdn.example/x.png)}`)},
		"root/loop/1.css": {Data: []byte(`.a{background:url(2.css)}`)},
		"root/loop/2.css": {Data: []byte(`.a{background:url(1.css)}`)},
		"root/font.woff2": {Data: []byte("wOF2")},
	}
	c := newCatalog(fsys, "root")
	svg := c.byName["img/x.svg"]
	if svg == nil {
		t.Fatal("img/x.svg not catalogued")
	}
	wantCSS := `.a{background:url(` + svg.url + `)}.b{mask:url(` + svg.url + `)}.c{filter:url(#f)}`
	if got := string(c.byName["css/a.css"].body); got != wantCSS {
		t.Errorf("css/a.css rewritten to\n%s\nwant\n%s", got, wantCSS)
	}
	sum := sha256.Sum256([]byte(wantCSS))
	if got, want := c.byName["css/a.css"].hash, hex.EncodeToString(sum[:])[:10]; got != want {
		t.Errorf("css/a.css hash %s, want %s (hash of the rewritten bytes)", got, want)
	}
	err := c.err()
	if err == nil {
		t.Fatal("no problem reported")
	}
	for _, want := range []string{
		"bad.css: url(missing.svg) names no embedded file",
		"bad.css: url(data:…) is blocked by the CSP",
		"bad.css: url(https://cdn.example/x.png) is not a relative path",
		"url() cycle",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems %q lack %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "css/a.css:") {
		t.Errorf("css/a.css is fine, yet: %v", err)
	}
	if strings.Contains(err.Error(), "url(1.css) names no embedded file") {
		t.Errorf("a cycle reported as a missing file: %v", err)
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct{ header, want string }{
		{"", ""},
		{"identity", ""},
		{"br", "br"},
		{"BR", "br"},
		{"gzip", "gzip"},
		{"x-gzip", "gzip"},
		{"gzip, br", "br"},
		{"br;q=0.1, gzip;q=0.9", "gzip"},
		{"br; q=1.0, gzip; q=1.0", "br"},
		{"*;q=0.5", "br"},
		{"*, br;q=0", "gzip"},
		{"br;q=0", ""},
		{"br;q=oops", "br"},
	}
	for _, tt := range tests {
		if got := negotiate(tt.header); got != tt.want {
			t.Errorf("negotiate(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

// Concurrent first requests share one compression (run with -race).
func TestServeConcurrentFirstRequests(t *testing.T) {
	c := newCatalog(static, "static")
	app := fiber.New()
	app.Get("/static/*", c.serve)
	var wg sync.WaitGroup
	bodies := make([][]byte, 8)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest(http.MethodGet, c.byName[htmxJS].url, nil)
			req.Header.Set("Accept-Encoding", "br")
			resp, err := app.Test(req, -1)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			bodies[i], _ = io.ReadAll(resp.Body)
		}()
	}
	wg.Wait()
	for i := range bodies {
		if !bytes.Equal(bodies[i], bodies[0]) || len(bodies[i]) == 0 {
			t.Fatalf("request %d got %d bytes, request 0 got %d", i, len(bodies[i]), len(bodies[0]))
		}
	}
}

// The cold login page must stay under 100 KB on the wire: HTML gets what these leave.
func TestLoginPageBudget(t *testing.T) {
	const budget = 95 * 1000
	names := []string{dsfrCSS, htmxJS, appCSS, appJS, fontReg, fontBold}
	var totalBr, totalGz int
	t.Logf("%-42s %8s %8s %8s", "asset", "raw", "gzip", "brotli")
	for _, name := range names {
		a := files().byName[name]
		if a == nil {
			t.Fatalf("%s missing", name)
		}
		br, gz := len(a.body), len(a.body)
		if a.compressible {
			if b := a.brotli(); b != nil {
				br = len(b)
			}
			if b := a.gzip(); b != nil {
				gz = len(b)
			}
		}
		totalBr += br
		totalGz += gz
		t.Logf("%-42s %8d %8d %8d", name, len(a.body), gz, br)
	}
	t.Logf("%-42s %8s %8d %8d (budget %d)", "total", "", totalGz, totalBr, budget)
	if totalBr > budget {
		t.Errorf("brotli total %d bytes > budget %d", totalBr, budget)
	}
	if totalGz > budget {
		t.Errorf("gzip total %d bytes > budget %d (clients and proxies without brotli)", totalGz, budget)
	}
}

func BenchmarkServeCSSBrotli(b *testing.B) {
	app := newApp()
	url := Path(dsfrCSS)
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Accept-Encoding", "br")
		resp, err := app.Test(req, -1)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func TestFavicon(t *testing.T) {
	body, err := favicon()
	if err != nil {
		t.Fatal(err)
	}
	if len(body) < 22 || !bytes.Equal(body[:6], []byte{0, 0, 1, 0, 1, 0}) || body[6] != faviconSize || body[7] != faviconSize {
		t.Fatalf("not a one-image ICO: % x", body[:min(len(body), 22)])
	}
	n, off := binary.LittleEndian.Uint32(body[14:]), binary.LittleEndian.Uint32(body[18:])
	if off != 22 || int(off+n) != len(body) {
		t.Fatalf("entry length %d at %d, file %d bytes", n, off, len(body))
	}
	img, err := png.Decode(bytes.NewReader(body[off:]))
	if err != nil || img.Bounds().Dx() != faviconSize || img.Bounds().Dy() != faviconSize {
		t.Fatalf("the entry's PNG: %v %v", err, img)
	}
	if len(body) > 4096 {
		t.Errorf("favicon of %d B: more than 4 KB", len(body))
	}
}
