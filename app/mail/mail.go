// Package mail delivers the outbox over SMTP in production. In dev and sandbox nothing is
// sent: messages stay in the outbox, readable at /dev/emails/.
package mail

import (
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/aidantsconnect/ac/store"
)

// Sender delivers queued emails through one SMTP server.
type Sender struct {
	host, addr string
	auth       smtp.Auth
	from       *mail.Address
	st         *store.Store
	log        *slog.Logger
}

// New parses smtpURL (smtp://user:pass@host:port) and the From address.
func New(smtpURL, from string, st *store.Store, log *slog.Logger) (*Sender, error) {
	u, err := url.Parse(smtpURL)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
		return nil, fmt.Errorf("AC_SMTP_URL must look like smtp://user:password@host:587")
	}
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("AC_MAIL_FROM: %w", err)
	}
	port := u.Port()
	if port == "" {
		port = "587"
	}
	s := &Sender{host: u.Hostname(), addr: net.JoinHostPort(u.Hostname(), port), from: fromAddr, st: st, log: log}
	if u.User != nil {
		pass, _ := u.User.Password()
		s.auth = smtp.PlainAuth("", u.User.Username(), pass, u.Hostname())
	}
	return s, nil
}

// Send delivers one message over SMTP (the job queue's delivery worker calls it).
func (s *Sender) Send(e store.Email) error {
	to, err := mail.ParseAddress(e.To)
	if err != nil {
		return fmt.Errorf("recipient: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\n", s.from.String())
	fmt.Fprintf(&b, "To: %s\r\n", to.String())
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", e.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", e.CreatedAt.Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(e.BodyText, "\n", "\r\n"))
	return smtp.SendMail(s.addr, s.auth, s.from.Address, []string{to.Address}, []byte(b.String()))
}
