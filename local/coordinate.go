package local

import (
	"context"
	"errors"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/cinchdb/cinch/sqlite"
)

// Coordinated data-dependent changes (cluster mode, docs/cluster.md).
//
// On one machine a data-dependent change (a UNIQUE index, NOT NULL without
// a fill) is prepared on every tenant under the branch lock, committed if
// all accept it and undone on all if one refuses (branch.change). With an
// Owner the tenants are spread over processes, so the process that
// coordinates the change must own each tenant while it prepares it, and
// the decision must be one the whole cluster sees before any process
// records the change: the Owner implements Coordinator, and a change made
// under WithCoordination runs through it. Without that mark a
// data-dependent change is refused the same way by every process.

// Coordinator is implemented by an Owner whose tenants are spread over
// processes (package cluster).
type Coordinator interface {
	// Preparing is told, before any tenant is touched, what the change is
	// and how to undo it, so another process can undo it if this one dies.
	Preparing(ctx context.Context, p Prepared) error
	// Pull makes this process the tenant's owner, taking it from the
	// process that owns it.
	Pull(ctx context.Context, database, branch, tenant string) error
	// Decide records the outcome once every tenant accepted the change
	// (commit) or one refused it (after the undo). An error on commit means
	// the change was decided otherwise meanwhile: it is undone here.
	Decide(ctx context.Context, p Prepared, commit bool) error
}

// Prepared is a coordinated change being prepared: the change records it
// appends to the branch's history (one, or a merge's), the branch version
// they make, and the SQL that undoes a data-dependent one on a tenant.
type Prepared struct {
	Database       string         `json:"database"`
	Branch         string         `json:"branch"`
	Changes        []cinch.Change `json:"changes"`
	Version        int            `json:"version"`
	Inverse        []string       `json:"inverse,omitempty"`
	InverseRebuild bool           `json:"inverse_rebuild,omitempty"`
}

type coordinateKey struct{}

type changeIDKey struct{}

// changeIdentity is what WithChangeID sets.
type changeIdentity struct {
	id string
	at time.Time
}

// WithChangeID fixes the id and time of the schema change made with ctx:
// cluster mode makes every node record the same change record for one
// control entry (ids and times would differ if each node drew its own).
func WithChangeID(ctx context.Context, id string, at time.Time) context.Context {
	return context.WithValue(ctx, changeIDKey{}, changeIdentity{id, at})
}

// fixedChangeID returns the identity WithChangeID set, if any.
func fixedChangeID(ctx context.Context) (string, time.Time, bool) {
	v, ok := ctx.Value(changeIDKey{}).(changeIdentity)
	return v.id, v.at, ok && v.id != ""
}

// WithCoordination marks ctx: a data-dependent schema change made with it
// is coordinated through the Owner's Coordinator instead of being refused.
func WithCoordination(ctx context.Context) context.Context {
	return context.WithValue(ctx, coordinateKey{}, true)
}

func coordinating(ctx context.Context) bool { v, _ := ctx.Value(coordinateKey{}).(bool); return v }

// PlanProbe receives what a schema change would be; a change made with
// WithPlanProbe is planned and checked, then not made (its error is
// ErrProbed).
type PlanProbe struct {
	Planned       bool
	DataDependent bool
}

type probeKey struct{}

// WithPlanProbe marks ctx: a schema change made with it only fills probe.
func WithPlanProbe(ctx context.Context, probe *PlanProbe) context.Context {
	return context.WithValue(ctx, probeKey{}, probe)
}

// ErrProbed is the error of a schema change made under WithPlanProbe (a
// conflict for the API: the probe's answer is never sent anywhere, and is
// not an internal error in the server's log).
var ErrProbed = &cinch.Error{Err: cinch.ErrConflict, Message: "planned only: nothing was changed"}

// probed fills ctx's probe, if any, and reports whether the change must stop there.
func probed(ctx context.Context, p schema.Plan) bool {
	probe, _ := ctx.Value(probeKey{}).(*PlanProbe)
	if probe == nil {
		return false
	}
	probe.Planned, probe.DataDependent = true, p.DataDependent
	return true
}

