package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/cinchdb/cinch/sqlite"
	"github.com/gofrs/flock"
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
}

// fileSig identifies one version of changes.json without reading it.
type fileSig struct {
	size  int64
	mtime time.Time
	ino   uint64
}

func statSig(path string) (fileSig, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileSig{}, err
	}
	s := fileSig{size: fi.Size(), mtime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.ino = uint64(st.Ino)
	}
	return s, nil
}

func (b *branch) tenantPath(name string) string {
	return tenantFile(b.dir, name)
}

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

// version is the number of committed changes.
func (b *branch) version() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.changes)
}

func (b *branch) close() {
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

// createTenantFile writes a new tenant file at path holding the current
// schema and no rows: VACUUM INTO from the template to a temporary file,
// then Publish. Caller holds the branch lock.
func (b *branch) createTenantFile(ctx context.Context, path string) error {
	tmp := tempFile(path)
	sqlite.RemoveDB(tmp)
	err := b.withTemplate(func(c *sqlite.Conn) error {
		return c.VacuumInto(tmp)
	})
	if err != nil {
		sqlite.RemoveDB(tmp)
		return err
	}
	return sqlite.Publish(tmp, path)
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
