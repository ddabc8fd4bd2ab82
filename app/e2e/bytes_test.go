package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// byteCounter adds up the bytes that the tab's requests took on the wire:
// Network.loadingFinished's encodedDataLength, compressed bodies plus headers;
// a response from the HTTP cache counts (about) zero. It counts the requests
// that started since trackBytes or the last Reset. Chromium's events arrive on
// chromedp's goroutine, so every field is behind mu.
//
// Chromium itself fetches /favicon.ico when a page names no icon, after the
// load event, as a request of type Other: whether it is counted depends on
// timing, so a budget should sum the types it means (ByType) or the URLs.
type byteCounter struct {
	mu      sync.Mutex
	reqs    map[network.RequestID]*request
	pending int           // unfinished requests that Wait waits for
	changed chan struct{} // closed and replaced whenever pending changes
}

type request struct {
	url   string
	typ   network.ResourceType
	bytes int64
	done  bool
}

// trackBytes starts counting the bytes of the tab's requests. Call it before
// the navigation to measure. See coldCache and warmCache for the state of the
// cache.
func trackBytes(t *testing.T, ctx context.Context) *byteCounter {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("network.Enable: %v", err)
	}
	b := &byteCounter{reqs: map[network.RequestID]*request{}, changed: make(chan struct{})}
	// Listen (not Events) calls observe in the order of the browser's
	// messages, before the reply to any later command: when Navigate returns
	// after the load event, every request that the load waited for is counted.
	if err := chromedp.Listen(ctx, b.observe); err != nil {
		t.Fatalf("listening to the network: %v", err)
	}
	return b
}

func (b *byteCounter) observe(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		// A redirect reuses the request id: the request goes on.
		if _, ok := b.reqs[e.RequestID]; !ok {
			b.reqs[e.RequestID] = &request{url: e.Request.URL, typ: e.Type}
			if awaited(e.Type) {
				b.setPending(b.pending + 1)
			}
		}
	case *network.EventResponseReceived:
		if r, ok := b.reqs[e.RequestID]; ok {
			r.url = e.Response.URL // the type stays the request's: pending counts by it
		}
	case *network.EventLoadingFinished:
		if r, ok := b.reqs[e.RequestID]; ok && !r.done {
			r.bytes = int64(e.EncodedDataLength)
			b.finish(r)
		}
	case *network.EventLoadingFailed:
		if r, ok := b.reqs[e.RequestID]; ok && !r.done {
			b.finish(r)
		}
	}
}

// awaited reports whether Wait waits for requests of type typ. The browser's
// own fetches (type Other: the favicon) are left out, because Chromium does
// not always report their end, for example when a navigation cancels them.
func awaited(typ network.ResourceType) bool { return typ != network.ResourceTypeOther }

// finish needs b.mu.
func (b *byteCounter) finish(r *request) {
	r.done = true
	if awaited(r.typ) {
		b.setPending(b.pending - 1)
	}
}

// setPending needs b.mu.
func (b *byteCounter) setPending(n int) {
	b.pending = n
	close(b.changed)
	b.changed = make(chan struct{})
}

// Reset forgets every request seen so far. Call it once the previous
// navigation has settled (Wait), or its late events count for no one.
func (b *byteCounter) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reqs = map[network.RequestID]*request{}
	b.setPending(0)
}

// Wait blocks until every request seen so far has finished or failed (except
// the browser's own, see awaited), for what the page fetches after its load
// event (htmx requests, lazy images).
func (b *byteCounter) Wait(ctx context.Context) error {
	for {
		b.mu.Lock()
		pending, changed := b.pending, b.changed
		b.mu.Unlock()
		if pending == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", strings.Join(b.pendingURLs(), ", "), ctx.Err())
		}
	}
}

func (b *byteCounter) pendingURLs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var urls []string
	for _, r := range b.reqs {
		if !r.done && awaited(r.typ) {
			urls = append(urls, r.url+" ("+string(r.typ)+")")
		}
	}
	slices.Sort(urls)
	return urls
}

// Total is the bytes of the finished requests.
func (b *byteCounter) Total() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var n int64
	for _, r := range b.reqs {
		n += r.bytes
	}
	return n
}

// ByURL is the bytes of the finished requests by URL (the final URL after
// redirects).
func (b *byteCounter) ByURL() map[string]int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := map[string]int64{}
	for _, r := range b.reqs {
		if r.done {
			m[r.url] += r.bytes
		}
	}
	return m
}

// ByType is the bytes of the finished requests by resource type (Document,
// Stylesheet, Script, Image, Font, XHR, Fetch…).
func (b *byteCounter) ByType() map[network.ResourceType]int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := map[network.ResourceType]int64{}
	for _, r := range b.reqs {
		if r.done {
			m[r.typ] += r.bytes
		}
	}
	return m
}

// coldCache empties the HTTP cache and turns caching off for the tab (both
// the disk cache and the renderer's memory cache), so that the next
// navigation is a first visit. A new tab from newBrowser already has an empty
// cache of its own; this is for a second cold measure in the same test.
func coldCache(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.ClearBrowserCache, cdp.Empty{}); err != nil {
		t.Fatalf("network.ClearBrowserCache: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		t.Fatalf("network.SetCacheDisabled: %v", err)
	}
}

// warmCache turns caching back on after coldCache (it is on in a new tab), so
// that the next navigation reuses what earlier ones cached.
func warmCache(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: false}); err != nil {
		t.Fatalf("network.SetCacheDisabled: %v", err)
	}
}
