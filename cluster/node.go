package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// snapshotBucket is the object store of tenant snapshots.
const snapshotBucket = "cinch_snapshots"

// DefaultLeaseTTL is how long a lease outlives its node's last renewal.
const DefaultLeaseTTL = 3 * time.Second

// Config configures a Node.
type Config struct {
	Node     string        // this node's name, unique in the cluster
	Root     string        // the folder whose database files are captured (the project's)
	Replicas int           // JetStream replicas of the cluster state: 3 in a cluster, 1 on one server
	LeaseTTL time.Duration // DefaultLeaseTTL if zero
	// OnLost is called (in its own goroutine) when this node loses a tenant
	// it owned: its lease could not be renewed or its log fenced it. The
	// engine must close its handle on the tenant and Release it.
	OnLost func(Tenant)
}

// Node is one cluster member's replication state: the tenants it owns, and
// the JetStream log, leases and snapshots they use.
type Node struct {
	cfg    Config
	js     jetstream.JetStream
	log    *Log
	leases jetstream.KeyValue
	snaps  jetstream.ObjectStore
	nl     *nodeLease // this node's own lease: its tenants are held through it (nodelease.go)
	live   liveNodes  // which nodes hold their lease, as this node's KV replica shows it (Owner)

	mu       sync.Mutex
	owned    map[string]*owned // by absolute file path
	byTenant map[Tenant]*owned // the same, by tenant (the router asks per request)

	files    fileLocks                 // one writer of a tenant's local file at a time: Acquire, Prepare (warm.go)
	rebuilds [numRebuilds]atomic.Int64 // how each Acquire brought its file to the log's end (warm.go)

	metrics *Metrics // nil: not counted
}

// owned is a tenant this node owns.
type owned struct {
	n     *Node
	t     Tenant
	path  string
	lease *lease

	mu     sync.Mutex // serializes appends
	last   uint64     // the sequence of the last record of the tenant's log: the next append expects it
	broken bool       // fenced, lease lost, or an append's outcome unknown: refuse commits until re-acquired
	// needBase: the cluster holds no snapshot of the tenant yet (nothing was
	// ever committed to it anywhere): the first commit stores the file as
	// it is then (made here from the branch's template) as the snapshot all
	// later commits apply to.
	needBase  bool
	commits   int // commits appended since Acquire
	sinceSnap int // records appended since Acquire or this node's last Snapshot of it

	// Set by Handoff (n.mu): Release hands the lease to handoffTo instead
	// of deleting it, records the outcome and closes released. handoffWarm:
	// the target already holds the file up to a recent log record, so
	// Release stores no snapshot (the log holds everything the target
	// still needs).
	handoffTo   string
	handoffWarm bool
	handoffErr  error
	released    chan struct{}
}

