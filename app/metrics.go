package app

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// metrics are the Prometheus series the service exposes on AC_METRICS_ADDR, in a registry of
// its own (two Apps in one test process do not share counters). Labels are route patterns,
// methods, statuses, journal actions and queue states: never a path, an id or anything about a
// person.
type metrics struct {
	reg      *prometheus.Registry
	routes   map[string]bool // the registered patterns: anything else is labelled "other"
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	actions  *prometheus.CounterVec
	// Named series for what the service is for.
	fiLogins, mandatsCreated, mandatsRevoked, autorisationsRevoked prometheus.Counter
}

func newMetrics(a *App) *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), routes: map[string]bool{}}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ac_http_requests_total", Help: "HTTP requests answered, by route pattern, method and status.",
	}, []string{"route", "method", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ac_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern and method.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route", "method"})
	m.actions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ac_journal_actions_total", Help: "Actions committed with their journal entry, by action.",
	}, []string{"action"})
	m.fiLogins = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ac_fi_logins_total", Help: "FranceConnect logins completed through our identity provider (use_autorisation).",
	})
	m.mandatsCreated = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ac_mandats_created_total", Help: "Mandats signed (create_attestation).",
	})
	m.mandatsRevoked = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ac_mandats_revoked_total", Help: "Mandats revoked as a whole, by an aidant or the usager (cancel_mandat).",
	})
	m.autorisationsRevoked = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ac_autorisations_revoked_total", Help: "Démarches revoked (cancel_autorisation), alone or with their whole mandat.",
	})
	m.reg.MustRegister(m.requests, m.duration, m.actions, m.fiLogins, m.mandatsCreated, m.mandatsRevoked, m.autorisationsRevoked,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(a.DB.DB, "ac"), &outboxCollector{st: a.Store, log: a}, &queueCollector{a: a},
	)
	return m
}

// committed hears the store's committed actions.
func (m *metrics) committed(action string) {
	m.actions.WithLabelValues(action).Inc()
	switch action {
	case store.ActionUseAutorisation:
		m.fiLogins.Inc()
	case store.ActionCreateAttestation:
		m.mandatsCreated.Inc()
	case store.ActionCancelMandat:
		m.mandatsRevoked.Inc()
	case store.ActionCancelAutorisation:
		m.autorisationsRevoked.Inc()
	}
}

// knowRoutes records the registered patterns, once the routes are in place.
func (m *metrics) knowRoutes(f *fiber.App) {
	for _, r := range f.GetRoutes(true) {
		m.routes[r.Path] = true
	}
}

var metricMethods = map[string]bool{
	fiber.MethodGet: true, fiber.MethodHead: true, fiber.MethodPost: true, fiber.MethodPut: true,
	fiber.MethodPatch: true, fiber.MethodDelete: true, fiber.MethodOptions: true,
}

// observe counts one answered request. route is the matched pattern; a path no route matched
// (a 404 from the catch-all) is "other", so a scanner cannot grow the label set.
func (m *metrics) observe(route, method string, status int, d time.Duration) {
	if !m.routes[route] || route == "/" && status == fiber.StatusNotFound {
		route = "other"
	}
	if !metricMethods[method] {
		method = "OTHER"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

// outboxCollector reports the outbox at scrape time: messages waiting for delivery and the age
// of the oldest one (one indexed count; dev and sandbox never deliver, so there it only grows
// until the retention purge).
type outboxCollector struct {
	st  *store.Store
	log *App
}

var (
	outboxWaitingDesc = prometheus.NewDesc("ac_outbox_waiting", "Emails queued and not yet delivered.", nil, nil)
	outboxOldestDesc  = prometheus.NewDesc("ac_outbox_oldest_waiting_seconds", "Age of the oldest undelivered email (0 when none).", nil, nil)
)

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxWaitingDesc
	ch <- outboxOldestDesc
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, oldest, err := c.st.OutboxWaiting(ctx)
	if err != nil {
		c.log.Log.Warn("metrics: outbox", "err", err)
		return
	}
	age := 0.0
	if n > 0 {
		age = c.st.Now().Sub(oldest).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(outboxWaitingDesc, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(outboxOldestDesc, prometheus.GaugeValue, age)
}

// ServeMetrics answers /metrics on ln until ctx ends: a listener of its own (AC_METRICS_ADDR),
// kept off the public one.
func (a *App) ServeMetrics(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle(paths.Metrics, promhttp.HandlerFor(a.metrics.reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// queueCollector reports the job queue by kind and state at scrape time: depth (available,
// scheduled, running), failures waiting for a retry (retryable) and given up (discarded).
// River deletes finished jobs after a day, so the table stays small.
type queueCollector struct{ a *App }

var queueJobsDesc = prometheus.NewDesc("ac_jobs", "Background jobs in the queue (River), by kind and state.", []string{"kind", "state"}, nil)

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queueJobsDesc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var rows []struct {
		Kind  string `bun:"kind"`
		State string `bun:"state"`
		N     int64  `bun:"n"`
	}
	if err := c.a.DB.NewRaw("SELECT kind, state::text AS state, count(*) AS n FROM river_job GROUP BY 1, 2").Scan(ctx, &rows); err != nil {
		c.a.Log.Warn("metrics: job queue", "err", err)
		return
	}
	for _, r := range rows {
		ch <- prometheus.MustNewConstMetric(queueJobsDesc, prometheus.GaugeValue, float64(r.N), r.Kind, r.State)
	}
}
