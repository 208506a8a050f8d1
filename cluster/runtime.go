package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cinchdb/cinch"
)

// RuntimeConfig configures a cluster node's runtime (cinch serve --cluster).
type RuntimeConfig struct {
	Node     string      // this node's name, unique in the cluster (--node)
	Dir      string      // the project folder: a cache of the cluster's state this node can rebuild
	NATSURL  string      // join an existing NATS cluster (--nats-url); else Embedded is started
	Embedded *NATSConfig // the embedded NATS server (--nats-listen, --nats-cluster, --nats-routes)
	Replicas int         // JetStream replicas of the cluster's state; 3 when zero (1 for a one-server NATS)
	Addr     string      // this node's HTTP address, shown by cluster status
	Logger   *slog.Logger
	// SnapshotEvery is how many log records an owned tenant may append
	// before this node stores its snapshot and purges the log below it
	// (besides the snapshot at each release); DefaultSnapshotEvery if zero,
	// never if negative.
	SnapshotEvery int
}

// DefaultSnapshotEvery bounds the log tail of a tenant written without
// pause (never released): a rebuild replays at most about this many
// records past the snapshot, and JetStream keeps no more of its log.
const DefaultSnapshotEvery = 10000

// Engine is what the runtime needs from the node's engine (local.Project).
type Engine interface {
	// WarmTenant opens the tenant's handle here, which makes this node its
	// owner (local.Config.Owner); cinch.ErrNotOwner when another node is.
	WarmTenant(ctx context.Context, database, branch, tenant string) error
	// DropTenantHandle closes the tenant's handle here (the node lost it).
	DropTenantHandle(ctx context.Context, database, branch, tenant string)
	// TenantRegistered reports whether the branch's registry here lists
	// the tenant (false, nil when the database or branch does not exist).
	TenantRegistered(ctx context.Context, database, branch, tenant string) (bool, error)
	// TenantFilePath is where the tenant's file is (or would be) here.
	TenantFilePath(ctx context.Context, database, branch, tenant string) (string, error)
	// BackupTenant writes a consistent copy of the tenant's file to dst,
	// opening it here (which makes this node its owner); lazy: the tenant
	// has no file, nothing was written.
	BackupTenant(ctx context.Context, database, branch, tenant, dst string) (lazy bool, err error)
	// TenantNames lists the branch's tenants, archived ones only when asked.
	TenantNames(ctx context.Context, database, branch string, archived bool) ([]string, error)
	// SnapshotTenant runs fn on the file of a tenant open here, holding its
	// writer, after a checkpoint that copied its whole WAL into the file;
	// nil without running fn when the tenant is not open here.
	SnapshotTenant(ctx context.Context, database, branch, tenant string, fn func(path string) error) error
}

// Runtime is one cluster node: its NATS connection (and embedded server),
// its Node (tenant ownership and the write log), the cluster's API keys, the
// control log, and the HTTP layer that routes requests (see Handler).
type Runtime struct {
	cfg  RuntimeConfig
	ns   *server.Server // nil with --nats-url
	nc   *nats.Conn
	js   jetstream.JetStream
	node *Node
	keys *Keys
	ctl  *control
	log  *slog.Logger

	idents *idents // tenant log identities (idents.go)
	owner  *Owner  // the engine's ownership hook (Owner)

	changes      jetstream.KeyValue // coordinated changes' outcomes (coordinate.go)
	coordinating sync.Map           // id -> *lease: changes this process coordinates

	nodes jetstream.KeyValue // heartbeats

	metrics   *Metrics
	load      *loadTracker // writes/s, tenants catching up, log tail, snapshot age (load.go)
	acquiring atomic.Int64 // tenants being acquired (rebuilt) right now
	loadMoved time.Time    // the last move rebalanceStep made for load (drainLoop only)

	engineMu sync.Mutex
	engine   Engine

	flags    jetstream.KeyValue // drain.<node>
	gates    sync.Map           // Tenant -> chan struct{}: requests wait while the tenant moves away
	uses     sync.Map           // Tenant -> *sync.RWMutex: held shared by requests served here (tenantUse)
	draining atomic.Bool        // this node is marked as draining
	moveSubs []*nats.Subscription

	stop chan struct{}
	// stopping is canceled when Close begins: the background loops' calls
	// end then instead of holding Close for their timeouts.
	stopping   context.Context
	cancelStop context.CancelFunc
	done       sync.WaitGroup
	sub        *nats.Subscription // forwarded requests, from Start on (awaitRouter)
	// forwards is the router once Handler made it; routerReady is closed
	// then. A node restarted within its lease's TTL adopts its previous
	// process's lease at Start, and with it the tenants whose keys name
	// it: requests forwarded to it wait for the router instead of finding
	// nobody until they fail.
	forwards    atomic.Pointer[router]
	routerReady chan struct{}
}

