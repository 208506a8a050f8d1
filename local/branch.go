package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/cinchdb/cinch/sqlite"
	"github.com/gofrs/flock"
	"github.com/google/uuid"
)

// Metadata is metadata.json: facts about a branch.
type Metadata struct {
	Name         string    `json:"name"`
	Database     string    `json:"database"`
	Parent       string    `json:"parent,omitempty"`
	ParentChange string    `json:"parent_change,omitempty"` // last change shared with the parent
	CreatedAt    time.Time `json:"created_at"`
}

// branch is the in-process state of one branch: its change history, the
// schema model and an in-memory template database built from it, the
// tenant registry and the cross-process lock. It is loaded once and
// refreshed when changes.json changes on disk.
type branch struct {
	p        *Project
	database string
	name     string
	dir      string

	lockMu sync.Mutex   // in-process half of the branch lock
	flock  *flock.Flock // cross-process half

	reg *registry

	mu       sync.Mutex // guards the fields below and the template connection
	sig      fileSig
	changes  []cinch.Change
	schema   *schema.Schema
	template *sqlite.Conn
	seed     []byte // a new tenant file's bytes at seedFor (seedBytes)
	seedFor  string // the history seed was made for: its length and last change id

	spares spares // ready-made new tenant files (spares.go)
}

// --- The branch lock ---

// lock takes the branch lock: in-process mutex, then the file lock. All
// structural work (schema changes, tenant create/copy/rename/delete,
// materializing a lazy tenant) happens under it, and it first finishes
// whatever a crashed process left in the journal.
func (b *branch) lock(ctx context.Context) (unlock func(), err error) {
	b.lockMu.Lock()
	if err := b.flock.Lock(); err != nil {
		b.lockMu.Unlock()
		return nil, fmt.Errorf("%w: lock %s: %v", cinch.ErrInternal, b.flock.Path(), err)
	}
	return b.locked(ctx)
}

// locked finishes taking the branch lock (both halves are held): reload
// the history if another process changed it, then finish or undo what a
// crashed process left in the journal.
func (b *branch) locked(ctx context.Context) (unlock func(), err error) {
	unlock = func() {
		b.flock.Unlock()
		b.lockMu.Unlock()
	}
	if err := b.refresh(ctx); err != nil {
		unlock()
		return nil, err
	}
	if err := b.recover(ctx); err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

// tryLock is lock without waiting: ErrBusy if another operation (a merge,
// a schema change) holds the branch, in this process or another.
func (b *branch) tryLock(ctx context.Context) (unlock func(), err error) {
	busy := &cinch.Error{Err: cinch.ErrBusy, Message: fmt.Sprintf("another operation (a merge or a schema change) is running on branch %q", b.name),
		Hint: "wait for it to finish and try again"}
	if !b.lockMu.TryLock() {
		return nil, busy
	}
	ok, err := b.flock.TryLock()
	if err != nil || !ok {
		b.lockMu.Unlock()
		if err != nil {
			return nil, err
		}
		return nil, busy
	}
	return b.locked(ctx)
}

// --- Schema state: the change history, the model and the template ---

// state returns the current changes and schema, refreshed from disk if
// another process changed them.
func (b *branch) state(ctx context.Context) ([]cinch.Change, *schema.Schema, error) {
	if err := b.refresh(ctx); err != nil {
		return nil, nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.changes, b.schema, nil
}

// cachedSchema returns the schema model as last loaded, without checking
// the disk (hot paths that retry with state on a miss).
func (b *branch) cachedSchema() *schema.Schema {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.schema
}

// version is the number of committed changes.
func (b *branch) version() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.changes)
}

