package main

// `ac bench-rss` (hidden; `task bench-rss`): the server's resident memory under N concurrent
// logged-in aidants (issue 15: RSS ≤ 100 MB with 200 clients for 60 s).
//
// It runs this very binary twice as a child process, on a throwaway embedded PostgreSQL
// (AC_DATA_DIR in a temporary directory, removed at the end unless -data names one):
// `ac seed --scale N` (N/200 organisations, one demo aidant each, usagers weighted so that a
// few organisations are large), then `ac serve` in dev mode on a loopback port. Each
// client logs in through the real pages (login form with the demo code, the e-mailed link
// read on /dev/emails/, the wait page's POST), each from a loopback address of its own (the
// login limit counts attempts per address), then, for -duration, loads its
// organisation's usagers list, its pages and tabs, and live searches as htmx sends them,
// without pause. VmRSS of the server process is read from /proc every second. It prints
// the largest RSS, the peak (VmHWM), requests per second and errors, and exits non-zero
// when the RSS went over -limit-mb or a request failed.
//
// Everything is bounded: the duration (at most 10 minutes), the requests per client, the
// start-up waits. Traffic goes to 127.0.0.0/8 only.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

type rssOptions struct {
	clients    int
	duration   time.Duration
	usagers    int
	limitMB    int
	dataDir    string
	maxPerConn int
}

