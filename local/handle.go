package local

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// handle is one open tenant.
type handle struct {
	key  poolKey
	b    *branch
	path string
	elem *list.Element
	refs int  // guarded by pool.mu
	dead bool // guarded by pool.mu: close when refs drop to 0

	// sgen is the schema generation (gen_unix.go) the writer was last
	// caught up at: when the project's moves past it, the next acquire
	// catches the tenant up to the branch's history first (pool.acquire).
	sgen atomic.Uint64

	initMu sync.Mutex
	ready  bool
	limits cinch.Group   // the tenant's group limits
	salt   []byte        // encrypted tenants: KDF salt
	dk     []byte        // encrypted tenants: the derived key its connections use
	sem    chan struct{} // MaxConcurrent slots, nil when unlimited
	lazy   bool          // registered, no file: reads go to the branch template
	// made is the tenant's registry row when this process just created
	// its file (DB.materialize, which read the row under the branch lock):
	// the next init opens the file without reading the registry again.
	made  tenantRow
	owned bool // Config.Owner acquired the tenant for this handle

	wmu    sync.Mutex
	writer *sqlite.Conn
	wOpen  bool // guarded by wmu: writer is open and counted in pool.conns
	// fresh (guarded by wmu): the file was just materialized here and has
	// no -wal yet; the first use of the writer runs with synchronous=OFF
	// (see useWriter).
	fresh bool

	rmu      sync.Mutex
	closed   bool // guarded by rmu: readers returned after close are closed
	idle     []*sqlite.Conn
	nReaders int
	rfree    chan struct{} // signals a returned reader
}

type poolKey struct{ database, branch, tenant string }

// init opens the handle: a lazy one if the tenant has no file, else the
// writer connection, catching the file up to the branch's schema.
func (h *handle) init(ctx context.Context, key string) error {
	h.initMu.Lock()
	defer h.initMu.Unlock()
	if h.ready && (!h.lazy || !exists(h.path)) {
		return nil
	}
	if h.ready && h.lazy { // materialized, by this process or another
		h.ready, h.lazy = false, false
	}
	row, made := h.made, h.made.Name != ""
	h.made = tenantRow{}
	if !made {
		var found bool
		var err error
		if row, found, err = h.b.reg.get(ctx, h.key.tenant); err != nil {
			return err
		} else if !found {
			return cinch.NotFound(cinch.ErrTenantNotFound, "tenant", h.key.tenant, "check the name, or create the tenant first")
		}
	}
	if row.Archived {
		return &cinch.Error{Err: cinch.ErrTenantArchived, Entity: fmt.Sprintf("tenant %q", h.key.tenant),
			Message: fmt.Sprintf("tenant %q is archived", h.key.tenant), Hint: "restore it first"}
	}
	limits, err := h.b.limitsFor(ctx, row)
	if err != nil {
		return err
	}
	h.limits = limits
	if limits.MaxConcurrent > 0 {
		h.sem = make(chan struct{}, limits.MaxConcurrent)
	}
	if err := h.own(ctx); err != nil {
		return err
	}
	if !made && !exists(h.path) {
		h.lazy, h.ready = true, true
		return nil
	}
	dk, err := h.b.p.tenantKey(row, key)
	if err != nil {
		return err
	}
	h.salt, h.dk = row.Salt, dk
	sgen := h.b.p.gen.loadSchema() // before catching up: a change after it is seen later
	w, err := sqlite.Open(ctx, h.path, h.connOptions())
	if err != nil {
		return err
	}
	if err := h.b.catchUp(ctx, w); err != nil {
		w.Close()
		return err
	}
	if dk != nil {
		// Its header is encrypted: remember the version for tenant list.
		if v, err := w.UserVersion(); err == nil && v != row.Version {
			h.b.reg.exec(ctx, "UPDATE tenants SET version = ? WHERE name = ?", v, row.Name)
		}
	}
	if limits.MaxDBBytes > 0 {
		if err := w.SetMaxBytes(limits.MaxDBBytes); err != nil {
			w.Close()
			return err
		}
	}
	h.writer, h.lazy, h.ready = w, false, true
	h.wOpen = true
	h.b.p.pool.conns.Add(1)
	h.sgen.Store(sgen)
	return nil
}

