package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
)

const mandatStep1 = "/espace-aidant/creation_mandat/"

// postFrom submits a form as a browser on page from does (Referer), CSRF token included.
func postFrom(b *apptest.Browser, path, from string, form url.Values) apptest.Page {
	b.T.Helper()
	form.Set(app.CSRFField, b.Jar[app.CSRFCookie])
	req := httptest.NewRequest(http.MethodPost, b.Env.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", b.Env.URL+from)
	return b.Do(req)
}

// TestActivityCheckKeepsTheSubmittedForm: a form sent after the deadline is held while the
// code is asked, then handed back to be sent to where it was going, with its values and the
// current CSRF token, without any code; once only, and only back to the page it came from.
func TestActivityCheckKeepsTheSubmittedForm(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("MFS")
	p := e.Aidant("jean@example.fr", org, true)
	b := e.Login(p)
	b.Get(mandatStep1)
	e.Clock.Advance(16 * time.Minute)

	r := postFrom(b, mandatStep1, mandatStep1, url.Values{"demarche": {"papiers", "argent"}, "duree": {"LONG"}, "otp_token": {"123456"}})
	want := "/activity_check/?next=" + url.QueryEscape(mandatStep1)
	if r.Status != http.StatusSeeOther || r.Location != want {
		t.Fatalf("stale POST: %d %q, want %q", r.Status, r.Location, want)
	}
	if d := parseHTML(t, b.Get(r.Location).Body); d.Find("#activity-kept").Length() != 1 {
		t.Error("the activity check does not say the form is kept")
	}
	r = b.Post("/activity_check/", url.Values{"otp_token": {e.Code(p)}, "next": {mandatStep1}})
	d := parseHTML(t, r.Body)
	form := d.Find("form#resume-form")
	if r.Header.Get("X-Activity-Left") != "900" {
		t.Errorf("after the code, X-Activity-Left = %q", r.Header.Get("X-Activity-Left"))
	}
	if r.Status != http.StatusOK || form.AttrOr("action", "") != mandatStep1 || form.AttrOr("method", "") != "post" || form.AttrOr("data-autosubmit", "") != "0" {
		t.Fatalf("after the code: %d %s", r.Status, r.Body)
	}
	var got []string
	form.Find("input[type=hidden]").Each(func(_ int, in *goquery.Selection) {
		got = append(got, in.AttrOr("name", "")+"="+in.AttrOr("value", ""))
	})
	if strings.Join(got, " ") != "csrf_token="+b.Jar[app.CSRFCookie]+" demarche=papiers demarche=argent duree=LONG" {
		t.Errorf("resumed fields = %v", got)
	}
	if form.Find("button[type=submit]").Text() != "Continuer" {
		t.Error("no button to send it without JavaScript")
	}
	// Sent again, it goes on as the first submission would have: to FranceConnect.
	e.Clock.Advance(time.Minute)
	if r := postFrom(b, mandatStep1, "/activity_check/", url.Values{"demarche": {"papiers", "argent"}, "duree": {"LONG"}}); r.Status != http.StatusSeeOther || strings.Contains(r.Location, "activity_check") {
		t.Fatalf("resumed submission: %d %q", r.Status, r.Location)
	}

	// Single use: the next activity check returns to the page, with nothing to resume.
	e.Clock.Advance(16 * time.Minute)
	b.Get("/espace-aidant/")
	if r := b.Post("/activity_check/", url.Values{"otp_token": {e.Code(p)}, "next": {mandatStep1}}); r.Status != http.StatusSeeOther || r.Location != mandatStep1 {
		t.Fatalf("second check: %d %q", r.Status, r.Location)
	}
}

// TestActivityCheckPendingBounds: a held form is resumed only by the check that returns to
// its page, within an hour, and a form too large is not held.
func TestActivityCheckPendingBounds(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("MFS")
	p := e.Aidant("jean@example.fr", org, true)
	b := e.Login(p)
	stale := func() {
		e.Clock.Advance(16 * time.Minute)
	}
	check := func(next string) apptest.Page {
		e.Clock.Advance(time.Minute) // a new code
		return b.Post("/activity_check/", url.Values{"otp_token": {e.Code(p)}, "next": {next}})
	}

	// Another page's check: not resumed there.
	stale()
	postFrom(b, mandatStep1, mandatStep1, url.Values{"duree": {"LONG"}})
	if r := check("/espace-aidant/"); r.Status != http.StatusSeeOther || r.Location != "/espace-aidant/" {
		t.Errorf("check for another page: %d %q", r.Status, r.Location)
	}
	// Older than an hour: dropped.
	stale()
	postFrom(b, mandatStep1, mandatStep1, url.Values{"duree": {"LONG"}})
	e.Clock.Advance(time.Hour)
	if r := check(mandatStep1); r.Status != http.StatusSeeOther {
		t.Errorf("an hour later: %d, resumed", r.Status)
	}
	// Too large: not held.
	stale()
	postFrom(b, mandatStep1, mandatStep1, url.Values{"duree": {"LONG"}, "x": {strings.Repeat("a", 9000)}})
	if r := check(mandatStep1); r.Status != http.StatusSeeOther {
		t.Errorf("a 9 KB form: %d, resumed", r.Status)
	}
}

// TestActivityExtend: « Rester connecté » records activity while the session is fresh, and
// says how long is left; past the deadline it extends nothing (409) and the code is asked.
func TestActivityExtend(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("MFS")
	p := e.Aidant("jean@example.fr", org, true)
	b := e.Login(p)
	r := b.Get("/espace-aidant/")
	if left, _ := strconv.Atoi(r.Header.Get("X-Activity-Left")); left < 14*60 || left > 15*60 {
		t.Fatalf("X-Activity-Left = %q", r.Header.Get("X-Activity-Left"))
	}
	if d := parseHTML(t, r.Body); d.Find(`dialog#ac-activity[role="dialog"][aria-modal="true"]`).AttrOr("data-activity-left", "") != r.Header.Get("X-Activity-Left") ||
		d.Find("#ac-activity").AttrOr("data-activity-warn", "") != "120" {
		t.Errorf("activity warning: %v", d.Find("#ac-activity").Nodes)
	}

	e.Clock.Advance(14 * time.Minute)
	r = b.Post("/activity_check/rester-connecte/", url.Values{})
	if r.Status != http.StatusOK || r.Header.Get("X-Activity-Left") != "900" || r.Body != "900" {
		t.Fatalf("extend while fresh: %d %q %q", r.Status, r.Header.Get("X-Activity-Left"), r.Body)
	}
	e.Clock.Advance(14 * time.Minute) // 28 minutes after the last page, 14 after « Rester connecté »
	if r := b.Get("/espace-aidant/"); r.Status != http.StatusOK {
		t.Fatalf("after the extension: %d %q", r.Status, r.Location)
	}

	e.Clock.Advance(16 * time.Minute)
	if r := b.Post("/activity_check/rester-connecte/", url.Values{}); r.Status != http.StatusConflict || r.Header.Get("X-Activity-Left") != "0" {
		t.Fatalf("extend when stale: %d %q", r.Status, r.Header.Get("X-Activity-Left"))
	}
	if r := b.Get("/espace-aidant/"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/activity_check/") {
		t.Fatalf("a stale session after « Rester connecté »: %d %q", r.Status, r.Location)
	}
}
