package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const (
	// testTimeout bounds one test's browser work, so that a hung browser fails
	// the test instead of hanging CI. It is not a timing assertion.
	testTimeout = 60 * time.Second
	// startTimeout bounds the start of the shared Chromium process.
	startTimeout = 30 * time.Second
)

// errNoBrowser means that no Chromium binary was found.
var errNoBrowser = errors.New("chromium not found")

// skippedBanner is printed once when the browser tests skip, loud enough to be
// seen in a long log.
const skippedBanner = `
================================================================================
=== E2E BROWSER TESTS SKIPPED: %v
=== Install Debian's chromium package (apt-get install -y chromium).
=== CI sets AC_E2E=require, which turns this skip into a failure.
================================================================================
`

// findChromium returns the Chromium binary to drive: $AC_CHROMIUM when set
// (and nothing else, so that AC_CHROMIUM=/nonexistent simulates a machine
// without a browser), else Debian's /usr/bin/chromium, else chromium or
// chromium-browser from PATH.
func findChromium(getenv func(string) string) (string, error) {
	if p := getenv("AC_CHROMIUM"); p != "" {
		if isExecutable(p) {
			return p, nil
		}
		return "", fmt.Errorf("%w: AC_CHROMIUM=%s is not an executable file", errNoBrowser, p)
	}
	if isExecutable("/usr/bin/chromium") {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: no /usr/bin/chromium, and neither chromium nor chromium-browser in PATH", errNoBrowser)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// browserRequired reports whether a missing browser is a failure (CI).
func browserRequired() bool { return os.Getenv("AC_E2E") == "require" }

// requireBrowser is the gate for TestMain. It finds Chromium and returns its
// path and true. Without Chromium it exits the test binary with status 1 under
// AC_E2E=require; otherwise it prints a loud banner to stderr and returns
// false: TestMain should then skip its expensive setup (server, database) and
// still call m.Run, where every test skips in newBrowser.
//
// The browser itself starts lazily, in the first newBrowser call; TestMain
// calls closeBrowser after m.Run.
func requireBrowser(_ *testing.M) (path string, ok bool) {
	path, err := shared.find()
	if err == nil {
		return path, true
	}
	if browserRequired() {
		fmt.Fprintf(os.Stderr, "e2e: AC_E2E=require and %v; install Debian's chromium package\n", err)
		os.Exit(1)
	}
	announceSkip(err)
	return "", false
}

// announceSkip prints the banner once, to stderr and to the terminal: `go test
// ./...` shows nothing of a package that passes, not even its stderr, so
// without /dev/tty a developer would never see that the browser tests skipped.
// CI has no terminal, and sets AC_E2E=require anyway.
func announceSkip(err error) {
	shared.bannerOnce.Do(func() {
		fmt.Fprintf(os.Stderr, skippedBanner, err)
		if tty, terr := os.OpenFile("/dev/tty", os.O_WRONLY, 0); terr == nil {
			fmt.Fprintf(tty, skippedBanner, err)
			_ = tty.Close()
		}
	})
}

// browserPool is the one Chromium process of the test binary.
type browserPool struct {
	bannerOnce sync.Once

	mu       sync.Mutex
	found    bool
	path     string
	findErr  error
	startErr error
	started  time.Duration // how long the start took, for the logs
	version  string
	ctx      context.Context // the browser's chromedp context; nil until started
	cancel   func()          // closes the browser, then the allocator
}

// shared is the package's browser. A package-level value is unavoidable here:
// TestMain and the tests share nothing else.
var shared browserPool

func (p *browserPool) find() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.found {
		p.path, p.findErr = findChromium(os.Getenv)
		p.found = true
	}
	return p.path, p.findErr
}

// browser returns the context of the shared browser, starting it on first
// use. fresh reports whether this call started it.
func (p *browserPool) browser() (ctx context.Context, fresh bool, err error) {
	path, err := p.find()
	if err != nil {
		return nil, false, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx != nil || p.startErr != nil {
		return p.ctx, false, p.startErr
	}
	begin := time.Now()
	p.ctx, p.cancel, p.version, p.startErr = startBrowser(path)
	p.started = time.Since(begin)
	return p.ctx, true, p.startErr
}

func startBrowser(path string) (context.Context, func(), string, error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root in CI containers; the pages are our own
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		// Without these Chromium keeps calling home, and the network is closed.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	// ExecAllocator gives the browser a fresh temporary --user-data-dir and
	// removes it when the browser stops.
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	// The browser lives as long as the context of its first Run, so that Run
	// gets no timeout: the start is bounded from outside instead.
	ctx, cancel := chromedp.NewContext(allocCtx)
	closeAll := func() { cancel(); allocCancel() }
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case err := <-started:
		if err != nil {
			closeAll()
			return nil, nil, "", fmt.Errorf("starting %s: %w", path, err)
		}
	case <-timer.C:
		closeAll()
		return nil, nil, "", fmt.Errorf("starting %s: no answer after %s", path, startTimeout)
	}
	vctx, vcancel := context.WithTimeout(ctx, 10*time.Second)
	defer vcancel()
	v, err := chromedp.CallBrowser(vctx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		closeAll()
		return nil, nil, "", fmt.Errorf("asking %s for its version: %w", path, err)
	}
	return ctx, closeAll, v.Product, nil
}

// closeBrowser stops the shared browser, if it started. TestMain calls it
// after m.Run; calling it again, or when nothing started, does nothing.
func closeBrowser() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.cancel != nil {
		shared.cancel()
	}
	shared.ctx, shared.cancel = nil, nil
	shared.startErr = errors.New("the shared browser was closed (closeBrowser)")
}

