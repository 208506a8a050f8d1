package local

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
