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

// checkpointer checkpoints, one at a time on a goroutine of its own, the
// WALs of tenants whose handles the pool evicted without checkpointing
// (pool.closeEvicted): open the file (never creating it: a tenant deleted
// meanwhile is skipped), checkpoint (TRUNCATE), close, which removes the
// WAL when no one else has the file open. A tenant opened again meanwhile
// is checkpointed anyway (harmless) or left to its own connections when
// busy. Until then the WAL holds the tenant's last commits as durably as
// before (a WAL is the file's journal: the next connection reads it).
// drain (pool.closeAll, Project.Close) checkpoints what is queued and
// waits, so a closed project leaves no WAL behind.
type checkpointer struct {
	mu      sync.Mutex
	queue   []string
	current string // the file being checkpointed
	running bool
	idle    *sync.Cond   // signaled when the goroutine stops or finishes a file
	pending atomic.Int64 // reserved or queued
	done    atomic.Int64 // checkpoints made (tests)
}

// reserve takes a place in the queue; false when it is full.
func (c *checkpointer) reserve() bool {
	if c.pending.Add(1) > checkpointQueue {
		c.pending.Add(-1)
		return false
	}
	return true
}

// add queues the tenant file at path (a place reserved) and starts the
// goroutine if it is not running.
func (c *checkpointer) add(p *Project, path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queue = append(c.queue, path)
	if c.running {
		return
	}
	c.running = true
	go c.run(p)
}

// run checkpoints the queued files until the queue is empty.
func (c *checkpointer) run(p *Project) {
	for {
		c.mu.Lock()
		c.current = ""
		if c.idle != nil {
			c.idle.Broadcast()
		}
		if len(c.queue) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		path := c.queue[0]
		c.queue = c.queue[1:]
		c.current = path
		c.mu.Unlock()
		checkpointFile(p, path)
		c.pending.Add(-1)
		c.done.Add(1)
	}
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
	if c.idle == nil {
		c.idle = sync.NewCond(&c.mu)
	}
	for c.current == path {
		c.idle.Wait()
	}
}

// drain waits until every queued file is checkpointed.
func (c *checkpointer) drain() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idle == nil {
		c.idle = sync.NewCond(&c.mu)
	}
	for c.running {
		c.idle.Wait()
	}
}

// checkpointFile checkpoints the WAL of a plain tenant file, if it still
// exists, and closes it (removing the WAL when it was the last connection).
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
	conn.Checkpoint()
	conn.Close()
}
