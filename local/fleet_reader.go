package local

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/cinchdb/cinch/sqlite"
)

// errNotQuiet is how a read under quietly says that what it read is to be
// dropped (the file is then read the normal way).
var errNotQuiet = errors.New("not read quietly")

// readerReads counts the fan-out reads a Reader answered, in the whole
// process (for tests: which statements take this path).
var readerReads atomic.Int64

// readers are the sqlite.Readers of one fan-out: at most one per worker
// in use at a time, opened on first need, reused across tenants (a
// Reader attaches each tenant file in turn instead of opening a
// connection per tenant), closed when the fan-out ends.
type readers struct {
	opts sqlite.Options
	mu   sync.Mutex
	free []*sqlite.Reader
	all  []*sqlite.Reader
	off  bool // opening one failed: this fan-out reads the old way
}

// get returns an idle Reader, opening one if none is idle; nil when none
// can be had.
func (rs *readers) get(ctx context.Context) *sqlite.Reader {
	rs.mu.Lock()
	if n := len(rs.free); n > 0 {
		r := rs.free[n-1]
		rs.free = rs.free[:n-1]
		rs.mu.Unlock()
		return r
	}
	off := rs.off
	rs.mu.Unlock()
	if off {
		return nil
	}
	r, err := sqlite.OpenReader(ctx, rs.opts)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if err != nil {
		rs.off = true
		return nil
	}
	rs.all = append(rs.all, r)
	return r
}

// put gives a Reader back for the next tenant; a broken one is dropped.
func (rs *readers) put(r *sqlite.Reader) {
	if r.Broken() {
		return
	}
	rs.mu.Lock()
	rs.free = append(rs.free, r)
	rs.mu.Unlock()
}

// close closes every Reader of the fan-out.
func (rs *readers) close() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, r := range rs.all {
		r.Close()
	}
	rs.all, rs.free = nil, nil
}
