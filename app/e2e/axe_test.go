package e2e

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, vendored from npm (see testdata/README.md). It is
// injected into the page under test, never served by the app.
//
//go:embed testdata/axe.min.js
var axeSource string

// axeRun runs axe on the whole document for WCAG 2.1 A and AA (the base of
// the RGAA) plus axe's best practices, and keeps only what the report needs.
// A target is a list of selectors; one inside an iframe or a shadow root is
// itself a list, joined here with " >>> ".
const axeRun = `axe.run(document, {
	runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
	resultTypes: ['violations'],
}).then(r => r.violations.map(v => ({
	id: v.id,
	impact: v.impact || '',
	help: v.help,
	helpUrl: v.helpUrl,
	nodes: v.nodes.map(n => ({
		target: n.target.map(s => Array.isArray(s) ? s.join(' >>> ') : String(s)),
		html: n.html,
		failureSummary: n.failureSummary || '',
	})),
})))`

// violation is one failed axe rule and the elements that fail it.
type violation struct {
	ID      string          `json:"id"`
	Impact  string          `json:"impact"` // minor, moderate, serious, critical
	Help    string          `json:"help"`
	HelpURL string          `json:"helpUrl"`
	Nodes   []violationNode `json:"nodes"`
}

type violationNode struct {
	Target         []string `json:"target"`
	HTML           string   `json:"html"`
	FailureSummary string   `json:"failureSummary"`
}

// axeViolations injects axe-core into the current page and returns its
// violations.
//
// The pages have a strict CSP (script-src 'self', no unsafe-inline or
// unsafe-eval), under which a <script> tag would not run. Runtime.evaluate,
// which chromedp.Evaluate sends, is not subject to the page's CSP (checked in
// harness_test.go with Chromium 156: the page's inline script is blocked,
// the injected axe runs).
//
// In a NoJS tab (emulation.SetScriptExecutionDisabled) Runtime.evaluate still
// runs, and axe-core gets injected, but the promise of axe.run never settles:
// it waits on timers, which do not fire with scripting disabled. So scripting
// is switched on for the run and off again after it. The page's own scripts do
// not run meanwhile: those skipped while the page was parsed stay skipped, and
// nothing sends the page events during the run.
func axeViolations(ctx context.Context) (vs []violation, err error) {
	if tb := tabOf(ctx); tb != nil && tb.noJS {
		if err := scriptsDisabled(ctx, false); err != nil {
			return nil, err
		}
		defer func() {
			if derr := scriptsDisabled(ctx, true); derr != nil && err == nil {
				err = derr
			}
		}()
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === 'object'`))
	if err != nil {
		return nil, fmt.Errorf("axe: probing the page: %w", err)
	}
	if !loaded {
		// The trailing void 0 keeps the script's completion value out of the
		// reply.
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeSource+"\n;void 0")); err != nil {
			return nil, fmt.Errorf("axe: injecting axe-core: %w", err)
		}
	}
	vs, err = chromedp.Run(ctx, chromedp.Evaluate[[]violation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("axe: running: %w", err)
	}
	return vs, nil
}

// assertAxe fails the test (without stopping it) when axe finds at least one
// violation on the current page; page names the page in the message.
func assertAxe(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	vs, err := axeViolations(ctx)
	if err != nil {
		t.Fatalf("%s: %v", page, err)
	}
	if len(vs) > 0 {
		t.Errorf("%s: %d accessibility rule(s) violated:\n%s", page, len(vs), formatViolations(vs))
	}
}

// formatViolations lists the violations as a reader fixes them: rule, impact,
// what to do, then each element with its selector, its HTML and axe's hint.
func formatViolations(vs []violation) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "- %s [%s]: %s\n  %s\n", v.ID, v.Impact, v.Help, v.HelpURL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "    at %s\n      %s\n", strings.Join(n.Target, ", "), snippet(n.HTML))
			for line := range strings.SplitSeq(n.FailureSummary, "\n") {
				if line = strings.TrimSpace(line); line != "" {
					fmt.Fprintf(&b, "      | %s\n", line)
				}
			}
		}
	}
	return b.String()
}

// snippet puts an element's HTML on one line and cuts it, since axe gives the
// whole document for a rule about <html>.
func snippet(html string) string {
	const limit = 300
	s := strings.Join(strings.Fields(html), " ")
	if r := []rune(s); len(r) > limit {
		return string(r[:limit]) + "…"
	}
	return s
}
