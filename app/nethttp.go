package app

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net/http"

	"github.com/gofiber/fiber/v2"
)

// mountHTTP serves a net/http handler (zitadel's OP, the FranceConnect simulator) for prefix and
// every path below it, every method, after the guards if any; h sees the full path, prefix
// included.
//
// Fiber's adaptor hands the handler strings that alias fasthttp's buffers, which are reused by the
// next request once this one returns; zitadel keeps some of them (auth requests, clients) and they
// changed under it ("client not found" at the callback). So the request is rebuilt from copies, and
// the response is buffered, then copied into Fiber's.
func mountHTTP(r fiber.Router, prefix string, h http.Handler, guards ...fiber.Handler) {
	handler := func(c *fiber.Ctx) error {
		req, err := copyRequest(c)
		if err != nil {
			return fiber.NewError(fiber.StatusBadRequest, err.Error())
		}
		w := &bufferedResponse{header: http.Header{}}
		h.ServeHTTP(w, req)
		w.copyTo(c)
		return nil
	}
	chain := with(guards, handler)
	r.All(prefix, chain...)
	r.All(prefix+"/*", chain...)
}

// copyRequest builds an *http.Request that owns all its memory: every string(b) conversion and
// bytes.Clone below allocates, where fasthttp's own accessors alias its buffers.
func copyRequest(c *fiber.Ctx) (*http.Request, error) {
	fr := c.Request()
	uri := string(fr.RequestURI())
	req, err := http.NewRequestWithContext(c.UserContext(), string(fr.Header.Method()), uri,
		bytes.NewReader(bytes.Clone(fr.Body())))
	if err != nil {
		return nil, fmt.Errorf("mount %s: %w", uri, err)
	}
	req.RequestURI = uri
	req.Host = string(fr.Host())
	req.RemoteAddr = c.Context().RemoteAddr().String()
	if c.Context().IsTLS() {
		req.TLS = &tls.ConnectionState{}
	}
	fr.Header.VisitAll(func(k, v []byte) {
		if key := string(k); key != fiber.HeaderHost { // net/http keeps it in req.Host only
			req.Header.Add(key, string(v))
		}
	})
	return req, nil
}

// bufferedResponse is the http.ResponseWriter given to h: it keeps the response in memory with
// net/http's semantics (headers frozen at WriteHeader, implicit 200, sniffed Content-Type).
type bufferedResponse struct {
	header, sent http.Header
	status       int
	body         bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status != 0 {
		return
	}
	b.status, b.sent = status, b.header.Clone()
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		if b.header.Get("Content-Type") == "" {
			b.header.Set("Content-Type", http.DetectContentType(p))
		}
		b.WriteHeader(http.StatusOK)
	}
	return b.body.Write(p)
}

// copyTo replaces what the middlewares set for the same names (the handler knows its Content-Type
// and caching better) and keeps the rest (security headers). fasthttp copies every value it gets.
func (b *bufferedResponse) copyTo(c *fiber.Ctx) {
	res := c.Response()
	if b.status == 0 {
		b.WriteHeader(http.StatusOK)
	}
	res.SetStatusCode(b.status)
	for k, vs := range b.sent {
		switch k {
		case "Content-Length", "Transfer-Encoding", "Connection": // fasthttp computes these
			continue
		}
		res.Header.Del(k)
		for _, v := range vs {
			res.Header.Add(k, v)
		}
	}
	res.SetBody(b.body.Bytes())
}
