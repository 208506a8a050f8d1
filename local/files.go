package local

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
	"github.com/klauspost/compress/zstd"
)

// writeFileAtomic writes data to path through a temporary file, fsync and
// rename, then fsyncs the directory: readers see the old or the new file,
// never a torn one.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), atomicTempPattern(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return sqlite.SyncDir(filepath.Dir(path))
}

// writeJSON writes v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(data, '\n'))
}

// readJSON reads path into v; a missing file leaves v as is and returns
// os.ErrNotExist wrapped. A file that does not decode into v is an
// *invalidJSON (ErrInternal unless the caller says better, see
// branch.broken).
func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &invalidJSON{path: path, err: err}
	}
	return nil
}

// invalidJSON is a file of cinch's that exists but does not decode.
type invalidJSON struct {
	path string
	err  error
}

func (e *invalidJSON) Error() string {
	return fmt.Sprintf("%v: %s is not valid JSON: %v (restore it from version control or a backup)", cinch.ErrInternal, e.path, e.err)
}

func (e *invalidJSON) Unwrap() error { return cinch.ErrInternal }

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// fileSig identifies one version of changes.json without reading it.
type fileSig struct {
	size  int64
	mtime time.Time
	ino   uint64
}

func statSig(path string) (fileSig, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileSig{}, err
	}
	s := fileSig{size: fi.Size(), mtime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.ino = uint64(st.Ino)
	}
	return s, nil
}

func dirOf(path string) string { return filepath.Dir(path) }

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
	if v, ok := walVersion(walFile(path)); ok {
		return v
	}
	return headerVersion(hdr[:])
}

// headerVersion is user_version in a database header (bytes 60-63).
func headerVersion(hdr []byte) int {
	return int(hdr[60])<<24 | int(hdr[61])<<16 | int(hdr[62])<<8 | int(hdr[63])
}

// walVersion reads user_version from the newest committed copy of page 1
// in a WAL file, if it holds one: a rollout that migrates a tenant no one
// has open leaves the change in the WAL (sqlite.Conn.MigrateWAL), so the
// main file's header is not yet the tenant's version. Frames count when
// their salts match the WAL header's (older ones are left over from before
// the WAL was restarted) and a commit frame follows them. It is for
// reporting (tenant list, the count of tenants behind); checksums are not
// verified.
func walVersion(path string) (int, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var wh [32]byte
	if _, err := f.ReadAt(wh[:], 0); err != nil {
		return 0, false
	}
	pageSize := int64(binary.BigEndian.Uint32(wh[8:12]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0 {
		return 0, false
	}
	salt1, salt2 := binary.BigEndian.Uint32(wh[16:20]), binary.BigEndian.Uint32(wh[20:24])
	var (
		fh        [24]byte
		page1     [64]byte
		pending   = -1 // version in a page-1 frame not yet followed by a commit
		committed = -1
	)
	for off := int64(32); ; off += 24 + pageSize {
		if _, err := f.ReadAt(fh[:], off); err != nil {
			break
		}
		if binary.BigEndian.Uint32(fh[8:12]) != salt1 || binary.BigEndian.Uint32(fh[12:16]) != salt2 {
			break
		}
		if binary.BigEndian.Uint32(fh[0:4]) == 1 {
			if _, err := f.ReadAt(page1[:], off+24); err != nil {
				break
			}
			pending = headerVersion(page1[:])
		}
		if binary.BigEndian.Uint32(fh[4:8]) != 0 && pending >= 0 { // a commit frame
			committed = pending
		}
	}
	return committed, committed >= 0
}

// diskSize is the size of a tenant's db and wal files.
func diskSize(path string) int64 {
	var n int64
	for _, p := range []string{path, walFile(path)} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// renameTenantFile checkpoints the WAL into the file (so one file holds
// everything), then renames it.
func renameTenantFile(ctx context.Context, oldPath, newPath string) error {
	c, err := sqlite.Open(ctx, oldPath, sqlite.Options{})
	if err != nil {
		return err
	}
	err = c.Checkpoint()
	c.Close()
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", oldPath, err)
	}
	sqlite.RemoveDB(newPath)
	os.Remove(walFile(oldPath))
	os.Remove(shmFile(oldPath))
	if err := os.Rename(oldPath, newPath); err != nil {
		return err
	}
	return sqlite.SyncDir(dirOf(newPath))
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
