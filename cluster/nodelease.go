package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/cinchdb/cinch"
)

// A node holds one lease of its own, and its tenants through it.
//
// The node's lease is a key of the lease bucket ("node.<name>") with a
// per-key TTL, renewed every third of the TTL, expecting the revision the
// node wrote last. A tenant's key names its owner and has no TTL: it is
// held while that node's lease is. So a node owning 1,000 tenants renews
// one key per second, not 1,000 (each an R3 write with fsync: 535 ms of
// CPU per second for 1,000 tenants before, docs/benchmarks.md).
//
// A term is the time between taking the node's key and losing it (a
// renewal refused, or none succeeded for two thirds of the TTL: the node
// steps down before the key can expire under it). Every tenant acquired
// in a term is lost with it; the node then takes its key again (a new
// term) and acquires tenants anew as requests come. Another node takes a
// tenant whose key names a node without a lease by compare-and-set on the
// tenant's key; a node adopting a key that names it writes it too, so a
// taker that read the key before loses its compare-and-set. As before,
// the lease routes requests and keeps owners apart in the common case;
// safety rests on the log's fence (a takeover record fences any earlier
// owner's appends).

// nodeKeyPrefix starts the lease bucket key of a node's own lease.
// Tenant keys (database/branch/tenant/identity) and coordination keys
// (ddl/<id>) contain a slash; node keys do not.
const nodeKeyPrefix = "node."

func nodeKey(node string) string { return nodeKeyPrefix + node }

// nodeLease is this node's own lease and its terms.
type nodeLease struct {
	js   jetstream.JetStream
	kv   jetstream.KeyValue
	node string
	ttl  time.Duration

	mu      sync.Mutex
	rev     uint64
	ok      time.Time     // last successful take or renewal
	held    bool          // a term is running
	started bool          // start ran: run is renewing
	lost    chan struct{} // closed when the current (or last) term ends
	term    chan struct{} // closed when a term starts; replaced when it ends
	stop    chan struct{}
	done    chan struct{}

	renewed func(time.Duration) // observes each renewal's latency (metrics), may be nil
}

// newNodeLease is a node's lease before its first term (start takes it).
func newNodeLease(js jetstream.JetStream, kv jetstream.KeyValue, node string, ttl time.Duration) *nodeLease {
	nl := &nodeLease{js: js, kv: kv, node: node, ttl: ttl, lost: make(chan struct{}), term: make(chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{})}
	close(nl.lost) // no term yet
	return nl
}

// start takes the node's key (adopting it when the node's previous process
// left it) and keeps renewing it; once only. Two processes given the same
// node name would end each other's terms over and over (the log's fence
// still keeps their writes apart): node names must be unique.
func (nl *nodeLease) start(ctx context.Context) error {
	nl.mu.Lock()
	started := nl.started
	nl.mu.Unlock()
	if started {
		return nil
	}
	if err := nl.take(ctx); err != nil {
		return err
	}
	nl.mu.Lock()
	nl.started = true
	nl.mu.Unlock()
	go nl.run()
	return nil
}

// take starts a term: it creates the node's key, or adopts it when it is
// there already (this node's previous process, or a renewal whose answer
// was lost), writing it so the revision is this term's.
func (nl *nodeLease) take(ctx context.Context) error {
	key := nodeKey(nl.node)
	sent := time.Now() // the key expires a TTL after the server wrote it: after this
	rev, err := nl.kv.Create(ctx, key, []byte(nl.node), jetstream.KeyTTL(nl.ttl))
	if errors.Is(err, jetstream.ErrKeyExists) {
		_, lrev, found, gerr := kvGetLeader(ctx, nl.js.Conn(), nl.kv.Bucket(), key)
		if gerr != nil {
			return unavailable("read the lease of node "+nl.node, gerr)
		}
		if !found {
			rev, err = nl.kv.Create(ctx, key, []byte(nl.node), jetstream.KeyTTL(nl.ttl))
		} else {
			rev, err = putTTL(ctx, nl.js, nl.kv.Bucket(), key, nl.node, lrev, nl.ttl)
		}
	}
	if err != nil {
		return unavailable("take the lease of node "+nl.node, err)
	}
	nl.mu.Lock()
	defer nl.mu.Unlock()
	nl.rev, nl.ok, nl.held = rev, sent, true
	nl.lost = make(chan struct{})
	close(nl.term)
	return nil
}

