package local

import (
	"context"
	"fmt"
	"time"
)

// A schema change that cannot fail on data returns at its commit point
// (branch.change): the tenants open in the process are migrated, every
// other one stays behind until it is next opened. This file brings behind
// tenants up to date without waiting for that: one pass over a branch
// (convergeBranch, for Project.Converge and DB.MigrateTenants), the count
// of tenants behind (for branch info, tenant list and metrics), and the
// loop a server runs in the background (runConverger).

// ConvergeOptions tune Project.Converge and Project.RunConverger.
type ConvergeOptions struct {
	// Filter, when set, picks the tenants this process converges; a
	// cluster node passes the tenants it owns. Nil: every tenant.
	Filter func(database, branch, tenant string) bool
	// Progress, when set, is called after each tenant migrated (or
	// failed) with the number done and the total of one pass; calls do not
	// overlap.
	Progress func(done, total int)
}

// ConvergeResult is what one pass of Project.Converge did.
type ConvergeResult struct {
	Behind   int // materialized tenants found behind their branch (and picked by the filter)
	Migrated int // of those, brought to their branch's schema
	// Failed holds the tenants that could not be migrated, by
	// "database/branch/tenant", with the reason. Encrypted tenants are
	// never migrated here (their key is not known): they are counted in
	// Behind, and catch up when next opened with their key.
	Failed map[string]error
}

// convergeChunk is how many tenants one hold of the branch lock migrates:
// the lock keeps deletes and renames away from the files being migrated,
// and is released between chunks so other structural work is not held up
// for a whole pass.
const convergeChunk = 256

// behindTenants lists the materialized, served tenants of b whose file is
// behind the branch's history, by name, with the encrypted ones apart (they
// cannot be opened without their key). The version of an encrypted tenant
// is the one last seen (the registry's).
func behindTenants(ctx context.Context, b *branch) (plain, encrypted []string, err error) {
	changes, _, err := b.state(ctx)
	if err != nil {
		return nil, nil, err
	}
	rows, err := b.reg.list(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rows {
		if r.Archived {
			continue
		}
		path := b.tenantPath(r.Name)
		v := fileVersion(path)
		if v < 0 {
			continue // lazy: no file, reads the template
		}
		if r.Encrypted {
			if r.Version < len(changes) {
				encrypted = append(encrypted, r.Name)
			}
			continue
		}
		if v < len(changes) {
			plain = append(plain, r.Name)
		}
	}
	return plain, encrypted, nil
}

// behindCount is the number of tenants of b behind its history.
func behindCount(ctx context.Context, b *branch) (int, error) {
	plain, enc, err := behindTenants(ctx, b)
	return len(plain) + len(enc), err
}

// convergeBranch migrates the behind tenants of b that pick accepts (nil:
// all) to the branch's history, convergeChunk at a time under the branch
// lock, and reports what it did. Errors by tenant name are in the result;
// the error returned is one that stopped the pass (the lock, the registry,
// a canceled ctx).
func convergeBranch(ctx context.Context, b *branch, pick func(tenant string) bool, progress func(done, total int)) (res ConvergeResult, errs map[string]error, err error) {
	plain, enc, err := behindTenants(ctx, b)
	if err != nil {
		return res, nil, err
	}
	var todo []string
	for _, n := range plain {
		if pick == nil || pick(n) {
			todo = append(todo, n)
		}
	}
	for _, n := range enc {
		if pick == nil || pick(n) {
			res.Behind++
		}
	}
	res.Behind += len(todo)
	errs = map[string]error{}
	done := 0
	step := func(d, _ int) {
		if progress != nil {
			progress(done+d, len(todo))
		}
	}
	for start := 0; start < len(todo); start += convergeChunk {
		if err := ctx.Err(); err != nil {
			return res, errs, err
		}
		chunk := todo[start:min(start+convergeChunk, len(todo))]
		unlock, err := b.lock(ctx)
		if err != nil {
			return res, errs, err
		}
		changes, _, err := b.state(ctx)
		if err != nil {
			unlock()
			return res, errs, err
		}
		// A tenant deleted (or renamed, or archived) since the list was read
		// is skipped: its path would otherwise be created anew by opening it.
		var live []string
		for _, n := range chunk {
			if row, found, err := b.reg.get(ctx, n); err == nil && found && !row.Archived && exists(b.tenantPath(n)) {
				live = append(live, n)
			}
		}
		for n, e := range b.migrateTenants(ctx, live, changes, true, step) {
			errs[n] = e
		}
		unlock()
		done += len(chunk)
		res.Migrated += len(live)
	}
	res.Migrated -= len(errs)
	return res, errs, nil
}

// converge is one pass of Project.Converge over every branch of every
// database.
func converge(ctx context.Context, p *Project, opts ConvergeOptions) (ConvergeResult, error) {
	total := ConvergeResult{Failed: map[string]error{}}
	dbs, err := p.Databases(ctx)
	if err != nil {
		return total, err
	}
	for _, db := range dbs {
		for _, br := range db.Branches {
			b, err := p.branch(ctx, db.Name, br)
			if err != nil {
				continue // deleted meanwhile, or unreadable (its own commands say why)
			}
			var pick func(string) bool
			if opts.Filter != nil {
				pick = func(t string) bool { return opts.Filter(db.Name, br, t) }
			}
			res, errs, err := convergeBranch(ctx, b, pick, opts.Progress)
			total.Behind += res.Behind
			total.Migrated += res.Migrated
			for n, e := range errs {
				total.Failed[fmt.Sprintf("%s/%s/%s", db.Name, br, n)] = e
			}
			if err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// runConverger runs converge passes until ctx is done: one at the start,
// then one whenever the schema generation moved (a schema change in any
// process) and, while a pass left tenants it could not migrate, one every
// retry. It polls the generation every poll (one atomic load).
func runConverger(ctx context.Context, p *Project, opts ConvergeOptions, poll, retry time.Duration) {
	seen := ^uint64(0) // forces the first pass
	var lastTry time.Time
	failed := false
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		g := p.gen.loadSchema()
		if g != seen || (failed && time.Since(lastTry) >= retry) {
			seen, lastTry = g, time.Now()
			res, err := converge(ctx, p, opts)
			if ctx.Err() != nil {
				return
			}
			failed = err != nil || len(res.Failed) > 0
			if res.Migrated > 0 || failed {
				p.log.Info("converged tenants behind their branch", "migrated", res.Migrated, "behind", res.Behind,
					"failed", len(res.Failed), "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
