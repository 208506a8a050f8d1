package sqlite

import (
	"context"
	"os"
	"path/filepath"

	"github.com/cinchdb/cinch"
	"github.com/ncruces/go-sqlite3"
)

// BackupTo writes a consistent copy of this connection's main database to
// dst through SQLite's online backup API (never a raw copy of a live WAL
// file). It writes dst+".tmp", fsyncs and renames, so dst is whole or absent.
func (c *Conn) BackupTo(ctx context.Context, dst string) error {
	tmp := dst + ".tmp"
	removeDB(tmp)
	if err := c.backupStep(ctx, tmp); err != nil {
		removeDB(tmp)
		return err
	}
	// The copy is in rollback-journal state from the backup; switch to WAL
	// and checkpoint so a single file holds it all before the rename.
	out, err := Open(ctx, tmp, Options{})
	if err != nil {
		removeDB(tmp)
		return err
	}
	out.raw.WALCheckpoint("main", sqlite3.CHECKPOINT_TRUNCATE)
	out.Close()
	return Publish(tmp, dst)
}

func (c *Conn) backupStep(ctx context.Context, tmp string) error {
	b, err := c.raw.BackupInit("main", FileURI(tmp))
	if err != nil {
		return translate(err)
	}
	defer b.Close()
	if err := ctx.Err(); err != nil {
		return cinch.Errorf(cinch.ErrCanceled, "copy canceled")
	}
	// All pages in one step: one read transaction, so the copy is one
	// consistent snapshot even while other connections write (in WAL mode
	// they are not blocked). Stepping in pieces would restart on every write.
	if _, err := b.Step(-1); err != nil {
		return translate(err)
	}
	return nil
}

// Publish makes a finished temporary database file visible at dst: fsync
// the file, rename over dst (removing any stale -wal/-shm of dst first) and
// fsync the directory.
func Publish(tmp, dst string) error {
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	f.Close()
	os.Remove(dst + "-wal")
	os.Remove(dst + "-shm")
	os.Remove(tmp + "-wal")
	os.Remove(tmp + "-shm")
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(dst))
}

// SyncDir fsyncs a directory so a rename or create in it is durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + suffix)
	}
}

// RemoveDB deletes a database file and its -wal, -shm and -journal files.
func RemoveDB(path string) error {
	removeDB(path)
	if _, err := os.Stat(path); err == nil {
		return os.Remove(path)
	}
	return nil
}

// BackupToTemp writes a consistent copy to tmp (not published: the caller
// renames it with Publish when ready).
func (c *Conn) BackupToTemp(ctx context.Context, tmp string) error {
	removeDB(tmp)
	if err := c.backupStep(ctx, tmp); err != nil {
		removeDB(tmp)
		return err
	}
	return nil
}
