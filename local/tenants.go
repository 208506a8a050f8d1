package local

import (
	"context"
	"fmt"
	"os"
	"sort"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
	"github.com/ncruces/go-sqlite3"
)

// tenants implements cinch.TenantService for a handle's branch.
type tenants struct{ d *DB }

var _ cinch.TenantService = tenants{}

func sortStrings(s []string) { sort.Strings(s) }

func (t tenants) branch(ctx context.Context) (*branch, error) { return t.d.branch(ctx) }

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
		if wal, err := os.Stat(path + "-wal"); err == nil {
			info.SizeBytes += wal.Size()
		}
		info.SchemaVersion = fileVersion(path)
	}
	return info
}

// fileVersion reads user_version from the database header (bytes 60-63)
// without opening a connection; -1 if unreadable. A WAL may hold a newer
// header, so callers that need certainty open the file instead.
func fileVersion(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	var hdr [64]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return 0 // an empty file: nothing applied yet
	}
	return int(hdr[60])<<24 | int(hdr[61])<<16 | int(hdr[62])<<8 | int(hdr[63])
}

func (t tenants) List(ctx context.Context) ([]cinch.TenantInfo, error) {
	b, err := t.branch(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := b.reg.list(ctx)
	if err != nil {
		return nil, err
	}
	v := b.version()
	out := make([]cinch.TenantInfo, 0, len(rows))
	for _, r := range rows {
		out = append(out, b.info(r, v))
	}
	return out, nil
}

func (t tenants) Info(ctx context.Context, name string) (cinch.TenantInfo, error) {
	if err := cinch.ValidateTenantName(name); err != nil {
		return cinch.TenantInfo{}, err
	}
	b, err := t.branch(ctx)
	if err != nil {
		return cinch.TenantInfo{}, err
	}
	r, found, err := b.reg.get(ctx, name)
	if err != nil {
		return cinch.TenantInfo{}, err
	}
	if !found {
		return cinch.TenantInfo{}, notFoundTenant(name)
	}
	return b.info(r, b.version()), nil
}

func notFoundTenant(name string) error {
	return cinch.NotFound(cinch.ErrTenantNotFound, "tenant", name, "see the tenants with: cinch tenant list")
}

// Create registers a tenant and, unless lazy, writes its file: from the
// schema template, or a consistent copy of the From tenant. The order
// (temporary file, registry row, rename) means a crash leaves either
// nothing, or a registered tenant without a file (which reads as an empty
// lazy tenant), never an unregistered file.
func (t tenants) Create(ctx context.Context, name string, opts cinch.TenantCreateOptions) (cinch.TenantInfo, error) {
	if err := cinch.ValidateTenantName(name); err != nil {
		return cinch.TenantInfo{}, err
	}
	if opts.From != "" {
		if err := cinch.ValidateTenantName(opts.From); err != nil {
			return cinch.TenantInfo{}, err
		}
		if opts.Lazy {
			return cinch.TenantInfo{}, cinch.Errorf(cinch.ErrInvalidInput, "--lazy and --from cannot be combined").WithHint("a copy of a template always has a file")
		}
		return t.Copy(ctx, opts.From, name, false)
	}
	b, err := t.branch(ctx)
	if err != nil {
		return cinch.TenantInfo{}, err
	}
	unlock, err := b.lock(ctx)
	if err != nil {
		return cinch.TenantInfo{}, err
	}
	defer unlock()
	return b.createTenant(ctx, name, opts.Lazy, "")
}

// createTenant does Create under the branch lock; with source set, the file
// is a backup of that tenant instead of the template.
func (b *branch) createTenant(ctx context.Context, name string, lazy bool, source string) (cinch.TenantInfo, error) {
	if _, found, err := b.reg.get(ctx, name); err != nil {
		return cinch.TenantInfo{}, err
	} else if found {
		return cinch.TenantInfo{}, cinch.Exists(cinch.ErrTenantExists, "tenant", name)
	}
	path := b.tenantPath(name)
	tmp := path + ".tmp"
	if !lazy {
		sqlite.RemoveDB(tmp)
		var err error
		if source == "" {
			err = b.withTemplate(func(c *sqlite.Conn) error { return c.Exec("VACUUM INTO " + sqlite.QuoteLiteral(tmp)) })
		} else {
			err = b.p.pool.withWriter(ctx, b, source, func(c *sqlite.Conn) error { return c.BackupToTemp(ctx, tmp) })
		}
		if err != nil {
			sqlite.RemoveDB(tmp)
			return cinch.TenantInfo{}, err
		}
	}
	row := tenantRow{Name: name, CreatedAt: b.p.now()}
	if err := b.reg.insert(ctx, row); err != nil {
		sqlite.RemoveDB(tmp)
		return cinch.TenantInfo{}, err
	}
	if !lazy {
		if err := sqlite.Publish(tmp, path); err != nil {
			return cinch.TenantInfo{}, err
		}
	}
	return b.info(row, b.version()), nil
}

// Copy makes target a consistent copy of source through the backup API
// (the source may be written meanwhile), or, with noData, an empty tenant.
func (t tenants) Copy(ctx context.Context, source, target string, noData bool) (cinch.TenantInfo, error) {
	for _, n := range []string{source, target} {
		if err := cinch.ValidateTenantName(n); err != nil {
			return cinch.TenantInfo{}, err
		}
	}
	b, err := t.branch(ctx)
	if err != nil {
		return cinch.TenantInfo{}, err
	}
	// Open the source first: it exists, and is caught up to the schema.
	if err := t.d.WithTenant(source).use(ctx, func(*handle) error { return nil }); err != nil {
		return cinch.TenantInfo{}, err
	}
	unlock, err := b.lock(ctx)
	if err != nil {
		return cinch.TenantInfo{}, err
	}
	defer unlock()
	if _, found, err := b.reg.get(ctx, source); err != nil {
		return cinch.TenantInfo{}, err
	} else if !found {
		return cinch.TenantInfo{}, notFoundTenant(source)
	}
	if noData || !exists(b.tenantPath(source)) {
		return b.createTenant(ctx, target, false, "")
	}
	return b.createTenant(ctx, target, false, source)
}

// Rename moves a tenant's file and registry row; main cannot be renamed.
func (t tenants) Rename(ctx context.Context, oldName, newName string) error {
	for _, n := range []string{oldName, newName} {
		if err := cinch.ValidateTenantName(n); err != nil {
			return err
		}
	}
	if oldName == cinch.DefaultTenant {
		return &cinch.Error{Err: cinch.ErrProtected, Message: "tenant \"main\" cannot be renamed", Hint: "copy it instead: cinch tenant copy main NEW"}
	}
	b, err := t.branch(ctx)
	if err != nil {
		return err
	}
	unlock, err := b.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if row, found, err := b.reg.get(ctx, oldName); err != nil {
		return err
	} else if !found {
		return notFoundTenant(oldName)
	} else if row.Archived {
		return &cinch.Error{Err: cinch.ErrTenantArchived, Message: fmt.Sprintf("tenant %q is archived", oldName), Hint: "restore it before renaming: cinch tenant restore " + oldName}
	}
	if _, found, err := b.reg.get(ctx, newName); err != nil {
		return err
	} else if found {
		return cinch.Exists(cinch.ErrTenantExists, "tenant", newName)
	}
	b.p.pool.forget(b, oldName, true)
	// Journal first: the registry row and the file move in two steps.
	if err := b.writeJournal(journal{Op: "rename", Tenant: oldName, NewName: newName}); err != nil {
		return err
	}
	if err := b.reg.rename(ctx, oldName, newName); err != nil {
		b.clearJournal()
		return err
	}
	if oldPath := b.tenantPath(oldName); exists(oldPath) {
		if err := renameTenantFile(ctx, oldPath, b.tenantPath(newName)); err != nil {
			return err // the journal finishes it next time
		}
	}
	return b.clearJournal()
}

// renameTenantFile checkpoints the WAL into the file (so one file holds
// everything), then renames it.
func renameTenantFile(ctx context.Context, oldPath, newPath string) error {
	c, err := sqlite.Open(ctx, oldPath, sqlite.Options{})
	if err != nil {
		return err
	}
	_, _, err = c.Raw().WALCheckpoint("main", sqlite3.CHECKPOINT_TRUNCATE)
	c.Close()
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", oldPath, err)
	}
	sqlite.RemoveDB(newPath)
	os.Remove(oldPath + "-wal")
	os.Remove(oldPath + "-shm")
	if err := os.Rename(oldPath, newPath); err != nil {
		return err
	}
	return sqlite.SyncDir(dirOf(newPath))
}

// Delete removes a tenant: its file, -wal and -shm, and its registry row.
// main cannot be deleted.
func (t tenants) Delete(ctx context.Context, name string) error {
	if err := cinch.ValidateTenantName(name); err != nil {
		return err
	}
	if name == cinch.DefaultTenant {
		return &cinch.Error{Err: cinch.ErrProtected, Message: "tenant \"main\" cannot be deleted", Hint: "every branch keeps its main tenant"}
	}
	b, err := t.branch(ctx)
	if err != nil {
		return err
	}
	unlock, err := b.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if _, found, err := b.reg.get(ctx, name); err != nil {
		return err
	} else if !found {
		return notFoundTenant(name)
	}
	b.p.pool.forget(b, name, true)
	if err := b.writeJournal(journal{Op: "delete", Tenant: name}); err != nil {
		return err
	}
	if err := sqlite.RemoveDB(b.tenantPath(name)); err != nil {
		return err
	}
	if err := os.Remove(b.archivePath(name)); err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := b.reg.remove(ctx, name); err != nil {
		return err
	}
	return b.clearJournal()
}
