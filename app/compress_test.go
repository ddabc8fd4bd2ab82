package app_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
)

// Pages are gzipped whatever else the browser accepts (brotli at Fiber's level costs twice
// gzip's CPU for more bytes on these pages, BENCHMARKS.md § Throughput); a client that asks
// for nothing gets the page as it is.
func TestPagesAreGzipped(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	for _, tc := range []struct{ accept, want string }{
		{"gzip, deflate, br, zstd", "gzip"}, // Chromium's
		{"br", ""},
		{"identity", ""},
	} {
		req, _ := http.NewRequest(http.MethodGet, e.URL+paths.Login, nil)
		req.Header.Set("Accept-Encoding", tc.accept)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body := io.Reader(resp.Body)
		if got := resp.Header.Get("Content-Encoding"); got != tc.want {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tc.accept, got, tc.want)
		} else if got == "gzip" {
			if body, err = gzip.NewReader(resp.Body); err != nil {
				t.Fatal(err)
			}
		}
		page, err := io.ReadAll(body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "</html>") {
			t.Errorf("Accept-Encoding %q: %d, %d bytes (%v)", tc.accept, resp.StatusCode, len(page), err)
		}
	}
}