// end ends the current term: every tenant acquired in it is lost.
func (nl *nodeLease) end() {
	nl.mu.Lock()
	defer nl.mu.Unlock()
	if !nl.held {
		return
	}
	nl.held = false
	close(nl.lost)
	nl.term = make(chan struct{})
}

// current waits for a term (at most the TTL: a node that cannot renew
// its lease for that long cannot take one either, and its callers may hold
// locks) and returns the channel closed when it ends.
func (nl *nodeLease) current(ctx context.Context) (chan struct{}, error) {
	ctx, cancel := context.WithTimeout(ctx, nl.ttl)
	defer cancel()
	for {
		nl.mu.Lock()
		held, lost, term := nl.held, nl.lost, nl.term
		nl.mu.Unlock()
		if held {
			return lost, nil
		}
		select {
		case <-term:
		case <-nl.stop:
			return nil, &cinch.Error{Err: cinch.ErrUnavailable, Message: "the node is stopping", Hint: "retry on another node"}
		case <-ctx.Done():
			return nil, unavailable("wait for the node's lease", ctx.Err())
		}
	}
}

// renew publishes the node's key again with a fresh TTL, expecting the
// revision this term wrote last.
func (nl *nodeLease) renew(ctx context.Context) error {
	nl.mu.Lock()
	rev := nl.rev
	nl.mu.Unlock()
	// The renewal counts from when it was sent, not from its answer: a node
	// paused after sending it reads the answer only when it wakes, perhaps
	// after the key it renewed has expired.
	sent := time.Now()
	seq, err := putTTL(ctx, nl.js, nl.kv.Bucket(), nodeKey(nl.node), nl.node, rev, nl.ttl)
	if err != nil {
		return err
	}
	nl.mu.Lock()
	nl.rev, nl.ok = seq, sent
	nl.mu.Unlock()
	return nil
}

// run renews every third of the TTL; a refused renewal, or none for two
// thirds of the TTL, ends the term, and the next tick takes a new one.
func (nl *nodeLease) run() {
	defer close(nl.done)
	tick := time.NewTicker(nl.ttl / 3)
	defer tick.Stop()
	for {
		select {
		case <-nl.stop:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), nl.ttl/3)
		nl.mu.Lock()
		held, renewed := nl.held, nl.renewed
		nl.mu.Unlock()
		if !held {
			_ = nl.take(ctx)
			cancel()
			continue
		}
		start := time.Now()
		err := nl.renew(ctx)
		cancel()
		if err == nil && renewed != nil {
			renewed(time.Since(start))
		}
		nl.mu.Lock()
		late := time.Since(nl.ok) > 2*nl.ttl/3
		nl.mu.Unlock()
		if lostRace(err) || (err != nil && late) {
			nl.end()
		}
	}
}

// halt stops renewing without ending the term or deleting the key: what a
// paused or killed process leaves (tests).
func (nl *nodeLease) halt() {
	nl.mu.Lock()
	started := nl.started
	nl.mu.Unlock()
	select {
	case <-nl.stop:
	default:
		close(nl.stop)
	}
	if started {
		<-nl.done
	}
}

// close stops renewing, ends the term and deletes the node's key, so
// other nodes may take the tenants whose keys still name it at once.
func (nl *nodeLease) close(ctx context.Context) {
	nl.halt()
	nl.mu.Lock()
	held, rev := nl.held, nl.rev
	nl.mu.Unlock()
	nl.end()
	if held {
		_ = nl.kv.Delete(ctx, nodeKey(nl.node), jetstream.LastRevision(rev))
	}
}

// alive reports whether node holds its lease, read through the leader
// (a lagging replica may still show the lease of a node that died).
func (nl *nodeLease) alive(ctx context.Context, node string) (bool, error) {
	if node == nl.node {
		nl.mu.Lock()
		defer nl.mu.Unlock()
		return nl.held, nil
	}
	_, _, found, err := kvGetLeader(ctx, nl.js.Conn(), nl.kv.Bucket(), nodeKey(node))
	if err != nil {
		return false, unavailable("read the lease of node "+node, err)
	}
	return found, nil
}

