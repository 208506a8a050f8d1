package local

import (
	"context"

	"github.com/cinchdb/cinch"
)

// Check converges and checks tenants: each named tenant (every tenant of
// the branch when none is named) is brought to the branch's schema
// version, then PRAGMA integrity_check runs on it. A tenant that stays
// behind or ahead of the branch is reported as drift.
func (f fleet) Check(ctx context.Context, opts cinch.FleetOptions) ([]cinch.TenantCheck, error) {
	d, names := f.d, opts.Tenants
	b, err := d.branch(ctx)
	if err != nil {
		return nil, err
	}
	// Taking the branch lock finishes (or undoes) an operation a crashed
	// process left in the journal, as the rollout error hints promise, and
	// sweeps leftovers of killed processes that no journal names.
	if err := b.converge(ctx); err != nil {
		return nil, err
	}
	if len(names) == 0 {
		rows, err := b.reg.list(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			names = append(names, r.Name)
		}
	}
	out := make([]cinch.TenantCheck, 0, len(names))
	for _, name := range names {
		if err := cinch.ValidateTenantName(name); err != nil {
			return nil, err
		}
		row, found, err := b.reg.get(ctx, name)
		if err != nil {
			return nil, err
		} else if !found {
			return nil, notFoundTenant(name)
		}
		out = append(out, f.checkTenant(ctx, b, row))
		if opts.Progress != nil {
			opts.Progress(len(out), len(names))
		}
	}
	return out, nil
}
