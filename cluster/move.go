package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cinchdb/cinch"
)

// Moving tenants between nodes (cinch cluster move, drain): the owner asks
// the target to prepare (warm.go: build the file from the snapshot and the
// log, while the owner keeps serving), then stops taking requests for the
// tenant (they wait at a gate), lets the ones in flight finish, and hands
// its lease to the target, which adopts the lease, replays the records
// appended since it prepared and appends its takeover; then the waiting
// requests go to the target. A target that could not prepare rebuilds from
// a snapshot the owner stores on release, as before.

// flagsBucket holds cluster-wide flags: drain.<node>.
const flagsBucket = "cinch_cluster"

// moveRequest is a move sent to the tenant's owner, or an acquire sent to
// the target.
type moveRequest struct {
	Tenant Tenant `json:"tenant"`
	To     string `json:"to"`
}

type moveReply struct {
	Error string `json:"error,omitempty"`
	Code  string `json:"code,omitempty"`
	Pause string `json:"pause,omitempty"` // how long requests on the tenant waited at this node
}

// prepareReply is the target's answer to a prepare.
type prepareReply struct {
	moveReply
	Warm bool   `json:"warm,omitempty"` // the file holds the log up to Seq
	Seq  uint64 `json:"seq,omitempty"`
}

func moveSubject(node string) string    { return "cinch.node." + node + ".move" }
func acquireSubject(node string) string { return "cinch.node." + node + ".acquire" }
func prepareSubject(node string) string { return "cinch.node." + node + ".prepare" }

func replyErr(err error) moveReply {
	if err == nil {
		return moveReply{}
	}
	return moveReply{Error: err.Error(), Code: cinch.Code(err)}
}

func (m moveReply) err() error {
	if m.Error == "" {
		return nil
	}
	return &cinch.Error{Err: cinch.FromCode(m.Code), Message: m.Error}
}

// gate returns the channel requests on t wait for while t moves, or nil.
func (r *Runtime) gate(t Tenant) chan struct{} {
	if g, ok := r.gates.Load(t); ok {
		return g.(chan struct{})
	}
	return nil
}

// tenantUse is t's use lock: a request served here holds it shared from
// the moment it checks that t is this node's (no gate, lease held) until
// it has answered; a move takes it exclusively after closing t's gate, so
// it hands t over only once the requests already past that check are done.
// Without it, a request that checked just before the gate closed reached
// the engine after the handoff, and its client got "not the owner".
func (r *Runtime) tenantUse(t Tenant) *sync.RWMutex {
	if l, ok := r.uses.Load(t); ok {
		return l.(*sync.RWMutex)
	}
	l, _ := r.uses.LoadOrStore(t, new(sync.RWMutex))
	return l.(*sync.RWMutex)
}