// refresh reloads changes.json when its signature changed.
func (b *branch) refresh(ctx context.Context) error {
	path := changesFile(b.dir)
	sig, err := statSig(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return cinch.NotFound(cinch.ErrBranchNotFound, "branch", b.name, "")
		}
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if sig == b.sig && b.template != nil {
		return nil
	}
	var changes []cinch.Change
	if err := readJSON(path, &changes); err != nil {
		return b.broken(path, err)
	}
	if err := b.install(ctx, changes, sig); err != nil {
		return b.broken(path, err)
	}
	return nil
}

// broken turns a failure to read one of the branch's own files
// (changes.json that is not valid JSON or does not replay, metadata.json
// that is not valid JSON) into the error every operation on this branch,
// and only this one, returns: it names the file relative to the project
// (the server shows it; an internal error's message it would hide) and
// says what to do. The code is schema_drift: the history on disk is no
// longer one cinch wrote. Other errors pass unchanged.
func (b *branch) broken(path string, err error) error {
	var ij *invalidJSON
	var replay *replayError
	var why string
	switch {
	case errors.As(err, &ij):
		why = "is not valid JSON: " + ij.err.Error()
	case errors.As(err, &replay):
		why = "does not replay: " + replay.err.Error()
	default:
		return err
	}
	rel := path
	if r, err := filepath.Rel(b.p.dir, path); err == nil {
		rel = r
	}
	return &cinch.Error{Err: cinch.ErrSchemaDrift, Entity: fmt.Sprintf("branch %q", b.name),
		Message: fmt.Sprintf("branch %q cannot be read: %s %s", b.name, rel, why),
		Hint:    "restore that file from version control or a backup (the engine writes it; it is not meant to be edited by hand); the other branches are not affected"}
}

// replayError is a change history that parses but does not apply.
type replayError struct{ err error }

func (e *replayError) Error() string { return e.err.Error() }

func (e *replayError) Unwrap() error { return e.err }

// install replaces the cached history (b.mu held): rebuild the model and
// the template by replaying every change.
func (b *branch) install(ctx context.Context, changes []cinch.Change, sig fileSig) error {
	model := schema.NewSchema()
	for i, ch := range changes {
		if err := model.Apply(ch); err != nil {
			return &replayError{fmt.Errorf("change %d (%s %s): %w", i+1, ch.Type, ch.Entity, err)}
		}
	}
	tmpl := b.template
	if tmpl == nil || !isPrefix(b.changes, changes) {
		if tmpl != nil {
			tmpl.Close()
		}
		var err error
		tmpl, err = sqlite.Open(ctx, "", sqlite.Options{Memory: true})
		if err != nil {
			return err
		}
	}
	if _, err := tmpl.Migrate(ctx, changes); err != nil {
		tmpl.Close()
		b.template = nil
		return &replayError{fmt.Errorf("%w: replaying %s: %v", cinch.ErrInternal, changesFile(b.dir), err)}
	}
	b.template, b.changes, b.schema, b.sig = tmpl, changes, model, sig
	return nil
}

// isPrefix reports whether old is a prefix of changes (by id), so the
// template can be moved forward instead of rebuilt.
func isPrefix(old, changes []cinch.Change) bool {
	if len(old) > len(changes) {
		return false
	}
	for i := range old {
		if old[i].ID != changes[i].ID {
			return false
		}
	}
	return true
}

// commit appends a change to changes.json (the commit point of a schema
// change) and to the cache. Caller holds the branch lock.
func (b *branch) commit(ctx context.Context, changes []cinch.Change) error {
	path := changesFile(b.dir)
	if err := writeJSON(path, changes); err != nil {
		return diskFull(err, "", fmt.Sprintf("branch %q", b.name))
	}
	sig, err := statSig(path)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.install(ctx, changes, sig)
}

// withTemplate runs fn on the template connection (schema only, no rows).
func (b *branch) withTemplate(fn func(c *sqlite.Conn) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.template == nil {
		return cinch.Errorf(cinch.ErrBranchNotFound, "branch %q was deleted while in use", b.name).WithHint("retry")
	}
	return fn(b.template)
}

