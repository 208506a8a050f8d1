package server

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cinchdb/cinch"
)

// metrics are one server's Prometheus collectors, on a registry of its own
// (no global state: two servers in one process do not mix).
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	handler  http.Handler
	series   sync.Map // routeStatus → *routeSeries
}

func newMetrics(e Engine, more ...prometheus.Collector) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cinch_http_requests_total",
			Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cinch_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.latency,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cinch_open_tenant_handles",
			Help: "Tenant handles (open SQLite files with their connections) in this process.",
		}, func() float64 { return float64(e.OpenTenantHandles()) }),
		&engineCollector{e: e},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	reg.MustRegister(more...)
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}

// routeStatus keys the series of one route and status in metrics.series.
type routeStatus struct {
	route  string
	status int
}

// routeSeries are the request counter and latency histogram of one route
// and status, looked up once (WithLabelValues hashes its labels on every
// call).
type routeSeries struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	k := routeStatus{route, status}
	v, ok := m.series.Load(k)
	if !ok {
		// Bounded: routes are the route table's patterns (and "unmatched",
		// "/ui/"), statuses the few the server writes.
		v, _ = m.series.LoadOrStore(k, &routeSeries{
			requests: m.requests.WithLabelValues(route, strconv.Itoa(status)),
			latency:  m.latency.WithLabelValues(route),
		})
	}
	rs := v.(*routeSeries)
	rs.requests.Inc()
	rs.latency.Observe(d.Seconds())
}

// engineCollector reads tenants per branch and rollouts in progress from
// the engine at scrape time.
type engineCollector struct{ e Engine }

var (
	tenantsDesc = prometheus.NewDesc("cinch_tenants", "Registered tenants per branch.",
		[]string{"database", "branch"}, nil)
	behindDesc = prometheus.NewDesc("cinch_tenants_behind",
		"Materialized tenants of a branch whose file lacks some of its schema changes (they catch up on their next request, or by the background converger).",
		[]string{"database", "branch"}, nil)
	rolloutDesc = prometheus.NewDesc("cinch_rollouts_in_progress",
		"1 while a branch has a schema rollout or other multi-step operation in flight (its journal exists).",
		[]string{"database", "branch"}, nil)
)

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- tenantsDesc
	ch <- behindDesc
	ch <- rolloutDesc
}

func (c *engineCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dbs, err := c.e.Databases(ctx)
	if err != nil {
		return
	}
	for _, db := range dbs {
		h, err := c.e.Handle(cinch.Target{Database: db.Name}, "")
		if err != nil {
			continue
		}
		branches, err := h.Branches().List(ctx)
		if err != nil {
			continue
		}
		for _, b := range branches {
			ch <- prometheus.MustNewConstMetric(tenantsDesc, prometheus.GaugeValue, float64(b.Tenants), db.Name, b.Name)
			ch <- prometheus.MustNewConstMetric(behindDesc, prometheus.GaugeValue, float64(b.Behind), db.Name, b.Name)
			v := 0.0
			if c.e.RolloutInProgress(db.Name, b.Name) {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(rolloutDesc, prometheus.GaugeValue, v, db.Name, b.Name)
		}
	}
}
