package attestation

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/layout"
)

// paris is a fixed zone so the tests need no tz database; handlers pass Europe/Paris times.
var paris = time.FixedZone("CET", 3600)

func created() time.Time { return time.Date(2026, 11, 24, 14, 5, 0, 0, paris) }

func demarches(keys ...string) []store.Demarche {
	var ds []store.Demarche
	for _, k := range keys {
		d, ok := store.FindDemarche(k)
		if !ok {
			panic("unknown démarche " + k)
		}
		ds = append(ds, d)
	}
	return ds
}

func sample() Data {
	return Data{
		UsagerName:        "Marie DUPONT",
		OrganisationName:  "France Services de Beaugency",
		OrganisationPlace: "3 place du Martroi, 45190 Beaugency",
		OrganisationCity:  "Beaugency",
		AidantName:        "Jean Martin",
		Demarches:         demarches("papiers", "social", "argent"),
		DureeLabel:        "pour une durée de 1 jour",
		CreatedAt:         created(),
		ExpiresAt:         created().AddDate(0, 0, 1),
		VerifyURL:         "https://aidantsconnect.example.fr/mandats/verifier/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFi",
		AttestationHash:   strings.Repeat("0123456789abcdef", 4),
		Status:            store.StatusActive,
	}
}

// render returns the component's HTML and its parsed document, after checking what the CSP
// would block: style attributes, <style> elements, inline scripts and event handlers.
func render(t *testing.T, c templ.Component) (string, *goquery.Document) {
	t.Helper()
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatalf("render: %v", err)
	}
	html := b.String()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if n := doc.Find("[style], style").Length(); n > 0 || strings.Contains(html, "style=") {
		t.Errorf("inline style found (%d elements)", n)
	}
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if src, _ := s.Attr("src"); src == "" || strings.TrimSpace(s.Text()) != "" {
			t.Errorf("inline script: %s", outer(s))
		}
	})
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("event handler attribute %s on <%s>", a.Key, goquery.NodeName(s))
			}
		}
	})
	return html, doc
}

// outer is the element's HTML, for failure messages.
func outer(s *goquery.Selection) string {
	h, err := goquery.OuterHtml(s)
	if err != nil {
		return err.Error()
	}
	return h
}

