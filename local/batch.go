package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// Creating many tenants at once (TenantService.CreateMany) shares the work
// a single create does per tenant: one hold of the branch lock, one
// registry transaction per group of batchGroup tenants, and for eager
// tenants one directory fsync per group; each new file is the branch's
// seed bytes (branch.seedBytes) written and fsynced by parallel workers, so
// the file system commits their fsyncs together. A group is all or
// nothing: its files are published, then its registry rows inserted in one
// transaction; if that fails its files are removed, and a crash in between
// leaves unregistered files that are never served and that the sweep
// removes. Groups before a failed one stay created, and the error names
// both lists.

// batchGroup is how many tenants share a registry transaction and a
// directory fsync.
const batchGroup = 500

// batchWriters is how many files of a group are written and fsynced at once.
const batchWriters = 64

// createMany creates names (checked, distinct, none registered) on b with
// opts (neither From nor Encrypt) and returns their infos in order.
func createMany(ctx context.Context, b *branch, names []string, opts cinch.TenantCreateOptions) (_ []cinch.TenantInfo, err error) {
	unlock, err := b.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var taken []string
	for _, n := range names {
		if _, found, err := b.reg.get(ctx, n); err != nil {
			return nil, err
		} else if found {
			taken = append(taken, n)
		}
	}
	if len(taken) > 0 {
		return nil, &cinch.Error{Err: cinch.ErrTenantExists, Entity: fmt.Sprintf("tenant %q", taken[0]),
			Message: fmt.Sprintf("%s already %s: %s; no tenant was created", plural(len(taken), "tenant", "tenants"), map[bool]string{true: "exists", false: "exist"}[len(taken) == 1], listNames(taken)),
			Hint:    "leave the existing names out and try again"}
	}
	version := b.version()
	now := b.p.now()
	out := make([]cinch.TenantInfo, 0, len(names))
	for start := 0; start < len(names); start += batchGroup {
		group := names[start:min(start+batchGroup, len(names))]
		infos, err := createGroup(ctx, b, group, opts.Lazy, version, now)
		if err != nil {
			if len(out) == 0 {
				return nil, err
			}
			created := make([]string, len(out))
			for i, ti := range out {
				created[i] = ti.Name
			}
			return out, &cinch.Error{Err: err, Entity: fmt.Sprintf("tenant %q", group[0]),
				Message: fmt.Sprintf("created %d of %d tenants, then failed: %v; created: %s; not created: %s",
					len(out), len(names), err, listNames(created), listNames(names[start:])),
				Hint: "create the tenants not created again once the cause is fixed"}
		}
		out = append(out, infos...)
	}
	return out, nil
}

// createGroup creates one group of tenants: all or none.
func createGroup(ctx context.Context, b *branch, names []string, lazy bool, version int, now time.Time) ([]cinch.TenantInfo, error) {
	rows := make([]tenantRow, len(names))
	for i, n := range names {
		rows[i] = tenantRow{Name: n, CreatedAt: now, Version: version}
	}
	var size int64
	if !lazy {
		n, err := publishSeeds(ctx, b, names)
		if err != nil {
			return nil, err
		}
		size = n
	}
	if err := b.reg.insertMany(ctx, rows); err != nil {
		if !lazy {
			for _, n := range names {
				sqlite.RemoveDB(b.tenantPath(n))
			}
		}
		if errors.Is(err, cinch.ErrConstraint) {
			return nil, &cinch.Error{Err: cinch.ErrTenantExists, Message: "a tenant of the batch was created meanwhile by another caller",
				Hint: "list the tenants and create the missing ones again"}
		}
		return nil, err
	}
	infos := make([]cinch.TenantInfo, len(names))
	for i, r := range rows {
		if lazy {
			infos[i] = cinch.TenantInfo{Name: r.Name, State: cinch.TenantLazy, CreatedAt: r.CreatedAt, SchemaVersion: version}
			continue
		}
		infos[i] = cinch.TenantInfo{Name: r.Name, State: cinch.TenantMaterialized, CreatedAt: r.CreatedAt,
			SchemaVersion: version, SizeBytes: size}
	}
	return infos, nil
}

// publishSeeds writes a new tenant file for each name: the seed bytes to a
// temporary file, fsynced, by parallel workers; then every rename, and one
// fsync of the tenants folder. It returns the size of each file. On an
// error nothing of the group is left.
func publishSeeds(ctx context.Context, b *branch, names []string) (int64, error) {
	seed, err := b.seedBytes()
	if err != nil {
		return 0, err
	}
	// Many more writers than cores: each mostly waits on its fsync, and the
	// file system commits concurrent fsyncs together.
	errs := b.parallelN(ctx, names, batchWriters, func(n string) error {
		return writeSynced(tempFile(b.tenantPath(n)), seed)
	})
	cleanup := func() {
		for _, n := range names {
			sqlite.RemoveDB(tempFile(b.tenantPath(n)))
			sqlite.RemoveDB(b.tenantPath(n))
		}
	}
	if len(errs) > 0 {
		cleanup()
		return 0, diskFull(firstOf(errs), b.tenantPath(names[0]), fmt.Sprintf("tenant %q", names[0]))
	}
	for _, n := range names {
		path := b.tenantPath(n)
		os.Remove(walFile(path))
		os.Remove(shmFile(path))
		if err := os.Rename(tempFile(path), path); err != nil {
			cleanup()
			return 0, err
		}
	}
	if err := sqlite.SyncDir(tenantsDir(b.dir)); err != nil {
		cleanup()
		return 0, err
	}
	return int64(len(seed)), nil
}

// writeSynced creates path (which must not exist) holding data, fsynced.
func writeSynced(path string, data []byte) error {
	sqlite.RemoveDB(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// firstOf is the error of the first name in sorted order.
func firstOf(errs map[string]error) error {
	first := ""
	for n := range errs {
		if first == "" || n < first {
			first = n
		}
	}
	return errs[first]
}

// listNames writes names for a message, the first 20 and a count of the rest.
func listNames(names []string) string {
	if len(names) <= 20 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:20], ", "), len(names)-20)
}

// plural picks the word for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// MaxBatch is the most tenants one CreateMany call may create.
const MaxBatch = 100_000

// checkBatch checks CreateMany's input before anything is opened.
func checkBatch(names []string, opts cinch.TenantCreateOptions) error {
	if opts.From != "" || opts.Encrypt {
		return cinch.Errorf(cinch.ErrInvalidInput, "a batch of tenants cannot be copied from a template or encrypted").
			WithHint("create those tenants one at a time")
	}
	if len(names) == 0 {
		return cinch.Errorf(cinch.ErrInvalidInput, "no tenant names given").WithHint("give at least one name")
	}
	if len(names) > MaxBatch {
		return cinch.Errorf(cinch.ErrInvalidInput, "%d tenant names in one batch, more than the %d allowed", len(names), MaxBatch).
			WithHint("split them into several batches")
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if err := cinch.ValidateTenantName(n); err != nil {
			return err
		}
		if seen[n] {
			return cinch.Errorf(cinch.ErrInvalidInput, "tenant %q is named twice in the batch", n).WithHint("give each name once")
		}
		seen[n] = true
	}
	return nil
}
