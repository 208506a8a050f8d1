package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/cinchdb/cinch"
	"github.com/ncruces/go-sqlite3"
)

// HintDiskFull is the hint of every disk-full error: a write that failed
// for want of space was rolled back (SQLite) or never published (cinch's
// own files are written to a temporary file and renamed).
const HintDiskFull = "free disk space and retry; nothing was lost"

// translate maps driver errors to the vocabulary, keeping the message.
func translate(err error) error { return translateAt(err, "") }

// translate is translateAt for this connection's file.
func (c *Conn) translate(err error) error { return translateAt(err, c.path) }

// translateAt maps driver errors to the vocabulary, keeping the message.
// path is the file being written, if known: it lets a write error be
// recognized as a full disk (see DiskFull).
func translateAt(err error, path string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sqlite3.IOERR) {
		if ce := takeCaptureError(path); ce != nil {
			return ce
		}
	}
	if DiskFull(err, path) {
		var ce *cinch.Error
		if errors.As(err, &ce) && errors.Is(ce, cinch.ErrDiskFull) {
			return err
		}
		return &cinch.Error{Err: cinch.ErrDiskFull, Message: "disk full: " + strings.TrimPrefix(err.Error(), "sqlite3: "), Hint: HintDiskFull}
	}
	// The driver returns *sqlite3.Error, or a bare ErrorCode/ExtendedErrorCode.
	var (
		se  *sqlite3.Error
		ec  sqlite3.ErrorCode
		xec sqlite3.ExtendedErrorCode
	)
	if errors.As(err, &se) || errors.As(err, &ec) || errors.As(err, &xec) {
		msg := strings.TrimPrefix(err.Error(), "sqlite3: ")
		switch {
		case errors.Is(err, sqlite3.CONSTRAINT):
			return &cinch.Error{Err: cinch.ErrConstraint, Message: msg}
		case errors.Is(err, sqlite3.BUSY), errors.Is(err, sqlite3.LOCKED):
			return &cinch.Error{Err: cinch.ErrBusy, Message: msg, Hint: "another writer held the tenant for longer than the busy timeout; retry"}
		case errors.Is(err, sqlite3.INTERRUPT):
			return &cinch.Error{Err: cinch.ErrCanceled, Message: "query interrupted: " + msg}
		case errors.Is(err, sqlite3.AUTH):
			return &cinch.Error{Err: cinch.ErrQueryRejected, Message: msg}
		case errors.Is(err, sqlite3.FULL):
			// Not a full disk (DiskFull said so): the page cap of the
			// tenant's group (PRAGMA max_page_count).
			return &cinch.Error{Err: cinch.ErrLimitExceeded, Message: msg,
				Hint: "the tenant reached its group's max database size; nothing was written"}
		case errors.Is(err, sqlite3.READONLY):
			return &cinch.Error{Err: cinch.ErrReadOnly, Message: msg}
		case errors.Is(err, sqlite3.TOOBIG), errors.Is(err, sqlite3.NOMEM):
			// A value over SQLite's length limit, or a statement that needs
			// more memory than SQLite may use: the request asked too much.
			return &cinch.Error{Err: cinch.ErrTooLarge, Message: msg,
				Hint: "ask for smaller values or fewer rows at once (substr, length, LIMIT)"}
		case errors.Is(err, sqlite3.ERROR), errors.Is(err, sqlite3.RANGE), errors.Is(err, sqlite3.MISMATCH):
			return &cinch.Error{Err: cinch.ErrInvalidInput, Message: msg}
		}
		return fmt.Errorf("%w: %s", cinch.ErrInternal, msg)
	}
	return err
}

// IsQueryRejected reports whether err is the guard refusing a statement:
// from Conn.Query and the rest (cinch.ErrQueryRejected), or from the
// driver's own error chain (SQLITE_AUTH, as the *sql.DB of OpenDB may give).
func IsQueryRejected(err error) bool {
	return errors.Is(err, cinch.ErrQueryRejected) || errors.Is(err, sqlite3.AUTH)
}

// lowSpace is the free space under which a write error counts as a full
// disk. A write that fails for want of space leaves less than one write
// behind it: SQLite writes a page (4 KiB) or a frame at a time and grows
// the -shm by 32 KiB, so 1 MiB is comfortably above any of those and far
// below what a working disk keeps free.
const lowSpace = 1 << 20

// freeSpace returns the bytes this process may still write on the file
// system holding path (ok false if unknown). A variable so tests can fake
// a full disk.
var freeSpace = freeBytes

// DiskFull reports whether err is a write that failed because the file
// system holding path is out of space: ENOSPC anywhere in the chain (Go's
// own file operations say so), an error already translated to
// cinch.ErrDiskFull, or an SQLite write-side error (SQLITE_FULL, an I/O
// error other than a read, a failure to create a file) while that file
// system has almost nothing free.
//
// The last case is a deduction because the driver loses the errno: its VFS
// maps ENOSPC to SQLITE_FULL only when the write error is a bare errno,
// but os.File returns an *fs.PathError, so SQLite sees IOERR_WRITE; and the
// errno it keeps for sqlite3_system_errno is overwritten by the next,
// successful, file operation (the rollback), so errors.Is(err,
// syscall.ENOSPC) is false by the time the error reaches us. The free
// space is read after the failure, while the rolled-back transaction's
// pages are still allocated in the WAL, so it is what the write saw.
// SQLITE_FULL with space to spare is the group page cap, not the disk.
func DiskFull(err error, path string) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, cinch.ErrDiskFull) {
		return true
	}
	if path == "" || !writeError(err) {
		return false
	}
	free, ok := freeSpace(existingDir(path))
	return ok && free < lowSpace
}

// writeError reports whether a driver error can come from a failed write.
func writeError(err error) bool {
	var xec sqlite3.ExtendedErrorCode
	if !errors.As(err, &xec) {
		return false
	}
	switch xec {
	case sqlite3.IOERR_READ, sqlite3.IOERR_SHORT_READ, sqlite3.IOERR_CORRUPTFS, sqlite3.IOERR_NOMEM:
		return false
	}
	switch sqlite3.ErrorCode(xec & 0xff) {
	case sqlite3.FULL, sqlite3.IOERR, sqlite3.CANTOPEN:
		return true
	}
	return false
}

// existingDir is the nearest folder of path that exists (a temporary file
// may be gone after a failed write; its folder is on the same disk).
func existingDir(path string) string {
	dir := filepath.Dir(path)
	for {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return dir
		}
		dir = parent
	}
}
