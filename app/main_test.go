package app_test

import (
	"testing"

	"github.com/aidantsconnect/ac/store/storetest"
)

// The App is tested through app/apptest, each test on its own database copy.
func TestMain(m *testing.M) { storetest.Main(m) }
