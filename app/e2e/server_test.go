package e2e

import (
	"context"
	"io"
	"log/slog"
	"net"
	"regexp"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/store/storetest"
)

// server is the real app, listening on a loopback port, on its own database copy.
type server struct {
	URL string
	App *app.App
}

func startServer(t *testing.T, tweak ...func(*app.Config)) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := app.Config{
		Mode: app.ModeDev, Addr: ln.Addr().String(), BaseURL: base, DatabaseURL: storetest.NewDSN(t),
		SecretKey: []byte("e2e-secret-key-0123456789abcdef-0123456789"), SessionTTL: 24 * time.Hour,
		ActivityTimeout: 15 * time.Minute, LoginRateLimit: 1000, LoginRateWindow: 10 * time.Minute,
	}
	for _, f := range tweak {
		f(&cfg)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	return &server{URL: base, App: a}
}

var loginLink = regexp.MustCompile(`https?://[^\s]+/chargement/code/[A-Za-z0-9_-]+/`)

// lastLoginLink reads the newest login link from the outbox, through the store.
func (s *server) lastLoginLink(t *testing.T) string {
	t.Helper()
	es, err := s.App.Store.ListEmails(context.Background(), 1)
	if err != nil || len(es) == 0 {
		t.Fatalf("no email in the outbox (%v)", err)
	}
	link := loginLink.FindString(es[0].BodyText)
	if link == "" {
		t.Fatalf("no login link in %q", es[0].BodyText)
	}
	return link
}

// inBothModes runs a journey twice, as subtests "js" and "nojs": every page must work
// without JavaScript too.
func inBothModes(t *testing.T, journey func(t *testing.T, noJS bool)) {
	for _, noJS := range []bool{false, true} {
		name := "js"
		if noJS {
			name = "nojs"
		}
		t.Run(name, func(t *testing.T) { journey(t, noJS) })
	}
}
