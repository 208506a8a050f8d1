package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/cinchdb/cinch/sqlite"
)

// branches is the handle's cinch.BranchService: the branches of its
// database.
type branches struct{ d *DB }

var _ cinch.BranchService = branches{}

func (s branches) db() string { return s.d.target.Database }

func (s branches) List(ctx context.Context) ([]cinch.BranchInfo, error) {
	return s.d.p.Branches(ctx, s.db())
}

func (s branches) Info(ctx context.Context, name string) (cinch.BranchInfo, error) {
	return s.d.p.BranchInfo(ctx, s.db(), name)
}

func (s branches) Changes(ctx context.Context, name string) ([]cinch.Change, error) {
	if err := cinch.ValidateBranchName(name); err != nil {
		return nil, err
	}
	return s.d.SwitchBranch(name).Changes(ctx)
}

// Create copies branch from into a new branch: changes.json, the registry
// and every materialized tenant through the backup API (each tenant is one
// consistent snapshot; the source keeps serving reads and writes). The
// source's branch lock is held, so its schema and tenant set do not move
// during the copy. The new branch is built in a staging folder of its own
// and published complete (staging.go), so a crash leaves no half branch,
// and of two racing creates of one name (from any sources, in this
// process or another) exactly one wins; the others get ErrBranchExists.
func (s branches) Create(ctx context.Context, name, from string) (_ cinch.BranchInfo, err error) {
	defer func() { err = diskFull(err, s.d.p.dbDir(s.db()), fmt.Sprintf("branch %q", name)) }()
	if from == "" {
		from = cinch.DefaultBranch
	}
	if err := cinch.ValidateBranchName(name); err != nil {
		return cinch.BranchInfo{}, err
	}
	if err := cinch.ValidateBranchName(from); err != nil {
		return cinch.BranchInfo{}, err
	}
	p := s.d.p
	src, err := p.branch(ctx, s.db(), from)
	if err != nil {
		return cinch.BranchInfo{}, err
	}
	final := p.branchDir(s.db(), name)
	taken := func() error { return cinch.Exists(cinch.ErrBranchExists, "branch", name) }
	if exists(final) {
		return cinch.BranchInfo{}, taken()
	}
	unlock, err := src.lock(ctx)
	if err != nil {
		return cinch.BranchInfo{}, err
	}
	defer unlock()
	changes, _, err := src.state(ctx)
	if err != nil {
		return cinch.BranchInfo{}, err
	}
	st, err := stage(final)
	if err != nil {
		return cinch.BranchInfo{}, err
	}
	fail := func(err error) (cinch.BranchInfo, error) {
		st.abort()
		return cinch.BranchInfo{}, err
	}
	tmp := st.dir
	if err := os.Mkdir(tenantsDir(tmp), 0o755); err != nil {
		return fail(err)
	}
	meta := Metadata{Name: name, Database: s.db(), Parent: from, CreatedAt: p.now().UTC().Truncate(1e6)}
	if len(changes) > 0 {
		meta.ParentChange = changes[len(changes)-1].ID
	}
	if err := writeJSON(metadataFile(tmp), meta); err != nil {
		return fail(err)
	}
	if err := writeJSON(changesFile(tmp), changes); err != nil {
		return fail(err)
	}
	if err := src.reg.backup(ctx, registryFile(tmp)); err != nil {
		return fail(err)
	}
	names, err := src.materialized(ctx, true)
	if err != nil {
		return fail(err)
	}
	errs := src.parallel(ctx, names, func(name string) error {
		// An encrypted tenant is copied with the handle's key (WithKey),
		// and stays encrypted under it.
		opts := p.connOptions()
		if row, _, err := src.reg.get(ctx, name); err != nil {
			return err
		} else if opts.Key, err = p.tenantKey(row, s.d.key); err != nil {
			return err
		}
		c, err := sqlite.Open(ctx, src.tenantPath(name), opts)
		if err != nil {
			return err
		}
		defer c.Close()
		dst := tenantFile(tmp, name)
		if err := c.BackupToTemp(ctx, tempFile(dst), opts.Key); err != nil {
			return err
		}
		return sqlite.Publish(tempFile(dst), dst)
	})
	if len(errs) > 0 {
		return fail(firstTenantError(errs, "copy"))
	}
	if err := st.publish(p, taken, func() error { return notFoundDatabase(s.db()) }); err != nil {
		return fail(err)
	}
	st.release()
	return p.BranchInfo(ctx, s.db(), name)
}

