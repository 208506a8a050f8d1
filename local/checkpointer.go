package local

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cinchdb/cinch/sqlite"
)

// checkpointQueue bounds the tenants waiting for a background checkpoint;
// past it, evicted handles checkpoint as they close.
const checkpointQueue = 256

// Checkpoints are maintenance, not durability: until it is made, a WAL
// holds its tenant's commits exactly as durably as synchronous=NORMAL
// promises. Each one syncs twice (the WAL, then the database), and a sync
// takes the file system's journal, which every file creation and rename in
// the tenants folder waits for: made during a burst of first writes (each
// evicting a written tenant from a full pool), they slowed every first
// write by ~0.4 ms here (docs/benchmarks.md). So the checkpointer waits
// for a quiet moment, checkpointQuiet after the last eviction, unless its
// queue holds checkpointBusy files; then it pays the debt with
// checkpointWorkers at once (their syncs share journal commits).
const (
	checkpointQuiet   = 50 * time.Millisecond
	checkpointBusy    = checkpointQueue * 3 / 4
	checkpointWorkers = 4
)

// checkpointer checkpoints, in the background, the WALs of tenants whose
// handles the pool evicted without checkpointing (pool.closeEvicted): open
// the file (never creating it: a tenant deleted meanwhile is skipped) and
// close it, which checkpoints the WAL and removes it when no one else has
// the file open. A tenant opened again meanwhile is checkpointed anyway
// (harmless) or left to its own connections when busy. Until then the WAL
// holds the tenant's last commits as durably as before (a WAL is the
// file's journal: the next connection reads it). drain (pool.closeAll,
// Project.Close) checkpoints what is queued at once and waits, so a closed
// project leaves no WAL behind.
type checkpointer struct {
	mu      sync.Mutex
	queue   []string
	current map[string]bool // the files being checkpointed
	workers int             // goroutines running
	idle    *sync.Cond      // signaled when a worker stops or finishes a file
	pending atomic.Int64    // reserved or queued
	done    atomic.Int64    // checkpoints made (tests)
	added   time.Time       // when the last file was queued
	hurry   int             // drains waiting: no quiet period
}

// reserve takes a place in the queue; false when it is full.
func (c *checkpointer) reserve() bool {
	if c.pending.Add(1) > checkpointQueue {
		c.pending.Add(-1)
		return false
	}
	return true
}

// add queues the tenant file at path (a place reserved) and starts a
// worker if none is running.
func (c *checkpointer) add(p *Project, path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queue = append(c.queue, path)
	c.added = time.Now()
	c.start(p, 1)
}

// start runs workers until up to n are running. Caller holds c.mu.
func (c *checkpointer) start(p *Project, n int) {
	if c.idle == nil {
		c.idle = sync.NewCond(&c.mu)
		c.current = map[string]bool{}
	}
	for c.workers < n {
		c.workers++
		go c.run(p)
	}
}

// run checkpoints queued files until the queue is empty: the first worker
// waits for a quiet moment first, and starts the others when the debt is
// checkpointBusy or someone drains.
func (c *checkpointer) run(p *Project) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.queue) > 0 {
		busy := c.hurry > 0 || len(c.queue) >= checkpointBusy
		if wait := checkpointQuiet - time.Since(c.added); wait > 0 && !busy {
			c.mu.Unlock()
			time.Sleep(wait)
			c.mu.Lock()
			continue
		}
		c.start(p, checkpointWorkers)
		path := c.queue[0]
		c.queue = c.queue[1:]
		c.current[path] = true
		c.mu.Unlock()
		checkpointFile(p, path)
		c.pending.Add(-1)
		c.done.Add(1)
		c.mu.Lock()
		delete(c.current, path)
		c.idle.Broadcast()
	}
	c.workers--
	c.idle.Broadcast()
}

// forget drops the file at path from the queue and waits while it is
// being checkpointed: the caller (pool.forget) is about to move or remove
// it, and a late close would remove the -wal of whatever is there then.
func (c *checkpointer) forget(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := c.queue[:0]
	for _, q := range c.queue {
		if q == path {
			c.pending.Add(-1)
			continue
		}
		kept = append(kept, q)
	}
	c.queue = kept
	for c.current[path] {
		c.idle.Wait()
	}
}

// drain waits until every queued file is checkpointed, without the quiet
// period.
func (c *checkpointer) drain() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hurry++
	defer func() { c.hurry-- }()
	for c.workers > 0 {
		c.idle.Wait()
	}
}

// checkpointFile checkpoints the WAL of a plain tenant file, if it still
// exists, by opening it and closing it again (the last connection's close
// checkpoints the WAL and removes it).
func checkpointFile(p *Project, path string) {
	if !exists(walFile(path)) {
		return
	}
	opts := p.connOptions()
	opts.NoCreate = true
	opts.BusyTimeout = 100 * time.Millisecond // a tenant in use again checkpoints itself
	conn, err := sqlite.Open(context.Background(), path, opts)
	if err != nil {
		return
	}
	// Closing the file's last connection checkpoints the WAL and removes
	// it: two syncs (the WAL, then the database), where an explicit
	// TRUNCATE checkpoint first adds a third.
	conn.Close()
}
