package local

import (
	"context"
	"errors"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// Owner is told which tenant files the process opens (Config.Owner). In
// cluster mode it is package cluster: Acquire makes this node the tenant's
// owner (lease, local file rebuilt from the cluster's log, every later
// commit sent to that log) before the file is looked at, and Release gives
// the tenant up once its handle is closed. A tenant the Owner refuses
// cannot be opened here (cinch.ErrNotOwner: another node serves it).
type Owner interface {
	Acquire(ctx context.Context, database, branch, tenant, path string) error
	Release(database, branch, tenant, path string)
}

// TenantRegistered reports whether a branch's registry lists the tenant;
// false, nil when the database or branch does not exist (cluster mode asks
// before applying a registry change, to know whether it creates a tenant).
func (p *Project) TenantRegistered(ctx context.Context, database, branch, tenant string) (bool, error) {
	b, err := p.branch(ctx, database, branch)
	if errors.Is(err, cinch.ErrDatabaseNotFound) || errors.Is(err, cinch.ErrBranchNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	_, found, err := b.reg.get(ctx, tenant)
	return found, err
}

// TenantFilePath is where a tenant's file is, or would be once written.
func (p *Project) TenantFilePath(ctx context.Context, database, branch, tenant string) (string, error) {
	if err := cinch.ValidateTenantName(tenant); err != nil {
		return "", err
	}
	return tenantFile(p.branchDir(database, branch), tenant), nil
}

// BackupTenant writes a consistent copy of a tenant's file to dst (a new
// file), through the tenant's handle: with Config.Owner the process becomes
// the tenant's owner first. lazy: the tenant has no file and dst is not
// written. Encrypted tenants are refused (their key is not given here).
func (p *Project) BackupTenant(ctx context.Context, database, branch, tenant, dst string) (lazy bool, err error) {
	b, err := p.branch(ctx, database, branch)
	if err != nil {
		return false, err
	}
	h, err := p.pool.acquire(ctx, b, tenant, "")
	if err != nil {
		return false, err
	}
	defer p.pool.release(h)
	h.initMu.Lock()
	lazy = h.lazy
	h.initMu.Unlock()
	if lazy {
		return true, nil
	}
	if h.dk != nil {
		return false, cinch.Errorf(cinch.ErrNotImplemented, "tenant %q is encrypted: it cannot be copied this way", tenant)
	}
	return false, h.useWriter(func(w *sqlite.Conn) error { return w.BackupToTemp(ctx, dst, nil) })
}

// TenantNames lists a branch's tenants by name (cluster mode splits a fleet
// operation into one request per tenant); archived ones only when asked.
func (p *Project) TenantNames(ctx context.Context, database, branch string, archived bool) ([]string, error) {
	b, err := p.branch(ctx, database, branch)
	if err != nil {
		return nil, err
	}
	rows, err := b.reg.list(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		if archived || !r.Archived {
			out = append(out, r.Name)
		}
	}
	return out, nil
}