// acquireTenantLease makes this node the owner of the tenant key key in
// the current term: it creates the key naming this node; adopts a key
// that names it already (handed over by a move, or held in an earlier
// term) by writing it; takes a key whose node has no lease by
// compare-and-set. A key held by a live node fails with cinch.ErrNotOwner
// naming it.
func (nl *nodeLease) acquireTenantLease(ctx context.Context, key string) (*lease, error) {
	lost, err := nl.current(ctx)
	if err != nil {
		return nil, err
	}
	rev, err := nl.kv.Create(ctx, key, []byte(nl.node))
	err = keyExists(err)
	for attempt := 0; errors.Is(err, jetstream.ErrKeyExists) && attempt < 3; attempt++ {
		value, lrev, found, gerr := kvGetLeader(ctx, nl.js.Conn(), nl.kv.Bucket(), key)
		switch {
		case gerr != nil:
			return nil, unavailable("read the lease of "+key, gerr)
		case !found:
			rev, err = nl.kv.Create(ctx, key, []byte(nl.node)) // released meanwhile
			err = keyExists(err)
			continue
		case string(value) != nl.node:
			alive, aerr := nl.alive(ctx, string(value))
			if aerr != nil {
				return nil, aerr
			}
			if alive {
				return nil, notOwner(key, string(value))
			}
		}
		// Ours already, or its node's lease is gone: write it, expecting
		// the revision read, so that of two nodes doing this one wins.
		rev, err = nl.kv.Update(ctx, key, []byte(nl.node), lrev)
		err = keyExists(err) // changed meanwhile: read it again
	}
	if errors.Is(err, jetstream.ErrKeyExists) {
		return nil, notOwner(key, "")
	}
	if err != nil {
		return nil, unavailable("acquire the lease of "+key, err)
	}
	done := make(chan struct{})
	close(done) // no renewal loop: the node's lease is renewed for it
	return &lease{kv: nl.kv, js: nl.js, key: key, node: nl.node, rev: rev, ok: time.Now(), permanent: true,
		lost: lost, stop: make(chan struct{}), done: done}, nil
}

// keyExists maps the errors of a create or update that lost to another
// writer of the key to jetstream.ErrKeyExists: a wrong last sequence
// (10071), its replicated-stream form (10164: a concurrent proposal), or a
// revision mismatch. (kv.Create, when the key is a delete marker, retries
// as an update and returns that update's raw error.)
func keyExists(err error) error {
	if lostRace(err) {
		return jetstream.ErrKeyExists
	}
	return err
}

// notOwner is the error of a tenant held by another node.
func notOwner(key, owner string) error {
	return &cinch.Error{Err: cinch.ErrNotOwner, Message: fmt.Sprintf("tenant %s is owned by node %q", key, owner),
		Hint: "send the request to that node, or retry after its lease expires"}
}

// fresh reports whether a term runs and was renewed within two thirds of
// the TTL: a node paused past that (its key may have expired, another node
// may own its tenants and have written to them) must not serve them from
// its file until its renewal loop has looked.
func (nl *nodeLease) fresh() bool {
	nl.mu.Lock()
	defer nl.mu.Unlock()
	return nl.held && time.Since(nl.ok) <= 2*nl.ttl/3
}

// observe sets what each renewal's latency is reported to (metrics).
func (nl *nodeLease) observe(fn func(time.Duration)) {
	nl.mu.Lock()
	defer nl.mu.Unlock()
	nl.renewed = fn
}

// liveNodes answers whether a node holds its lease from this node's KV
// replica, as the tenant's key itself is read (Node.Owner): a replica that
// lags may show a dead node alive a little longer, and a forward to it then
// asks the leader. Answers are kept for liveCache, so routing a stream of
// requests reads each node's key a few times a second, not per request.
type liveNodes struct {
	mu    sync.Mutex
	known map[string]liveAnswer
}

// liveCache is how long an answer of liveNodes is kept.
const liveCache = 250 * time.Millisecond

type liveAnswer struct {
	alive bool
	at    time.Time
}

// alive reports whether node's lease key is on the replica kv answers from.
func (l *liveNodes) alive(ctx context.Context, kv jetstream.KeyValue, node string) (bool, error) {
	l.mu.Lock()
	a, ok := l.known[node]
	l.mu.Unlock()
	if ok && time.Since(a.at) < liveCache {
		return a.alive, nil
	}
	_, err := kv.Get(ctx, nodeKey(node))
	alive := err == nil
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) && !errors.Is(err, jetstream.ErrKeyDeleted) {
		return false, unavailable("read the lease of node "+node, err)
	}
	l.mu.Lock()
	if l.known == nil {
		l.known = map[string]liveAnswer{}
	}
	l.known[node] = liveAnswer{alive: alive, at: time.Now()}
	l.mu.Unlock()
	return alive, nil
}