// NewNode prepares the cluster state on JetStream (log streams, lease KV,
// snapshot store; created if missing) and registers the node's root with
// the process's commit capture.
func NewNode(ctx context.Context, nc *nats.Conn, cfg Config) (*Node, error) {
	if cfg.Node == "" || strings.ContainsAny(cfg.Node, " .*>\t\n") {
		return nil, cinch.Errorf(cinch.ErrInvalidName, "node name %q: use letters, digits, - and _", cfg.Node)
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 3
	}
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	root, err := filepath.Abs(cfg.Root)
	if err != nil {
		return nil, err
	}
	cfg.Root = root
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, js: js, log: &Log{js: js, replicas: cfg.Replicas}, owned: map[string]*owned{}, byTenant: map[Tenant]*owned{}}
	// A cluster that is still electing its leaders drops requests: wait
	// for JetStream to answer (short attempts), then each step is retried
	// with its own timeout until ctx ends.
	for {
		actx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := js.AccountInfo(actx)
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil, unavailable("wait for JetStream", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	err = retry(ctx, func(ctx context.Context) error { return n.log.ensure(ctx) })
	if err != nil {
		return nil, err
	}
	err = retry(ctx, func(ctx context.Context) (err error) {
		n.leases, err = ensureKV(ctx, js, jetstream.KeyValueConfig{
			Bucket: leaseBucket, Replicas: cfg.Replicas, Storage: jetstream.FileStorage,
			History: 1, LimitMarkerTTL: time.Second,
		})
		if err != nil {
			return unavailable("create the lease bucket", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	n.nl = newNodeLease(js, n.leases, cfg.Node, cfg.LeaseTTL)
	if err := retry(ctx, func(ctx context.Context) error { return n.nl.start(ctx) }); err != nil {
		return nil, err
	}
	err = retry(ctx, func(ctx context.Context) (err error) {
		n.snaps, err = ensureObjectStore(ctx, js, jetstream.ObjectStoreConfig{
			Bucket: snapshotBucket, Replicas: cfg.Replicas, Storage: jetstream.FileStorage,
		})
		if err != nil {
			return unavailable("create the snapshot store", err)
		}
		return nil
	})
	if err != nil {
		n.nl.close(context.WithoutCancel(ctx)) // its renewals would outlive this failed start
		return nil, err
	}
	captures.addRoot(root, n)
	return n, nil
}

// retry runs fn with a 3 s timeout per attempt until it succeeds or ctx
// ends, returning the last error.
func retry(ctx context.Context, fn func(context.Context) error) error {
	for {
		actx, cancel := context.WithTimeout(ctx, 3*time.Second)
		t0 := time.Now()
		err := fn(actx)
		cancel()
		if os.Getenv("CINCH_NATS_LOG") != "" {
			fmt.Fprintf(os.Stderr, "cinch cluster: setup step took %v: %v\n", time.Since(t0), err)
		}
		if err == nil || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Name is the node's name.
func (n *Node) Name() string { return n.cfg.Node }

// Log is the tenants' write log.
func (n *Node) Log() *Log { return n.log }

// Owner returns the node holding t's lease, "" when nobody does. Each try
// has a short timeout: the KV answers reads from any replica, and a paused
// one (SIGSTOP) takes the request and never answers.
func (n *Node) Owner(ctx context.Context, t Tenant) (string, error) {
	var err error
	for range 5 {
		actx, cancel := context.WithTimeout(ctx, time.Second)
		var owner string
		owner, err = ownedBy(actx, n.leases, t.token())
		if err == nil && owner != "" && owner != n.cfg.Node {
			var alive bool
			if alive, err = n.live.alive(actx, n.leases, owner); err == nil && !alive {
				owner = "" // its node's lease is gone: whoever asks first takes the tenant
			}
		}
		cancel()
		if err == nil || ctx.Err() != nil {
			return owner, err
		}
	}
	return "", err
}

// Owns reports whether this node owns t and may commit to it.
func (n *Node) Owns(t Tenant, path string) bool {
	n.mu.Lock()
	o := n.owned[path]
	n.mu.Unlock()
	if o == nil || o.t != t {
		return false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return !o.broken
}

// Holds reports whether this node holds t (acquired, not lost), fresh or
// not: a node woken from a pause may still hold a tenant another node took
// meanwhile, until its lease's renewal loop looks (OwnsTenant is false
// then).
func (n *Node) Holds(t Tenant) bool {
	n.mu.Lock()
	o := n.byTenant[t]
	if o != nil && n.owned[o.path] != o {
		o = nil
	}
	n.mu.Unlock()
	if o == nil {
		return false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return !o.broken
}

// OwnsTenant reports whether this node holds t's lease and may commit to
// it (what the node itself knows; a KV read may be answered by a replica
// that still shows an older lease).
func (n *Node) OwnsTenant(t Tenant) bool {
	if !n.nl.fresh() {
		return false // woken from a pause: the tenant may be another node's now
	}
	return n.Holds(t)
}

// Acquire makes this node t's owner, its file at path: it takes the lease,
// brings the local file up to the log's end (snapshot + replay, unless the
// file is known to be there already), appends a takeover record that fences
// any earlier owner, and from then on hands each commit of the file to the
// log. No connection may have the file open during Acquire.
func (n *Node) Acquire(ctx context.Context, t Tenant, path string) error {
	path, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	// A Prepare of the same file (a move warming this node) finishes first.
	unlock := n.files.lock(path)
	defer unlock()
	n.mu.Lock()
	if _, ok := n.owned[path]; ok {
		n.mu.Unlock()
		return fmt.Errorf("tenant %s is already owned here", t)
	}
	n.mu.Unlock()
	l, err := n.nl.acquireTenantLease(ctx, t.token())
	if err != nil {
		return err
	}
	fail := func(err error) error {
		l.release(context.WithoutCancel(ctx))
		return err
	}
	last, err := n.log.Last(ctx, t)
	if err != nil {
		return fail(err)
	}
	needBase, err := n.rebuild(ctx, t, path, last)
	if err != nil {
		return fail(err)
	}
	seq, err := n.log.Append(ctx, t, last, Record{Kind: KindTakeover, Node: n.cfg.Node})
	if err != nil {
		return fail(err)
	}
	if n.metrics != nil {
		inc(n.metrics.takeovers, 1)
	}
	o := &owned{n: n, t: t, path: path, lease: l, last: seq, needBase: needBase}
	n.mu.Lock()
	n.owned[path] = o
	n.byTenant[t] = o
	n.mu.Unlock()
	go o.watchLease()
	return nil
}

// stillOwner checks that this node still owns o's tenant with seq as the
// log's last record (its term goes on, nobody appended a takeover after
// it): what a snapshot at seq must hold while it is stored and before the
// log below it is purged. It narrows, and does not close, the window of a
// node paused in between; the log's fence does not cover snapshots.
func (o *owned) stillOwner(ctx context.Context, seq uint64) error {
	select {
	case <-o.lease.lost:
		return fenced(o.t)
	default:
	}
	last, err := o.n.log.Last(ctx, o.t)
	if err != nil {
		return err
	}
	if last != seq {
		return fenced(o.t)
	}
	return nil
}

// watchLease marks o broken when its lease is lost, and tells the engine.
func (o *owned) watchLease() {
	select {
	case <-o.lease.lost:
	case <-o.lease.stop:
		return
	}
	o.mu.Lock()
	o.broken = true
	o.mu.Unlock()
	if o.n.cfg.OnLost != nil {
		go o.n.cfg.OnLost(o.t)
	}
}

// sink appends one commit to the log, expecting the last record to still
// be this node's last one. Any failure breaks the ownership: a fenced
// owner must step down, and after an unknown outcome the local file cannot
// be trusted until rebuilt from the log.
func (o *owned) sink(c sqlite.Commit) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.broken {
		return &cinch.Error{Err: cinch.ErrNotOwner, Message: fmt.Sprintf("this node no longer owns tenant %s: the write was refused", o.t),
			Hint: "retry: the request goes to the tenant's owner"}
	}
	if o.needBase {
		// The main file holds the tenant as it was before this commit (in
		// WAL mode a commit never writes it, and nothing was committed to
		// this tenant before).
		if err := o.n.putSnapshotFile(context.Background(), o.t, o.path, o.last); err != nil {
			return err
		}
		o.needBase = false
	}
	start := time.Now()
	seq, err := o.n.log.Append(context.Background(), o.t, o.last, Record{Kind: KindCommit, Node: o.n.cfg.Node, Commit: c})
	if m := o.n.metrics; m != nil {
		observe(m.logAppend, start)
		if err != nil && errors.Is(err, cinch.ErrNotOwner) {
			inc(m.fenced, 1)
		}
	}
	if err != nil {
		o.broken = true
		if o.n.cfg.OnLost != nil {
			go o.n.cfg.OnLost(o.t)
		}
		return err
	}
	o.last = seq
	o.commits++
	o.sinceSnap++
	o.n.metrics.committed() // writes per second (load.go)
	return nil
}

// seqFile records the log sequence a cleanly released file holds, and the
// identity of the log it was read from: "<identity> <sequence>".
func seqFile(path string) string { return path + ".seq" }

// seqFileData is what seqFile holds for t at seq.
func seqFileData(t Tenant, seq uint64) []byte {
	return []byte(t.token() + " " + strconv.FormatUint(seq, 10))
}

// parseSeqFile reads seqFile's content; ok only when it was written for t's
// identity (a file left by a deleted or renamed tenant of the same name
// never counts).
func parseSeqFile(b []byte, t Tenant) (uint64, bool) {
	id, seqText, found := strings.Cut(strings.TrimSpace(string(b)), " ")
	if !found || id != t.token() {
		return 0, false
	}
	seq, err := strconv.ParseUint(seqText, 10, 64)
	return seq, err == nil
}

// rebuild brings the file at path to the log's state at sequence last.
// needBase: the cluster has no snapshot of the tenant and no commit in its
// log, so the local file (if any) stays and becomes the base at the first
// commit. A file marked (seqFile) as holding the log up to last is kept; one
// marked at an earlier sequence C still covered by the log (the snapshot is
// at or below C: the records after C were never purged) only replays
// C+1..last (a move warmed this node, or it owned the tenant before); any
// other file is rebuilt from the snapshot and the log after it.
func (n *Node) rebuild(ctx context.Context, t Tenant, path string, last uint64) (needBase bool, err error) {
	if b, err := os.ReadFile(seqFile(path)); err == nil {
		if seq, ok := parseSeqFile(b, t); ok && seq == last && last > 0 {
			_, found, err := n.snapshotSeq(ctx, t)
			n.counted(rebuildCached)
			return !found, errors.Join(err, os.Remove(seqFile(path))) // the file is the log's state: keep it
		} else if ok && seq < last && seq > 0 {
			caught, _, err := n.catchUp(ctx, t, path, seq, last)
			if err != nil {
				return false, err
			}
			if caught {
				n.counted(rebuildCatchUp)
				return false, nil
			}
		}
	}
	_ = os.Remove(seqFile(path))
	base, from, found, err := n.snapshot(ctx, t)
	if err != nil {
		return false, err
	}
	if !found {
		commits := 0
		err := n.log.Read(ctx, t, 1, last, func(_ uint64, r Record) error {
			if r.Kind == KindCommit {
				commits++
			}
			return nil
		})
		if err != nil {
			return false, err
		}
		if commits > 0 {
			return false, fmt.Errorf("%w: tenant %s has %d commits in its log but no snapshot to apply them to", cinch.ErrInternal, t, commits)
		}
		n.counted(rebuildEmpty)
		return true, nil
	}
	n.counted(rebuildFull)
	_, _, err = n.rebuildFrom(ctx, t, path, base, from, last)
	return false, err
}

// rebuildFrom writes base (the snapshot at sequence from) to a temporary
// file, applies the log records from+1..last to it and puts it at path
// (its -wal and -shm removed). stable is the sequence the file holds the
// log up to (see replay).
func (n *Node) rebuildFrom(ctx context.Context, t Tenant, path string, base []byte, from, last uint64) (applied int, stable uint64, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, 0, err
	}
	tmp := path + ".rebuild"
	if err := os.WriteFile(tmp, base, 0o600); err != nil {
		return 0, 0, err
	}
	applied, stable, err = n.replay(ctx, t, tmp, from+1, last)
	if err != nil {
		os.Remove(tmp)
		return 0, 0, err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := removeIfExists(path + suffix); err != nil {
			os.Remove(tmp)
			return 0, 0, err
		}
	}
	if len(base) == 0 && applied == 0 {
		// The base was an empty file and nothing was applied: no file.
		os.Remove(tmp)
		return 0, stable, removeIfExists(path)
	}
	return applied, stable, os.Rename(tmp, path)
}

// replay applies t's log records from..to to the file at file, in order:
// each commit's pages (with the parts before it), never parts that a
// takeover follows (their owner never committed them) nor parts still
// waiting for their commit at the end. It returns how many commits it
// applied and stable: the last sequence the file now holds the log up to
// with no transaction half applied (from-1 when nothing was read), which is
// where a later replay must start again.
func (n *Node) replay(ctx context.Context, t Tenant, file string, from, to uint64) (applied int, stable uint64, err error) {
	stable = from - 1
	var commits []sqlite.Commit
	var pending []sqlite.Page // parts of a transaction whose commit record has not come yet
	err = n.log.Read(ctx, t, from, to, func(seq uint64, r Record) error {
		switch r.Kind {
		case KindPart:
			pending = append(pending, r.Commit.Pages...)
		case KindTakeover:
			pending = nil // its owner never committed it
			stable = seq
		case KindCommit:
			if len(pending) > 0 {
				r.Commit.Pages = append(pending, r.Commit.Pages...)
				pending = nil
			}
			commits = append(commits, r.Commit)
			applied++
			stable = seq
		}
		if len(commits) >= 64 {
			err := sqlite.ApplyCommits(file, commits...)
			commits = commits[:0]
			return err
		}
		return nil
	})
	if err == nil {
		err = sqlite.ApplyCommits(file, commits...) // the rest, and an fsync either way
	}
	if err != nil {
		return 0, 0, fmt.Errorf("rebuild tenant %s from its log: %w", t, err)
	}
	return applied, stable, nil
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// snapshotSeq reports whether t has a snapshot and its sequence.
func (n *Node) snapshotSeq(ctx context.Context, t Tenant) (uint64, bool, error) {
	info, err := objectInfo(ctx, n.snaps, t.logKey())
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return 0, false, nil
	} else if err != nil {
		return 0, false, unavailable("read the snapshot of tenant "+t.String(), err)
	}
	seq, _ := strconv.ParseUint(info.Metadata["seq"], 10, 64)
	return seq, true, nil
}

// snapshot returns t's latest snapshot and the log sequence it holds.
func (n *Node) snapshot(ctx context.Context, t Tenant) (data []byte, seq uint64, found bool, err error) {
	r, cancel, err := objectGet(ctx, n.snaps, t.logKey())
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, 0, false, nil
	} else if err != nil {
		return nil, 0, false, unavailable("read the snapshot of tenant "+t.String(), err)
	}
	defer cancel()
	defer r.Close()
	info, err := r.Info()
	if err != nil {
		return nil, 0, false, unavailable("read the snapshot of tenant "+t.String(), err)
	}
	seq, err = strconv.ParseUint(info.Metadata["seq"], 10, 64)
	if err != nil {
		return nil, 0, false, fmt.Errorf("snapshot of tenant %s has no sequence", t)
	}
	data, err = io.ReadAll(r)
	if err != nil {
		return nil, 0, false, unavailable("read the snapshot of tenant "+t.String(), err)
	}
	return data, seq, true, nil
}

func (n *Node) putSnapshotFile(ctx context.Context, t Tenant, path string, seq uint64) error {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return n.putSnapshot(ctx, t, data, seq)
}

func (n *Node) putSnapshot(ctx context.Context, t Tenant, data []byte, seq uint64) error {
	if m := n.metrics; m != nil {
		inc(m.snapshots, 1)
		inc(m.snapshotSize, float64(len(data)))
	}
	_, err := n.snaps.Put(ctx, jetstream.ObjectMeta{Name: t.logKey(), Metadata: map[string]string{"seq": strconv.FormatUint(seq, 10)}}, bytes.NewReader(data))
	if err != nil {
		return unavailable("store the snapshot of tenant "+t.String(), err)
	}
	return nil
}

// isDatabaseFile reports whether path holds a SQLite database (its header).
func isDatabaseFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	hdr := make([]byte, 16)
	_, err = io.ReadFull(f, hdr)
	return err == nil && string(hdr) == "SQLite format 3\x00"
}

// Forget removes what the cluster holds of a deleted tenant's identity:
// its snapshot and its whole log. Nothing uses that identity again.
func (n *Node) Forget(ctx context.Context, t Tenant) error {
	err := n.snaps.Delete(ctx, t.logKey())
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		err = nil
	} else if err != nil {
		err = unavailable("delete the snapshot of tenant "+t.String(), err)
	}
	return errors.Join(err, n.log.PurgeAll(ctx, t))
}

// LongTails lists the owned tenants that appended at least min records
// since they were acquired here or last snapshotted by Snapshot.
func (n *Node) LongTails(min int) []Tenant {
	n.mu.Lock()
	all := make([]*owned, 0, len(n.owned))
	for _, o := range n.owned {
		all = append(all, o)
	}
	n.mu.Unlock()
	var out []Tenant
	for _, o := range all {
		o.mu.Lock()
		long := o.sinceSnap >= min && !o.broken
		o.mu.Unlock()
		if long {
			out = append(out, o.t)
		}
	}
	return out
}

// PutBase stores data as the first snapshot of a tenant identity that has
// no log yet (a copy's data): every node that acquires it starts there.
func (n *Node) PutBase(ctx context.Context, t Tenant, data []byte) error {
	return n.putSnapshot(ctx, t, data, 0)
}

// Snapshot stores the file of an owned tenant as its snapshot and purges
// the log below it. The caller holds the tenant's only writer and has
// checkpointed the file (no commit can run during Snapshot), so the file
// holds exactly the log up to its last record.
func (n *Node) Snapshot(ctx context.Context, t Tenant, path string) error {
	path, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	n.mu.Lock()
	o := n.owned[path]
	n.mu.Unlock()
	if o == nil {
		return fmt.Errorf("snapshot of tenant %s: not owned here", t)
	}
	o.mu.Lock()
	seq, broken := o.last, o.broken
	o.mu.Unlock()
	if broken {
		return fenced(t)
	}
	// Still the owner, before the upload and again before the purge: a
	// node that lost the tenant (paused past its lease) must not replace a
	// newer owner's snapshot, nor purge the log that one still replays.
	if err := o.stillOwner(ctx, seq); err != nil {
		return err
	}
	if err := n.putSnapshotFile(ctx, t, path, seq); err != nil {
		return err
	}
	if err := o.stillOwner(ctx, seq); err != nil {
		return err
	}
	o.mu.Lock()
	o.sinceSnap = 0
	o.mu.Unlock()
	return n.log.Purge(ctx, t, seq)
}

// Release gives t up: commits to its file are refused from now on, the
// lease is deleted, and, unless the ownership broke, the file is marked as
// holding the log up to its last record so the next Acquire here can skip
// the rebuild. The caller has closed every connection on the file.
func (n *Node) Release(ctx context.Context, t Tenant, path string) {
	path, err := filepath.Abs(path)
	if err != nil {
		return
	}
	n.mu.Lock()
	o := n.owned[path]
	delete(n.owned, path)
	if o != nil && n.byTenant[o.t] == o {
		delete(n.byTenant, o.t)
	}
	n.mu.Unlock()
	if o == nil {
		return
	}
	o.mu.Lock()
	broken, last := o.broken, o.last
	o.broken = true
	commits := o.commits
	o.mu.Unlock()
	n.mu.Lock()
	to, warm, released := o.handoffTo, o.handoffWarm, o.released
	n.mu.Unlock()
	if !broken && commits > 0 && !(to != "" && warm) {
		// Released, the file is closed and checkpointed (SQLite folds the
		// WAL into it when its last connection closes): store it as the
		// snapshot while the lease still keeps others out, so the log
		// below it can go.
		// Only a file that is still there: a tenant renamed or deleted while
		// a request held its handle is closed after its file moved away, and
		// an empty snapshot would lose the log it replaces.
		if fi, err := os.Stat(path + "-wal"); (err != nil || fi.Size() == 0) && isDatabaseFile(path) && o.stillOwner(ctx, last) == nil {
			if err := n.putSnapshotFile(ctx, t, path, last); err == nil && o.stillOwner(ctx, last) == nil {
				_ = n.log.Purge(ctx, t, last)
			}
		}
	}
	if to != "" && !broken {
		o.handoffErr = o.lease.transfer(ctx, to)
	} else {
		o.lease.release(ctx)
		if to != "" {
			o.handoffErr = fenced(t)
		}
	}
	if !broken && isDatabaseFile(path) {
		_ = os.WriteFile(seqFile(path), seqFileData(t, last), 0o600)
	}
	if released != nil {
		close(released)
	}
}

// Handoff gives an owned tenant to node to: drop makes the engine close
// its handle (in-flight requests finish first); when the handle is closed,
// Release stores the snapshot (unless warm: the target prepared its file
// from the log already, see Prepare) and hands the lease to the target
// instead of deleting it, so no third node can take the tenant in between.
// The target adopts the lease when it acquires the tenant.
func (n *Node) Handoff(ctx context.Context, t Tenant, to string, warm bool, drop func()) error {
	n.mu.Lock()
	var o *owned
	for _, x := range n.owned {
		if x.t == t {
			o = x
		}
	}
	if o == nil {
		n.mu.Unlock()
		return fmt.Errorf("tenant %s is not owned here", t)
	}
	o.handoffTo, o.handoffWarm, o.released = to, warm, make(chan struct{})
	released := o.released
	n.mu.Unlock()
	// A request that got past the mover's gate just before it closed may
	// open a new handle after the first drop: drop again until released
	// (often: each round a request opens a handle adds to the pause).
	drop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-released:
			return o.handoffErr
		case <-tick.C:
			drop()
		case <-ctx.Done():
			return fmt.Errorf("handing tenant %s to node %s: %w", t, to, ctx.Err())
		}
	}
}

// OwnedTenants lists the tenants this node owns.
func (n *Node) OwnedTenants() []Tenant {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]Tenant, 0, len(n.owned))
	for _, o := range n.owned {
		out = append(out, o.t)
	}
	return out
}

