package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/ncruces/go-sqlite3"
)

// Issue 10, item 5.3: the translation of out-of-space failures. The driver
// loses ENOSPC (it reports IOERR_WRITE), so a write-side error on a file
// system with almost nothing free is a full disk; SQLITE_FULL with room to
// spare is a group's page cap. (local's tmpfs test shows it end to end.)
func TestTranslate_DiskFull(t *testing.T) {
	old := freeSpace
	defer func() { freeSpace = old }()
	var free int64
	freeSpace = func(string) (int64, bool) { return free, true }
	const path = "/some/dir/tenant.db"
	cases := []struct {
		name string
		err  error
		path string
		free int64
		want error
	}{
		{"ENOSPC from a Go file op", &fs.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}, "", 1 << 30, cinch.ErrDiskFull},
		{"ENOSPC wrapped", fmt.Errorf("publish: %w", &fs.PathError{Op: "fsync", Path: path, Err: syscall.ENOSPC}), "", 1 << 30, cinch.ErrDiskFull},
		{"IOERR_WRITE on a full disk", sqlite3.IOERR_WRITE, path, 4096, cinch.ErrDiskFull},
		{"IOERR_SHMSIZE on a full disk", sqlite3.IOERR_SHMSIZE, path, 0, cinch.ErrDiskFull},
		{"IOERR_FSYNC on a full disk", sqlite3.IOERR_FSYNC, path, 0, cinch.ErrDiskFull},
		{"SQLITE_FULL on a full disk", sqlite3.FULL, path, 0, cinch.ErrDiskFull},
		{"IOERR_WRITE with room", sqlite3.IOERR_WRITE, path, 1 << 30, cinch.ErrInternal},
		{"IOERR_WRITE, file unknown", sqlite3.IOERR_WRITE, "", 0, cinch.ErrInternal},
		{"IOERR_READ on a full disk", sqlite3.IOERR_READ, path, 0, cinch.ErrInternal},
		{"SQLITE_FULL with room: the page cap", sqlite3.FULL, path, 1 << 30, cinch.ErrLimitExceeded},
		{"SQLITE_FULL, file unknown: the page cap", sqlite3.FULL, "", 0, cinch.ErrLimitExceeded},
		{"constraint on a full disk", sqlite3.CONSTRAINT_UNIQUE, path, 0, cinch.ErrConstraint},
	}
	for _, tc := range cases {
		free = tc.free
		got := translateAt(tc.err, tc.path)
		if !errors.Is(got, tc.want) {
			t.Errorf("%s: %v (code %s), want %v", tc.name, got, cinch.Code(got), tc.want)
			continue
		}
		if tc.want == cinch.ErrDiskFull {
			if cinch.Code(got) != "disk_full" || !strings.HasPrefix(got.Error(), "disk full: ") || !strings.Contains(got.Error(), HintDiskFull) {
				t.Errorf("%s: %q (code %s), want a disk_full message with the hint", tc.name, got, cinch.Code(got))
			}
		}
	}
	if translateAt(nil, path) != nil {
		t.Error("nil error translated to non-nil")
	}
}
