package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sort"
	"sync"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/cinchdb/cinch/sqlite"
	"github.com/google/uuid"
)

// journal is journal.json: the one multi-step operation in flight on a
// branch, written before the first step and removed after the last, so the
// next process to take the branch lock can finish or undo it. See
// docs/design.md for each case.
type journal struct {
	Op string `json:"op"` // "prepare", "apply", "rename", "delete"
	// prepare/apply: the version being rolled out and, for prepare, how to undo it.
	Version        int          `json:"version,omitempty"`
	Change         cinch.Change `json:"change,omitzero"`
	Inverse        []string     `json:"inverse,omitempty"`
	InverseRebuild bool         `json:"inverse_rebuild,omitempty"`
	// rename/delete/rotate: the tenants involved.
	Tenant  string `json:"tenant,omitempty"`
	NewName string `json:"new_name,omitempty"`
	// rotate: the new KDF salt (not secret; the key is never written).
	Salt []byte `json:"salt,omitempty"`
}

func (b *branch) journalPath() string { return journalFile(b.dir) }

func (b *branch) writeJournal(j journal) error {
	return diskFull(writeJSON(b.journalPath(), j), "", fmt.Sprintf("branch %q", b.name))
}

func (b *branch) clearJournal() error {
	err := os.Remove(b.journalPath())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return sqlite.SyncDir(b.dir)
}

// recover finishes or undoes the operation a crashed process left in the
// journal. Caller holds the branch lock and has refreshed the state.
func (b *branch) recover(ctx context.Context) error {
	var j journal
	if err := readJSON(b.journalPath(), &j); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	b.p.log.Info("recovering interrupted operation", "database", b.database, "branch", b.name, "op", j.Op)
	switch j.Op {
	case "prepare":
		if b.version() >= j.Version {
			// The change was committed before the crash: roll forward.
			if err := b.rollForward(ctx); err != nil {
				return err
			}
		} else if err := b.undo(ctx, j); err != nil {
			return err
		}
	case "apply":
		if err := b.rollForward(ctx); err != nil {
			return err
		}
	case "rename":
		// Roll forward: the registry row first (the crash may have come
		// before it moved), then the file, so the row and file agree.
		if _, found, err := b.reg.get(ctx, j.Tenant); err != nil {
			return err
		} else if found {
			if _, taken, err := b.reg.get(ctx, j.NewName); err != nil {
				return err
			} else if !taken {
				if err := b.reg.rename(ctx, j.Tenant, j.NewName); err != nil {
					return err
				}
			}
		}
		oldPath, newPath := b.tenantPath(j.Tenant), b.tenantPath(j.NewName)
		if exists(oldPath) && !exists(newPath) {
			if err := renameTenantFile(ctx, oldPath, newPath); err != nil {
				return err
			}
		}
	case "delete":
		if err := sqlite.RemoveDB(b.tenantPath(j.Tenant)); err != nil {
			return err
		}
		if err := b.reg.remove(ctx, j.Tenant); err != nil {
			return err
		}
	case "rotate":
		if err := b.recoverRotate(ctx, j); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: unknown operation %q in %s", cinch.ErrInternal, j.Op, b.journalPath())
	}
	if err := b.sweep(ctx); err != nil {
		return err
	}
	return b.clearJournal()
}

