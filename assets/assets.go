// Package assets embeds the static files (our CSS and JS, and the htmx and DSFR files that
// `task assets` vendors) and serves them under content-hashed URLs, cached for a year.
//
// Views name a file only through Path; the app mounts Handler on /static/*.
package assets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"
)

//go:embed static
var static embed.FS

// prefix is where the app mounts Handler.
const prefix = paths.Static

const cacheForever = "public, max-age=31536000, immutable"

// files is computed on first use: hashing needs every byte, and start-up should not wait.
var files = sync.OnceValue(func() *catalog { return newCatalog(static, "static") })

// Path returns the content-hashed URL of an embedded asset, named by its path under
// assets/static: Path("css/app.css") == "/static/css/app.3f2a9c1be0.css".
// An unknown name gives "/static/missing/<name>", which answers 404.
func Path(name string) string {
	if a := files().byName[name]; a != nil {
		return a.url
	}
	return prefix + "missing/" + name
}

// Verify reports what is wrong with the embedded files: a url() in a stylesheet that
// names no embedded file, or one that the CSP would block. Tests, and start-up in dev
// and sandbox, call it; the files are served regardless.
func Verify() error {
	return files().err()
}

// Handler serves the files under /static/* at their hashed URLs only: an unhashed or
// stale URL is a 404, so that a cached page never mixes old and new assets.
func Handler() fiber.Handler {
	return func(c *fiber.Ctx) error {
		return files().serve(c)
	}
}

type asset struct {
	name         string // path under static/: "css/app.css"
	url          string // "/static/css/app.3f2a9c1be0.css"
	hash         string
	contentType  string
	compressible bool
	body         []byte

	// Compressed once, on first request; nil when compression does not pay.
	brotli func() []byte
	gzip   func() []byte
}

type catalog struct {
	byName   map[string]*asset
	byPath   map[string]*asset // hashed path under /static/: "css/app.3f2a9c1be0.css"
	problems []string
}

func (c *catalog) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return errors.New("assets: " + strings.Join(c.problems, "; "))
}

func (c *catalog) problem(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// newCatalog reads every file under root in fsys. Stylesheets get their url()s rewritten
// to the hashed URLs of the files they name, so those are hashed first, and a stylesheet's
// own hash is taken after the rewrite.
func newCatalog(fsys fs.FS, root string) *catalog {
	c := &catalog{byName: map[string]*asset{}, byPath: map[string]*asset{}}
	raw := map[string][]byte{}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		raw[strings.TrimPrefix(p, root+"/")] = body
		return nil
	})
	if err != nil {
		c.problem("reading embedded files: %v", err)
	}

	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic problem order

	visiting := map[string]bool{}
	// add catalogues name and returns it; nil and false when there is no such file, nil
	// and true when name is part of a url() cycle.
	var add func(name string) (*asset, bool)
	add = func(name string) (*asset, bool) {
		if a := c.byName[name]; a != nil {
			return a, true
		}
		body, ok := raw[name]
		if !ok {
			return nil, false
		}
		if visiting[name] {
			c.problem("%s: url() cycle", name)
			return nil, true
		}
		visiting[name] = true
		if path.Ext(name) == ".css" {
			body = c.rewriteCSS(name, body, add)
		}
		a := newAsset(name, body)
		c.byName[name] = a
		c.byPath[strings.TrimPrefix(a.url, prefix)] = a
		return a, true
	}
	for _, name := range names {
		add(name)
	}
	return c
}

var cssURL = regexp.MustCompile(`url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)`)