// useTemplate runs fn on the branch's template connection, as withTemplate
// does. A driver panic is fn's error (see Project.do), and the template it
// broke is rebuilt from the branch's changes.
func (b *branch) useTemplate(fn func(c *sqlite.Conn) error) error {
	return b.withTemplate(func(c *sqlite.Conn) error {
		err := b.p.do(c, "", func() error { return fn(c) })
		if c.Broken() { // b.mu is held
			b.template = nil
			if ierr := b.install(context.Background(), b.changes, b.sig); ierr != nil {
				b.p.cfg.Logger.Error("rebuilding a branch's schema template", "branch", b.name, "err", ierr)
			}
		}
		return err
	})
}

// readMetadata reads metadata.json.
func (b *branch) metadata() (Metadata, error) {
	var m Metadata
	path := metadataFile(b.dir)
	if err := readJSON(path, &m); err != nil {
		return m, b.broken(path, err)
	}
	return m, nil
}

func (b *branch) close() {
	b.spares.close() // before b.mu: a fill may be waiting for it
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.template != nil {
		b.template.Close()
		b.template = nil
	}
	if b.reg != nil {
		b.reg.close()
	}
}

// --- Rollout: a change reaching every tenant, the journal, recovery ---

// change makes one tracked schema change: plan it against the current
// model, check it on the template, then roll it out (docs/design.md):
//
//   - a change that cannot fail on data is committed to changes.json (the
//     commit point), then applied to the tenants open in this process, and
//     the call returns: every other tenant catches up when it is next opened,
//     in any process (the schema generation tells open handles elsewhere), or
//     by the converger (converge.go). Under cinch.WaitForRollout (or
//     Config.WaitForRollout) it returns after every materialized tenant;
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
	if fid, at, ok := fixedChangeID(ctx); ok {
		ch.ID, ch.Timestamp = fid, at.UTC().Truncate(1e6)
	}
	next := append(append([]cinch.Change{}, changes...), ch)

	if err := b.checkOnTemplate(ctx, next); err != nil {
		return cinch.Change{}, err
	}
	if probed(ctx, p) {
		return cinch.Change{}, ErrProbed
	}
	if coordinating(ctx) && !p.DataDependent {
		// Coordinated because it was data-dependent when asked; a change
		// committed meanwhile made it a plain one: it goes the plain way.
		return cinch.Change{}, &cinch.Error{Err: cinch.ErrConflict, Message: "the schema changed while this change was being coordinated: nothing was changed",
			Hint: "retry"}
	}
	if co, ok := b.p.cfg.Owner.(Coordinator); ok && p.DataDependent && coordinating(ctx) {
		return coordinated(ctx, b, co, next, p)
	}
	if p.DataDependent && b.p.cfg.Owner != nil {
		// Cluster mode, not coordinated: the tenants are spread over nodes,
		// and checking every tenant's data needs each owner's file. Every
		// node refuses it the same way (the plan depends on the history
		// only), so their histories never diverge.
		return cinch.Change{}, &cinch.Error{Err: cinch.ErrNotImplemented,
			Message: fmt.Sprintf("%s %s must check every tenant's data, which a cluster cannot do across nodes yet: nothing was changed", ch.Type, ch.Entity),
			Hint:    "add the column as nullable or with a default, or make the index without unique (docs/cluster.md)"}
	}
	wait, progress := b.p.waitForRollout(ctx)
	if p.DataDependent {
		names, err := b.materialized(ctx, false)
		if err != nil {
			return cinch.Change{}, err
		}
		j := journal{Op: "prepare", Version: len(next), Change: ch, Inverse: p.Inverse, InverseRebuild: p.InverseRebuild}
		if err := b.writeJournal(j); err != nil {
			return cinch.Change{}, err
		}
		if errs := b.migrateTenants(ctx, names, next, false, progress); len(errs) > 0 {
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
		b.p.gen.bumpSchema()
		return ch, b.clearJournal()
	}
	if err := b.commit(ctx, next); err != nil {
		return cinch.Change{}, err
	}
	b.p.gen.bumpSchema()
	if !wait {
		// The tenants open here are migrated before returning, so this
		// process's next query on them does not pay for it; the others catch
		// up when next opened (also by another process: the schema
		// generation moved) or by the converger. With DeferOpenCatchUp the
		// open ones also catch up on their next use.
		if b.p.cfg.DeferOpenCatchUp {
			return ch, nil
		}
		errs := b.p.pool.catchUpOpen(context.WithoutCancel(ctx), b)
		return ch, firstTenantError(errs, "apply the change to")
	}
	names, err := b.materialized(ctx, false)
	if err != nil {
		return ch, err
	}
	errs := b.migrateTenants(ctx, names, next, true, progress)
	if ctx.Err() != nil {
		return ch, &cinch.Error{Err: cinch.ErrCanceled,
			Message: fmt.Sprintf("stopped waiting for the rollout of %s %s: the change is committed", ch.Type, ch.Entity),
			Hint:    "the tenants not yet migrated catch up when next opened, or migrate them all now"}
	}
	return ch, firstTenantError(errs, "apply the change to")
}