// catchUpTo brings an open tenant to the branch's history when the schema
// generation moved to sgen since its writer was last caught up: another
// process (or this one) committed a schema change that did not wait for
// this tenant. Lazy handles need nothing: they read the branch's template.
func (h *handle) catchUpTo(ctx context.Context, sgen uint64) error {
	h.initMu.Lock()
	lazy := h.lazy
	h.initMu.Unlock()
	if lazy {
		h.sgen.Store(sgen)
		return nil
	}
	return h.useWriter(func(w *sqlite.Conn) error {
		if h.sgen.Load() == sgen {
			return nil // another caller did it
		}
		if err := h.b.catchUp(ctx, w); err != nil {
			return err
		}
		if h.dk != nil { // its header is encrypted: record the version for tenant list
			if v, err := w.UserVersion(); err == nil {
				h.b.reg.exec(ctx, "UPDATE tenants SET version = ? WHERE name = ? AND version <> ?", v, h.key.tenant, v)
			}
		}
		h.sgen.Store(sgen)
		return nil
	})
}

// checkKey verifies a caller's key against an open encrypted handle.
func (h *handle) checkKey(p *Project, key string) error {
	if h.dk == nil {
		return nil
	}
	if key == "" {
		return errNoKey(h.key.tenant)
	}
	if !sameKey(p.keys.derive(h.salt, key), h.dk) {
		return &cinch.Error{Err: cinch.ErrEncryptionKey, Message: fmt.Sprintf("wrong encryption key for tenant %q", h.key.tenant),
			Hint: "give the key the tenant was created (or last rotated) with"}
	}
	return nil
}

// run runs fn within the tenant's concurrency limit, failing fast when the
// group's MaxConcurrent queries are already running.
func (h *handle) run(tenant string, fn func(*handle) error) error {
	if h.sem == nil {
		return fn(h)
	}
	select {
	case h.sem <- struct{}{}:
	default:
		return &cinch.Error{Err: cinch.ErrLimitExceeded,
			Message: fmt.Sprintf("tenant %q already runs %d queries, the limit of its group %q", tenant, h.limits.MaxConcurrent, h.limits.Name),
			Hint:    "retry later, or raise the group's limit"}
	}
	defer func() { <-h.sem }()
	return fn(h)
}

// reader borrows a reader connection, opening one if fewer than the limit
// exist, else waiting for one.
func (h *handle) reader(ctx context.Context, limit int) (*sqlite.Conn, error) {
	for {
		h.rmu.Lock()
		if n := len(h.idle); n > 0 {
			c := h.idle[n-1]
			h.idle = h.idle[:n-1]
			h.rmu.Unlock()
			return c, nil
		}
		if h.nReaders < limit {
			h.nReaders++
			h.rmu.Unlock()
			c, err := sqlite.Open(ctx, h.path, h.connOptions())
			if err != nil {
				h.rmu.Lock()
				h.nReaders--
				h.rmu.Unlock()
				return nil, err
			}
			// Readers are opened on demand and count against the pool's
			// memory bound: over it, idle readers elsewhere are closed.
			pl := h.b.p.pool
			if pl.conns.Add(1) > pl.maxConns {
				pl.trim(h)
			}
			return c, nil
		}
		h.rmu.Unlock()
		select {
		case <-h.rfree:
		case <-ctx.Done():
			return nil, cinch.Errorf(cinch.ErrCanceled, "canceled while waiting for a connection to tenant %q", h.key.tenant)
		}
	}
}

func (h *handle) putReader(c *sqlite.Conn) {
	h.rmu.Lock()
	if c.Broken() {
		// Closed by Do after a driver panic: free its slot for a new one.
		h.nReaders--
		h.rmu.Unlock()
		h.b.p.pool.conns.Add(-1)
		h.signalReader()
		return
	}
	if h.closed {
		h.rmu.Unlock()
		c.Close()
		h.b.p.pool.conns.Add(-1)
		return
	}
	h.idle = append(h.idle, c)
	h.rmu.Unlock()
	h.signalReader()
}

// signalReader wakes a caller waiting for a reader.
func (h *handle) signalReader() {
	select {
	case h.rfree <- struct{}{}:
	default:
	}
}

// withReader runs fn on a borrowed reader connection and gives it back on
// every path. A driver panic is fn's error (see Project.do), and the
// connection it broke is dropped and its slot freed.
func (h *handle) withReader(ctx context.Context, limit int, fn func(r *sqlite.Conn) error) error {
	r, err := h.reader(ctx, limit)
	if err != nil {
		return err
	}
	defer h.putReader(r)
	return h.b.p.do(r, h.key.tenant, func() error { return fn(r) })
}

