//go:build linux

package local

import (
	"context"
	"os"

	"github.com/cinchdb/cinch/sqlite"
	"golang.org/x/sys/unix"
)

// SQLite's lock bytes (os_unix.c): a reader's SHARED lock is a read lock on
// sharedSize bytes from sharedFirst; a connection that deletes or rewrites
// the file under it (the last WAL connection's closing checkpoint, a
// rollback-journal writer) needs a write lock there first.
const (
	pendingByte = 0x40000000
	sharedFirst = pendingByte + 2
	sharedSize  = 510
)

// readQuiet runs fn on an immutable, read-only connection on a tenant file
// that no connection has open: no -wal, -shm or lock traffic, which is
// most of what opening a tenant costs. It reports ok=false, without
// running fn or after discarding what fn did (the caller then reads the
// normal way), unless the read was provably of a quiet file:
//
//   - no -wal file before the read: every committed transaction is in the
//     main file, and no connection has it open in WAL mode (the first one
//     creates the -wal, the last one deletes it);
//   - a SHARED lock (an OFD read lock, which the driver's and SQLite's
//     POSIX or OFD locks respect) is held across the read, so no
//     connection can take the EXCLUSIVE lock a closing checkpoint or a
//     rollback-journal write needs;
//   - still no -wal file after the read: nothing opened the file in WAL
//     mode meanwhile, so nothing wrote to the main file (a WAL writer
//     writes to its -wal first, and a checkpoint leaves the -wal behind).
func readQuiet(ctx context.Context, path string, opts sqlite.Options, fn func(c *sqlite.Conn) error) (ok bool, err error) {
	return quietly(path, func() error {
		opts.ReadOnly, opts.Immutable = true, true
		c, err := sqlite.Open(ctx, path, opts)
		if err != nil {
			return errNotQuiet
		}
		err = fn(c)
		c.Close()
		return err
	})
}

// quietly runs fn, which reads the file at path as immutable, under the
// protocol of readQuiet; ok=false says to drop what fn read (fn may also
// return errNotQuiet for that).
func quietly(path string, fn func() error) (ok bool, err error) {
	wal := walFile(path)
	if exists(wal) {
		return false, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, nil
	}
	defer f.Close()
	lock := unix.Flock_t{Type: unix.F_RDLCK, Whence: 0, Start: sharedFirst, Len: sharedSize}
	if unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &lock) != nil {
		return false, nil // a writer holds it: read the normal way
	}
	// Closing f releases the lock (OFD locks belong to this descriptor only,
	// not to the process: the pool's connections keep theirs).
	if exists(wal) {
		return false, nil
	}
	err = fn()
	if err == errNotQuiet || exists(wal) {
		return false, nil
	}
	return true, err
}
