package mail

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// smtpSink is a minimal SMTP server that records what it receives (outgoing mail is one of
// the things tests may fake).
type smtpSink struct {
	mu       sync.Mutex
	messages []string
	rcpts    []string
	refuse   bool
}

func (s *smtpSink) serve(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.session(c)
		}
	}()
	return ln.Addr().String()
}

func (s *smtpSink) session(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(line string) { io.WriteString(c, line+"\r\n") }
	say("220 sink")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 sink")
		case strings.HasPrefix(cmd, "MAIL FROM"):
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO"):
			s.mu.Lock()
			refuse := s.refuse
			if !refuse {
				s.rcpts = append(s.rcpts, strings.TrimSpace(line[8:]))
			}
			s.mu.Unlock()
			if refuse {
				say("550 no")
			} else {
				say("250 ok")
			}
		case cmd == "DATA":
			say("354 go")
			var msg strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil || l == ".\r\n" {
					break
				}
				msg.WriteString(l)
			}
			s.mu.Lock()
			s.messages = append(s.messages, msg.String())
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func TestDeliverOnceAndRetryFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sealer, _ := store.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	st := store.New(storetest.New(t), storetest.NewClock(t).Now, sealer)
	sink := &smtpSink{refuse: true}
	addr := sink.serve(t)
	s, err := New("smtp://"+addr, "Aidants Connect <nepasrepondre@example.fr>", st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.QueueEmail(ctx, store.Email{To: "jean@example.fr", Subject: "Votre lien de connexion à Aidants Connect", BodyText: "Bonjour Jean,\nvoici le lien."}); err != nil {
		t.Fatal(err)
	}
	es, _ := st.ListEmails(ctx, 1)
	id := es[0].ID
	// The server refuses: an error for the job to retry, nothing marked sent.
	if err := st.DeliverEmail(ctx, id, s.Send); err == nil {
		t.Fatal("a refused message was reported delivered")
	}
	if es, _ := st.ListEmails(ctx, 10); es[0].SentAt != nil {
		t.Fatal("a refused message was marked sent")
	}
	sink.mu.Lock()
	sink.refuse = false
	sink.mu.Unlock()
	if err := st.DeliverEmail(ctx, id, s.Send); err != nil {
		t.Fatal(err)
	}
	if err := st.DeliverEmail(ctx, id, s.Send); err != nil { // delivered already: no second delivery
		t.Fatal(err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.messages) != 1 || len(sink.rcpts) != 1 || !strings.Contains(sink.rcpts[0], "jean@example.fr") {
		t.Fatalf("delivered %d messages to %v", len(sink.messages), sink.rcpts)
	}
	msg := sink.messages[0]
	for _, want := range []string{"Subject: =?utf-8?q?Votre_lien_de_connexion_=C3=A0_Aidants_Connect?=", "Bonjour Jean,\r\nvoici le lien.", "Content-Type: text/plain; charset=utf-8", "From: \"Aidants Connect\" <nepasrepondre@example.fr>"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if es, _ := st.ListEmails(ctx, 10); es[0].SentAt == nil {
		t.Fatal("delivered message not marked sent")
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "http://x", "smtp://"} {
		if _, err := New(u, "a@b.fr", nil, nil); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

// outboxRows is every outbox row as the database holds it, each column as text.
func outboxRows(t *testing.T, st *store.Store) []string {
	t.Helper()
	var rows []string
	if err := st.DB().NewRaw("SELECT row_to_json(emails)::text FROM emails ORDER BY id").Scan(context.Background(), &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

// Once delivered, a message's body (a login link is a credential) is gone from the outbox:
// no row holds anything that logs in, even for whoever holds the key.
func TestDeliveredBodiesAreWiped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sealer, _ := store.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	st := store.New(storetest.New(t), storetest.NewClock(t).Now, sealer)
	sink := &smtpSink{}
	s, err := New("smtp://"+sink.serve(t), "Aidants Connect <nepasrepondre@example.fr>", st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	const link = "https://aidantsconnect.example/chargement/code/c2VjcmV0LWxpbmstdG9rZW4tMDEyMzQ1Njc4OWFiY2RlZg/"
	if err := st.QueueEmail(ctx, store.Email{To: "jean@example.fr", Subject: "Votre lien de connexion à Aidants Connect", BodyText: "Bonjour Jean,\n" + link + "\n"}); err != nil {
		t.Fatal(err)
	}
	es, _ := st.ListEmails(ctx, 1)
	if err := st.DeliverEmail(ctx, es[0].ID, s.Send); err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	delivered := strings.Join(sink.messages, "")
	sink.mu.Unlock()
	if !strings.Contains(delivered, link) {
		t.Fatalf("the link was not delivered: %q", delivered)
	}
	for _, row := range outboxRows(t, st) {
		if strings.Contains(row, "chargement") || strings.Contains(row, "c2VjcmV0") {
			t.Errorf("a delivered row still holds the link: %s", row)
		}
	}
	es, err = st.ListEmails(ctx, 10)
	if err != nil || len(es) != 1 || es[0].SentAt == nil || es[0].BodyText != "" || es[0].To != "jean@example.fr" {
		t.Fatalf("after delivery: %+v %v", es, err)
	}
}

// The outbox keeps who was written to, when and about what for the retention period (30 days
// by default), then forgets it, sent or not.
func TestOutboxPurgedAfterRetention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sealer, _ := store.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	clock := storetest.NewClock(t)
	st := store.New(storetest.New(t), clock.Now, sealer)
	queue := func(to string) {
		if err := st.QueueEmail(ctx, store.Email{To: to, Subject: "Votre lien de connexion à Aidants Connect", BodyText: "Bonjour"}); err != nil {
			t.Fatal(err)
		}
	}
	queue("ancien@example.fr")
	clock.Advance(20 * 24 * time.Hour)
	queue("recent@example.fr")
	clock.Advance(10*24*time.Hour + time.Minute) // the first is past 30 days, the second is 10 days old
	if err := st.PurgeOutbox(ctx, 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	es, err := st.ListEmails(ctx, 10)
	if err != nil || len(es) != 1 || es[0].To != "recent@example.fr" {
		t.Fatalf("after the purge: %+v %v", es, err)
	}
}
