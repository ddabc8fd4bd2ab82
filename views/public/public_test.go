package public

import (
	"reflect"
	"testing"
)

func TestLinkify(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Segment
	}{
		{"", nil},
		{"Bonjour.", []Segment{{Text: "Bonjour."}}},
		{"Cliquez : http://127.0.0.1:8080/chargement/code/abc/.\nMerci", []Segment{{Text: "Cliquez : "},
			{Text: "http://127.0.0.1:8080/chargement/code/abc/", URL: "http://127.0.0.1:8080/chargement/code/abc/"}, {Text: ".\nMerci"}}},
		{"https://a.fr/x?y=1 et (https://b.fr/)", []Segment{{Text: "https://a.fr/x?y=1", URL: "https://a.fr/x?y=1"}, {Text: " et ("},
			{Text: "https://b.fr/", URL: "https://b.fr/"}, {Text: ")"}}},
	} {
		if got := Linkify(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Linkify(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}
