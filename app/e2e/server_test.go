package e2e

import (
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
)

// startServer is the real app (apptest.Start: a loopback port, its own database copy, the
// test clock) with the demo seed, as in dev, and a key of its own.
func startServer(t *testing.T, tweak ...func(*app.Config)) *apptest.Env {
	t.Helper()
	return apptest.Start(t, append([]func(*app.Config){apptest.WithDemoSeed, func(c *app.Config) {
		c.SecretKey = []byte("e2e-secret-key-0123456789abcdef-0123456789")
	}}, tweak...)...)
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