// rewriteCSS points every relative url() at the hashed URL of the file it names.
func (c *catalog) rewriteCSS(name string, body []byte, add func(string) (*asset, bool)) []byte {
	return cssURL.ReplaceAllFunc(body, func(m []byte) []byte {
		sub := cssURL.FindSubmatch(m)
		ref := string(bytes.Join(sub[1:], nil)) // only one group matched
		switch {
		case strings.HasPrefix(ref, "#"):
			return m // an SVG fragment of the document itself
		case strings.HasPrefix(ref, "data:"):
			c.problem("%s: url(data:…) is blocked by the CSP (img-src 'self'): make it a file", name)
			return m
		case strings.Contains(ref, ":") || strings.HasPrefix(ref, "/"):
			c.problem("%s: url(%s) is not a relative path to an embedded file", name, ref)
			return m
		}
		target := path.Join(path.Dir(name), strings.SplitN(strings.SplitN(ref, "#", 2)[0], "?", 2)[0])
		a, known := add(target)
		if !known {
			c.problem("%s: url(%s) names no embedded file", name, ref)
		}
		if a == nil {
			return m
		}
		return []byte("url(" + a.url + ")")
	})
}

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])[:10]
	ext := path.Ext(name)
	a := &asset{
		name:         name,
		url:          prefix + strings.TrimSuffix(name, ext) + "." + hash + ext,
		hash:         hash,
		contentType:  contentType(ext),
		compressible: compressible(ext),
		body:         body,
	}
	a.brotli = sync.OnceValue(func() []byte { return smaller(body, compressBrotli(body)) })
	a.gzip = sync.OnceValue(func() []byte { return smaller(body, compressGzip(body)) })
	return a
}

func contentType(ext string) string {
	switch ext {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".woff2":
		return "font/woff2"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/vnd.microsoft.icon"
	case ".json":
		return "application/json"
	case ".webmanifest":
		return "application/manifest+json"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// compressible is false for formats that are compressed already (woff2, images).
func compressible(ext string) bool {
	switch ext {
	case ".css", ".js", ".svg", ".ico", ".json", ".webmanifest", ".txt", ".map":
		return true
	}
	return false
}

func compressBrotli(b []byte) []byte {
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, brotli.BestCompression)
	if _, err := w.Write(b); err != nil {
		return nil
	}
	if err := w.Close(); err != nil {
		return nil
	}
	return buf.Bytes()
}

func compressGzip(b []byte) []byte {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil
	}
	if _, err := w.Write(b); err != nil {
		return nil
	}
	if err := w.Close(); err != nil {
		return nil
	}
	return buf.Bytes()
}

// smaller returns compressed when it saves bytes, nil otherwise (then the file goes as is).
func smaller(plain, compressed []byte) []byte {
	if compressed == nil || len(compressed) >= len(plain) {
		return nil
	}
	return compressed
}

func (c *catalog) serve(ctx *fiber.Ctx) error {
	a := c.byPath[ctx.Params("*")]
	if a == nil {
		return fiber.ErrNotFound
	}
	ctx.Set(fiber.HeaderCacheControl, cacheForever)
	ctx.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	ctx.Set(fiber.HeaderContentType, a.contentType)

	body, encoding := a.body, ""
	if a.compressible {
		ctx.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
		switch negotiate(ctx.Get(fiber.HeaderAcceptEncoding)) {
		case "br":
			if b := a.brotli(); b != nil {
				body, encoding = b, "br"
			}
		case "gzip":
			if b := a.gzip(); b != nil {
				body, encoding = b, "gzip"
			}
		}
	}
	// Each encoding is its own representation, so its own strong validator.
	etag := a.hash
	if encoding != "" {
		etag += "-" + encoding
		ctx.Set(fiber.HeaderContentEncoding, encoding)
	}
	ctx.Set(fiber.HeaderETag, `"`+etag+`"`)

	// The URL names the content, so any validator carrying the hash is current.
	if inm := ctx.Get(fiber.HeaderIfNoneMatch); inm != "" && (inm == "*" || strings.Contains(inm, a.hash)) {
		ctx.Status(fiber.StatusNotModified)
		return nil
	}
	return ctx.Send(body)
}

// negotiate picks "br", "gzip" or "" (identity) from an Accept-Encoding header, honouring
// q-values; on a tie brotli wins.
func negotiate(header string) string {
	q := map[string]float64{}
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		weight := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					weight = f
				}
			}
		}
		if coding == "x-gzip" {
			coding = "gzip"
		}
		if coding != "" {
			q[coding] = weight
		}
	}
	weight := func(coding string) float64 {
		if w, ok := q[coding]; ok {
			return w
		}
		return q["*"] // 0 when absent
	}
	br, gz := weight("br"), weight("gzip")
	switch {
	case br > 0 && br >= gz:
		return "br"
	case gz > 0:
		return "gzip"
	}
	return ""
}
