// Package e2e holds the browser tests: Debian's Chromium, driven through
// chromedp, against a real server on a throwaway database. The package has
// only test files; this file exists so that the package exists.
//
// The harness (see browser_test.go) shares one Chromium process between the
// tests and gives each test its own browser context (a fresh profile, like an
// incognito window). When Chromium is missing the tests skip loudly, except
// under AC_E2E=require (CI), where they fail. AC_CHROMIUM names the binary to
// use and overrides the search.
package e2e