// coordinated prepares a data-dependent change on every tenant of the
// branch through co (see Coordinator). Caller holds the branch lock.
func coordinated(ctx context.Context, b *branch, co Coordinator, next []cinch.Change, p schema.Plan) (cinch.Change, error) {
	ch := next[len(next)-1]
	prep := Prepared{Database: b.database, Branch: b.name, Changes: []cinch.Change{ch}, Version: len(next), Inverse: p.Inverse, InverseRebuild: p.InverseRebuild}
	if err := co.Preparing(ctx, prep); err != nil {
		return cinch.Change{}, err
	}
	names, err := servedNames(ctx, b)
	if err != nil {
		return cinch.Change{}, errors.Join(err, co.Decide(context.WithoutCancel(ctx), prep, false)) // nothing prepared yet
	}
	errs := b.parallel(ctx, names, func(name string) error {
		return onOwnedTenant(ctx, b, co, name, func(c *sqlite.Conn) error {
			_, err := c.Migrate(ctx, next)
			return err
		})
	})
	if len(errs) > 0 {
		// Decided "aborted" only once undone everywhere: a failed undo
		// leaves the change to the node that takes it over (Coordinator).
		if err := undoCoordinated(context.WithoutCancel(ctx), b, co, prep, names); err != nil {
			return cinch.Change{}, errors.Join(refused(errs, ch), err)
		}
		if err := co.Decide(context.WithoutCancel(ctx), prep, false); err != nil {
			return cinch.Change{}, errors.Join(refused(errs, ch), err)
		}
		return cinch.Change{}, refused(errs, ch)
	}
	if err := co.Decide(ctx, prep, true); err != nil {
		return cinch.Change{}, errors.Join(err, undoCoordinated(context.WithoutCancel(ctx), b, co, prep, names))
	}
	if err := b.commit(ctx, next); err != nil {
		return cinch.Change{}, err
	}
	b.p.gen.bumpSchema()
	return ch, nil
}

// servedNames lists the branch's tenants that are not archived.
func servedNames(ctx context.Context, b *branch) ([]string, error) {
	rows, err := b.reg.list(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rows {
		if !r.Archived {
			out = append(out, r.Name)
		}
	}
	return out, nil
}

// onOwnedTenant makes this process the tenant's owner (co.Pull) and runs fn
// on its writer; a tenant with no file (lazy) has nothing to prepare.
func onOwnedTenant(ctx context.Context, b *branch, co Coordinator, name string, fn func(*sqlite.Conn) error) error {
	if err := co.Pull(ctx, b.database, b.name, name); err != nil {
		return err
	}
	h, err := b.p.pool.acquire(ctx, b, name, "")
	if err != nil {
		return err
	}
	defer b.p.pool.release(h)
	h.initMu.Lock()
	lazy := h.lazy
	h.initMu.Unlock()
	if lazy {
		return nil
	}
	return h.useWriter(fn)
}

// undoCoordinated reverts the tenants the change was prepared on.
func undoCoordinated(ctx context.Context, b *branch, co Coordinator, prep Prepared, names []string) error {
	errs := b.parallel(ctx, names, func(name string) error {
		return onOwnedTenant(ctx, b, co, name, func(c *sqlite.Conn) error {
			return c.Revert(ctx, prep.Version, prep.Inverse, prep.InverseRebuild)
		})
	})
	return firstTenantError(errs, "undo the change on")
}

// coordinatedMerge merges changes into dst through co: every tenant of dst
// is pulled here and validated (nothing is written before the decision),
// the decision is recorded, then the history is committed and the tenants
// here are brought to it. Caller holds dst's lock.
func coordinatedMerge(ctx context.Context, dst *branch, co Coordinator, next, merged []cinch.Change, source string) error {
	prep := Prepared{Database: dst.database, Branch: dst.name, Changes: merged, Version: len(next)}
	if err := co.Preparing(ctx, prep); err != nil {
		return err
	}
	names, err := servedNames(ctx, dst)
	if err != nil {
		return errors.Join(err, co.Decide(context.WithoutCancel(ctx), prep, false))
	}
	errs := dst.parallel(ctx, names, func(name string) error {
		return onOwnedTenant(ctx, dst, co, name, func(c *sqlite.Conn) error { return c.Validate(ctx, next) })
	})
	if len(errs) > 0 {
		return errors.Join(refusedMerge(errs, source, dst.name), co.Decide(context.WithoutCancel(ctx), prep, false))
	}
	if err := co.Decide(ctx, prep, true); err != nil {
		return err
	}
	if err := dst.commit(ctx, next); err != nil {
		return err
	}
	dst.p.gen.bumpSchema()
	errs = dst.parallel(context.WithoutCancel(ctx), names, func(name string) error {
		return onOwnedTenant(context.WithoutCancel(ctx), dst, co, name, func(c *sqlite.Conn) error {
			_, err := c.Migrate(ctx, next)
			return err
		})
	})
	return firstTenantError(errs, "apply the merged changes to")
}
