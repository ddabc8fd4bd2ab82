package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The helpers below fail the test on error. Selectors are CSS (the first
// match, as document.querySelector). Each waits for its condition, bounded by
// the test's timeout (testTimeout): none sleeps.

// navigate loads url in the tab and waits for its load event.
func navigate(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigate to %s: %v", url, err)
	}
}

// textOf waits for the element to be visible and returns its rendered text
// (innerText).
func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("text of %q%s: %v", sel, onPage(ctx), err)
	}
	return s
}

// setValue sets a field's value property at once and fires input and change,
// with no key events: for fields whose key events don't matter.
func setValue(t *testing.T, ctx context.Context, sel, value string) {
	t.Helper()
	if err := chromedp.Do(ctx, setFieldValue(sel, value)); err != nil {
		t.Fatalf("set value of %q%s: %v", sel, onPage(ctx), err)
	}
}

// typeInto empties a field, then types text key by key as a person would, so
// that key and input events fire (htmx triggers such as keyup changed).
func typeInto(t *testing.T, ctx context.Context, sel, text string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		setFieldValue(sel, ""),
		chromedp.SendKeys(chromedp.CSS(sel), text),
	); err != nil {
		t.Fatalf("type into %q%s: %v", sel, onPage(ctx), err)
	}
}

// setFieldValue is chromedp.SetValue without its flaw: chromedp v0.23.0 sends
// the value as a call argument, whose JSON omitempty drops "", so that
// SetValue(sel, "") writes "undefined". Here the value is a literal of the
// function instead.
func setFieldValue(sel, value string) chromedp.Action[chromedp.Void] {
	lit, _ := json.Marshal(value) // a string always marshals
	fn := `function() {
	this.value = ` + string(lit) + `;
	this.dispatchEvent(new Event("input", {bubbles: true}));
	this.dispatchEvent(new Event("change", {bubbles: true}));
	return this.value;
}`
	return chromedp.QueryAfter(chromedp.CSS(sel), func(ctx context.Context, tg *chromedp.Target, nodes []*chromedp.Node) (chromedp.Void, error) {
		obj, err := cdp.Call(ctx, tg, dom.ResolveNode, dom.ResolveNodeParams{NodeID: nodes[0].NodeID})
		if err != nil {
			return chromedp.Void{}, err
		}
		defer func() { // an error means the page went, and the object with it
			_, _ = cdp.Call(ctx, tg, runtime.ReleaseObject, runtime.ReleaseObjectParams{ObjectID: obj.Object.ObjectID})
		}()
		res, err := cdp.Call(ctx, tg, runtime.CallFunctionOn, runtime.CallFunctionOnParams{
			FunctionDeclaration: fn,
			ObjectID:            obj.Object.ObjectID,
			ReturnByValue:       new(true),
		})
		if err != nil {
			return chromedp.Void{}, err
		}
		if res.ExceptionDetails != nil {
			return chromedp.Void{}, &chromedp.ExceptionError{ExceptionDetails: res.ExceptionDetails}
		}
		var got string
		if res.Result != nil && len(res.Result.Value) > 0 {
			if err := json.Unmarshal(res.Result.Value, &got); err != nil {
				return chromedp.Void{}, fmt.Errorf("reading the field's value back: %w", err)
			}
		}
		if got != value {
			return chromedp.Void{}, fmt.Errorf("the field holds %q, not %q", got, value)
		}
		return chromedp.Void{}, nil
	}, chromedp.NodeVisible)
}

// click waits for the element to be visible and clicks its centre. It does
// not wait for what follows: wait for the outcome with waitVisible or waitJS,
// or use clickNavigate for a link or a form submission.
func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("click %q%s: %v", sel, onPage(ctx), err)
	}
}

// clickNavigate clicks an element that loads a new page (a link, a submit
// button without htmx), waits for that page's load event and returns the HTTP
// status of its document, after redirects (a 303 after a POST gives the status
// of the page redirected to). It hangs until the test's timeout if the click
// loads no page.
func clickNavigate(t *testing.T, ctx context.Context, sel string) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("click %q and wait for a page%s: %v", sel, onPage(ctx), err)
	}
	if resp == nil {
		t.Fatalf("click %q%s: the page loaded without a document response", sel, onPage(ctx))
	}
	return resp.Status
}

// waitVisible waits until the element exists and is visible.
func waitVisible(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		t.Fatalf("wait for %q to be visible%s: %v", sel, onPage(ctx), err)
	}
}

// waitNotPresent waits until no element matches sel.
func waitNotPresent(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitNotPresent(chromedp.CSS(sel))); err != nil {
		t.Fatalf("wait for %q to go away%s: %v", sel, onPage(ctx), err)
	}
}

// waitJS waits until the JavaScript expression is truthy, checking on each
// animation frame. It needs JavaScript: not for NoJS tabs. A navigation while it
// waits (a form that sends itself without htmx, as on the login link's wait page)
// ends the page the poll ran in: it polls again in the new page.
func waitJS(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	for {
		err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(testTimeout)))
		if err == nil {
			return
		}
		if ctx.Err() == nil && navigatedAway(err) {
			continue
		}
		t.Fatalf("wait for %s%s: %v", expr, onPage(ctx), err)
	}
}

// navigatedAway reports the errors of an evaluation whose page went away under it.
func navigatedAway(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Inspected target navigated or closed") ||
		strings.Contains(msg, "Execution context was destroyed") ||
		strings.Contains(msg, "Cannot find context with specified id")
}

// evalJS evaluates a JavaScript expression in the page and decodes its value
// (JSON) into T. It needs JavaScript: not for NoJS tabs.
func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s%s: %v", expr, onPage(ctx), err)
	}
	return v
}

// currentURL is the URL of the tab's current history entry. It reads the
// navigation history, not document.location, so it works without JavaScript.
func currentURL(t *testing.T, ctx context.Context) string {
	t.Helper()
	h, err := chromedp.Call(ctx, page.GetNavigationHistory, cdp.Empty{})
	if err != nil {
		t.Fatalf("current URL: %v", err)
	}
	if h.CurrentIndex < 0 || int(h.CurrentIndex) >= len(h.Entries) {
		t.Fatalf("current URL: history index %d of %d entries", h.CurrentIndex, len(h.Entries))
	}
	return h.Entries[h.CurrentIndex].URL
}

// lastDocumentStatus is the HTTP status of the last document that the tab's
// main frame received (after redirects: a redirect is not a document). It
// comes from Network.responseReceived, so a page swapped in by htmx does not
// change it; after navigate or clickNavigate it is the status of that page.
func lastDocumentStatus(t *testing.T, ctx context.Context) int64 {
	t.Helper()
	tb := tabOf(ctx)
	if tb == nil {
		t.Fatal("lastDocumentStatus: ctx does not come from newBrowser")
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.status == 0 {
		t.Fatal("lastDocumentStatus: the tab has received no document yet")
	}
	return tb.status
}

// onPage names the last document for error messages, without a command (the
// context may be done).
func onPage(ctx context.Context) string {
	tb := tabOf(ctx)
	if tb == nil {
		return ""
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.docURL == "" {
		return ""
	}
	return " on " + tb.docURL
}
