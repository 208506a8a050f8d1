package local

import "context"

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
