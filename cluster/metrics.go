package cluster

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are a cluster node's Prometheus metrics, served on GET /metrics
// beside the server's (server.Config.Collectors).
type Metrics struct {
	logAppend    prometheus.Histogram
	leaseRenew   prometheus.Histogram
	takeovers    prometheus.Counter
	fenced       prometheus.Counter
	snapshots    prometheus.Counter
	snapshotSize prometheus.Counter
	moves        prometheus.Counter
	commits      prometheus.Counter
	abandoned    prometheus.Counter

	// appended counts the commits appended to owned tenants' logs, for
	// writes per second (load.go).
	appended atomic.Uint64
}

var latencyBuckets = []float64{.0002, .0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

func newMetrics() *Metrics {
	return &Metrics{
		logAppend: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "cinch_cluster_log_append_seconds",
			Help: "Latency of appending a commit to a tenant's log (acknowledged by a quorum, fsynced).", Buckets: latencyBuckets}),
		leaseRenew: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "cinch_cluster_lease_renew_seconds",
			Help: "Latency of renewing a tenant's lease.", Buckets: latencyBuckets}),
		takeovers: prometheus.NewCounter(prometheus.CounterOpts{Name: "cinch_cluster_takeovers_total",
			Help: "Tenants this node acquired (a takeover record appended to their log)."}),
		fenced: prometheus.NewCounter(prometheus.CounterOpts{Name: "cinch_cluster_fenced_commits_total",
			Help: "Commits refused because another node had taken the tenant over."}),
		snapshots: prometheus.NewCounter(prometheus.CounterOpts{Name: "cinch_cluster_snapshots_total",
			Help: "Tenant snapshots stored by this node."}),
		snapshotSize: prometheus.NewCounter(prometheus.CounterOpts{Name: "cinch_cluster_snapshot_bytes_total",
			Help: "Bytes of tenant snapshots stored by this node."}),
		moves: prometheus.NewCounter(prometheus.CounterOpts{Name: "cinch_cluster_moves_total",
			Help: "Tenants this node handed to another node (move, drain)."}),
		commits: prometheus.NewCounter(prometheus.CounterOpts{Name: "cinch_cluster_commits_total",
			Help: "Commits this node appended to the logs of the tenants it owns (acknowledged writes)."}),
		abandoned: prometheus.NewCounter(prometheus.CounterOpts{Name: "cinch_cluster_forwards_abandoned_total",
			Help: "Forwarded writes not run because their sender had stopped waiting (this node was paused or slow)."}),
	}
}

// committed counts one commit appended to a tenant's log (nil-safe).
func (m *Metrics) committed() {
	if m != nil {
		m.appended.Add(1)
		m.commits.Inc()
	}
}

// Collectors lists the node's metrics: the ones above, plus gauges of its
// load (load.go), the tenants it owns and how far its control log lags.
func (r *Runtime) Collectors() []prometheus.Collector {
	m := r.metrics
	return append(r.rebuildCollectors(), m.logAppend, m.leaseRenew, m.takeovers, m.fenced, m.snapshots, m.snapshotSize, m.moves, m.commits, m.abandoned,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cinch_cluster_writes_per_second", Help: "Commits appended per second over the last 10 s."},
			func() float64 { return r.load.current().writes }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cinch_cluster_snapshot_age_seconds",
			Help: "Age of the oldest snapshot among the tenants this node owns (0: none has one)."},
			func() float64 { return r.load.current().snapshotAge.Seconds() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cinch_cluster_log_tail_records",
			Help: "Log records of the tenants this node owns past their snapshots (what rebuilding them would replay)."},
			func() float64 { return float64(r.load.current().logTail) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cinch_cluster_tenants_catching_up",
			Help: "Owned tenants being rebuilt, or refusing writes until rebuilt."},
			func() float64 { return float64(r.load.current().catchingUp) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cinch_cluster_tenants_owned", Help: "Tenants this node owns."},
			func() float64 { return float64(len(r.node.OwnedTenants())) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cinch_cluster_control_applied", Help: "Sequence of the last control log entry this node applied."},
			func() float64 { return float64(r.ctl.appliedSeq()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cinch_cluster_draining", Help: "1 while this node is draining."},
			func() float64 {
				if r.draining.Load() {
					return 1
				}
				return 0
			}),
	)
}

// observe records d in h (nil-safe: a Node made outside a Runtime has none).
func observe(h prometheus.Histogram, start time.Time) {
	if h != nil {
		h.Observe(time.Since(start).Seconds())
	}
}

func inc(c prometheus.Counter, n float64) {
	if c != nil {
		c.Add(n)
	}
}