// nodesBucket holds each live node's heartbeat (a per-key TTL).
const nodesBucket = "cinch_nodes"

// heartbeatTTL: a node missing this long is shown as not alive.
const heartbeatTTL = 5 * time.Second

// Start connects (or starts the embedded NATS server), waits for JetStream,
// and prepares the cluster's state. It does not serve yet: give Owner to the
// engine, then wrap the API with Handler.
func Start(ctx context.Context, cfg RuntimeConfig) (*Runtime, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 3
	}
	r := &Runtime{cfg: cfg, log: cfg.Logger, stop: make(chan struct{}), metrics: newMetrics(), load: newLoadTracker(), routerReady: make(chan struct{})}
	r.stopping, r.cancelStop = context.WithCancel(context.Background())
	url := cfg.NATSURL
	if url == "" {
		if cfg.Embedded == nil {
			return nil, errors.New("cluster: give --nats-url or the embedded NATS flags")
		}
		ns, err := StartNATS(*cfg.Embedded)
		if err != nil {
			return nil, err
		}
		r.ns, url = ns, ns.ClientURL()
	}
	nc, err := nats.Connect(url, nats.Name("cinch "+cfg.Node), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
	if err != nil {
		r.Close(ctx)
		return nil, unavailable("connect to NATS at "+url, err)
	}
	r.nc = nc
	r.js, _ = jetstream.New(nc)
	// Before the node's lease is taken (NewNode): see Runtime.forwards.
	if r.sub, err = nc.Subscribe(forwardSubject(cfg.Node), r.awaitRouter); err != nil {
		r.Close(ctx)
		return nil, unavailable("listen for forwarded requests", err)
	}
	r.node, err = NewNode(ctx, nc, Config{Node: cfg.Node, Root: cfg.Dir, Replicas: cfg.Replicas, OnLost: r.lost})
	if err != nil {
		r.Close(ctx)
		return nil, err
	}
	r.node.metrics = r.metrics
	r.node.nl.observe(func(d time.Duration) { r.metrics.leaseRenew.Observe(d.Seconds()) })
	if r.keys, err = newKeys(ctx, r.js, cfg.Replicas); err != nil {
		r.Close(ctx)
		return nil, err
	}
	stateDir := filepath.Join(cfg.Dir, ".cinchdb")
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		r.Close(ctx)
		return nil, err
	}
	if r.idents, err = openIdents(filepath.Join(stateDir, "cluster-idents")); err != nil {
		r.Close(ctx)
		return nil, err
	}
	if r.ctl, err = newControl(ctx, r.js, cfg.Replicas, cfg.Node, r.keys, stateDir); err != nil {
		r.Close(ctx)
		return nil, err
	}
	r.ctl.before = r.beforeApply
	r.ctl.coordinated = r.applyCoordinated
	r.ctl.decided = r.coordinationDecided
	r.owner = &Owner{r: r, holds: map[string]*hold{}}
	err = retry(ctx, func(ctx context.Context) (err error) {
		r.changes, err = ensureKV(ctx, r.js, jetstream.KeyValueConfig{Bucket: changesBucket, Replicas: cfg.Replicas,
			Storage: jetstream.FileStorage, History: 1})
		return err
	})
	if err != nil {
		r.Close(ctx)
		return nil, unavailable("create the change bucket", err)
	}
	err = retry(ctx, func(ctx context.Context) (err error) {
		r.nodes, err = ensureKV(ctx, r.js, jetstream.KeyValueConfig{Bucket: nodesBucket, Replicas: cfg.Replicas,
			Storage: jetstream.FileStorage, History: 1, LimitMarkerTTL: time.Second})
		return err
	})
	if err != nil {
		r.Close(ctx)
		return nil, unavailable("create the node bucket", err)
	}
	err = retry(ctx, func(ctx context.Context) (err error) {
		r.flags, err = ensureKV(ctx, r.js, jetstream.KeyValueConfig{Bucket: flagsBucket, Replicas: cfg.Replicas,
			Storage: jetstream.FileStorage, History: 1})
		return err
	})
	if err != nil {
		r.Close(ctx)
		return nil, unavailable("create the flags bucket", err)
	}
	if err := r.serveMoves(); err != nil {
		r.Close(ctx)
		return nil, unavailable("listen for moves", err)
	}
	r.done.Add(3)
	go r.heartbeats()
	go r.drainLoop()
	go r.loadLoop()
	return r, nil
}

