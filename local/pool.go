package local

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// pool keeps a bounded number of open tenant handles (least recently used
// ones are closed first). Each handle has one writer connection and up to
// ReadersPerTenant reader connections, opened on demand. The pool is
// bounded twice: by handles (max) and by connections (maxConns, from
// Config.MaxOpenMemory / ConnMemory); over the second, idle readers are
// closed before whole handles. A handle in use is never closed under its
// user; the pool may briefly exceed its bounds instead of blocking.
type pool struct {
	p        *Project
	mu       sync.Mutex
	max      int
	maxConns int64
	readers  int
	m        map[poolKey]*handle
	lru      *list.List // front: most recently used
	seenGen  uint64
	// conns counts the open connections of every handle (writers and
	// readers, idle or borrowed), including handles already retired but
	// not yet closed.
	conns atomic.Int64
	// ckpt checkpoints the WALs of handles trim evicted, off the path of
	// the caller that needed the room (checkpointer.go).
	ckpt checkpointer
	// closes closes retired handles off the caller's path (closer.go),
	// where forget and closeBranch can wait for a file's closes.
	closes closer
}

func newPool(p *Project, max, readers int) *pool {
	return &pool{p: p, max: max, maxConns: int64(max) * int64(1+readers), readers: readers, m: map[poolKey]*handle{}, lru: list.New()}
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
	if pl.conns.Load() > pl.maxConns {
		pl.trim(h)
	}
	// An open encrypted tenant still needs each caller's key.
	if err := h.checkKey(pl.p, tenantKey); err != nil {
		pl.release(h)
		return nil, err
	}
	// A schema change committed since the handle was caught up (in any
	// process) is applied before the handle is used: one atomic load when
	// nothing changed.
	if sgen := pl.p.gen.loadSchema(); h.sgen.Load() != sgen {
		if err := h.catchUpTo(ctx, sgen); err != nil {
			pl.release(h)
			return nil, err
		}
	}
	return h, nil
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

// withWriter runs fn on a writer connection of a materialized tenant: the
// pooled one if the tenant is open here, else a short-lived one.
func (pl *pool) withWriter(ctx context.Context, b *branch, tenant, tenantKey string, fn func(*sqlite.Conn) error) error {
	return pl.withConn(ctx, b, tenant, tenantKey, false, func(c *sqlite.Conn, _ bool) error { return fn(c) })
}

// withConn is withWriter telling fn whether c is the short-lived connection
// (own), which fn may leave unusable (sqlite.Conn.MigrateWAL). With plain,
// the caller knows the tenant is not encrypted (it listed it so), and the
// registry is not asked: a rollout's workers would queue on it.
func (pl *pool) withConn(ctx context.Context, b *branch, tenant, tenantKey string, plain bool, fn func(c *sqlite.Conn, own bool) error) error {
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
			return h.useWriter(func(w *sqlite.Conn) error { return fn(w, false) })
		}
	}
	opts := pl.p.connOptions()
	if !plain {
		if row, found, err := b.reg.get(ctx, tenant); err != nil {
			return err
		} else if found && row.Encrypted {
			if opts.Key, err = pl.p.tenantKey(row, tenantKey); err != nil {
				return err
			}
		}
	}
	// A rollout's connection (plain: it only migrates and closes) tries
	// EXCLUSIVE locking first: no -shm file to create, map and lock.
	// Another connection having the file open makes it wait normally.
	opts.Exclusive = plain
	c, err := sqlite.Open(ctx, b.tenantPath(tenant), opts)
	if plain && errors.Is(err, cinch.ErrBusy) {
		opts.Exclusive = false
		c, err = sqlite.Open(ctx, b.tenantPath(tenant), opts)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	return pl.p.do(c, tenant, func() error { return fn(c, true) })
}

