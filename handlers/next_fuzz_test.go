package handlers_test

import (
	"net/url"
	"strings"
	"testing"
	"unicode"

	"github.com/aidantsconnect/ac/handlers"
)

// FuzzSafeNext: whatever the input, SafeNext gives "" or a local path of this site that
// SafeNext maps to itself, which a browser resolves on this site's host.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/espace-aidant/", "/espace-aidant/usagers/?q=dupont&page=2", "/authorize?client_id=x&redirect_uri=https%3A%2F%2Fx",
		"", "/", "//evil.example/", "/\\evil.example", "\\\\evil", "https://evil.example/", "javascript:alert(1)", "/a\r\nLocation: x",
		"/%2F%2Fevil.example", "/..//evil.example", "/./", "/a#//evil", "/ /", "/\x00", "/é?q=è", "///x", "/\t/evil", "http:/evil",
		"/a?next=//evil", "/%5Cevil", "/\u3000/evil", "/%zz"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://aidantsconnect.beta.gouv.fr/espace-aidant/")
	f.Fuzz(func(t *testing.T, next string) {
		out := handlers.SafeNext(next)
		if out == "" {
			return
		}
		if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.HasPrefix(out, "/\\") {
			t.Fatalf("SafeNext(%q) = %q: not a local path", next, out)
		}
		if strings.ContainsFunc(out, func(r rune) bool {
			return r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) || r > unicode.MaxASCII
		}) {
			t.Fatalf("SafeNext(%q) = %q: a backslash, a space, a control character or a character beyond ASCII", next, out)
		}
		if again := handlers.SafeNext(out); again != out {
			t.Fatalf("SafeNext(%q) = %q, but SafeNext(%q) = %q", next, out, out, again)
		}
		// As a browser reads a Location: backslashes are slashes; the host stays ours.
		for _, loc := range []string{out, strings.ReplaceAll(out, "\\", "/")} {
			u, err := url.Parse(loc)
			if err != nil {
				t.Fatalf("SafeNext(%q) = %q, which does not parse: %v", next, out, err)
			}
			if r := base.ResolveReference(u); r.Host != base.Host || r.Scheme != base.Scheme || r.User != nil {
				t.Fatalf("SafeNext(%q) = %q leads to %s", next, out, r)
			}
		}
	})
}
