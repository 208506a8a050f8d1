package local

import (
	"context"
	"fmt"
	"os"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// tenants implements cinch.TenantService for a handle's branch.
type tenants struct{ d *DB }

var _ cinch.TenantService = tenants{}

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

// Create registers a tenant and, unless lazy, writes its file: from the
// schema template, or a consistent copy of the From tenant; encrypted under
// opts.Key when opts.Encrypt is set. The order (temporary file, rename,
// registry row) means a crash leaves nothing visible: at most an
// unregistered file, which is never served and which the sweep removes.
// CreateMany creates several tenants at once (cinch.TenantService; the
// work is in batch.go).
func (t tenants) CreateMany(ctx context.Context, names []string, opts cinch.TenantCreateOptions) ([]cinch.TenantInfo, error) {
	if err := checkBatch(names, opts); err != nil {
		return nil, err
	}
	b, err := t.branch(ctx)
	if err != nil {
		return nil, err
	}
	return createMany(ctx, b, names, opts)
}

func (t tenants) Create(ctx context.Context, name string, opts cinch.TenantCreateOptions) (cinch.TenantInfo, error) {
	if err := cinch.ValidateTenantName(name); err != nil {
		return cinch.TenantInfo{}, err
	}
	spec := newTenant{name: name, lazy: opts.Lazy, source: opts.From, sourceKey: t.d.key, encrypt: opts.Encrypt, key: opts.Key}
	if opts.Encrypt {
		if opts.Key == "" {
			return cinch.TenantInfo{}, cinch.Errorf(cinch.ErrEncryptionKey, "an encrypted tenant needs a key").WithHint("give the key to encrypt it with; it is never stored")
		}
		if opts.Lazy {
			return cinch.TenantInfo{}, cinch.Errorf(cinch.ErrInvalidInput, "a tenant cannot be both lazy and encrypted").WithHint("an encrypted tenant gets its file at once")
		}
	}
	if opts.From != "" {
		if err := cinch.ValidateTenantName(opts.From); err != nil {
			return cinch.TenantInfo{}, err
		}
		if opts.Lazy {
			return cinch.TenantInfo{}, cinch.Errorf(cinch.ErrInvalidInput, "a tenant copied from another cannot be lazy").WithHint("a copy of a template always has a file")
		}
		return t.copy(ctx, spec)
	}
	b, err := t.branch(ctx)
	if err != nil {
		return cinch.TenantInfo{}, err
	}
	if spec.lazy {
		// A lazy tenant is one registry row and no file, so nothing a
		// schema change or another structural operation does can miss it:
		// the registry's primary key settles races on the name, and its
		// file is created under the branch lock when first written.
		return b.createTenant(ctx, spec)
	}
	unlock, err := b.lock(ctx)
	if err != nil {
		return cinch.TenantInfo{}, err
	}
	defer unlock()
	return b.createTenant(ctx, spec)
}

// Copy makes target a consistent copy of source through the backup API
// (the source may be written meanwhile), or, with noData, an empty tenant.
// An encrypted source needs its key (WithKey); the copy is encrypted too.
func (t tenants) Copy(ctx context.Context, source, target string, noData bool) (cinch.TenantInfo, error) {
	if err := cinch.ValidateTenantName(target); err != nil {
		return cinch.TenantInfo{}, err
	}
	spec := newTenant{name: target, source: source, sourceKey: t.d.key}
	if noData {
		spec.source = "" // after the checks below: the template
	}
	if err := cinch.ValidateTenantName(source); err != nil {
		return cinch.TenantInfo{}, err
	}
	b, err := t.branch(ctx)
	if err != nil {
		return cinch.TenantInfo{}, err
	}
	if _, found, err := b.reg.get(ctx, source); err != nil {
		return cinch.TenantInfo{}, err
	} else if !found {
		return cinch.TenantInfo{}, notFoundTenant(source)
	}
	if noData {
		unlock, err := b.lock(ctx)
		if err != nil {
			return cinch.TenantInfo{}, err
		}
		defer unlock()
		return b.createTenant(ctx, spec)
	}
	return t.copy(ctx, spec)
}

// copy creates spec.name from spec.source's data.
func (t tenants) copy(ctx context.Context, spec newTenant) (cinch.TenantInfo, error) {
	b, err := t.branch(ctx)
	if err != nil {
		return cinch.TenantInfo{}, err
	}
	// Open the source first: it exists, is served, its key is right, and it
	// is caught up to the schema.
	if err := t.d.WithTenant(spec.source).use(ctx, func(*handle) error { return nil }); err != nil {
		return cinch.TenantInfo{}, err
	}
	unlock, err := b.lock(ctx)
	if err != nil {
		return cinch.TenantInfo{}, err
	}
	defer unlock()
	return b.createTenant(ctx, spec)
}

// Rename moves a tenant's file and registry row; main cannot be renamed.
func (t tenants) Rename(ctx context.Context, oldName, newName string) error {
	for _, n := range []string{oldName, newName} {
		if err := cinch.ValidateTenantName(n); err != nil {
			return err
		}
	}
	if oldName == cinch.DefaultTenant {
		return &cinch.Error{Err: cinch.ErrProtected, Message: "tenant \"main\" cannot be renamed", Hint: "copy it to a new name instead"}
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
		return &cinch.Error{Err: cinch.ErrTenantArchived, Entity: fmt.Sprintf("tenant %q", oldName), Message: fmt.Sprintf("tenant %q is archived", oldName), Hint: "restore it before renaming"}
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

// Delete removes a tenant: its file, -wal and -shm, and its registry row.
// main cannot be deleted.
func (t tenants) Delete(ctx context.Context, name string) error {
	if name == cinch.DefaultTenant {
		return &cinch.Error{Err: cinch.ErrProtected, Message: "tenant \"main\" cannot be deleted", Hint: "every branch keeps its main tenant"}
	}
	b, _, unlock, err := t.d.lockedTenant(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
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

func (t tenants) branch(ctx context.Context) (*branch, error) { return t.d.branch(ctx) }