// Keys is the cluster's API key store (server.KeyStore).
func (r *Runtime) Keys() *Keys { return r.keys }

// Node is this node's tenant ownership.
func (r *Runtime) Node() *Node { return r.node }

// Owner is the engine's ownership hook (local.Config.Owner).
func (r *Runtime) Owner() *Owner { return r.owner }

// Owner makes the engine ask the cluster before it opens a tenant file.
// The engine may hold two handles on one tenant for a moment (a new one
// opens while the one it replaces closes), so holds are counted: the
// tenant is released when the last handle closes.
type Owner struct {
	r     *Runtime
	mu    sync.Mutex
	holds map[string]*hold // by file path
}

// hold is the engine's handles on one tenant file: the tenant (with the
// identity it had when acquired) and how many.
type hold struct {
	t Tenant
	n int
}

// resolve names a tenant with its log identity.
func (r *Runtime) resolve(t Tenant) Tenant {
	if r.idents == nil {
		return t
	}
	return r.idents.resolve(t)
}

// Acquire makes this node the tenant's owner, unless it already is.
func (o *Owner) Acquire(ctx context.Context, database, branch, tenant, path string) error {
	t := o.r.resolve(Tenant{Database: database, Branch: branch, Name: tenant})
	o.mu.Lock()
	defer o.mu.Unlock()
	if h := o.holds[path]; h != nil {
		if h.t == t && o.r.node.Owns(t, path) {
			h.n++
			return nil
		}
		// Lost meanwhile (OnLost), or another identity now has the name,
		// and a handle of the old hold is still open: the tenant is taken
		// again only once it is closed. Rebuilding the file under an open
		// connection would let that connection's late writes reach the new
		// ownership's log, and its closing would release the new one.
		return &cinch.Error{Err: cinch.ErrUnavailable, Message: fmt.Sprintf("tenant %s is being released on this node", t),
			Hint: "retry: it is served again once its last request here finished"}
	}
	o.r.acquiring.Add(1)
	err := o.r.node.Acquire(ctx, t, path)
	o.r.acquiring.Add(-1)
	if err != nil {
		return err
	}
	o.holds[path] = &hold{t: t, n: 1}
	return nil
}

// Release drops one hold; the last one gives the tenant up.
func (o *Owner) Release(database, branch, tenant, path string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	h := o.holds[path]
	if h == nil {
		return
	}
	h.n--
	if h.n == 0 {
		delete(o.holds, path)
		o.r.node.Release(context.Background(), h.t, path)
	}
}

// currentEngine is the engine Handler was given (nil before).
func (r *Runtime) currentEngine() Engine {
	r.engineMu.Lock()
	defer r.engineMu.Unlock()
	return r.engine
}

// lost is called when the node lost a tenant: the engine closes its handle,
// which releases it.
func (r *Runtime) lost(t Tenant) {
	r.engineMu.Lock()
	e := r.engine
	r.engineMu.Unlock()
	r.log.Warn("cluster: lost a tenant", "tenant", t.String())
	if e != nil {
		e.DropTenantHandle(context.Background(), t.Database, t.Branch, t.Name)
	}
}

// status is this node's heartbeat: what cluster status shows of it. The
// control lag is filled in by the node that answers cluster status.
func (r *Runtime) status() cinch.ClusterNode {
	r.node.mu.Lock()
	owned := len(r.node.owned)
	r.node.mu.Unlock()
	l := r.load.current()
	return cinch.ClusterNode{Name: r.cfg.Node, Addr: r.cfg.Addr, Alive: true, Draining: r.draining.Load(), TenantsOwned: owned,
		WritesPerSec: roundRate(l.writes), ControlApplied: r.ctl.appliedSeq(), TenantsCatchingUp: l.catchingUp, LogTail: l.logTail,
		SnapshotAgeSeconds: l.snapshotAge.Round(time.Second).Seconds(), At: time.Now().UTC()}
}