// materialized returns the registered tenants that have a file.
//
// Encrypted tenants are left out unless withEncrypted: a rollout cannot
// open them without their keys, which cinch never stores. They carry their
// schema version and catch up the next time they are opened with their key
// (see docs/design.md, "Encryption at rest").
func (b *branch) materialized(ctx context.Context, withEncrypted bool) ([]string, error) {
	rows, err := b.reg.list(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rows {
		if !r.Archived && (withEncrypted || !r.Encrypted) && exists(b.tenantPath(r.Name)) {
			out = append(out, r.Name)
		}
	}
	return out, nil
}

// forEachTenant runs fn on every materialized tenant with bounded
// parallelism, and returns the errors by tenant. A tenant open in this
// process is worked on through its pooled writer; others get a short-lived
// connection, so a rollout does not evict the hot handles.
func (b *branch) forEachTenant(ctx context.Context, names []string, fn func(c *sqlite.Conn) error) map[string]error {
	return b.parallel(ctx, names, func(name string) error {
		return b.p.pool.withWriter(ctx, b, name, "", fn)
	})
}

// parallel runs fn for every name on a few workers and returns the errors
// by name.
func (b *branch) parallel(ctx context.Context, names []string, fn func(name string) error) map[string]error {
	workers := min(4*runtime.GOMAXPROCS(0), 16) // rollouts wait on fsync more than on CPU
	var (
		mu   sync.Mutex
		errs = map[string]error{}
		next = make(chan string)
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range next {
				if err := fn(name); err != nil {
					mu.Lock()
					errs[name] = err
					mu.Unlock()
				}
			}
		}()
	}
	for _, n := range names {
		if ctx.Err() != nil {
			mu.Lock()
			errs[n] = cinch.Errorf(cinch.ErrCanceled, "canceled before tenant %q", n)
			mu.Unlock()
			continue
		}
		next <- n
	}
	close(next)
	wg.Wait()
	return errs
}

// rollForward brings every materialized tenant to the branch version.
// Caller holds the branch lock.
func (b *branch) rollForward(ctx context.Context) error {
	names, err := b.materialized(ctx, false)
	if err != nil {
		return err
	}
	changes, _, err := b.state(ctx)
	if err != nil {
		return err
	}
	errs := b.forEachTenant(ctx, names, func(c *sqlite.Conn) error {
		_, err := c.Migrate(ctx, changes)
		return err
	})
	return firstTenantError(errs, "apply the schema to")
}

// undo reverts tenants a crashed prepare left ahead. Caller holds the lock.
func (b *branch) undo(ctx context.Context, j journal) error {
	names, err := b.materialized(ctx, false)
	if err != nil {
		return err
	}
	errs := b.forEachTenant(ctx, names, func(c *sqlite.Conn) error {
		return c.Revert(ctx, j.Version, j.Inverse, j.InverseRebuild)
	})
	return firstTenantError(errs, "undo the interrupted change on")
}

func firstTenantError(errs map[string]error, what string) error {
	if len(errs) == 0 {
		return nil
	}
	if err := tenantsDiskFull(errs, what, "free disk space; the next operation on this branch (a tenant check, for one) finishes the change; nothing was lost"); err != nil {
		return err
	}
	names := make([]string, 0, len(errs))
	for n := range errs {
		names = append(names, n)
	}
	sort.Strings(names)
	err := errs[names[0]]
	more := ""
	if len(names) > 1 {
		more = fmt.Sprintf(" (and %d more tenants)", len(names)-1)
	}
	return &cinch.Error{Err: errors.Join(cinch.ErrRolloutFailed, err),
		Message: fmt.Sprintf("could not %s tenant %q%s: %v", what, names[0], more, err),
		Hint:    "fix the cause; the next operation on this branch (a tenant check, for one) finishes the change"}
}