// catchUpOpen catches up every open, materialized handle of a branch to
// the current schema generation (the branch's history): what a schema
// change does before it returns. Handles opened with a key (encrypted
// tenants) are caught up too; they hold their key. The errors are by tenant.
func (pl *pool) catchUpOpen(ctx context.Context, b *branch) map[string]error {
	sgen := pl.p.gen.loadSchema()
	pl.mu.Lock()
	var hs []*handle
	for k, h := range pl.m {
		if k.database == b.database && k.branch == b.name && !h.dead {
			h.refs++
			hs = append(hs, h)
		}
	}
	pl.mu.Unlock()
	byName := make(map[string]*handle, len(hs))
	names := make([]string, 0, len(hs))
	for _, h := range hs {
		h.initMu.Lock()
		ready := h.ready && !h.lazy
		h.initMu.Unlock()
		if ready {
			byName[h.key.tenant] = h
			names = append(names, h.key.tenant)
		} else {
			pl.release(h)
		}
	}
	errs := b.parallel(ctx, names, func(name string) error { return byName[name].catchUpTo(ctx, sgen) })
	for _, h := range byName {
		pl.release(h)
	}
	return errs
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
	pl.closes.wait(b.tenantPath(tenant))
	pl.ckpt.forget(b.tenantPath(tenant))
}

// forgetAll retires every handle here and bumps the shared generation so
// other processes do too (after a limit change).
func (pl *pool) forgetAll() {
	pl.p.gen.bump()
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.checkGeneration()
}

// closeBranch retires every handle of a branch (branch delete), and waits
// for the closes of the unused ones: the caller removes the files next.
func (pl *pool) closeBranch(b *branch) {
	pl.mu.Lock()
	var paths []string
	for k, h := range pl.m {
		if k.database == b.database && k.branch == b.name {
			pl.retire(k, h)
			paths = append(paths, h.path)
		}
	}
	pl.mu.Unlock()
	for _, path := range paths {
		pl.closes.wait(path)
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
	pl.closes.drain()
	pl.ckpt.drain()
}

// openCount is the number of open handles (for metrics and tests).
func (pl *pool) openCount() int {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return len(pl.m)
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

// retire removes h from the map and closes it once unused, off the
// caller's path (closer.go). Caller holds pl.mu.
func (pl *pool) retire(k poolKey, h *handle) {
	if pl.detach(k, h) {
		pl.closes.add(h.path, h.close)
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

// trim brings the open connections back under maxConns after keep (a
// handle its caller uses) opened one: first the idle readers of the least
// recently used handles, then the least recently used idle handles. The
// connections are closed after pl.mu is released.
func (pl *pool) trim(keep *handle) {
	var closing []*sqlite.Conn
	var handles []*handle
	pl.mu.Lock()
	over := pl.conns.Load() - pl.maxConns
	for e := pl.lru.Back(); e != nil && over > 0; e = e.Prev() {
		if h := e.Value.(*handle); h != keep {
			rs := h.takeIdleReaders()
			closing = append(closing, rs...)
			over -= int64(len(rs))
		}
	}
	for e := pl.lru.Back(); e != nil && over > 0; {
		prev := e.Prev()
		if h := e.Value.(*handle); h != keep && h.refs == 0 && pl.detach(h.key, h) {
			handles = append(handles, h)
			over -= h.connCount()
		}
		e = prev
	}
	pl.mu.Unlock()
	// Closed here, not by the closer: the pool's memory bound holds when
	// the call that needed the room returns.
	for _, c := range closing {
		c.Close()
	}
	for _, h := range handles {
		pl.closeEvicted(h)
	}
}

// closeEvicted closes a handle trim evicted. Closing a written tenant's
// last connection checkpoints its WAL (three syncs) on the caller's path;
// a plain tenant's connections are closed without that, and the pool's
// checkpointer does it in the background. An encrypted tenant (its key)
// and a cluster node's (its owner) are closed as before, and so is any
// when the checkpointer's queue is full.
func (pl *pool) closeEvicted(h *handle) {
	h.initMu.Lock()
	plain := h.dk == nil && !h.lazy
	h.initMu.Unlock()
	if !plain || pl.p.cfg.Owner != nil || !pl.ckpt.reserve() {
		h.close()
		return
	}
	h.closeConns(true)
	pl.ckpt.add(pl.p, h.path)
}