// Close releases every tenant this node owns and unregisters its root.
func (n *Node) Close(ctx context.Context) {
	n.mu.Lock()
	var all []*owned
	for _, o := range n.owned {
		all = append(all, o)
	}
	n.mu.Unlock()
	for _, o := range all {
		n.Release(ctx, o.t, o.path)
	}
	n.nl.close(ctx)
	captures.removeRoot(n.cfg.Root)
}

// OwnerByLeader is Owner read through the lease bucket's leader, the
// owner's lease too: for a node whose replica may lag (just restarted, or
// a forward found nobody at the owner it showed).
func (n *Node) OwnerByLeader(ctx context.Context, t Tenant) (string, error) {
	owner, err := ownedByLeader(ctx, n.js, n.leases, t.token())
	if err != nil || owner == "" || owner == n.cfg.Node {
		return owner, err
	}
	alive, err := n.nl.alive(ctx, owner)
	if err != nil || !alive {
		return "", err
	}
	return owner, nil
}

// sinkFor is the node's answer to the capture: every file below its root is
// captured; the owned ones go to their log.
func (n *Node) sinkFor(path string) sqlite.Sink {
	n.mu.Lock()
	defer n.mu.Unlock()
	if o := n.owned[path]; o != nil {
		return o.sink
	}
	return nil
}

