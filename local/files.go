package local

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
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