// markFresh notes that the tenant's file was just materialized here, with
// row its registry row (see init and useWriter).
func (h *handle) markFresh(row tenantRow) {
	h.initMu.Lock()
	h.made = row
	h.initMu.Unlock()
	h.wmu.Lock()
	h.fresh = true
	h.wmu.Unlock()
}

// useWriter runs fn on the tenant's writer connection, holding its mutex.
// A driver panic is fn's error (see Project.do), and the writer it broke
// is replaced by a new connection before the next caller gets it.
func (h *handle) useWriter(fn func(w *sqlite.Conn) error) error {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	w := h.writer
	if h.fresh && w != nil {
		// A new WAL's first commit fsyncs its header and then the folder.
		// With synchronous=NORMAL no later commit fsyncs until a
		// checkpoint, so deferring those two to the first checkpoint keeps
		// NORMAL's promise (the last commits may be lost on power loss,
		// the file stays consistent; here the tenant may come back lazy,
		// as its file's rename is made durable by that folder fsync).
		h.fresh = false
		if w.Exec("PRAGMA synchronous=OFF") == nil {
			defer w.Exec("PRAGMA synchronous=NORMAL")
		}
	}
	err := h.b.p.do(w, h.key.tenant, func() error { return fn(w) })
	if w.Broken() {
		if h.wOpen {
			h.wOpen = false
			h.b.p.pool.conns.Add(-1)
		}
		h.replaceWriter()
	}
	return err
}

// replaceWriter opens a new writer in place of one Do closed (h.wmu held).
// If that fails, the closed one stays: it answers errors, and the next
// useWriter tries again.
func (h *handle) replaceWriter() {
	w, err := sqlite.Open(context.Background(), h.path, h.connOptions())
	if err == nil && h.limits.MaxDBBytes > 0 {
		err = w.SetMaxBytes(h.limits.MaxDBBytes)
	}
	if err != nil {
		w.Close()
		h.b.p.cfg.Logger.Error("reopening a tenant's writer connection", "tenant", h.key.tenant, "err", err)
		return
	}
	h.writer, h.wOpen = w, true
	h.b.p.pool.conns.Add(1)
}

// connOptions are the project's connection options plus the tenant's key.
func (h *handle) connOptions() sqlite.Options {
	o := h.b.p.connOptions()
	o.Key = h.dk
	return o
}

func (h *handle) close() { h.closeConns(false) }

// closeConns closes the handle's connections; with skipCheckpoint, none of
// them checkpoints the WAL as it closes (pool.trim's evictions: the
// pool's checkpointer does it in the background).
func (h *handle) closeConns(skipCheckpoint bool) {
	n := int64(0)
	h.wmu.Lock()
	if skipCheckpoint {
		h.writer.SkipCheckpointOnClose()
	}
	h.writer.Close()
	h.writer = nil
	if h.wOpen {
		h.wOpen = false
		n++
	}
	h.wmu.Unlock()
	h.rmu.Lock()
	h.closed = true
	for _, c := range h.idle {
		if skipCheckpoint {
			c.SkipCheckpointOnClose()
		}
		c.Close()
	}
	n += int64(len(h.idle))
	h.idle = nil
	h.rmu.Unlock()
	h.b.p.pool.conns.Add(-n)
	h.disown()
}

// takeIdleReaders removes the handle's idle readers for the caller to
// close (pool.trim), and stops counting them: borrowed readers stay.
func (h *handle) takeIdleReaders() []*sqlite.Conn {
	h.rmu.Lock()
	rs := h.idle
	h.idle = nil
	h.nReaders -= len(rs)
	h.rmu.Unlock()
	h.b.p.pool.conns.Add(-int64(len(rs)))
	return rs
}

// connCount is about how many connections the handle holds: its writer
// (if open) and its readers, idle or borrowed.
func (h *handle) connCount() int64 {
	h.rmu.Lock()
	defer h.rmu.Unlock()
	return int64(h.nReaders) + 1
}

// own acquires the handle's tenant from the project's Owner, once.
// Caller holds h.initMu.
func (h *handle) own(ctx context.Context) error {
	o := h.b.p.cfg.Owner
	if o == nil || h.owned {
		return nil
	}
	if err := o.Acquire(ctx, h.key.database, h.key.branch, h.key.tenant, h.path); err != nil {
		return err
	}
	h.owned = true
	return nil
}

// disown releases the handle's tenant after its connections are closed.
func (h *handle) disown() {
	h.initMu.Lock()
	owned := h.owned
	h.owned = false
	h.initMu.Unlock()
	if owned {
		h.b.p.cfg.Owner.Release(h.key.database, h.key.branch, h.key.tenant, h.path)
	}
}