// text is the element's text with whitespace collapsed, as a reader hears it.
func text(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

// checkHeadings asserts one h1 and no skipped level going down.
func checkHeadings(t *testing.T, doc *goquery.Document) {
	t.Helper()
	if n := doc.Find("h1").Length(); n != 1 {
		t.Errorf("%d h1, want 1", n)
	}
	prev := 0
	doc.Find("h1, h2, h3, h4, h5, h6").Each(func(_ int, s *goquery.Selection) {
		level := int(goquery.NodeName(s)[1] - '0')
		if level > prev+1 {
			t.Errorf("heading %q is h%d after h%d", text(s), level, prev)
		}
		prev = level
	})
}

func TestDocument(t *testing.T) {
	t.Parallel()
	d := sample()
	_, doc := render(t, Document(d))
	body := text(doc.Selection)

	if n := doc.Find("script").Length(); n != 0 {
		t.Errorf("%d <script> in the document fragment", n)
	}
	if n := doc.Find("h1").Length(); n != 0 {
		t.Errorf("the document fragment has %d h1, want none (the page owns it)", n)
	}
	if got := text(doc.Find("h2")); got != "Mandat pour réaliser des démarches en ligne avec le service « Aidants Connect »" {
		t.Errorf("title = %q", got)
	}
	for _, want := range []string{
		"Je m'appelle Marie DUPONT et je suis le mandant.",
		"J'autorise l'organisation France Services de Beaugency, située 3 place du Martroi, 45190 Beaugency, à agir en tant que mandataire",
		"Ce mandat est donné pour une durée de 1 jour. Il prend fin le mercredi 25 novembre 2026 à 14h05, à l'heure de sa signature (heure de Paris).",
		"articles 1984 et suivants du Code civil",
		"révoquer ce mandat à tout moment",
		"ni sous tutelle ni sous curatelle",
		"RGPD",
		"L'aidant qui agit pour l'organisation mandataire s'engage à :",
		"quand je confie les mêmes démarches à une autre personne ou organisation.",
		"Fait à Beaugency, le mardi 24 novembre 2026",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("document lacks %q", want)
		}
	}
	if strings.Contains(body, "Mandat valide") {
		t.Error("the status belongs to the screen, not to the document text")
	}

	items := doc.Find("li:has(strong)")
	if items.Length() != len(d.Demarches) {
		t.Fatalf("%d démarche items, want %d", items.Length(), len(d.Demarches))
	}
	items.Each(func(i int, s *goquery.Selection) {
		dm := d.Demarches[i]
		if got, want := text(s), dm.Title+" : "+dm.Description; got != want {
			t.Errorf("démarche %d = %q, want %q", i, got, want)
		}
	})

	boxes := doc.Find(".ac-attestation-signature")
	if boxes.Length() != 2 {
		t.Fatalf("%d signature boxes, want 2", boxes.Length())
	}
	for i, want := range []struct{ label, name string }{
		{"Le mandataire", "France Services de Beaugency, représentée par Jean Martin"},
		{"Le mandant", "Marie DUPONT"},
	} {
		box := boxes.Eq(i)
		id, _ := box.Attr("aria-labelledby")
		if got := text(doc.Find("#" + id)); got != want.label || box.AttrOr("role", "") != "group" {
			t.Errorf("box %d labelled %q (role %q), want %q", i, got, box.AttrOr("role", ""), want.label)
		}
		if !strings.Contains(text(box), want.name) {
			t.Errorf("box %d = %q, want it to name %q", i, text(box), want.name)
		}
	}
	if row := boxes.Parent().Parent(); row.Length() != 1 || !row.HasClass("fr-grid-row") || boxes.Parent().Filter(".fr-col-6").Length() != 2 {
		t.Error("signature boxes are not two half-width columns of one row")
	}

	qr := doc.Find(`svg[role="img"]`)
	if qr.Length() != 1 || qr.AttrOr("aria-label", "") != "QR code de vérification du mandat" {
		t.Errorf("QR code svg: %d, aria-label %q", qr.Length(), qr.AttrOr("aria-label", ""))
	}
	small := text(doc.Find(".ac-attestation-small"))
	if !strings.Contains(small, d.VerifyURL) || !strings.Contains(small, d.AttestationHash) {
		t.Errorf("small print %q lacks the URL or the hash", small)
	}
}

func TestDocumentWithoutVerification(t *testing.T) {
	t.Parallel()
	d := sample()
	d.VerifyURL, d.AttestationHash, d.OrganisationPlace, d.OrganisationCity, d.AidantName = "", "", "", "", ""
	_, doc := render(t, Document(d))
	body := text(doc.Selection)
	if doc.Find("svg").Length() != 0 || strings.Contains(body, "Vérification") {
		t.Error("no URL and no hash, yet a verification block")
	}
	for _, want := range []string{
		"J'autorise l'organisation France Services de Beaugency à agir en tant que mandataire",
		"Fait le mardi 24 novembre 2026",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("document lacks %q", want)
		}
	}
	if got := text(doc.Find(".ac-attestation-signature").First().Find("p").Last()); got != "France Services de Beaugency" {
		t.Errorf("mandataire box names %q", got)
	}
}

