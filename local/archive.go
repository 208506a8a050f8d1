package local

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
	"github.com/klauspost/compress/zstd"
)

// Archive moves a tenant out of the serving set: its file is checkpointed,
// compressed into archive/<tenant>.db.zst (temporary file, fsync, rename),
// marked archived in the registry, and only then removed. An archived
// tenant is not served and fan-out skips it. main cannot be archived.
func (f fleet) Archive(ctx context.Context, name string) error {
	d := f.d
	if name == cinch.DefaultTenant {
		return &cinch.Error{Err: cinch.ErrProtected, Message: "tenant \"main\" cannot be archived", Hint: "archive customer tenants only"}
	}
	b, row, unlock, err := d.lockedTenant(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	if row.Archived {
		return &cinch.Error{Err: cinch.ErrTenantArchived, Entity: fmt.Sprintf("tenant %q", name), Message: fmt.Sprintf("tenant %q is already archived", name)}
	}
	d.p.pool.forget(b, name, true)
	path := b.tenantPath(name)
	if err := os.MkdirAll(archiveDir(b.dir), 0o755); err != nil {
		return err
	}
	if exists(path) {
		// Checkpoint into the main file; nothing else writes meanwhile in
		// this process, and other processes dropped the handle (generation).
		opts := d.p.connOptions()
		if opts.Key, err = d.p.tenantKey(row, d.key); err != nil {
			return err
		}
		c, err := sqlite.Open(ctx, path, opts)
		if err != nil {
			return err
		}
		err = c.Checkpoint()
		c.Close()
		if err != nil {
			return fmt.Errorf("%w: checkpoint before archive: %v", cinch.ErrBusy, err)
		}
		if err := compressFile(path, b.archivePath(name)); err != nil {
			return err
		}
	}
	if _, err := b.reg.exec(ctx, "UPDATE tenants SET archived = 1 WHERE name = ?", name); err != nil {
		return err
	}
	return sqlite.RemoveDB(path)
}

// Restore brings an archived tenant back: decompress to a temporary file,
// check its integrity, apply the schema changes made meanwhile, publish it,
// and mark it served. A corrupt archive is an error and changes nothing.
func (f fleet) Restore(ctx context.Context, name string) error {
	d := f.d
	b, row, unlock, err := d.lockedTenant(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	if !row.Archived {
		return cinch.Errorf(cinch.ErrInvalidInput, "tenant %q is not archived", name).WithHint("nothing to restore")
	}
	path, arc := b.tenantPath(name), b.archivePath(name)
	if exists(arc) {
		tmp := tempFile(path)
		sqlite.RemoveDB(tmp)
		if err := decompressFile(arc, tmp); err != nil {
			sqlite.RemoveDB(tmp)
			return &cinch.Error{Err: cinch.ErrInvalidInput, Message: fmt.Sprintf("archive of tenant %q is corrupt: %v", name, err),
				Hint: "the tenant stays archived; restore " + arc + " from a backup"}
		}
		dk, err := d.p.tenantKey(row, d.key)
		if err != nil {
			sqlite.RemoveDB(tmp)
			return err
		}
		if err := b.checkFile(ctx, tmp, dk, func(c *sqlite.Conn) error { return b.catchUp(ctx, c) }); err != nil {
			sqlite.RemoveDB(tmp)
			return &cinch.Error{Err: cinch.ErrInvalidInput, Message: fmt.Sprintf("archive of tenant %q is corrupt: %v", name, err),
				Hint: "the tenant stays archived; restore " + arc + " from a backup"}
		}
		if err := sqlite.Publish(tmp, path); err != nil {
			return err
		}
	}
	if _, err := b.reg.exec(ctx, "UPDATE tenants SET archived = 0 WHERE name = ?", name); err != nil {
		return err
	}
	d.p.pool.forget(b, name, true)
	// A lazy tenant was archived without a file, so it has no archive.
	if err := os.Remove(arc); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

func compressFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := tempFile(dst)
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	zw, err := zstd.NewWriter(out)
	if err != nil {
		out.Close()
		return err
	}
	if _, err := io.Copy(zw, in); err != nil {
		zw.Close()
		out.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	return sqlite.SyncDir(filepath.Dir(dst))
}

func decompressFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	zr, err := zstd.NewReader(in)
	if err != nil {
		return err
	}
	defer zr.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, zr); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
