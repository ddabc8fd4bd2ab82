// Package mail renders the e-mails the application sends, as plain text: one component per
// message, its subject beside it.
//
// templ escapes for HTML what { } prints and folds the whitespace of literal text, neither of
// which a plain-text body wants: a message is written as a sequence of line calls, each
// printing its text verbatim and ending it with a newline.
package mail

import (
	"context"
	"io"
	"strings"

	"github.com/a-h/templ"
)

// Render renders a message component to its text.
func Render(ctx context.Context, c templ.Component) (string, error) {
	var b strings.Builder
	if err := c.Render(ctx, &b); err != nil {
		return "", err
	}
	return b.String(), nil
}

// line prints its parts as they are, then a newline; line() is an empty line.
func line(parts ...string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, strings.Join(parts, "")+"\n")
		return err
	})
}