// roundRate keeps two decimals of a rate.
func roundRate(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// heartbeats publishes this node's status every second with a TTL.
func (r *Runtime) heartbeats() {
	defer r.done.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		b, _ := json.Marshal(r.status())
		ctx, cancel := context.WithTimeout(r.stopping, time.Second)
		_, err := r.js.Publish(ctx, "$KV."+nodesBucket+"."+r.cfg.Node, b, jetstream.WithMsgTTL(heartbeatTTL))
		cancel()
		if err != nil {
			r.log.Debug("cluster: heartbeat", "err", err)
		}
		select {
		case <-r.stop:
			return
		case <-tick.C:
		}
	}
}

// drainLoop checks every second whether this node is marked as draining,
// and moves its tenants away while it is; every rebalanceEvery seconds it
// also sheds a tenant to the least loaded node when it owns too many.
func (r *Runtime) drainLoop() {
	defer r.done.Done()
	n := 0
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-tick.C:
		}
		r.drainStep()
		if n++; n%rebalanceEvery == 0 && !r.draining.Load() {
			r.rebalanceStep()
		}
	}
}

// Nodes returns the nodes that sent a heartbeat, this one as it is now,
// with how far each lags behind the control log.
func (r *Runtime) Nodes(ctx context.Context) ([]cinch.ClusterNode, error) {
	names, err := r.nodes.ListKeys(ctx)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return nil, nil
		}
		return nil, unavailable("list the nodes", err)
	}
	var last uint64
	var stream jetstream.Stream
	if s, err := r.js.Stream(ctx, controlStream); err == nil {
		if info, err := s.Info(ctx); err == nil {
			stream, last = s, info.State.LastSeq
		}
	}
	// The age of the oldest entry a node has not applied: the time the
	// stream stored the entry after its last applied one.
	appendedAt := map[uint64]time.Time{}
	lagSince := func(applied uint64) time.Time {
		seq := applied + 1
		if at, ok := appendedAt[seq]; ok || stream == nil {
			return at
		}
		if m, err := stream.GetMsg(ctx, seq); err == nil {
			appendedAt[seq] = m.Time
		}
		return appendedAt[seq]
	}
	var out []cinch.ClusterNode
	for name := range names.Keys() {
		var st cinch.ClusterNode
		if name == r.cfg.Node {
			st = r.status()
		} else {
			e, err := replicaGet(ctx, r.nodes, name)
			if err != nil || json.Unmarshal(e.Value(), &st) != nil {
				continue
			}
			st.Alive = time.Since(st.At) < heartbeatTTL
		}
		st.Draining = r.isDraining(ctx, st.Name)
		st.ControlLag, st.ControlLagSeconds = 0, 0
		if last > st.ControlApplied {
			st.ControlLag = last - st.ControlApplied
			if at := lagSince(st.ControlApplied); !at.IsZero() {
				st.ControlLagSeconds = max(0, time.Since(at).Round(time.Millisecond).Seconds())
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// Close stops serving cluster requests, releases every tenant this node
// owns, and closes the connection and the embedded server.
func (r *Runtime) Close(ctx context.Context) {
	select {
	case <-r.stop:
		return
	default:
		close(r.stop)
		r.cancelStop()
	}
	if r.sub != nil {
		r.sub.Unsubscribe()
	}
	for _, s := range r.moveSubs {
		s.Unsubscribe()
	}
	if r.ctl != nil {
		r.ctl.stop()
	}
	r.done.Wait()
	if r.node != nil {
		r.node.Close(ctx)
	}
	r.idents.close()
	if r.nodes != nil {
		_ = r.nodes.Delete(ctx, r.cfg.Node)
	}
	if r.nc != nil {
		r.nc.Drain()
		r.nc.Close()
	}
	if r.ns != nil {
		r.ns.Shutdown()
		r.ns.WaitForShutdown()
	}
}

// String names the node and its NATS server, for the start-up line.
func (r *Runtime) String() string {
	if r.ns != nil {
		return fmt.Sprintf("node %s (embedded NATS on %s)", r.cfg.Node, r.ns.ClientURL())
	}
	return fmt.Sprintf("node %s (NATS at %s)", r.cfg.Node, r.cfg.NATSURL)
}

// awaitRouter serves a forwarded request once Handler made the router,
// waiting for it if needed (a node still starting), or drops it when the
// node stops first (the sender then asks again elsewhere).
func (r *Runtime) awaitRouter(m *nats.Msg) {
	if h := r.forwards.Load(); h != nil {
		h.serveForwarded(m)
		return
	}
	go func() {
		select {
		case <-r.routerReady:
			r.forwards.Load().serveForwarded(m)
		case <-r.stop:
		}
	}()
}
