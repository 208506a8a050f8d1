package local

import "sync"

// closeQueue bounds the closes waiting in a pool's closer; past it, a
// retired handle is closed on a goroutine of its own, as before the closer.
const closeQueue = 64

// closer closes, on a goroutine of its own, the handles the pool retires
// (beyond its count bound, after a shared generation bump, on a branch
// delete), off the path of the caller that retired them. A close is named
// by its tenant file: forget (before a tenant file is moved or removed)
// and closeBranch wait until that file's closes are done, so no late close
// checkpoints and removes the -wal of whatever is at the path then; drain
// (Project.Close) waits for all of them. (trim's evictions close on the
// caller's path: the memory bound holds when that call returns.)
type closer struct {
	mu      sync.Mutex
	queue   []closeJob
	pending map[string]int // queued or running closes by file
	running bool
	idle    *sync.Cond // signaled when a close finishes
}

// closeJob is one close: fn closes connections of the file at path.
type closeJob struct {
	path string
	fn   func()
}

// add queues fn, which closes connections of the file at path, and reports
// whether it did; false when the queue is full (the caller runs fn).
func (c *closer) add(path string, fn func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) >= closeQueue {
		return false
	}
	if c.pending == nil {
		c.pending = map[string]int{}
		c.idle = sync.NewCond(&c.mu)
	}
	c.queue = append(c.queue, closeJob{path: path, fn: fn})
	c.pending[path]++
	if !c.running {
		c.running = true
		go c.run()
	}
	return true
}

// run closes what is queued until the queue is empty.
func (c *closer) run() {
	c.mu.Lock()
	for len(c.queue) > 0 {
		job := c.queue[0]
		c.queue = c.queue[1:]
		c.mu.Unlock()
		job.fn()
		c.mu.Lock()
		if c.pending[job.path]--; c.pending[job.path] == 0 {
			delete(c.pending, job.path)
		}
		c.idle.Broadcast()
	}
	c.running = false
	c.mu.Unlock()
}

// wait returns once no close of the file at path is queued or running.
func (c *closer) wait(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.pending[path] > 0 {
		c.idle.Wait()
	}
}

// drain returns once every queued close is done.
func (c *closer) drain() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.pending) > 0 {
		c.idle.Wait()
	}
}
