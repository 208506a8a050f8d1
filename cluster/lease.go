package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// leaseBucket holds one key per owned tenant (its value is the owner's
// name), each node's own lease (nodelease.go) and the coordination leases
// of data-dependent changes.
const leaseBucket = "cinch_leases"

// lease is this node's hold on one key of the lease bucket. A tenant's
// (permanent, from nodeLease.acquireTenantLease) has no TTL: it is held
// through the node's lease and lost with its term. A coordination lease
// (acquireLease) is a key created with a per-key TTL and renewed before it
// expires. A lease only routes requests and keeps owners apart in the
// common case; safety rests on the log's fence.
type lease struct {
	kv        jetstream.KeyValue
	js        jetstream.JetStream
	key       string
	node      string
	ttl       time.Duration
	permanent bool // a tenant's key: no TTL, no renewals

	mu   sync.Mutex
	rev  uint64
	ok   time.Time // last successful create or renewal
	lost chan struct{}
	stop chan struct{}
	done chan struct{}

	renewed func(time.Duration) // observes each renewal's latency (metrics), may be nil
}

// ownedBy reports the node holding key, "" if none.
// ownedByLeader is ownedBy read through the stream's leader.
func ownedByLeader(ctx context.Context, js jetstream.JetStream, kv jetstream.KeyValue, key string) (string, error) {
	value, _, found, err := kvGetLeader(ctx, js.Conn(), kv.Bucket(), key)
	if err != nil {
		return "", unavailable("read the lease of "+key, err)
	}
	if !found {
		return "", nil
	}
	return string(value), nil
}

func ownedBy(ctx context.Context, kv jetstream.KeyValue, key string) (string, error) {
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return "", nil
	} else if err != nil {
		return "", unavailable("read the lease of "+key, err)
	}
	return string(e.Value()), nil
}

// acquireLease creates key for node with the TTL (a coordination lease;
// tenants are held through the node's lease, nodelease.go). A key held by
// another node fails with cinch.ErrNotOwner naming the owner.
func acquireLease(ctx context.Context, js jetstream.JetStream, kv jetstream.KeyValue, key, node string, ttl time.Duration) (*lease, error) {
	rev, err := kv.Create(ctx, key, []byte(node), jetstream.KeyTTL(ttl))
	if errors.Is(err, jetstream.ErrKeyExists) {
		// Read through the leader: a lagging replica may still show this
		// node's own older lease, which must not be adopted.
		value, lrev, found, gerr := kvGetLeader(ctx, js.Conn(), kv.Bucket(), key)
		if gerr == nil && found && string(value) == node {
			// Handed to this node by its previous owner (a move), or held
			// by this node's previous process: adopt it at its revision.
			// (The log's fence, not the lease, keeps two writers apart.)
			rev, err = lrev, nil
		} else {
			owner := ""
			if gerr == nil {
				owner = string(value)
			}
			return nil, notOwner(key, owner)
		}
	}
	if err != nil {
		return nil, unavailable("acquire the lease of "+key, err)
	}
	l := &lease{kv: kv, js: js, key: key, node: node, ttl: ttl, rev: rev, ok: time.Now(),
		lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go l.renewLoop()
	return l, nil
}

// renew publishes the value again on the key's subject, expecting the
// revision this node wrote last, with a fresh TTL. (A KV Update would make
// a per-key-TTL key permanent.)
func (l *lease) renew(ctx context.Context) error {
	l.mu.Lock()
	rev := l.rev
	l.mu.Unlock()
	seq, err := putTTL(ctx, l.js, leaseBucket, l.key, l.node, rev, l.ttl)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.rev, l.ok = seq, time.Now()
	l.mu.Unlock()
	return nil
}

// renewLoop renews every third of the TTL and declares the lease lost when
// a renewal is refused or none succeeded for two thirds of it: the node
// steps down before the key can expire under it.
func (l *lease) renewLoop() {
	defer close(l.done)
	tick := time.NewTicker(l.ttl / 3)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.ttl/3)
		start := time.Now()
		err := l.renew(ctx)
		cancel()
		l.mu.Lock()
		renewed := l.renewed
		l.mu.Unlock()
		if err == nil && renewed != nil {
			renewed(time.Since(start))
		}
		l.mu.Lock()
		late := time.Since(l.ok) > 2*l.ttl/3
		l.mu.Unlock()
		if lostRace(err) || (err != nil && late) {
			close(l.lost)
			return
		}
	}
}

// transfer stops renewing and hands the key to node to (same TTL, or none
// for a tenant's), which adopts it when it acquires the tenant.
func (l *lease) transfer(ctx context.Context, to string) error {
	select {
	case <-l.stop:
		return fmt.Errorf("lease %s already released", l.key)
	default:
		close(l.stop)
	}
	<-l.done
	l.mu.Lock()
	rev := l.rev
	l.mu.Unlock()
	if l.permanent {
		_, err := l.kv.Update(ctx, l.key, []byte(to), rev)
		return err
	}
	_, err := putTTL(ctx, l.js, leaseBucket, l.key, to, rev, l.ttl)
	return err
}

// release stops renewing and deletes the key if it is still this node's.
func (l *lease) release(ctx context.Context) {
	select {
	case <-l.stop:
		return
	default:
		close(l.stop)
	}
	<-l.done
	select {
	case <-l.lost:
		return
	default:
	}
	l.mu.Lock()
	rev := l.rev
	l.mu.Unlock()
	_ = l.kv.Delete(ctx, l.key, jetstream.LastRevision(rev))
}

// putTTL publishes value to key of bucket with a fresh per-key TTL,
// expecting rev as the key's last revision (a KV Update would make a
// per-key-TTL key permanent), and returns the new revision.
func putTTL(ctx context.Context, js jetstream.JetStream, bucket, key, value string, rev uint64, ttl time.Duration) (uint64, error) {
	ack, err := js.Publish(ctx, "$KV."+bucket+"."+key, []byte(value),
		jetstream.WithExpectLastSequencePerSubject(rev), jetstream.WithMsgTTL(ttl))
	if err != nil {
		return 0, err
	}
	return ack.Sequence, nil
}

// lostRace reports whether a write expecting a key's revision lost to
// another writer: a wrong last sequence (10071), its replicated-stream form
// (10164: a concurrent proposal), or a KV revision mismatch.
func lostRace(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