// change makes one tracked schema change: plan it against the current
// model, check it on the template, then roll it out (docs/design.md):
//
//   - a change that cannot fail on data is committed to changes.json first
//     and then applied to every tenant (roll forward; a crash is finished by
//     the next command, and every tenant also catches up when opened);
//   - a data-dependent change is prepared on every tenant first, committed
//     only if all accept it, and undone on all if one refuses.
func (b *branch) change(ctx context.Context, plan func(*schema.Schema) (schema.Plan, error)) (_ cinch.Change, err error) {
	defer func() { err = diskFull(err, b.dir, fmt.Sprintf("branch %q", b.name)) }()
	unlock, err := b.lock(ctx)
	if err != nil {
		return cinch.Change{}, err
	}
	defer unlock()
	changes, schema, err := b.state(ctx)
	if err != nil {
		return cinch.Change{}, err
	}
	p, err := plan(schema)
	if err != nil {
		return cinch.Change{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return cinch.Change{}, err
	}
	ch := p.Change
	ch.ID = id.String()
	ch.Timestamp = b.p.now().UTC().Truncate(1e6)
	next := append(append([]cinch.Change{}, changes...), ch)

	if err := b.checkOnTemplate(ctx, next); err != nil {
		return cinch.Change{}, err
	}
	names, err := b.materialized(ctx, false)
	if err != nil {
		return cinch.Change{}, err
	}
	migrate := func(c *sqlite.Conn) error {
		_, err := c.Migrate(ctx, next)
		return err
	}
	if p.DataDependent {
		j := journal{Op: "prepare", Version: len(next), Change: ch, Inverse: p.Inverse, InverseRebuild: p.InverseRebuild}
		if err := b.writeJournal(j); err != nil {
			return cinch.Change{}, err
		}
		if errs := b.forEachTenant(ctx, names, migrate); len(errs) > 0 {
			// Undo on a context that outlives a canceled request.
			if err := b.undo(context.WithoutCancel(ctx), j); err != nil {
				return cinch.Change{}, err // journal stays: the next command retries the undo
			}
			b.clearJournal()
			return cinch.Change{}, refused(errs, ch)
		}
		if err := b.commit(ctx, next); err != nil {
			return cinch.Change{}, err
		}
		return ch, b.clearJournal()
	}
	return ch, b.rollForwardTo(ctx, next, names)
}

// rollForwardTo commits next (a history extending the current one) and
// applies it to the named tenants. The journal is written before the commit
// point, so a crash anywhere after it is finished by the next command.
func (b *branch) rollForwardTo(ctx context.Context, next []cinch.Change, names []string) error {
	if err := b.writeJournal(journal{Op: "apply", Version: len(next)}); err != nil {
		return err
	}
	if err := b.commit(ctx, next); err != nil {
		b.clearJournal()
		return err
	}
	migrate := func(c *sqlite.Conn) error {
		_, err := c.Migrate(ctx, next)
		return err
	}
	if errs := b.forEachTenant(context.WithoutCancel(ctx), names, migrate); len(errs) > 0 {
		return firstTenantError(errs, "apply the change to")
	}
	return b.clearJournal()
}

// refused is the error of a data-dependent change some tenant refused.
func refused(errs map[string]error, ch cinch.Change) error {
	if err := tenantsDiskFull(errs, fmt.Sprintf("apply %s %s to", ch.Type, ch.Entity), sqlite.HintDiskFull); err != nil {
		return err // the change was undone everywhere
	}
	names := make([]string, 0, len(errs))
	for n := range errs {
		names = append(names, n)
	}
	sort.Strings(names)
	err := errs[names[0]]
	var ce *cinch.Error
	msg := err.Error()
	if errors.As(err, &ce) {
		msg = ce.Message
	}
	more := ""
	if len(names) > 1 {
		more = fmt.Sprintf(" (%d tenants refused: %v)", len(names), names)
	}
	return &cinch.Error{Err: errors.Join(cinch.ErrRolloutFailed, cinch.ErrConstraint),
		Message: fmt.Sprintf("%s %s would fail on tenant %q: %s%s; nothing was changed", ch.Type, ch.Entity, names[0], msg, more),
		Hint:    "fix that tenant's data (or give a fill value) and try again"}
}

// checkOnTemplate applies the new history to the template inside a
// transaction and rolls it back: SQL errors (a view over a missing
// column, ...) surface here, before any tenant is touched.
func (b *branch) checkOnTemplate(ctx context.Context, next []cinch.Change) error {
	probe, err := sqlite.Open(ctx, "", sqlite.Options{Memory: true})
	if err != nil {
		return err
	}
	defer probe.Close()
	if _, err := probe.Migrate(ctx, next); err != nil {
		var ce *cinch.Error
		if errors.As(err, &ce) {
			return &cinch.Error{Err: cinch.ErrInvalidInput, Message: ce.Message, Hint: "nothing was changed"}
		}
		return err
	}
	return probe.CheckViews(ctx)
}
