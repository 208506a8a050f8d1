//go:build unix

package local

import (
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// generation is a counter shared by every process using the project,
// through a memory-mapped 8-byte file. Operations that make open tenant
// handles stale (delete, rename, restore) bump it; each process compares it
// on every handle use, which costs one atomic load. This is how the CLI can
// delete a tenant while a server has it open.
type generation struct {
	mem  []byte
	word *uint64
}

func openGeneration(path string) (*generation, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if fi.Size() < 8 {
		if err := f.Truncate(8); err != nil {
			return nil, err
		}
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, 8, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &generation{mem: mem, word: (*uint64)(unsafe.Pointer(&mem[0]))}, nil
}

func (g *generation) load() uint64 { return atomic.LoadUint64(g.word) }
func (g *generation) bump() uint64 { return atomic.AddUint64(g.word, 1) }
func (g *generation) close() error { return unix.Munmap(g.mem) }
