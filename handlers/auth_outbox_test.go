package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/apptest"
)

// outboxRows is every row of the outbox as the database holds it, each column as text: what
// someone reading the table (a dump, a backup, an SQL console) would see.
func outboxRows(t *testing.T, e *apptest.Env) []string {
	t.Helper()
	var rows []string
	if err := e.App.DB.NewRaw("SELECT row_to_json(emails)::text FROM emails ORDER BY id").Scan(context.Background(), &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

// A login link is a credential: the outbox never holds it in clear, yet the dev outbox page
// still shows it and it still logs in.
func TestLoginLinkNeverStoredInClear(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	p := e.Aidant("jean@example.fr", e.Org("MFS"), true)
	b := e.Browser()
	if r := b.Post("/accounts/login/", url.Values{"email": {p.Aidant.Email}, "otp_token": {e.Code(p)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("login: %d", r.Status)
	}
	link := e.LastLoginLink()
	token := strings.TrimSuffix(strings.TrimPrefix(link, "/chargement/code/"), "/")
	rows := outboxRows(t, e)
	if len(rows) != 1 {
		t.Fatalf("outbox rows = %d", len(rows))
	}
	for _, row := range rows {
		if strings.Contains(row, token) || strings.Contains(row, "/chargement/code/") {
			t.Errorf("the outbox holds the login link in clear: %s", row)
		}
	}
	if page := b.Get("/dev/emails/"); page.Status != http.StatusOK || !strings.Contains(page.Body, link) {
		t.Fatalf("the dev outbox does not show the link: %d", page.Status)
	}
	b.Get(link)
	if r := b.Post("/code/"+token+"/", nil); r.Status != http.StatusSeeOther || r.Location != "/espace-aidant/" {
		t.Fatalf("the emailed link does not log in: %d %q", r.Status, r.Location)
	}
}
