package sqlite

import (
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/util/vfsutil"
	"github.com/ncruces/go-sqlite3/vfs"

	"github.com/cinchdb/cinch"
)

// Commit capture (cluster mode, docs/cluster.md): the pages each
// transaction writes, handed to a sink before the transaction becomes
// visible.
//
// SQLite in WAL mode appends a transaction to the -wal file as frames (a
// 24-byte header with the page number, then the page image); the header of
// the last frame carries the database size in pages ("commit frame"). The
// transaction becomes visible only after that frame is written and the
// wal-index is updated. The capture VFS wraps the -wal file only: it
// collects the frames of the transaction being written and, when the page
// of the commit frame is written, calls the sink before returning. A sink
// error fails the write, so SQLite fails the commit and the frames stay
// invisible.

// CaptureVFS is the name of the capturing VFS in file URIs.
const CaptureVFS = "cinch-capture"

// Page is one page image of a committed transaction.
type Page struct {
	No   uint32 // 1-based page number
	Data []byte // the page image, PageSize bytes
}

// Commit is one committed transaction of a captured file: the pages it
// wrote (ascending page numbers, each once) and the database size after it.
type Commit struct {
	PageSize int
	DBPages  uint32 // the database size in pages after the commit
	Pages    []Page
}

// Sink receives each commit of a captured file before it becomes visible.
// An error fails the commit.
type Sink func(Commit) error

// Capturer decides, per database file (its absolute path), whether commits
// are captured and where they go. captured false: the file is not captured
// (registries, temporary files). captured true with a nil sink: commits are
// refused with cinch.ErrNotOwner (a tenant this node does not own).
type Capturer interface {
	SinkFor(dbPath string) (sink Sink, captured bool)
}

var (
	capturer   atomic.Pointer[capturerBox]
	registerMu sync.Once
)

type capturerBox struct{ c Capturer }

// SetCapturer installs c for the whole process (nil uninstalls it). While
// one is installed, every unencrypted file this package opens goes through
// the capture VFS; files opened before keep the VFS they were opened with.
func SetCapturer(c Capturer) {
	registerMu.Do(func() { vfs.Register(CaptureVFS, &captureVFS{VFS: vfs.Find("os")}) })
	if c == nil {
		capturer.Store(nil)
		return
	}
	capturer.Store(&capturerBox{c})
}

// capturing reports whether a capturer is installed (fileName's choice).
func capturing() bool { return capturer.Load() != nil }

// sinkFor asks the installed capturer about dbPath.
func sinkFor(dbPath string) (Sink, bool) {
	b := capturer.Load()
	if b == nil {
		return nil, false
	}
	return b.c.SinkFor(dbPath)
}

// captureVFS wraps the os VFS: -wal files get a capturing wrapper, every
// other file is the os VFS's own.
type captureVFS struct{ vfs.VFS }

// Open is only used for files without a name (temporary files).
func (c *captureVFS) Open(name string, flags vfs.OpenFlag) (vfs.File, vfs.OpenFlag, error) {
	return c.VFS.Open(name, flags)
}

// OpenFilename opens a file; -wal files are wrapped.
func (c *captureVFS) OpenFilename(name *vfs.Filename, flags vfs.OpenFlag) (vfs.File, vfs.OpenFlag, error) {
	file, flags, err := vfsutil.WrapOpenFilename(c.VFS, name, flags)
	if err != nil || name == nil || flags&vfs.OPEN_WAL == 0 {
		return file, flags, err
	}
	return &walFile{File: file, db: strings.TrimSuffix(name.String(), "-wal"), headers: map[int64]frameHeader{}}, flags, nil
}

type frameHeader struct{ pgno, commit uint32 }

// walFile collects the frames of the transaction being written to a -wal
// file. One connection writes a -wal at a time (SQLite's WAL write lock),
// and each connection has its own walFile, so no locking is needed.
type walFile struct {
	vfs.File
	db string // the database file's path

	headers map[int64]frameHeader // frame headers written since the last commit, by frame offset
	frames  map[int64]Page        // pages of the transaction being written, by frame offset
}

const walFrameHeaderSize = 24

