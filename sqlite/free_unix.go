//go:build linux || darwin || freebsd

package sqlite

import (
	"os"

	"golang.org/x/sys/unix"
)

// freeBytes is the space left on the file system holding dir for this
// process: the blocks free to root when running as root, else the blocks
// available to ordinary users (ext4 and others keep a reserve for root).
func freeBytes(dir string) (int64, bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, false
	}
	blocks := uint64(st.Bavail)
	if os.Geteuid() == 0 {
		blocks = uint64(st.Bfree)
	}
	return int64(blocks) * int64(st.Bsize), true
}