// Delete removes a branch; main and the active branch are protected.
func (s branches) Delete(ctx context.Context, name string) error {
	if err := cinch.ValidateBranchName(name); err != nil {
		return err
	}
	p := s.d.p
	if name == cinch.DefaultBranch {
		return &cinch.Error{Err: cinch.ErrProtected, Message: "branch \"main\" cannot be deleted", Hint: "every database keeps its main branch"}
	}
	if set, err := p.Settings(); err == nil && set.ActiveDatabase == s.db() && set.ActiveBranch == name {
		return &cinch.Error{Err: cinch.ErrProtected, Message: fmt.Sprintf("branch %q is the active branch", name),
			Hint: "switch to another branch first"}
	}
	b, err := p.branch(ctx, s.db(), name)
	if err != nil {
		return err
	}
	// Rename out of the way first (atomic), then remove at leisure; a
	// kill in between leaves the trash folder for the sweep (staging.go).
	// Locks in the order Create takes them: branch, then staging.
	trash, err := trashName(b.dir)
	if err != nil {
		return err
	}
	unlock, err := b.lock(ctx)
	if err != nil {
		return err
	}
	held, err := holdStaging(filepath.Dir(trash))
	if err != nil {
		unlock()
		return err
	}
	defer held.Unlock()
	err = os.Rename(b.dir, trash)
	unlock()
	if err != nil {
		return err
	}
	p.pool.closeBranch(b)
	p.gen.bump()
	p.forgetBranch(s.db(), name)
	return os.RemoveAll(trash)
}

// Merge applies source's changes since the common ancestor to target.
//
// Histories are compared by change id (a branch copies its parent's
// records, ids included, and merged changes keep their ids), so the
// ancestor is the longest common prefix and each side's own changes are
// those the other side lacks. Changes made identically on both sides are
// applied once. Two changes conflict when they write the same entity
// (table, column, view, index), or one rewrites a whole table (create,
// drop, rename) the other touches, or one changes a column the other's
// index or foreign key reads. Source changes are then planned again
// against target's schema (a rebuild's SQL depends on the table as it is
// there) and must pass the template check. The rollout validates every
// target tenant (each migrates in a transaction that is rolled back)
// before the commit point, then rolls forward like any change.
func (s branches) Merge(ctx context.Context, source, target string, dryRun bool) (_ cinch.MergeResult, err error) {
	defer func() { err = diskFull(err, s.d.p.dbDir(s.db()), fmt.Sprintf("branch %q", target)) }()
	if target == "" {
		target = cinch.DefaultBranch
	}
	for _, n := range []string{source, target} {
		if err := cinch.ValidateBranchName(n); err != nil {
			return cinch.MergeResult{}, err
		}
	}
	res := cinch.MergeResult{Source: source, Target: target, DryRun: dryRun, Changes: []cinch.Change{}}
	if source == target {
		return res, cinch.Errorf(cinch.ErrInvalidInput, "cannot merge branch %q into itself", source).WithHint("name another target branch")
	}
	p := s.d.p
	src, err := p.branch(ctx, s.db(), source)
	if err != nil {
		return res, err
	}
	dst, err := p.branch(ctx, s.db(), target)
	if err != nil {
		return res, err
	}
	unlock, err := dst.tryLock(ctx)
	if err != nil {
		return res, err
	}
	defer unlock()
	srcChanges, _, err := src.state(ctx)
	if err != nil {
		return res, err
	}
	dstChanges, dstSchema, err := dst.state(ctx)
	if err != nil {
		return res, err
	}
	plan, err := schema.PlanMerge(srcChanges, dstChanges, dstSchema, source)
	res.Ancestor, res.FastForward, res.Conflicts = plan.Ancestor, plan.FastForward, plan.Conflicts
	if err != nil {
		return res, err
	}
	res.Changes = plan.Changes
	names, err := dst.materialized(ctx, false)
	if err != nil {
		return res, err
	}
	res.Tenants = len(names)
	if dryRun || len(plan.Changes) == 0 {
		return res, nil
	}
	next := append(slices.Clone(dstChanges), plan.Changes...)
	if err := dst.checkOnTemplate(ctx, next); err != nil {
		return res, err
	}
	if co, ok := p.cfg.Owner.(Coordinator); ok && coordinating(ctx) {
		return res, coordinatedMerge(ctx, dst, co, next, plan.Changes, source)
	} else if p.cfg.Owner != nil {
		// Cluster mode, not coordinated: the target's tenants are spread
		// over nodes; every node refuses it the same way.
		return res, &cinch.Error{Err: cinch.ErrNotImplemented, Message: "a merge in a cluster must be coordinated by the node that received it: nothing was changed",
			Hint: "send the merge to the cluster's HTTP API"}
	}
	// Validate on every tenant before anything is committed.
	errs := dst.forEachTenant(ctx, names, func(c *sqlite.Conn) error { return c.Validate(ctx, next) })
	if len(errs) > 0 {
		return res, refusedMerge(errs, source, target)
	}
	if err := dst.rollForwardTo(ctx, next, names); err != nil {
		return res, err
	}
	return res, nil
}

func refusedMerge(errs map[string]error, source, target string) error {
	if err := tenantsDiskFull(errs, fmt.Sprintf("merge %q into %q on", source, target), sqlite.HintDiskFull); err != nil {
		return err // validation only: nothing was changed
	}
	names := make([]string, 0, len(errs))
	for n := range errs {
		names = append(names, n)
	}
	sort.Strings(names)
	return &cinch.Error{Err: errors.Join(cinch.ErrRolloutFailed, cinch.ErrConstraint),
		Message: fmt.Sprintf("merging %q into %q would fail on tenant %q: %v; nothing was changed", source, target, names[0], errs[names[0]]),
		Hint:    "fix that tenant's data on the target branch and merge again"}
}