func TestPage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		created bool
		pdfURL  string
	}{
		{"just created", true, "/espace-aidant/mandats/42/attestation.pdf"},
		{"viewed later", false, "/espace-aidant/mandats/42/attestation.pdf"},
		{"no pdf", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, doc := render(t, Page(layout.Shell{Title: "Impression du mandat"}, PageData{Doc: sample(), PDFURL: tc.pdfURL, Created: tc.created}))
			checkHeadings(t, doc)
			if got := text(doc.Find("title")); got != "Impression du mandat - Aidants Connect" {
				t.Errorf("title = %q", got)
			}
			if got := text(doc.Find("h1")); got != "Mandat de Marie DUPONT" {
				t.Errorf("h1 = %q", got)
			}
			success := doc.Find(".fr-alert--success")
			if got := success.Length() == 1 && text(success.Find(".fr-alert__title")) == "Le mandat a été créé."; got != tc.created {
				t.Errorf("success message shown = %v, want %v", got, tc.created)
			}
			screen := doc.Find(".fr-no-print")
			if !strings.Contains(text(screen), "Utilisez la fonction Imprimer de votre navigateur (Ctrl+P)") {
				t.Error("no print hint")
			}
			if got := text(screen.Find(".fr-badge")); got != "Mandat valide" {
				t.Errorf("status badge = %q", got)
			}
			if n := doc.Find("main button").Length(); n != 0 {
				t.Errorf("%d buttons in main: printing needs none", n)
			}
			link := screen.Find("a.fr-link--download")
			if tc.pdfURL == "" {
				if link.Length() != 0 {
					t.Error("download link without a PDF URL")
				}
			} else {
				_, download := link.Attr("download")
				if link.AttrOr("href", "") != tc.pdfURL || !download || link.AttrOr("hx-boost", "") != "false" ||
					!strings.HasPrefix(text(link), "Télécharger le PDF") {
					t.Errorf("download link = %s", outer(link))
				}
			}
			printed := doc.Find(".ac-attestation-print")
			if printed.Length() != 1 || printed.Find("article.ac-attestation-document").Length() != 1 ||
				printed.Closest(".fr-no-print").Length() != 0 || screen.Find(".ac-attestation-print").Length() != 0 {
				t.Error("the document is not the one printable block")
			}
			if strings.Contains(text(printed), "Mandat valide") || printed.Find("h1").Length() != 0 {
				t.Error("screen-only content inside the printed block")
			}
		})
	}
}

func TestRevocationPage(t *testing.T) {
	t.Parallel()
	revoked := time.Date(2027, 2, 1, 9, 30, 0, 0, paris)
	for _, tc := range []struct {
		name      string
		whole     bool
		keys      []string
		title     string
		statement string
	}{
		{"whole mandat", true, []string{"papiers", "argent"}, "Révocation d'un mandat via le service Aidants Connect",
			"Je soussigné(e) Marie DUPONT révoque le mandat donné à France Services de Beaugency le mardi 24 novembre 2026 à 14h05 avec le service « Aidants Connect », pour les démarches :"},
		{"whole mandat, one démarche", true, []string{"logement"}, "Révocation d'un mandat via le service Aidants Connect",
			"Je soussigné(e) Marie DUPONT révoque le mandat donné à France Services de Beaugency le mardi 24 novembre 2026 à 14h05 avec le service « Aidants Connect », pour la démarche :"},
		{"one autorisation", false, []string{"social"}, "Révocation d'une autorisation via le service Aidants Connect",
			"Je soussigné(e) Marie DUPONT révoque l'autorisation donnée à France Services de Beaugency le mardi 24 novembre 2026 à 14h05 avec le service « Aidants Connect », pour la démarche :"},
		{"several autorisations", false, []string{"social", "travail"}, "Révocation d'une autorisation via le service Aidants Connect",
			"Je soussigné(e) Marie DUPONT révoque les autorisations données à France Services de Beaugency le mardi 24 novembre 2026 à 14h05 avec le service « Aidants Connect », pour les démarches :"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := RevocationData{UsagerName: "Marie DUPONT", OrganisationName: "France Services de Beaugency", OrganisationCity: "Beaugency",
				MandatCreatedAt: created(), RevokedAt: revoked, Demarches: demarches(tc.keys...), WholeMandat: tc.whole}
			_, doc := render(t, RevocationPage(layout.Shell{Title: "Attestation de révocation"}, d))
			checkHeadings(t, doc)
			if got := text(doc.Find("h1")); got != "Attestation de révocation" {
				t.Errorf("h1 = %q", got)
			}
			printed := doc.Find(".ac-attestation-print")
			if got := text(printed.Find("h2")); got != tc.title {
				t.Errorf("document title = %q, want %q", got, tc.title)
			}
			body := text(printed)
			for _, want := range []string{tc.statement, "Cette révocation prend effet le lundi 1er février 2027", "Fait à Beaugency, le lundi 1er février 2027"} {
				if !strings.Contains(body, want) {
					t.Errorf("attestation lacks %q in %q", want, body)
				}
			}
			if got := strings.Contains(body, "Les autres démarches du mandat"); got == tc.whole {
				t.Errorf("mentions the other démarches = %v for whole mandat = %v", got, tc.whole)
			}
			for _, dm := range d.Demarches {
				if !strings.Contains(text(printed.Find("li")), dm.Title) {
					t.Errorf("démarche %q missing", dm.Title)
				}
			}
			box := printed.Find(".ac-attestation-signature")
			if box.Length() != 1 || text(doc.Find("#"+box.AttrOr("aria-labelledby", ""))) != "Le mandant" {
				t.Errorf("%d signature boxes, want 1 labelled Le mandant", box.Length())
			}
			if !strings.Contains(text(doc.Find(".fr-no-print")), "Utilisez la fonction Imprimer de votre navigateur (Ctrl+P)") {
				t.Error("no print hint")
			}
		})
	}
}

