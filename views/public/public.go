package public

import (
	"regexp"
	"strings"
)

// Segment is a piece of an e-mail's text: plain, or a link (URL set).
type Segment struct {
	Text string
	URL  string
}

// urlInText is an http(s) address in a message, up to the first space; a trailing full stop,
// comma, colon or closing bracket is the sentence's, not the address's.
var urlInText = regexp.MustCompile(`https?://[^\s<>"]+`)

// Linkify splits an e-mail's text into plain text and the addresses in it, so that the dev
// outbox can make them links.
func Linkify(text string) []Segment {
	var out []Segment
	last := 0
	for _, m := range urlInText.FindAllStringIndex(text, -1) {
		start, end := m[0], m[1]
		for end > start && strings.ContainsRune(".,;:)]»!?", rune(text[end-1])) {
			end--
		}
		if start > last {
			out = append(out, Segment{Text: text[last:start]})
		}
		out = append(out, Segment{Text: text[start:end], URL: text[start:end]})
		last = end
	}
	if last < len(text) {
		out = append(out, Segment{Text: text[last:]})
	}
	return out
}
