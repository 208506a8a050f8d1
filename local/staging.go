package local

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
	"github.com/gofrs/flock"
)

// Databases and branches are folders built complete under a hidden
// staging folder beside their final place and then renamed into it, so
// nobody ever sees half of one. Three rules make that safe when several
// creators of the same name race, in one process or in several:
//
//  1. Every creator stages under its own name, ".NAME.creating.<random>"
//     (os.MkdirTemp): no creator ever writes into, or removes, another's
//     staging folder. (With one fixed name, two racers shared a folder and
//     both failed with "rename ... no such file" or "disk I/O error".)
//
//  2. Publishing is "the final name is free, then rename" under the
//     project lock (in-process mutex plus flock, so goroutines and
//     processes alike are serialized). A bare rename cannot be the claim:
//     rename(2) of a directory onto an existing *empty* directory succeeds
//     on Linux, and onto a non-empty one it fails with an errno that says
//     nothing useful. Under the lock the check and the rename cannot
//     interleave with another creator's, so exactly one racer publishes and
//     every other one gets ErrBranchExists / ErrDatabaseExists. The lock is
//     held only for the check, the rename and a directory fsync, never while
//     tenants are copied. (renameat2's RENAME_NOREPLACE would do the same
//     without a lock, but only on Linux and only on file systems that
//     support it.)
//
//  3. Staging folders of killed processes are swept, and live ones never
//     are: every creator holds a shared lock (flock LOCK_SH) on
//     "<parent>/.staging.lock" from before it makes its folder until after
//     it published or removed it; the sweep takes that lock exclusively
//     without waiting. If it gets it, no creator is in flight in any
//     process, so every staging folder there is a leftover; if not, they
//     are left for a later sweep. flock locks belong to open file
//     descriptions, so this also holds between goroutines of one process
//     (each stage opens the lock file anew). Deletes use the same lock for
//     their ".NAME.deleting.<random>" trash folders. Locks are taken in one
//     order: a branch lock, then the staging lock, then the project lock.
//
// The names of these folders and of the lock are built in layout.go.

// staging is one creator's staging folder.
type staging struct {
	dir   string       // the staging folder, ".NAME.creating.<random>"
	final string       // where it is published
	lock  *flock.Flock // shared lock on <parent>/.staging.lock
}

// stage takes the shared staging lock of final's parent folder and makes
// a fresh staging folder there. Call abort (on failure) or release (after
// publish) when done.
func stage(final string) (*staging, error) {
	parent, name := filepath.Split(final)
	lock, err := holdStaging(parent)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(parent, stagingPattern(name))
	if err != nil {
		lock.Unlock()
		return nil, err
	}
	return &staging{dir: dir, final: final, lock: lock}, nil
}

// holdStaging takes the shared staging lock of parent.
func holdStaging(parent string) (*flock.Flock, error) {
	lock := flock.New(stagingLockFile(parent))
	if err := lock.RLock(); err != nil {
		return nil, fmt.Errorf("%w: lock %s: %v", cinch.ErrInternal, lock.Path(), err)
	}
	return lock, nil
}

// release drops the shared lock (the folder was published or removed).
func (s *staging) release() { s.lock.Unlock() }

// abort removes the staging folder and releases the lock.
func (s *staging) abort() {
	os.RemoveAll(s.dir)
	s.release()
}

// publish renames the staging folder to its final name under the project
// lock, unless something is there already: then taken() is returned (and
// the caller aborts). gone() is returned if the parent folder vanished
// (the database was deleted meanwhile).
func (s *staging) publish(p *Project, taken, gone func() error) error {
	unlock, err := p.lockProject()
	if err != nil {
		return err
	}
	defer unlock()
	parent := filepath.Dir(s.final)
	if _, err := os.Lstat(s.final); err == nil {
		return taken()
	}
	if err := os.Rename(s.dir, s.final); err != nil {
		switch {
		case errors.Is(err, fs.ErrExist), errors.Is(err, syscall.ENOTEMPTY):
			return taken() // made by something that does not take the lock
		case !exists(parent):
			return gone()
		}
		return err
	}
	return sqlite.SyncDir(parent)
}

// trashName is a fresh name for a folder being deleted: renamed there under
// the shared staging lock, then removed.
func trashName(final string) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return trashDir(final, hex.EncodeToString(b[:])), nil
}

// sweepStaging removes the staging and trash folders of parent that no
// creator or deleter is working on (rule 3 above). It does nothing if one
// is in flight, in any process.
func sweepStaging(parent string) error {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil // no such folder: nothing to sweep
	}
	var leftovers []string
	for _, e := range entries {
		if e.IsDir() && isStaging(e.Name()) {
			leftovers = append(leftovers, filepath.Join(parent, e.Name()))
		}
	}
	if len(leftovers) == 0 {
		return nil
	}
	lock := flock.New(stagingLockFile(parent))
	ok, err := lock.TryLock()
	if err != nil || !ok {
		return nil // a create or delete is in flight: a later sweep does it
	}
	defer lock.Unlock()
	for _, dir := range leftovers {
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	return nil
}
