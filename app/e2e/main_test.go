package e2e

import (
	"os"
	"testing"

	"github.com/aidantsconnect/ac/store/storetest"
)

// TestMain gates the package on Chromium (AC_E2E=require makes its absence fatal), runs the
// tests against real servers on throwaway databases, and stops the shared browser at the end.
func TestMain(m *testing.M) {
	requireBrowser(m)
	code := storetest.Run(m)
	closeBrowser()
	os.Exit(code)
}