func TestVerifyPage(t *testing.T) {
	t.Parallel()
	usager := store.Usager{GivenName: "Marie", FamilyName: "Dupont", Gender: "female",
		Birthdate: time.Date(1950, 3, 12, 0, 0, 0, 0, time.UTC), Birthplace: "45234", Email: "marie@example.org"}
	revokedAt := time.Date(2027, 1, 5, 10, 0, 0, 0, paris)
	for _, tc := range []struct {
		status     store.MandatStatus
		revokedAt  *time.Time
		badge      string
		badgeClass string
		sentence   string
	}{
		{store.StatusActive, nil, "Mandat valide", "fr-badge--success", "Ce mandat est en cours : l'organisation mandataire peut réaliser des démarches pour le compte de la personne jusqu'au mercredi 24 novembre 2027."},
		{store.StatusExpired, nil, "Mandat expiré", "fr-badge--warning", "Ce mandat n'est plus valable : il a pris fin le mercredi 24 novembre 2027."},
		{store.StatusRevoked, &revokedAt, "Mandat révoqué", "fr-badge--error", "Ce mandat n'est plus valable : il a été révoqué le mardi 5 janvier 2027."},
	} {
		t.Run(string(tc.status), func(t *testing.T) {
			t.Parallel()
			d := VerifyData{Status: tc.status, OrganisationName: "France Services de Beaugency", Initials: usager.Initials(),
				CreatedAt: created(), ExpiresAt: created().AddDate(1, 0, 0), RevokedAt: tc.revokedAt}
			html, doc := render(t, VerifyPage(layout.Shell{Title: "Vérification d'un mandat"}, d))
			checkHeadings(t, doc)
			if got := text(doc.Find("h1")); got != "Vérification d'un mandat" {
				t.Errorf("h1 = %q", got)
			}
			b := doc.Find("main .fr-badge")
			if text(b) != tc.badge || !b.HasClass(tc.badgeClass) {
				t.Errorf("badge = %q %v, want %q .%s", text(b), b.AttrOr("class", ""), tc.badge, tc.badgeClass)
			}
			main := text(doc.Find("main"))
			for _, want := range []string{tc.sentence, "M. D.", "France Services de Beaugency", "Date de création : mardi 24 novembre 2026", "Date de fin : mercredi 24 novembre 2027"} {
				if !strings.Contains(main, want) {
					t.Errorf("page lacks %q", want)
				}
			}
			if got := strings.Contains(main, "Date de révocation : mardi 5 janvier 2027"); got != (tc.revokedAt != nil) {
				t.Errorf("revocation date shown = %v", got)
			}
			// Whoever holds the paper may scan it: nothing but initials about the person.
			forbidden := []string{"Marie", "Dupont", "DUPONT", usager.FullName(), "1950", "12/03", "12 mars", "45234", usager.Email, "Jean Martin"}
			for _, dm := range store.Demarches() {
				forbidden = append(forbidden, dm.Title, dm.ShortTitle, dm.Description)
			}
			for _, f := range forbidden {
				if strings.Contains(html, f) {
					t.Errorf("the public page reveals %q", f)
				}
			}
		})
	}
}