// waitGate waits while t is being moved away from this node.
func (r *Runtime) waitGate(ctx context.Context, t Tenant) error {
	if g := r.gate(t); g != nil {
		select {
		case <-g:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// move hands t, owned here, to node to.
func (r *Runtime) move(ctx context.Context, t Tenant, to string) (time.Duration, error) {
	if to == r.cfg.Node {
		return 0, nil
	}
	// Warm the target first, while this node still serves the tenant. A
	// target that cannot (an older version, an error) gets it cold.
	var prep prepareReply
	if err := r.call(ctx, prepareSubject(to), moveRequest{Tenant: t, To: to}, &prep); err != nil || prep.err() != nil {
		r.log.Info("cluster: the target could not prepare a moved tenant: it rebuilds from a snapshot", "tenant", t.String(), "to", to, "err", errors.Join(err, prep.err()))
		prep.Warm = false
	}
	g := make(chan struct{})
	if _, busy := r.gates.LoadOrStore(t, g); busy {
		return 0, cinch.Errorf(cinch.ErrConflict, "tenant %s is already moving", t)
	}
	start := time.Now()
	defer func() {
		r.gates.Delete(t)
		close(g)
	}()
	use := r.tenantUse(t)
	use.Lock() // the requests already past the gate finish first
	defer use.Unlock()
	err := r.node.Handoff(ctx, t, to, prep.Warm, func() {
		r.engineMu.Lock()
		e := r.engine
		r.engineMu.Unlock()
		if e != nil {
			e.DropTenantHandle(ctx, t.Database, t.Branch, t.Name)
		}
	})
	if err != nil {
		return time.Since(start), err
	}
	inc(r.metrics.moves, 1)
	// The target takes it now, so the first request there pays nothing.
	// The key names the target already: until it acquires, nobody holds
	// the tenant (a request reaching the target would adopt it, but status
	// and the rebalancer would count it nowhere), so a failure is tried
	// again, briefly.
	var rep moveReply
	for attempt, wait := 0, 100*time.Millisecond; attempt < 3; attempt, wait = attempt+1, 2*wait {
		rep = moveReply{}
		if err = r.call(ctx, acquireSubject(to), moveRequest{Tenant: t, To: to}, &rep); err == nil && rep.err() == nil {
			return time.Since(start), nil
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
	err = errors.Join(err, rep.err())
	r.log.Warn("cluster: the target did not acquire a moved tenant (the first request there adopts it)", "tenant", t.String(), "to", to, "err", err)
	return time.Since(start), err
}

// call sends a JSON request to a node and decodes its JSON reply.
func (r *Runtime) call(ctx context.Context, subject string, in, out any) error {
	b, _ := json.Marshal(in)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	m, err := r.nc.RequestWithContext(ctx, subject, b)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) {
			return &cinch.Error{Err: cinch.ErrUnavailable, Message: "the node does not answer (" + subject + ")"}
		}
		return unavailable("asking "+subject, err)
	}
	return json.Unmarshal(m.Data, out)
}

// serveMoves answers moves sent to this node (as the tenant's owner) and
// acquires sent to it (as their target).
func (r *Runtime) serveMoves() error {
	sub1, err := r.nc.Subscribe(moveSubject(r.cfg.Node), func(m *nats.Msg) {
		go func() {
			var req moveRequest
			if err := json.Unmarshal(m.Data, &req); err != nil {
				return
			}
			pause, err := r.move(context.Background(), req.Tenant, req.To)
			rep := replyErr(err)
			rep.Pause = pause.String()
			b, _ := json.Marshal(rep)
			m.Respond(b)
		}()
	})
	if err != nil {
		return err
	}
	sub2, err := r.nc.Subscribe(acquireSubject(r.cfg.Node), func(m *nats.Msg) {
		go func() {
			var req moveRequest
			if err := json.Unmarshal(m.Data, &req); err != nil {
				return
			}
			r.engineMu.Lock()
			e := r.engine
			r.engineMu.Unlock()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var err error
			if e == nil {
				err = errors.New("not serving yet")
			} else if err = r.ctl.barrier(ctx); err == nil {
				// (After the barrier: a node that just joined may not have
				// applied the entry that registered the tenant yet.)
				err = e.WarmTenant(ctx, req.Tenant.Database, req.Tenant.Branch, req.Tenant.Name)
			}
			b, _ := json.Marshal(replyErr(err))
			m.Respond(b)
		}()
	})
	if err != nil {
		sub1.Unsubscribe()
		return err
	}
	sub3, err := r.nc.Subscribe(prepareSubject(r.cfg.Node), func(m *nats.Msg) {
		go func() {
			var req moveRequest
			if err := json.Unmarshal(m.Data, &req); err != nil {
				return
			}
			rep := r.prepare(context.Background(), req.Tenant)
			b, _ := json.Marshal(rep)
			m.Respond(b)
		}()
	})
	if err != nil {
		sub1.Unsubscribe()
		sub2.Unsubscribe()
		return err
	}
	r.moveSubs = []*nats.Subscription{sub1, sub2, sub3}
	return nil
}

// prepare warms this node's file of t, about to be moved here (Node.Prepare).
func (r *Runtime) prepare(ctx context.Context, t Tenant) prepareReply {
	e := r.currentEngine()
	if e == nil {
		return prepareReply{moveReply: replyErr(errors.New("not serving yet"))}
	}
	// A node that just joined (the rebalancer's first choice) may not have
	// applied the entries that registered the tenant yet: catch up first.
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := r.ctl.barrier(ctx); err != nil {
		return prepareReply{moveReply: replyErr(err)}
	}
	if here := r.resolve(Tenant{Database: t.Database, Branch: t.Branch, Name: t.Name}); here != t {
		// This node has not applied the entry that gave the tenant its
		// identity (or a later one): its file is no business of this move.
		return prepareReply{moveReply: replyErr(cinch.Errorf(cinch.ErrConflict, "tenant %s has another identity here (%s)", t, here.logKey()))}
	}
	path, err := e.TenantFilePath(ctx, t.Database, t.Branch, t.Name)
	if err != nil {
		return prepareReply{moveReply: replyErr(err)}
	}
	seq, warm, err := r.node.Prepare(ctx, t, path)
	if err != nil {
		return prepareReply{moveReply: replyErr(err)}
	}
	return prepareReply{Warm: warm, Seq: seq}
}

// Move moves t to node to, wherever it is owned now (any node may be asked).
func (r *Runtime) Move(ctx context.Context, t Tenant, to string) (string, error) {
	nodes, err := r.Nodes(ctx)
	if err != nil {
		return "", err
	}
	ok := false
	for _, n := range nodes {
		ok = ok || (n.Name == to && n.Alive && !n.Draining)
	}
	if !ok {
		return "", cinch.Errorf(cinch.ErrInvalidInput, "node %q is not an alive, undrained node of the cluster", to).WithHint("see cinch cluster status")
	}
	owner, err := r.node.Owner(ctx, t)
	if err != nil {
		return "", err
	}
	var rep moveReply
	switch owner {
	case to:
		return "0s", nil
	case "":
		err = r.call(ctx, acquireSubject(to), moveRequest{Tenant: t, To: to}, &rep)
		rep.Pause = "0s" // nobody served it: nothing waited
	case r.cfg.Node:
		var pause time.Duration
		pause, err = r.move(ctx, t, to)
		rep.Pause = pause.String()
	default:
		err = r.call(ctx, moveSubject(owner), moveRequest{Tenant: t, To: to}, &rep)
	}
	if err != nil {
		return "", err
	}
	return rep.Pause, rep.err()
}

// SetDrain marks node as draining (it hands every tenant it owns to the
// others and takes no new ones) or not.
func (r *Runtime) SetDrain(ctx context.Context, node string, drain bool) error {
	if drain {
		_, err := r.flags.Put(ctx, "drain."+node, []byte("1"))
		return err
	}
	err := r.flags.Delete(ctx, "drain."+node)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	return err
}

// draining reports whether node is marked as draining.
func (r *Runtime) isDraining(ctx context.Context, node string) bool {
	e, err := replicaGet(ctx, r.flags, "drain."+node)
	return err == nil && len(e.Value()) > 0
}

// drainStep, run by the heartbeat loop, moves this node's tenants away
// while it is marked as draining.
func (r *Runtime) drainStep() {
	ctx, cancel := context.WithTimeout(r.stopping, time.Minute)
	defer cancel()
	draining := r.isDraining(ctx, r.cfg.Node)
	r.draining.Store(draining)
	if !draining {
		return
	}
	owned := r.node.OwnedTenants()
	if len(owned) == 0 {
		return
	}
	targets := r.placementTargets(ctx)
	if len(targets) == 0 {
		r.log.Warn("cluster: draining, but no other node can take tenants")
		return
	}
	sort.Slice(owned, func(i, j int) bool { return owned[i].String() < owned[j].String() })
	// drainMovesPerTarget moves in flight per target: a move waits mostly
	// on round trips (the target's prepare, the hand-over, its acquire), so
	// a few at once drain a node owning hundreds of tenants several times
	// faster; each tenant's own pause does not change.
	work := make(chan int)
	var wg sync.WaitGroup
	for range drainMovesPerTarget * len(targets) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				t, to := owned[i], targets[i%len(targets)]
				if _, err := r.move(ctx, t, to); err != nil {
					r.log.Warn("cluster: drain could not move a tenant", "tenant", t.String(), "to", to, "err", err)
				}
			}
		}()
	}
	for i := range owned {
		if i%16 == 0 && !r.isDraining(ctx, r.cfg.Node) {
			r.draining.Store(false)
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
}

// drainMovesPerTarget is how many tenants a draining node moves to each
// target at once.
const drainMovesPerTarget = 2

// placementTargets are the alive, undrained nodes other than this one.
func (r *Runtime) placementTargets(ctx context.Context) []string {
	nodes, err := r.Nodes(ctx)
	if err != nil {
		return nil
	}
	var out []string
	for _, n := range nodes {
		if n.Alive && !n.Draining && n.Name != r.cfg.Node {
			out = append(out, n.Name)
		}
	}
	sort.Strings(out)
	return out
}

// rebalanceEvery is how many seconds pass between rebalancing steps.
const rebalanceEvery = 5

// rebalanceStep moves at most one tenant from this node: to the node
// owning the fewest when this one owns too many (by count), else to the
// node with the fewest writes/s when this one writes well above the
// average (by load). The rules and their hysteresis are in placement.go.
func (r *Runtime) rebalanceStep() {
	ctx, cancel := context.WithTimeout(r.stopping, time.Minute)
	defer cancel()
	nodes, err := r.Nodes(ctx)
	if err != nil {
		return
	}
	var live []nodeLoad
	for _, n := range nodes {
		if n.Alive && !n.Draining {
			live = append(live, nodeLoad{name: n.Name, tenants: n.TenantsOwned, writes: n.WritesPerSec})
		}
	}
	load := r.load.current()
	for i := range live {
		if live[i].name == r.cfg.Node {
			// This node as it is now, not as its last heartbeat said.
			live[i].tenants, live[i].writes = len(load.tenants), load.writes
		}
	}
	why := "count"
	to := planCountMove(r.cfg.Node, live)
	t, ok := coldest(load.tenants)
	if to == "" || !ok {
		if loadCoolingDown(r.loadMoved, time.Now()) {
			return
		}
		why = "load"
		if t, to, ok = planLoadMove(r.cfg.Node, live, load.tenants); !ok {
			return
		}
	}
	if _, err := r.move(ctx, t, to); err != nil {
		r.log.Warn("cluster: rebalance could not move a tenant", "tenant", t.String(), "to", to, "by", why, "err", err)
		return
	}
	if why == "load" {
		r.loadMoved = time.Now()
	}
	r.log.Info("cluster: rebalanced a tenant", "tenant", t.String(), "to", to, "by", why, "owned_here", len(load.tenants), "writes_per_sec_here", roundRate(load.writes))
}