// browserOpts are the per-test choices of newBrowser.
type browserOpts struct {
	// NoJS disables JavaScript in the tab before the first navigation, to
	// check that a journey works without it.
	NoJS bool
	// ExpectCSPViolations lets the test read the CSP violations itself
	// (cspViolations) instead of failing on the first: for the harness's own test.
	ExpectCSPViolations bool
}

// tab is what the harness knows of one test's tab. It travels in the context
// that newBrowser returns.
type tab struct {
	noJS      bool
	mainFrame cdp.FrameID

	mu     sync.Mutex
	docURL string // the last main-frame document response
	status int64
	csp    []string      // the CSP violations the browser reported, as its console says them
	cspHit chan struct{} // closed at the first of them
}

type tabKey struct{}

func tabOf(ctx context.Context) *tab {
	tb, _ := ctx.Value(tabKey{}).(*tab)
	return tb
}

// observe runs in chromedp's event loop: it must return fast and run no
// command.
func (tb *tab) observe(ev any) {
	if l, ok := ev.(*cdplog.EventEntryAdded); ok {
		if isCSPViolation(l.Entry) {
			tb.mu.Lock()
			if len(tb.csp) == 0 {
				close(tb.cspHit)
			}
			tb.csp = append(tb.csp, l.Entry.Text+" ("+l.Entry.URL+")")
			tb.mu.Unlock()
		}
		return
	}
	e, ok := ev.(*network.EventResponseReceived)
	if !ok || e.Type != network.ResourceTypeDocument || e.FrameID != tb.mainFrame || e.Response == nil {
		return
	}
	tb.mu.Lock()
	tb.docURL, tb.status = e.Response.URL, e.Response.Status
	tb.mu.Unlock()
}

// isCSPViolation recognises the console message Chromium writes when the page's
// Content-Security-Policy blocks something (a script, a style, an image, a form
// target): source "security", and the policy named in the text.
func isCSPViolation(e *cdplog.Entry) bool {
	return e != nil && (e.Source == cdplog.EntrySourceSecurity || e.Source == cdplog.EntrySourceViolation) &&
		strings.Contains(e.Text, "Content Security Policy")
}

// cspViolations are the CSP violations the tab's pages reported so far.
func cspViolations(ctx context.Context) []string {
	tb := tabOf(ctx)
	if tb == nil {
		return nil
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return slices.Clone(tb.csp)
}

// waitCSPViolation waits until the tab has reported a CSP violation.
func waitCSPViolation(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-tabOf(ctx).cspHit:
	case <-ctx.Done():
		t.Fatalf("no CSP violation reported: %v", ctx.Err())
	}
}

// newBrowser opens a tab for the test in a new browser context of the shared
// Chromium (its own cookies, storage and HTTP cache, like an incognito
// window). The returned context carries a timeout of testTimeout; t.Cleanup
// closes the tab and its browser context, after failing the test if any page of
// the tab reported a CSP violation in the console (unless o.ExpectCSPViolations). It skips the test when Chromium is
// missing (fails under AC_E2E=require). Call it first in each test.
func newBrowser(t *testing.T, o browserOpts) context.Context {
	t.Helper()
	bctx, fresh, err := shared.browser()
	switch {
	case errors.Is(err, errNoBrowser):
		if browserRequired() {
			t.Fatalf("AC_E2E=require and %v", err)
		}
		announceSkip(err)
		t.Skipf("E2E BROWSER TEST SKIPPED: %v (install Debian's chromium; CI sets AC_E2E=require)", err)
	case err != nil:
		t.Fatalf("browser: %v", err)
	}
	if fresh {
		t.Logf("started %s in %s (shared by every test of the package)", shared.version, shared.started.Round(time.Millisecond))
	}

	tabCtx, closeTab := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	ctx, cancel := context.WithTimeout(tabCtx, testTimeout)
	t.Cleanup(func() { cancel(); closeTab() })

	tb := &tab{noJS: o.NoJS, cspHit: make(chan struct{})}
	ctx = context.WithValue(ctx, tabKey{}, tb)
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		t.Fatalf("opening a tab: %v", err)
	}
	tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		t.Fatalf("reading the frame tree: %v", err)
	}
	tb.mainFrame = tree.FrameTree.Frame.ID
	if err := chromedp.Listen(ctx, tb.observe); err != nil {
		t.Fatalf("listening to the tab: %v", err)
	}
	if !o.ExpectCSPViolations {
		// Cleanups run last registered first: this one before the tab closes.
		t.Cleanup(func() {
			if vs := cspViolations(ctx); len(vs) > 0 {
				t.Errorf("the browser reported %d CSP violation(s):\n%s", len(vs), strings.Join(vs, "\n"))
			}
		})
	}
	if o.NoJS {
		setScriptsDisabled(t, ctx, true)
	}
	return ctx
}

func setScriptsDisabled(t *testing.T, ctx context.Context, disabled bool) {
	t.Helper()
	if err := scriptsDisabled(ctx, disabled); err != nil {
		t.Fatal(err)
	}
}

func scriptsDisabled(ctx context.Context, disabled bool) error {
	_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled,
		emulation.SetScriptExecutionDisabledParams{Value: disabled})
	if err != nil {
		return fmt.Errorf("setting script execution disabled=%t: %w", disabled, err)
	}
	return nil
}