// captureRegistry is the process's sqlite.Capturer: it maps a database
// file to the node whose root holds it (tests run several nodes in one
// process).
type captureRegistry struct {
	mu    sync.Mutex
	roots map[string]*Node
}

var captures = &captureRegistry{roots: map[string]*Node{}}

func (r *captureRegistry) addRoot(root string, n *Node) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.roots[root] = n
	sqlite.SetCapturer(r)
}

func (r *captureRegistry) removeRoot(root string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.roots, root)
	if len(r.roots) == 0 {
		sqlite.SetCapturer(nil)
	}
}

// SinkFor implements sqlite.Capturer: tenant files (*.db below a node's
// root, not below its .cinchdb state folder's registries) are captured.
func (r *captureRegistry) SinkFor(path string) (sqlite.Sink, bool) {
	r.mu.Lock()
	var n *Node
	for root, node := range r.roots {
		if strings.HasPrefix(path, root+string(filepath.Separator)) {
			n = node
			break
		}
	}
	r.mu.Unlock()
	if n == nil || !isTenantFile(path) {
		return nil, false
	}
	return n.sinkFor(path), true
}

// isTenantFile tells tenant files from the engine's own (registry.db,
// key stores): tenants live in a "tenants" folder (SPEC §2).
func isTenantFile(path string) bool {
	return filepath.Base(filepath.Dir(path)) == "tenants" && strings.HasSuffix(path, ".db")
}
