package local

import "sync"

// closer closes the handles the pool retires (beyond its count bound,
// after a shared generation bump, on a branch delete) off the path of the
// caller that retired them, each on a goroutine of its own, and keeps
// count of them by tenant file: forget (before a tenant file is moved or
// removed) and closeBranch wait until that file's closes are done, so no
// late close checkpoints and removes the -wal of whatever is at the path
// then; drain (Project.Close, Settle) waits for all of them. (trim's
// evictions close on the caller's path: the memory bound holds when that
// call returns.)
type closer struct {
	mu      sync.Mutex
	pending map[string]int // closes running, by file
	idle    *sync.Cond     // signaled when a close finishes
}

// add runs fn, which closes connections of the file at path, on a
// goroutine of its own.
func (c *closer) add(path string, fn func()) {
	c.mu.Lock()
	if c.pending == nil {
		c.pending = map[string]int{}
		c.idle = sync.NewCond(&c.mu)
	}
	c.pending[path]++
	c.mu.Unlock()
	go func() {
		fn()
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.pending[path]--; c.pending[path] == 0 {
			delete(c.pending, path)
		}
		c.idle.Broadcast()
	}()
}

// wait returns once no close of the file at path is running.
func (c *closer) wait(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.pending[path] > 0 {
		c.idle.Wait()
	}
}

// drain returns once every close is done.
func (c *closer) drain() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.pending) > 0 {
		c.idle.Wait()
	}
}
