//go:build unix

package local

import (
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// generation is two counters shared by every process using the project,
// through a memory-mapped 16-byte file. Operations that make open tenant
// handles stale (delete, rename, restore) bump the first; each process
// compares it on every handle use, which costs one atomic load. This is how
// the CLI can delete a tenant while a server has it open. Every committed
// schema change bumps the second (the schema generation): a process seeing
// it move catches its open tenants up to the new history before their next
// use, so a change that returned without migrating them (rollout.go) is
// still seen by every process's next query.
type generation struct {
	mem    []byte
	word   *uint64
	schema *uint64
}

func openGeneration(path string) (*generation, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if fi.Size() < generationSize {
		// Growing keeps the first word: an older file (8 bytes) keeps its count.
		if err := f.Truncate(generationSize); err != nil {
			return nil, err
		}
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, generationSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &generation{mem: mem, word: (*uint64)(unsafe.Pointer(&mem[0])), schema: (*uint64)(unsafe.Pointer(&mem[8]))}, nil
}

func (g *generation) load() uint64 { return atomic.LoadUint64(g.word) }
func (g *generation) bump() uint64 { return atomic.AddUint64(g.word, 1) }
func (g *generation) close() error { return unix.Munmap(g.mem) }

// loadSchema and bumpSchema read and move the schema generation.
func (g *generation) loadSchema() uint64 { return atomic.LoadUint64(g.schema) }
func (g *generation) bumpSchema() uint64 { return atomic.AddUint64(g.schema, 1) }
