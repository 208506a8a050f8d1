package local

import (
	"errors"
	"fmt"
	"sort"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

func notFoundDatabase(name string) error {
	return cinch.NotFound(cinch.ErrDatabaseNotFound, "database", name, "")
}

func notFoundBranch(name string) error {
	return cinch.NotFound(cinch.ErrBranchNotFound, "branch", name, "")
}

func notFoundTenant(name string) error {
	return cinch.NotFound(cinch.ErrTenantNotFound, "tenant", name, "")
}

// diskFull turns a write that failed for want of space into the one
// disk-full error, naming what could not be written ("tenant \"acme\"",
// "branch \"main\""): ENOSPC from Go's file operations, cinch.ErrDiskFull
// from the sqlite layer, or a raw driver write error while the file
// system holding path is full (sqlite.DiskFull). Other errors, and
// disk-full errors that already name what failed, pass unchanged.
//
// Nothing is lost in any of these cases: SQLite rolls the transaction
// back, and cinch's own files are written to a temporary file and renamed,
// so the hint says so.
func diskFull(err error, path, what string) error {
	if !sqlite.DiskFull(err, path) {
		return err
	}
	var ce *cinch.Error
	if errors.As(err, &ce) && ce.Err == cinch.ErrDiskFull && ce.Entity != "" {
		return err // already says what could not be written
	}
	return &cinch.Error{Err: cinch.ErrDiskFull, Entity: what, Message: "disk full: could not write " + what, Hint: sqlite.HintDiskFull}
}

// tenantsDiskFull is the error of a fleet step (rollout, copy) that some
// tenants failed for want of space, or nil if the first failure (by name)
// was something else. The failures are not the change's fault, so the
// code is disk_full, not rollout_failed.
func tenantsDiskFull(errs map[string]error, what, hint string) error {
	if len(errs) == 0 {
		return nil
	}
	names := make([]string, 0, len(errs))
	for n := range errs {
		names = append(names, n)
	}
	sort.Strings(names)
	if !sqlite.DiskFull(errs[names[0]], "") {
		return nil
	}
	more := ""
	if len(names) > 1 {
		more = fmt.Sprintf(" (and %d more tenants)", len(names)-1)
	}
	return &cinch.Error{Err: cinch.ErrDiskFull, Entity: fmt.Sprintf("tenant %q", names[0]),
		Message: fmt.Sprintf("disk full: could not %s tenant %q%s", what, names[0], more), Hint: hint}
}