// migrateTenants brings the named materialized, plain (not encrypted:
// materialized(ctx, false) lists them) tenants to changes with
// bounded parallelism (parallel), and returns the errors by tenant. A
// tenant open in this process is migrated through its pooled writer;
// another gets a connection of its own that commits the change with one
// fsync and leaves it in the WAL (sqlite.Conn.MigrateWAL). With
// tolerateAhead, a file already past the history (a data-dependent change
// being prepared meanwhile) is not an error. progress, when set, is called
// after each tenant, never concurrently.
func (b *branch) migrateTenants(ctx context.Context, names []string, changes []cinch.Change, tolerateAhead bool, progress func(done, total int)) map[string]error {
	var (
		mu   sync.Mutex
		done int
	)
	return b.parallel(ctx, names, func(name string) error {
		err := b.p.pool.withConn(ctx, b, name, "", true, func(c *sqlite.Conn, own bool) error {
			var err error
			if own {
				_, err = c.MigrateWAL(ctx, changes)
			} else {
				_, err = c.Migrate(ctx, changes)
			}
			return err
		})
		if tolerateAhead && errors.Is(err, sqlite.ErrAhead) {
			err = nil
		}
		if progress != nil {
			mu.Lock()
			done++
			progress(done, len(names))
			mu.Unlock()
		}
		return err
	})
}

