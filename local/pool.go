package local

import (
	"container/list"
	"context"
	"fmt"
	"sync"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// pool keeps a bounded number of open tenant handles (least recently used
// ones are closed first). Each handle has one writer connection and up to
// ReadersPerTenant reader connections, opened on demand. A handle in use is
// never closed under its user; the pool may briefly exceed its bound
// instead of blocking.
type pool struct {
	p       *Project
	mu      sync.Mutex
	max     int
	readers int
	m       map[poolKey]*handle
	lru     *list.List // front: most recently used
	seenGen uint64
}

type poolKey struct{ database, branch, tenant string }

// handle is one open tenant.
type handle struct {
	key  poolKey
	b    *branch
	path string
	elem *list.Element
	refs int  // guarded by pool.mu
	dead bool // guarded by pool.mu: close when refs drop to 0

	initMu sync.Mutex
	ready  bool
	limits cinch.Group   // the tenant's group limits
	salt   []byte        // encrypted tenants: KDF salt
	dk     []byte        // encrypted tenants: the derived key its connections use
	sem    chan struct{} // MaxConcurrent slots, nil when unlimited
	lazy   bool          // registered, no file: reads go to the branch template

	wmu    sync.Mutex
	writer *sqlite.Conn

	rmu      sync.Mutex
	closed   bool // guarded by rmu: readers returned after close are closed
	idle     []*sqlite.Conn
	nReaders int
	rfree    chan struct{} // signals a returned reader
}

func newPool(p *Project, max, readers int) *pool {
	return &pool{p: p, max: max, readers: readers, m: map[poolKey]*handle{}, lru: list.New()}
}

// checkGeneration drops every handle when another operation (in any
// process) bumped the shared generation: a tenant was deleted or renamed.
// Caller holds pl.mu.
func (pl *pool) checkGeneration() {
	g := pl.p.gen.load()
	if g == pl.seenGen {
		return
	}
	pl.seenGen = g
	for k, h := range pl.m {
		pl.retire(k, h)
	}
	pl.p.dropStaleBranches()
}

// retire removes h from the map and closes it once unused. Caller holds pl.mu.
func (pl *pool) retire(k poolKey, h *handle) {
	if pl.detach(k, h) {
		go h.close()
	}
}

// detach removes h from the map and marks it dead. It reports whether h is
// unused, in which case the caller closes it (else its last user does).
// Caller holds pl.mu.
func (pl *pool) detach(k poolKey, h *handle) bool {
	delete(pl.m, k)
	pl.lru.Remove(h.elem)
	h.dead = true
	return h.refs == 0
}

// acquire returns the ready handle of a tenant, opening it if needed.
// Release it with release.
func (pl *pool) acquire(ctx context.Context, b *branch, tenant, tenantKey string) (*handle, error) {
	key := poolKey{b.database, b.name, tenant}
	pl.mu.Lock()
	pl.checkGeneration()
	h := pl.m[key]
	if h == nil {
		h = &handle{key: key, b: b, path: b.tenantPath(tenant), rfree: make(chan struct{}, 1)}
		h.elem = pl.lru.PushFront(h)
		pl.m[key] = h
	} else {
		pl.lru.MoveToFront(h.elem)
	}
	h.refs++
	pl.evict()
	pl.mu.Unlock()
	if err := h.init(ctx, tenantKey); err != nil {
		pl.mu.Lock()
		if pl.m[key] == h {
			pl.retire(key, h)
		}
		pl.mu.Unlock()
		pl.release(h)
		return nil, err
	}
	// An open encrypted tenant still needs each caller's key.
	if err := h.checkKey(pl.p, tenantKey); err != nil {
		pl.release(h)
		return nil, err
	}
	return h, nil
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

// evict closes least recently used handles beyond the bound. Caller holds pl.mu.
func (pl *pool) evict() {
	for e := pl.lru.Back(); e != nil && len(pl.m) > pl.max; {
		prev := e.Prev()
		if h := e.Value.(*handle); h.refs == 0 {
			pl.retire(h.key, h)
		}
		e = prev
	}
}

func (pl *pool) release(h *handle) {
	pl.mu.Lock()
	h.refs--
	closeIt := h.dead && h.refs == 0
	pl.mu.Unlock()
	if closeIt {
		h.close()
	}
}

// forget retires a tenant's handle (delete, rename). With bump, it also
// bumps the shared generation so other processes drop their handles too;
// this process keeps its other handles when nobody else bumped meanwhile.
func (pl *pool) forget(b *branch, tenant string, bump bool) {
	key := poolKey{b.database, b.name, tenant}
	pl.mu.Lock()
	if bump {
		if g := pl.p.gen.bump(); g == pl.seenGen+1 {
			pl.seenGen = g
		}
	}
	var idle *handle
	if h := pl.m[key]; h != nil && pl.detach(key, h) {
		idle = h
	}
	pl.mu.Unlock()
	// Closed before returning: the caller is about to move or remove the
	// file, and a late close would delete the -wal of whatever is there then.
	if idle != nil {
		idle.close()
	}
}

// closeAll closes every unused handle before it returns (handles in use
// are closed by their last user).
func (pl *pool) closeAll() {
	pl.mu.Lock()
	var idle []*handle
	for k, h := range pl.m {
		if pl.detach(k, h) {
			idle = append(idle, h)
		}
	}
	pl.mu.Unlock()
	for _, h := range idle {
		h.close()
	}
}

// openCount is the number of open handles (for metrics and tests).
func (pl *pool) openCount() int {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return len(pl.m)
}

// withWriter runs fn on a writer connection of a materialized tenant: the
// pooled one if the tenant is open here, else a short-lived one.
func (pl *pool) withWriter(ctx context.Context, b *branch, tenant, tenantKey string, fn func(*sqlite.Conn) error) error {
	key := poolKey{b.database, b.name, tenant}
	pl.mu.Lock()
	h := pl.m[key]
	if h != nil && !h.dead {
		h.refs++
	} else {
		h = nil
	}
	pl.mu.Unlock()
	if h != nil {
		defer pl.release(h)
		h.initMu.Lock()
		ok := h.ready && !h.lazy
		h.initMu.Unlock()
		if ok {
			if err := h.checkKey(pl.p, tenantKey); err != nil {
				return err
			}
			return h.useWriter(fn)
		}
	}
	opts := pl.p.connOptions()
	if row, found, err := b.reg.get(ctx, tenant); err != nil {
		return err
	} else if found && row.Encrypted {
		if opts.Key, err = pl.p.tenantKey(row, tenantKey); err != nil {
			return err
		}
	}
	c, err := sqlite.Open(ctx, b.tenantPath(tenant), opts)
	if err != nil {
		return err
	}
	defer c.Close()
	return pl.p.do(c, tenant, func() error { return fn(c) })
}

// init opens the handle: a lazy one if the tenant has no file, else the
// writer connection, catching the file up to the branch's schema.
func (h *handle) init(ctx context.Context, key string) error {
	h.initMu.Lock()
	defer h.initMu.Unlock()
	if h.ready && (!h.lazy || !exists(h.path)) {
		return nil
	}
	if h.ready && h.lazy { // another process materialized it
		h.ready, h.lazy = false, false
	}
	row, found, err := h.b.reg.get(ctx, h.key.tenant)
	if err != nil {
		return err
	} else if !found {
		return cinch.NotFound(cinch.ErrTenantNotFound, "tenant", h.key.tenant, "check the name, or create the tenant first")
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
	if !exists(h.path) {
		h.lazy, h.ready = true, true
		return nil
	}
	dk, err := h.b.p.tenantKey(row, key)
	if err != nil {
		return err
	}
	h.salt, h.dk = row.Salt, dk
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
	return nil
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
		h.signalReader()
		return
	}
	if h.closed {
		h.rmu.Unlock()
		c.Close()
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

// useWriter runs fn on the tenant's writer connection, holding its mutex.
// A driver panic is fn's error (see Project.do), and the writer it broke
// is replaced by a new connection before the next caller gets it.
func (h *handle) useWriter(fn func(w *sqlite.Conn) error) error {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	w := h.writer
	err := h.b.p.do(w, h.key.tenant, func() error { return fn(w) })
	if w.Broken() {
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
	h.writer = w
}

func (h *handle) close() {
	h.wmu.Lock()
	h.writer.Close()
	h.writer = nil
	h.wmu.Unlock()
	h.rmu.Lock()
	h.closed = true
	for _, c := range h.idle {
		c.Close()
	}
	h.idle = nil
	h.rmu.Unlock()
}

// closeBranch retires every handle of a branch (branch delete).
func (pl *pool) closeBranch(b *branch) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	for k, h := range pl.m {
		if k.database == b.database && k.branch == b.name {
			pl.retire(k, h)
		}
	}
}

// isOpen reports whether a tenant has a ready, materialized handle here.
func (pl *pool) isOpen(b *branch, tenant string) bool {
	pl.mu.Lock()
	h := pl.m[poolKey{b.database, b.name, tenant}]
	pl.mu.Unlock()
	if h == nil {
		return false
	}
	h.initMu.Lock()
	defer h.initMu.Unlock()
	return h.ready && !h.lazy
}

// forgetAll retires every handle here and bumps the shared generation so
// other processes do too (after a limit change).
func (pl *pool) forgetAll() {
	pl.p.gen.bump()
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.checkGeneration()
}

// run runs fn within the tenant's concurrency limit, failing fast when the
// group's MaxConcurrent queries are already running.
func (h *handle) run(tenant string, fn func() error) error {
	if h.sem == nil {
		return fn()
	}
	select {
	case h.sem <- struct{}{}:
	default:
		return &cinch.Error{Err: cinch.ErrLimitExceeded,
			Message: fmt.Sprintf("tenant %q already runs %d queries, the limit of its group %q", tenant, h.limits.MaxConcurrent, h.limits.Name),
			Hint:    "retry later, or raise the group's limit"}
	}
	defer func() { <-h.sem }()
	return fn()
}

// connOptions are the project's connection options plus the tenant's key.
func (h *handle) connOptions() sqlite.Options {
	o := h.b.p.connOptions()
	o.Key = h.dk
	return o
}