func benchRSS(ctx context.Context, args []string, out io.Writer) error {
	var o rssOptions
	fs := flag.NewFlagSet("bench-rss", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.IntVar(&o.clients, "clients", 200, "concurrent logged-in aidants (one organisation each)")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "how long they browse (at most 10m)")
	fs.IntVar(&o.usagers, "usagers", 0, "usagers of the scale seed (default: 200 per client, so one organisation per client)")
	fs.IntVar(&o.limitMB, "limit-mb", 100, "fail when the server's RSS goes over this many MB (MiB)")
	fs.StringVar(&o.dataDir, "data", "", "keep the seeded data here and reuse it on the next run (default: a temporary directory, removed)")
	fs.IntVar(&o.maxPerConn, "max-requests", 100000, "at most this many requests per client")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.clients < 1 || o.clients > 1000 || o.duration <= 0 || o.duration > 10*time.Minute {
		return errors.New("bench-rss: -clients from 1 to 1000, -duration up to 10m")
	}
	if o.usagers == 0 {
		o.usagers = 200 * o.clients
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}

	dir := o.dataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "ac-bench-rss-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Under root the embedded PostgreSQL runs as postgres, which must reach its data directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	secret, tag, err := rssSeed(ctx, exe, dir, o.usagers, out)
	if err != nil {
		return err
	}
	if o.usagers/200 < o.clients {
		return fmt.Errorf("bench-rss: %d usagers make %d organisations (one aidant each), fewer than %d clients", o.usagers, o.usagers/200, o.clients)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	logPath := filepath.Join(dir, "serve.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	srv := exec.Command(exe, "serve")
	srv.Env = append(os.Environ(), rssEnv(dir, secret)...)
	srv.Env = append(srv.Env, "AC_ADDR="+addr, "AC_BASE_URL="+base, "AC_SEED=0")
	srv.Stdout, srv.Stderr = logFile, logFile
	if err := srv.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	defer func() {
		// SIGTERM: the server stops its PostgreSQL before it exits.
		_ = srv.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(60 * time.Second):
			_ = srv.Process.Kill()
			<-exited
		}
	}()
	if err := waitHealthy(ctx, base, exited); err != nil {
		return fmt.Errorf("%w (server log: %s)", err, logPath)
	}
	pid := srv.Process.Pid
	rssStart, _ := procStatus(pid, "VmRSS")
	fmt.Fprintf(out, "serveur pid %d sur %s, RSS au démarrage %.1f MB\n", pid, base, mb(rssStart))

	// The sampler runs from now to the end: logins included.
	var maxRSS atomic.Int64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			if v, err := procStatus(pid, "VmRSS"); err == nil && v > maxRSS.Load() {
				maxRSS.Store(v)
			}
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
		}
	}()

	began := time.Now()
	clients := make([]*rssClient, o.clients)
	net1 := byte(1 + mrand.IntN(254))
	for i := range clients {
		c, err := newRSSClient(base, net1, i)
		if err != nil {
			return err
		}
		email := fmt.Sprintf("aidant%d.%s@scale.aidantsconnect.fr", i+1, tag)
		if err := c.login(ctx, email); err != nil {
			return fmt.Errorf("login of %s: %w (server log: %s)", email, err, logPath)
		}
		clients[i] = c
	}
	afterLogin, _ := procStatus(pid, "VmRSS")
	fmt.Fprintf(out, "%d aidants connectés en %s, RSS %.1f MB ; navigation pendant %s…\n",
		o.clients, time.Since(began).Round(time.Millisecond), mb(afterLogin), o.duration)

	bctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var wg sync.WaitGroup
	var requests, failures atomic.Int64
	var firstErrs sync.Map
	browseStart := time.Now()
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := mrand.New(mrand.NewPCG(uint64(i), 15))
			for n := 0; n < o.maxPerConn && bctx.Err() == nil; n++ {
				err := c.browse(bctx, rnd)
				if bctx.Err() != nil {
					return // the end of the run cut the request short: not an error
				}
				requests.Add(1)
				if err != nil {
					if failures.Add(1) <= 5 {
						firstErrs.Store(i, err.Error())
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(browseStart)
	close(stopSampling)
	<-sampled
	hwm, _ := procStatus(pid, "VmHWM")
	last, _ := procStatus(pid, "VmRSS")
	anon, _ := procStatus(pid, "RssAnon")
	file, _ := procStatus(pid, "RssFile")

	fmt.Fprintf(out, "requêtes : %d en %s, %.0f/s ; erreurs : %d\n", requests.Load(), elapsed.Round(time.Millisecond),
		float64(requests.Load())/elapsed.Seconds(), failures.Load())
	firstErrs.Range(func(_, v any) bool { fmt.Fprintln(out, "  erreur :", v); return true })
	fmt.Fprintf(out, "RSS du serveur : max %.1f MB (relevé chaque seconde), pic VmHWM %.1f MB, à la fin %.1f MB ; limite %d MB\n",
		mb(maxRSS.Load()), mb(hwm), mb(last), o.limitMB)
	fmt.Fprintf(out, "  à la fin : %.1f MB de mémoire anonyme (tas, piles), %.1f MB de fichiers (le binaire)\n", mb(anon), mb(file))
	if failures.Load() > 0 {
		return fmt.Errorf("bench-rss: %d requests failed (server log: %s)", failures.Load(), logPath)
	}
	if mb(maxRSS.Load()) > float64(o.limitMB) {
		return fmt.Errorf("bench-rss: RSS %.1f MB over the %d MB limit", mb(maxRSS.Load()), o.limitMB)
	}
	return nil
}

// rssEnv is the children's settings: dev mode (demo codes, the FranceConnect simulator, and
// the whole outbox on /dev/emails/: in sandbox mode it lists the demo organisations' mail
// only, not the scale seed's), the embedded PostgreSQL in dir.
func rssEnv(dir, secret string) []string {
	return []string{"AC_MODE=dev", "AC_DATA_DIR=" + dir, "AC_SECRET_KEY=" + secret, "DATABASE_URL=", "AC_METRICS_ADDR="}
}

var scaleTag = regexp.MustCompile(`aidant1\.([0-9a-f]+)@scale\.aidantsconnect\.fr`)

// rssSeed seeds dir once (`ac seed --scale n`) and returns its key and the seed's run tag
// (scale aidants are aidant<k>.<tag>@scale.aidantsconnect.fr), kept in dir for reuse.
func rssSeed(ctx context.Context, exe, dir string, n int, out io.Writer) (secret, tag string, err error) {
	state := filepath.Join(dir, "bench-rss.state")
	if b, err := os.ReadFile(state); err == nil {
		if f := strings.Fields(string(b)); len(f) == 3 && f[2] == strconv.Itoa(n) {
			fmt.Fprintf(out, "données réutilisées : %s (%d usagers)\n", dir, n)
			return f[0], f[1], nil
		}
		return "", "", fmt.Errorf("bench-rss: %s was seeded with other settings: remove it", dir)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", "", err
	}
	secret = hex.EncodeToString(key)
	fmt.Fprintf(out, "seed --scale %d dans %s…\n", n, dir)
	seedCtx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(seedCtx, exe, "seed", "--scale", strconv.Itoa(n))
	cmd.Env = append(os.Environ(), rssEnv(dir, secret)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = time.Minute
	b, err := cmd.CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("seed: %w\n%s", err, b)
	}
	m := scaleTag.FindStringSubmatch(string(b))
	if m == nil {
		return "", "", fmt.Errorf("seed: no sample aidant in its output:\n%s", b)
	}
	tag = m[1]
	return secret, tag, os.WriteFile(state, []byte(secret+" "+tag+" "+strconv.Itoa(n)+"\n"), 0o600)
}

func waitHealthy(ctx context.Context, base string, exited <-chan error) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("the server exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return errors.New("the server was not ready within 2 minutes")
}

// procStatus reads a "VmRSS:  1234 kB" line of /proc/<pid>/status, in bytes.
func procStatus(pid int, field string) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

func mb(b int64) float64 { return math.Round(float64(b)/(1<<20)*10) / 10 }

type rssClient struct {
	base string
	http *http.Client
	// pages is how many pages the organisation's list has (read from the first page).
	pages int
}

// newRSSClient is a browser of its own (cookies, connections) dialling from a loopback
// address of its own, 127.<net>.<i/250>.<2+i%250>: the login limit counts attempts per
// address over 10 minutes, and each run takes another net (at random) so that a run soon
// after another is not refused.
func newRSSClient(base string, net1 byte, i int) (*rssClient, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	local := &net.TCPAddr{IP: net.IPv4(127, net1, byte(i/250), byte(2+i%250))}
	dialer := &net.Dialer{LocalAddr: local, Timeout: 10 * time.Second}
	tr := &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute}
	return &rssClient{base: base, pages: 1, http: &http.Client{Jar: jar, Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}, nil
}

var (
	csrfField  = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	waitPrefix = strings.TrimSuffix(paths.MagicLinkWaitPattern, ":token/")
	loginLink  = regexp.MustCompile(regexp.QuoteMeta(waitPrefix) + `[A-Za-z0-9_-]+/`)
	lastPage   = regexp.MustCompile(`[?&;]page=(\d+)`)
)

// do sends a request and returns the status and the body (decompressed by net/http).
func (c *rssClient) do(ctx context.Context, method, path string, form url.Values, hdr map[string]string) (int, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", c.base)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// login goes through the real pages: the form with the demo code, the link from the outbox
// page (logins run one at a time, so the newest link is this aidant's), the wait page's POST.
func (c *rssClient) login(ctx context.Context, email string) error {
	st, page, err := c.do(ctx, http.MethodGet, paths.Login, nil, nil)
	if err != nil || st != http.StatusOK {
		return fmt.Errorf("login page: %d %v", st, err)
	}
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		return errors.New("no csrf_token on the login page")
	}
	st, _, err = c.do(ctx, http.MethodPost, paths.Login, url.Values{"csrf_token": {m[1]}, "email": {email}, "otp_token": {app.DemoCode}}, nil)
	if err != nil || st != http.StatusSeeOther {
		return fmt.Errorf("login form: %d %v", st, err)
	}
	st, outbox, err := c.do(ctx, http.MethodGet, paths.DevEmails, nil, nil)
	if err != nil || st != http.StatusOK {
		return fmt.Errorf("outbox: %d %v", st, err)
	}
	link := loginLink.FindString(outbox)
	if link == "" {
		return errors.New("no login link in the outbox")
	}
	st, wait, err := c.do(ctx, http.MethodGet, link, nil, nil)
	if err != nil || st != http.StatusOK {
		return fmt.Errorf("wait page: %d %v", st, err)
	}
	if m = csrfField.FindStringSubmatch(wait); m == nil {
		return errors.New("no csrf_token on the wait page")
	}
	token := strings.TrimSuffix(strings.TrimPrefix(link, waitPrefix), "/")
	st, _, err = c.do(ctx, http.MethodPost, paths.MagicLink(token), url.Values{"csrf_token": {m[1]}}, nil)
	if err != nil || st != http.StatusSeeOther {
		return fmt.Errorf("magic link: %d %v", st, err)
	}
	st, list, err := c.do(ctx, http.MethodGet, paths.Usagers, nil, nil)
	if err != nil || st != http.StatusOK {
		return fmt.Errorf("usagers list after login: %d %v", st, err)
	}
	for _, m := range lastPage.FindAllStringSubmatch(list, -1) {
		if n, _ := strconv.Atoi(m[1]); n > c.pages {
			c.pages = n
		}
	}
	return nil
}

// Searches as typed in the live search: first letters of common first and last names.
var rssSearches = []string{"ma", "mar", "mari", "je", "jea", "dup", "mart", "ber", "le", "leg", "ni", "nic", "pe", "sa", "ro", "ca", "mo", "dub"}

// browse is one request of an aidant on the usagers list: the page (a tab, a page of it),
// or a live search as htmx sends it (the results fragment). Bodies are read and dropped,
// compressed as a browser asks for them.
func (c *rssClient) browse(ctx context.Context, rnd *mrand.Rand) error {
	hdr := map[string]string{"Accept-Encoding": "gzip, deflate, br"}
	var path string
	switch r := rnd.IntN(10); {
	case r < 3:
		path = paths.Usagers
	case r < 5:
		tabs := store.UsagerTabs()
		path = paths.UsagersTab(string(tabs[rnd.IntN(len(tabs))]), "", 1+rnd.IntN(c.pages))
	default:
		path = paths.UsagersTab(string(store.TabActifs), rssSearches[rnd.IntN(len(rssSearches))], 1)
		hdr["HX-Request"], hdr["HX-Target"], hdr["HX-Current-URL"] = "true", "usagers-results", c.base+paths.Usagers
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d", path, resp.StatusCode)
	}
	return nil
}
