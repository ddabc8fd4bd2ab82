package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/apptest"
)

// TestErrorFragmentsForHTMX: an error answering an htmx request that is not a navigation (a
// live search) is the message alone, sent to the layout's error region and kept out of the
// history; a boosted navigation and a plain request get the whole error page.
func TestErrorFragmentsForHTMX(t *testing.T) {
	e := apptest.Start(t)
	_, b := e.LoginAidant("aidant@example.fr", e.Org("Structure"))
	for _, tc := range []struct {
		name, path string
		status     int
	}{
		{"NUL in a live search", "/espace-aidant/usagers/?onglet=actifs&q=%00", http.StatusUnprocessableEntity},
		{"unknown usager", "/espace-aidant/usagers/999999999/", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, e.URL+tc.path, nil)
			req.Header.Set("HX-Request", "true")
			req.Header.Set("HX-Target", "usagers-results")
			r := b.Do(req)
			d := parseHTML(t, r.Body)
			if r.Status != tc.status || d.Find("main, header, h1, [id]").Length() != 0 || d.Find(`[role="alert"]`).Length() != 1 ||
				strings.TrimSpace(d.Find(`[role="alert"]`).Text()) == "" {
				t.Fatalf("fragment: %d %s", r.Status, r.Body)
			}
			for h, want := range map[string]string{"HX-Retarget": "#ac-error", "HX-Reswap": "innerHTML", "HX-Push-Url": "false"} {
				if got := r.Header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}

			b.HTMX = true // boosted
			page := b.Get(tc.path)
			b.HTMX = false
			plain := b.Get(tc.path)
			for _, p := range []apptest.Page{page, plain} {
				if p.Status != tc.status || parseHTML(t, p.Body).Find("main").Length() != 1 || p.Header.Get("HX-Retarget") != "" {
					t.Errorf("page: %d, HX-Retarget %q", p.Status, p.Header.Get("HX-Retarget"))
				}
			}
		})
	}
}
