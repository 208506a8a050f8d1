package local

import (
	"context"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// HandleStats reports on the pooled handle of d's tenant: whether one is
// open, the references held on it, and its reader connections (how many
// are open, and how many of those are idle rather than borrowed).
func HandleStats(d *DB) (open bool, refs, readers, idle int) {
	pl := d.p.pool
	pl.mu.Lock()
	h := pl.m[poolKey{d.target.Database, d.target.Branch, d.target.Tenant}]
	if h != nil {
		refs = h.refs
	}
	pl.mu.Unlock()
	if h == nil {
		return false, 0, 0, 0
	}
	h.rmu.Lock()
	defer h.rmu.Unlock()
	return true, refs, h.nReaders, len(h.idle)
}

// WriterSynchronous reads PRAGMA synchronous on the writer connection of
// d's open tenant (1 is NORMAL).
func WriterSynchronous(d *DB) (any, error) {
	pl := d.p.pool
	pl.mu.Lock()
	h := pl.m[poolKey{d.target.Database, d.target.Branch, d.target.Tenant}]
	pl.mu.Unlock()
	var v any
	err := h.useWriter(func(w *sqlite.Conn) error {
		res, err := w.Query(context.Background(), cinch.QueryOptions{}, "PRAGMA synchronous")
		if err == nil && len(res.Rows) == 1 {
			v = res.Rows[0][0]
		}
		return err
	})
	return v, err
}
