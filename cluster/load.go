package cluster

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A node's load, as cluster status shows it and rebalancing uses it:
// commits appended per second (the node's and each owned tenant's, over
// loadWindow), the tenants that do not take writes right now, how far the
// owned tenants' logs run past their snapshots, and the oldest of those
// snapshots. Sampled once a second by loadLoop.

// loadWindow is how far back writes per second look.
const loadWindow = 10 * time.Second

// snapshotRecheck is how often the snapshot of an owned tenant is looked
// up again; one with no snapshot yet (nothing committed when it was
// acquired) is looked up every snapshotRecheckMissing, since its first
// commit stores one. snapshotLookups bounds the lookups per second.
const (
	snapshotRecheck        = 30 * time.Second
	snapshotRecheckMissing = 5 * time.Second
	snapshotLookups        = 32
)

// sample is a counter's value at a moment.
type sample struct {
	at time.Time
	n  uint64
}

// rateWindow holds the samples of a counter over the last loadWindow.
type rateWindow struct{ s []sample }

func (w *rateWindow) add(at time.Time, n uint64) {
	w.s = append(w.s, sample{at, n})
	cut := 0
	for cut < len(w.s)-2 && at.Sub(w.s[cut+1].at) >= loadWindow {
		cut++
	}
	w.s = w.s[cut:]
}

// rate is the counter's increase per second over the window (0 with fewer
// than two samples).
func (w *rateWindow) rate() float64 {
	if len(w.s) < 2 {
		return 0
	}
	first, last := w.s[0], w.s[len(w.s)-1]
	secs := last.at.Sub(first.at).Seconds()
	if secs <= 0 || last.n < first.n {
		return 0
	}
	return float64(last.n-first.n) / secs
}

// span is how long the window covers.
func (w *rateWindow) span() time.Duration {
	if len(w.s) < 2 {
		return 0
	}
	return w.s[len(w.s)-1].at.Sub(w.s[0].at)
}

// tenantLoad is an owned tenant's rate of commits. full: measured over the
// whole window (owned here that long).
type tenantLoad struct {
	t      Tenant
	writes float64
	full   bool
}

// snapInfo is what this node knows of an owned tenant's snapshot.
type snapInfo struct {
	checked time.Time
	found   bool
	seq     uint64
	at      time.Time
}

// loadState is the node's load as last sampled.
type loadState struct {
	writes      float64
	catchingUp  int
	logTail     uint64
	snapshotAge time.Duration
	tenants     []tenantLoad
}

// loadTracker samples the node's load.
type loadTracker struct {
	mu      sync.Mutex
	node    rateWindow
	tenants map[*owned]*rateWindow // by ownership: a re-acquired tenant starts afresh
	snaps   map[*owned]snapInfo
	state   loadState
}

func newLoadTracker() *loadTracker {
	return &loadTracker{tenants: map[*owned]*rateWindow{}, snaps: map[*owned]snapInfo{}}
}

// current returns the last sampled load.
func (l *loadTracker) current() loadState {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.state
	s.tenants = append([]tenantLoad(nil), s.tenants...)
	return s
}

// loadLoop samples the load every second, and looks up the snapshots of
// owned tenants it does not know yet.
func (r *Runtime) loadLoop() {
	defer r.done.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		r.load.sample(r.node, r.metrics.appended.Load(), int(r.acquiring.Load()), time.Now())
		r.load.lookupSnapshots(r.node)
		r.snapshotLongTails()
		select {
		case <-r.stop:
			return
		case <-tick.C:
		}
	}
}

// sample records the counters at now (appended: the node's commits so far;
// acquiring: tenants being acquired) and recomputes the load.
func (l *loadTracker) sample(n *Node, appended uint64, acquiring int, now time.Time) {
	n.mu.Lock()
	all := make([]*owned, 0, len(n.owned))
	for _, o := range n.owned {
		all = append(all, o)
	}
	n.mu.Unlock()
	// Read the tenants first: o.mu is held through a log append, and
	// current() (heartbeats, metrics) must never wait for one.
	type reading struct {
		commits int
		broken  bool
		last    uint64
	}
	read := make([]reading, len(all))
	for i, o := range all {
		o.mu.Lock()
		read[i] = reading{o.commits, o.broken, o.last}
		o.mu.Unlock()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.node.add(now, appended)
	st := loadState{writes: l.node.rate(), catchingUp: acquiring}
	seen := make(map[*owned]bool, len(all))
	var oldest time.Time
	for i, o := range all {
		seen[o] = true
		commits, broken, last := read[i].commits, read[i].broken, read[i].last
		if broken {
			st.catchingUp++
		}
		w := l.tenants[o]
		if w == nil {
			w = &rateWindow{}
			l.tenants[o] = w
		}
		w.add(now, uint64(commits))
		st.tenants = append(st.tenants, tenantLoad{t: o.t, writes: w.rate(), full: w.span() >= loadWindow-time.Second/2})
		if s, ok := l.snaps[o]; ok && s.found {
			if last > s.seq {
				st.logTail += last - s.seq
			}
			if oldest.IsZero() || s.at.Before(oldest) {
				oldest = s.at
			}
		}
	}
	for o := range l.tenants {
		if !seen[o] {
			delete(l.tenants, o)
			delete(l.snaps, o)
		}
	}
	if !oldest.IsZero() {
		st.snapshotAge = max(0, now.Sub(oldest))
	}
	l.state = st
}

// lookupSnapshots reads the snapshot info of owned tenants this node has
// not looked at recently (at most snapshotLookups per call).
func (l *loadTracker) lookupSnapshots(n *Node) {
	now := time.Now()
	l.mu.Lock()
	var due []*owned
	for o := range l.tenants {
		s, ok := l.snaps[o]
		wait := snapshotRecheck
		if ok && !s.found {
			wait = snapshotRecheckMissing
		}
		if !ok || now.Sub(s.checked) >= wait {
			due = append(due, o)
		}
		if len(due) == snapshotLookups {
			break
		}
	}
	l.mu.Unlock()
	for _, o := range due {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		info, err := objectInfo(ctx, n.snaps, o.t.logKey())
		cancel()
		s := snapInfo{checked: now}
		switch {
		case errors.Is(err, jetstream.ErrObjectNotFound):
		case err != nil:
			continue // try again next time
		default:
			s.found = true
			s.seq, _ = strconv.ParseUint(info.Metadata["seq"], 10, 64)
			s.at = info.ModTime
		}
		l.mu.Lock()
		if _, owned := l.tenants[o]; owned {
			l.snaps[o] = s
		}
		l.mu.Unlock()
	}
}

// snapshotLongTails stores the snapshot of every owned tenant whose log
// grew by SnapshotEvery records since it was acquired here or last
// snapshotted, and purges the log below it: a tenant written without pause
// is never released, so its release's snapshot never comes. The engine
// holds the tenant's writer meanwhile (its writes wait for the upload).
func (r *Runtime) snapshotLongTails() {
	every := r.cfg.SnapshotEvery
	if every == 0 {
		every = DefaultSnapshotEvery
	}
	e := r.currentEngine()
	if every < 0 || e == nil {
		return
	}
	for _, t := range r.node.LongTails(every) {
		ctx, cancel := context.WithTimeout(r.stopping, time.Minute)
		err := e.SnapshotTenant(ctx, t.Database, t.Branch, t.Name, func(path string) error {
			return r.node.Snapshot(ctx, t, path)
		})
		cancel()
		if err != nil {
			r.log.Debug("cluster: snapshot of a long log tail", "tenant", t.String(), "err", err)
		}
	}
}
