package app

import "testing"

// What a forwarding header's entry may look like: an address, possibly with a port (IPv6 in
// brackets); anything else is not an address and ends the walk.
func TestParseHop(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		" 203.0.113.7 ":        "203.0.113.7",
		"203.0.113.7:4711":     "203.0.113.7",
		"2001:db8::1":          "2001:db8::1",
		"[2001:db8::1]:443":    "2001:db8::1",
		"::ffff:198.51.100.9":  "198.51.100.9",
		"unknown":              "",
		"":                     "",
		"203.0.113.7, 1.2.3.4": "",
		"fe80::1%eth0":         "",
		"999.1.1.1":            "",
	} {
		a, ok := parseHop(in)
		if got := map[bool]string{true: a.String(), false: ""}[ok]; got != want {
			t.Errorf("parseHop(%q) = %q, want %q", in, got, want)
		}
	}
}
