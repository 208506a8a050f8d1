package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
)

// backupStep copies the whole database to dstURI (the file dst).
func (c *Conn) backupStep(ctx context.Context, dst, dstURI string) error {
	b, err := c.raw.BackupInit("main", dstURI)
	if err != nil {
		return translateAt(err, dst)
	}
	defer b.Close()
	if err := ctx.Err(); err != nil {
		return cinch.Errorf(cinch.ErrCanceled, "copy canceled")
	}
	// All pages in one step: one read transaction, so the copy is one
	// consistent snapshot even while other connections write (in WAL mode
	// they are not blocked). Stepping in pieces would restart on every write.
	if _, err := b.Step(-1); err != nil {
		return translateAt(err, dst)
	}
	return nil
}

// Publish makes a finished temporary database file visible at dst: fsync
// the file, rename over dst (removing any stale -wal/-shm of dst first) and
// fsync the directory.
func Publish(tmp, dst string) error {
	return publish(tmp, dst, true)
}

func publish(tmp, dst string, syncDir bool) error {
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
	if !syncDir {
		return nil
	}
	return SyncDir(filepath.Dir(dst))
}

// PublishForWrite is Publish without the fsync of the folder, for a file
// that is about to be opened and written to: the first commit to a new
// file in WAL mode fsyncs the new -wal file and then the folder (SQLite
// syncs the folder of a new WAL at its first sync), which makes the rename
// durable too. Until then a crash leaves the file absent, never
// incomplete: its bytes are fsynced before the rename.
func PublishForWrite(tmp, dst string) error {
	return publish(tmp, dst, false)
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

// VacuumInto writes a compacted copy of the database to the new file at
// path (VACUUM INTO): how a tenant file is made from the template.
func (c *Conn) VacuumInto(path string) error {
	name := fileName(path, false)
	if name == FileURI(path) {
		// The URI says nothing the plain name does not: SQLite opens the
		// same file by either, and the plain name is faster (~10µs).
		name = path
	}
	return c.Exec("VACUUM INTO " + schema.QuoteLiteral(name))
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
// renames it with Publish when ready), encrypted under key if given.
func (c *Conn) BackupToTemp(ctx context.Context, tmp string, key []byte) error {
	removeDB(tmp)
	dst := fileName(tmp, false)
	if len(key) > 0 {
		// The backup's destination connection is opened by the driver from
		// this URI, so the key goes in it; it never reaches disk.
		dst = fileName(tmp, true, fmt.Sprintf("hexkey=%x", key))
	}
	if err := c.backupStep(ctx, tmp, dst); err != nil {
		removeDB(tmp)
		return err
	}
	return nil
}