// WriteAt writes to the -wal and captures what it writes. SQLite writes the
// WAL header (32 bytes at 0), then per frame its header (24 bytes) and its
// page (page size bytes at header+24); a page may be rewritten in place
// before the commit (cache spill), and frame headers are rewritten after
// it (checksums).
func (w *walFile) WriteAt(p []byte, off int64) (int, error) {
	switch {
	case off == 0 && len(p) == 32: // a new WAL (restart): nothing pending survives it
		clear(w.headers)
		w.frames = nil
	case len(p) == walFrameHeaderSize:
		// A frame header at off. Pages buffered at or past off belong to a
		// transaction that was rolled back and is being written over.
		for o := range w.frames {
			if o >= off {
				delete(w.frames, o)
			}
		}
		w.headers[off] = frameHeader{binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:])}
	default:
		h, ok := w.headers[off-walFrameHeaderSize]
		if !ok {
			return 0, fmt.Errorf("cinch capture: page write at %d of %s without a frame header", off, w.File)
		}
		if w.frames == nil {
			w.frames = map[int64]Page{}
		}
		w.frames[off-walFrameHeaderSize] = Page{No: h.pgno, Data: append([]byte(nil), p...)}
		if h.commit != 0 {
			err := w.commit(len(p), h.commit)
			clear(w.headers)
			w.frames = nil
			if err != nil {
				return 0, err
			}
		}
	}
	return w.File.WriteAt(p, off)
}

// commit hands the collected transaction to the file's sink.
func (w *walFile) commit(pageSize int, dbPages uint32) error {
	sink, captured := sinkFor(w.db)
	if !captured {
		return nil
	}
	if sink == nil {
		err := &cinch.Error{Err: cinch.ErrNotOwner, Message: fmt.Sprintf("this node does not own %s: the write was refused", w.db),
			Hint: "retry: the request is sent to the tenant's owner"}
		captureErrors.Store(w.db, err)
		return err
	}
	offs := make([]int64, 0, len(w.frames))
	for o := range w.frames {
		offs = append(offs, o)
	}
	sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
	byPage := map[uint32]int{}
	c := Commit{PageSize: pageSize, DBPages: dbPages}
	for _, o := range offs { // a later frame of the same page wins
		pg := w.frames[o]
		if i, ok := byPage[pg.No]; ok {
			c.Pages[i] = pg
			continue
		}
		byPage[pg.No] = len(c.Pages)
		c.Pages = append(c.Pages, pg)
	}
	sort.Slice(c.Pages, func(i, j int) bool { return c.Pages[i].No < c.Pages[j].No })
	if err := sink(c); err != nil {
		captureErrors.Store(w.db, err)
		return fmt.Errorf("%w: %w", sqlite3.IOERR_WRITE, err)
	}
	return nil
}

// captureErrors holds, per database path, the sink error of the last
// refused commit: the driver reports it as a bare I/O error, and the
// connection that sees that error takes the real one from here.
var captureErrors sync.Map

// takeCaptureError returns and forgets the last sink error of the file at
// path, or nil.
func takeCaptureError(path string) error {
	if path == "" {
		return nil
	}
	if v, ok := captureErrors.LoadAndDelete(path); ok {
		return v.(error)
	}
	return nil
}

// Unwrap returns the os file (vfsutil.UnwrapFile).
func (w *walFile) Unwrap() vfs.File { return w.File }

// SizeHint passes the hint to the os file.
func (w *walFile) SizeHint(size int64) error { return vfsutil.WrapSizeHint(w.File, size) }

// ChunkSize passes the chunk size to the os file.
func (w *walFile) ChunkSize(size int) { vfsutil.WrapChunkSize(w.File, size) }

// LockState is the os file's.
func (w *walFile) LockState() vfs.LockLevel { return vfsutil.WrapLockState(w.File) }

// ApplyCommits writes commits, in order, into the database file at path,
// which no connection may have open and which must have no -wal: the
// result is the file a checkpoint of the same transactions gives, byte for
// byte. Applying commits the file already holds is harmless (page images
// are absolute), so a rebuild may start from any earlier point.
func ApplyCommits(path string, commits ...Commit) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	for _, c := range commits {
		for _, pg := range c.Pages {
			if len(pg.Data) != c.PageSize || pg.No == 0 {
				f.Close()
				return fmt.Errorf("apply to %s: page %d has %d bytes, want %d", path, pg.No, len(pg.Data), c.PageSize)
			}
			if _, err := f.WriteAt(pg.Data, int64(pg.No-1)*int64(c.PageSize)); err != nil {
				f.Close()
				return err
			}
		}
		if err := f.Truncate(int64(c.DBPages) * int64(c.PageSize)); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
