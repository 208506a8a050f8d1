package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

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
	for _, dir := range []string{b.dir, tenantsDir(b.dir), archiveDir(b.dir)} {
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