// rollForwardTo commits next (a history extending the current one) and
// applies it to the named tenants before returning (a merge, which may
// hold data-dependent changes validated on every tenant). The journal is
// written before the commit point, so a crash anywhere after it is
// finished by the next command.
func (b *branch) rollForwardTo(ctx context.Context, next []cinch.Change, names []string) error {
	if err := b.writeJournal(journal{Op: "apply", Version: len(next)}); err != nil {
		return err
	}
	if err := b.commit(ctx, next); err != nil {
		b.clearJournal()
		return err
	}
	b.p.gen.bumpSchema()
	if errs := b.migrateTenants(context.WithoutCancel(ctx), names, next, false, nil); len(errs) > 0 {
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

// recoverRotate finishes an interrupted key rotation: if the new file was
// not yet renamed into place, it is discarded (the old key stays valid);
// if it was, the registry takes the new salt (the new key is valid).
func (b *branch) recoverRotate(ctx context.Context, j journal) error {
	tmp := rotateFile(b.tenantPath(j.Tenant))
	if exists(tmp) {
		return sqlite.RemoveDB(tmp)
	}
	_, err := b.reg.exec(ctx, "UPDATE tenants SET salt = ? WHERE name = ?", j.Salt, j.Tenant)
	return err
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
	errs := b.migrateTenants(ctx, names, changes, false, nil)
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
	return b.parallelN(ctx, names, min(4*runtime.GOMAXPROCS(0), 16), fn) // rollouts wait on fsync more than on CPU
}

// parallelN is parallel on the given number of workers.
func (b *branch) parallelN(ctx context.Context, names []string, workers int, fn func(name string) error) map[string]error {
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

// catchUp migrates a tenant connection to the branch version. A file that
// is ahead (a data-dependent change being prepared by another process) is
// left alone.
func (b *branch) catchUp(ctx context.Context, c *sqlite.Conn) error {
	changes, _, err := b.state(ctx)
	if err != nil {
		return err
	}
	if _, err := c.Migrate(ctx, changes); err != nil && !errors.Is(err, sqlite.ErrAhead) {
		return err
	}
	return nil
}

// --- Tenant files ---

func (b *branch) tenantPath(name string) string {
	return tenantFile(b.dir, name)
}

// archivePath is an archived tenant of the branch: archive/<tenant>.db.zst,
// a zstd stream of the tenant's database file (checkpointed, so one file
// holds everything).
func (b *branch) archivePath(name string) string { return archiveFile(b.dir, name) }

func (b *branch) info(r tenantRow, version int) cinch.TenantInfo {
	info := cinch.TenantInfo{Name: r.Name, State: cinch.TenantLazy, CreatedAt: r.CreatedAt, SchemaVersion: version,
		Encrypted: r.Encrypted, Group: r.Group}
	if r.Archived {
		info.State = cinch.TenantArchived
	}
	path := b.tenantPath(r.Name)
	if fi, err := os.Stat(path); err == nil {
		info.State = cinch.TenantMaterialized
		info.SizeBytes = fi.Size()
		if wal, err := os.Stat(walFile(path)); err == nil {
			info.SizeBytes += wal.Size()
		}
		info.SchemaVersion = fileVersion(path)
		if r.Encrypted { // the header is encrypted: the version last seen
			info.SchemaVersion = r.Version
		}
		info.Behind = info.SchemaVersion < version
	}
	return info
}

// newTenant describes a tenant to create.
type newTenant struct {
	name      string
	lazy      bool
	source    string // copy this tenant's data ("" : the empty template)
	sourceKey string // the source's key, if it is encrypted
	encrypt   bool   // encrypt the new tenant under key
	key       string
}

// createTenant does Create under the branch lock. A copy of an encrypted
// tenant stays encrypted under the same key (and salt).
func (b *branch) createTenant(ctx context.Context, nt newTenant) (_ cinch.TenantInfo, err error) {
	defer func() { err = diskFull(err, b.tenantPath(nt.name), fmt.Sprintf("tenant %q", nt.name)) }()
	// A lazy create is one registry insert: its primary key says whether
	// the name is taken. Others check first, before writing a file.
	if !nt.lazy {
		if _, found, err := b.reg.get(ctx, nt.name); err != nil {
			return cinch.TenantInfo{}, err
		} else if found {
			return cinch.TenantInfo{}, cinch.Exists(cinch.ErrTenantExists, "tenant", nt.name)
		}
	}
	row := tenantRow{Name: nt.name, CreatedAt: b.p.now(), Version: b.version()}
	var dk []byte
	if nt.source != "" {
		src, found, err := b.reg.get(ctx, nt.source)
		if err != nil {
			return cinch.TenantInfo{}, err
		}
		if !found {
			return cinch.TenantInfo{}, notFoundTenant(nt.source)
		}
		if src.Encrypted && !nt.encrypt {
			nt.encrypt, nt.key, row.Salt = true, nt.sourceKey, src.Salt
		}
	}
	if nt.encrypt {
		row.Encrypted = true
		if row.Salt == nil {
			salt, err := newSalt()
			if err != nil {
				return cinch.TenantInfo{}, err
			}
			row.Salt = salt
		}
		if nt.key == "" {
			return cinch.TenantInfo{}, errNoKey(nt.source)
		}
		dk = b.p.keys.derive(row.Salt, nt.key)
	}
	path := b.tenantPath(nt.name)
	tmp := tempFile(path)
	if !nt.lazy {
		sqlite.RemoveDB(tmp)
		var err error
		switch {
		case nt.source != "" && exists(b.tenantPath(nt.source)):
			err = b.p.pool.withWriter(ctx, b, nt.source, nt.sourceKey, func(c *sqlite.Conn) error { return c.BackupToTemp(ctx, tmp, dk) })
		case dk != nil:
			err = b.createEncrypted(ctx, tmp, dk)
		default:
			err = b.writeSeed(tmp)
		}
		if err != nil {
			sqlite.RemoveDB(tmp)
			return cinch.TenantInfo{}, err
		}
	}
	// The file is in place before the registry row: a crash between the two
	// leaves an unregistered file, which is never served and which the
	// sweep removes, rather than a registered tenant missing its data.
	if !nt.lazy {
		if err := sqlite.Publish(tmp, path); err != nil {
			sqlite.RemoveDB(tmp)
			return cinch.TenantInfo{}, err
		}
	}
	if err := b.reg.insert(ctx, row); err != nil {
		if !nt.lazy {
			sqlite.RemoveDB(path)
		}
		if errors.Is(err, cinch.ErrConstraint) {
			return cinch.TenantInfo{}, cinch.Exists(cinch.ErrTenantExists, "tenant", nt.name)
		}
		return cinch.TenantInfo{}, err
	}
	if nt.lazy {
		return cinch.TenantInfo{Name: row.Name, State: cinch.TenantLazy, CreatedAt: row.CreatedAt, SchemaVersion: row.Version}, nil
	}
	return b.info(row, b.version()), nil
}

// createTenantFile writes a new tenant file at path holding the current
// schema and no rows, for a lazy tenant's first write (materialize): a
// spare renamed into place when one is ready for the current history
// (spares.go), else the seed bytes (VACUUM INTO from the template, once
// per history, already in WAL mode) to a temporary file, then
// PublishForWrite (the write's first commit fsyncs the folder); either
// way, spares are made in the background for the next ones. Caller holds
// the branch lock.
func (b *branch) createTenantFile(ctx context.Context, path string) error {
	defer b.spares.fill(sparesDir(b.dir), b.seedAndKey)
	if b.spares.take(b.seedKey(), path) {
		return nil
	}
	tmp := tempFile(path)
	if err := b.writeSeed(tmp); err != nil {
		sqlite.RemoveDB(tmp)
		return err
	}
	// Materialized for a write: its first commit fsyncs the folder.
	return sqlite.PublishForWrite(tmp, path)
}

// writeSeed writes the seed bytes (seedBytes) to the new file tmp, not yet
// synced: Publish fsyncs it before it becomes visible.
func (b *branch) writeSeed(tmp string) error {
	seed, err := b.seedBytes()
	if err != nil {
		return err
	}
	sqlite.RemoveDB(tmp)
	return os.WriteFile(tmp, seed, 0o644)
}

// seedBytes returns the bytes of a new tenant file holding the current
// schema and no rows: VACUUM INTO from the template once per history,
// then kept, so creating many tenants writes bytes instead of running
// SQLite for each (batch.go). Caller holds the branch lock.
func (b *branch) seedBytes() ([]byte, error) {
	seed, _, err := b.seedAndKey()
	return seed, err
}

// seedKey names the history the seed is made for: its length and last
// change id.
func (b *branch) seedKey() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seedKeyLocked()
}

func (b *branch) seedKeyLocked() string {
	key := fmt.Sprint(len(b.changes))
	if n := len(b.changes); n > 0 {
		key += "/" + b.changes[n-1].ID
	}
	return key
}

// seedAndKey is seedBytes and the seedKey it was made for.
func (b *branch) seedAndKey() ([]byte, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.template == nil {
		return nil, "", cinch.Errorf(cinch.ErrBranchNotFound, "branch %q was deleted while in use", b.name).WithHint("retry")
	}
	key := b.seedKeyLocked()
	if b.seed != nil && b.seedFor == key {
		return b.seed, key, nil
	}
	tmp := tempFile(b.tenantPath(seedName))
	sqlite.RemoveDB(tmp)
	err := b.template.VacuumInto(tmp)
	var data []byte
	if err == nil {
		data, err = os.ReadFile(tmp)
	}
	sqlite.RemoveDB(tmp)
	if err != nil {
		return nil, "", err
	}
	walHeader(data)
	b.seed, b.seedFor = data, key
	return data, key, nil
}

// walHeader marks a database file's bytes as in WAL mode, as PRAGMA
// journal_mode=WAL would on first open (its header's read and write format
// versions, offsets 18 and 19, become 2; SQLite's file format, §1.3.3):
// opening a new tenant file then changes nothing, where converting it
// costs a rollback journal and four fsyncs.
func walHeader(db []byte) {
	if len(db) >= 100 {
		db[18], db[19] = 2, 2
	}
}

// createEncrypted writes a new encrypted tenant file at tmp with the
// branch's current schema.
func (b *branch) createEncrypted(ctx context.Context, tmp string, dk []byte) error {
	sqlite.RemoveDB(tmp)
	c, err := sqlite.Open(ctx, tmp, sqlite.Options{BusyTimeout: b.p.cfg.BusyTimeout, Key: dk})
	if err != nil {
		return err
	}
	defer c.Close()
	changes, _, err := b.state(ctx)
	if err != nil {
		return err
	}
	if _, err := c.Migrate(ctx, changes); err != nil {
		return err
	}
	return c.Checkpoint()
}

// checkFile opens a database file (with key, if encrypted), requires
// integrity_check to say "ok", runs then (when given, e.g. a schema
// catch-up), and checkpoints, so one file holds everything before it is
// renamed into place. Restore and key rotation use it on their new files.
func (b *branch) checkFile(ctx context.Context, path string, key []byte, then func(*sqlite.Conn) error) error {
	opts := b.p.connOptions()
	opts.Key = key
	c, err := sqlite.Open(ctx, path, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	msgs, err := c.IntegrityCheck(ctx)
	if err != nil {
		return err
	}
	if len(msgs) != 1 || msgs[0] != "ok" {
		return fmt.Errorf("%w: integrity check of %s: %v", cinch.ErrInternal, filepath.Base(path), msgs)
	}
	if then != nil {
		if err := then(c); err != nil {
			return err
		}
	}
	return c.Checkpoint()
}

func (b *branch) group(ctx context.Context, name string) (cinch.Group, error) {
	if err := cinch.ValidateGroupName(name); err != nil {
		return cinch.Group{}, err
	}
	res, err := b.reg.exec(ctx, "SELECT * FROM groups WHERE name = ?", name)
	if err != nil {
		return cinch.Group{}, err
	}
	if len(res.Rows) == 0 {
		return cinch.Group{}, cinch.NotFound(cinch.ErrGroupNotFound, "group", name, "")
	}
	r := res.Record(0)
	return cinch.Group{Name: name, MaxDBBytes: r["max_db_bytes"].(int64), MaxConcurrent: int(r["max_concurrent"].(int64))}, nil
}

// limitsFor returns the limits that apply to a tenant row.
func (b *branch) limitsFor(ctx context.Context, r tenantRow) (cinch.Group, error) {
	if r.Group == "" {
		return cinch.Group{}, nil
	}
	g, err := b.group(ctx, r.Group)
	if err != nil {
		return cinch.Group{}, fmt.Errorf("tenant %q: %w", r.Name, err)
	}
	return g, nil
}

// --- Sweep: what killed processes left ---

// converge is what tenant check does before checking tenants, under the
// branch lock: finish what a crashed process left in the journal, then
// sweep. A journal that cannot be finished because tenants fail (a full
// disk, a broken tenant file) does not stop the check, which reports each
// tenant's state and why; the sweep then waits for a recovery that
// succeeds, since it must not remove files the journal still needs.
func (b *branch) converge(ctx context.Context) error {
	b.lockMu.Lock()
	defer b.lockMu.Unlock()
	if err := b.flock.Lock(); err != nil {
		return fmt.Errorf("%w: lock %s: %v", cinch.ErrInternal, b.flock.Path(), err)
	}
	defer b.flock.Unlock()
	if err := b.refresh(ctx); err != nil {
		return err
	}
	if err := b.recover(ctx); err != nil {
		if errors.Is(err, cinch.ErrRolloutFailed) || errors.Is(err, cinch.ErrDiskFull) {
			b.p.log.Warn("interrupted operation not finished; checking tenants as they are", "database", b.database, "branch", b.name, "error", err)
			return nil
		}
		return err
	}
	return b.sweep(ctx)
}

// sweep removes what a process killed mid-operation can leave behind that
// no journal names, and settles archive state. Caller holds the branch lock
// and has run recover (which may still need a .rotate file), so nothing
// found here belongs to an operation in flight:
//
//   - tenant files without a registry row (a create killed after the file
//     was published, before its row was inserted);
//   - temporary files: tenants/*.tmp (and their -journal/-wal/-shm),
//     tenants/*.rotate*, archive/*.tmp, and the .<file>.*.tmp of atomic
//     writes in the branch folder;
//   - a tenant marked archived whose live file is still there (the archive
//     was complete before the registry said so): the live file goes;
//   - an archive beside a served tenant (the crash came before the registry
//     update): the archive goes, the live file is authoritative;
//   - staging folders of a killed database or branch create
//     (".NAME.creating.<random>") and trash folders of a killed delete
//     (".NAME.deleting.<random>") beside this branch and beside its
//     database, unless a create or delete is in flight (staging.go).
//
// It reads every folder and the registry, so it runs where convergence is
// asked for (tenant check, recovery), not on every structural call.
func (b *branch) sweep(ctx context.Context) error {
	for _, parent := range []string{filepath.Dir(b.dir), databasesDir(b.p.root)} {
		if err := sweepStaging(parent); err != nil {
			return err
		}
	}
	for _, dir := range []string{b.dir, tenantsDir(b.dir), archiveDir(b.dir), sparesDir(b.dir)} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			n := e.Name()
			leftover := isTempName(n)
			if dir == b.dir {
				leftover = isAtomicTemp(n)
			}
			if leftover && !e.IsDir() {
				if err := os.Remove(filepath.Join(dir, n)); err != nil && !os.IsNotExist(err) {
					return err
				}
			}
		}
	}
	rows, err := b.reg.list(ctx)
	if err != nil {
		return err
	}
	// Unregistered tenant files: a create killed between publishing the
	// file and inserting its row. Never served; removed here.
	registered := make(map[string]bool, len(rows))
	for _, r := range rows {
		registered[tenantFileName(r.Name)] = true
	}
	if entries, err := os.ReadDir(tenantsDir(b.dir)); err == nil {
		for _, e := range entries {
			if n := e.Name(); strings.HasSuffix(n, tenantExt) && !registered[n] {
				if err := sqlite.RemoveDB(filepath.Join(tenantsDir(b.dir), n)); err != nil {
					return err
				}
			}
		}
	}
	for _, r := range rows {
		live, arc := b.tenantPath(r.Name), b.archivePath(r.Name)
		switch {
		case r.Archived && exists(live) && exists(arc):
			if err := sqlite.RemoveDB(live); err != nil {
				return err
			}
		case !r.Archived && exists(arc):
			if err := os.Remove(arc); err != nil {
				return err
			}
		}
	}
	return nil
}
