package handlers_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store/storetest"
)

// The handlers are tested from outside, through the whole App (app/apptest), each test on its
// own database copy.
func TestMain(m *testing.M) { storetest.Main(m) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func parseHTML(t *testing.T, body string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var paris = mustLoadParis()

func mustLoadParis() *time.Location {
	l, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return l
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// words is the selection's text with element boundaries as spaces (tags in a list, links in
// a cell are separate words), squashed.
func words(s *goquery.Selection) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.Data != "span" {
				b.WriteString(" ")
			}
			walk(c)
			if c.Type == html.ElementNode && c.Data != "span" {
				b.WriteString(" ")
			}
		}
	}
	for _, n := range s.Nodes {
		walk(n)
	}
	return squash(b.String())
}

// cells returns each row of the table's body as its cells' text, and the links of its last cell.
func cells(d *goquery.Document, sel string) (rows [][]string, links [][]string) {
	d.Find(sel + " tbody tr").Each(func(_ int, tr *goquery.Selection) {
		var row []string
		tr.Find("th, td").Each(func(_ int, c *goquery.Selection) { row = append(row, words(c)) })
		var ls []string
		tr.Find("td").Last().Find("a").Each(func(_ int, a *goquery.Selection) { ls = append(ls, a.AttrOr("href", "")) })
		rows, links = append(rows, row), append(links, ls)
	})
	return rows, links
}

// mandatIDIn is the id of the mandat whose page location is (paths.Mandats + id + "/…"), as
// the signature's redirect gives it.
func mandatIDIn(t *testing.T, location string) int64 {
	t.Helper()
	rest, ok := strings.CutPrefix(location, paths.Mandats)
	if !ok {
		t.Fatalf("%q is not a mandat's page", location)
	}
	return mustInt(t, strings.Split(rest, "/")[0])
}
