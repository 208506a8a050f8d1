//go:build !unix

package local

import (
	"encoding/binary"
	"os"
	"sync"
)

// generation falls back to reading and writing the counter file where
// shared memory maps are not available (slower: one read per handle use).
type generation struct {
	path string
	mu   sync.Mutex
}

func openGeneration(path string) (*generation, error) {
	if _, err := os.Stat(path); err != nil {
		if err := os.WriteFile(path, make([]byte, generationSize), 0o644); err != nil {
			return nil, err
		}
	}
	return &generation{path: path}, nil
}

// word reads counter i (0: handles, 1: schema).
func (g *generation) word(i int) uint64 {
	b, err := os.ReadFile(g.path)
	if err != nil || len(b) < 8*(i+1) {
		return 0
	}
	return binary.LittleEndian.Uint64(b[8*i:])
}

func (g *generation) add(i int) uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := make([]byte, generationSize)
	b0, b1 := g.word(0), g.word(1)
	binary.LittleEndian.PutUint64(b, b0)
	binary.LittleEndian.PutUint64(b[8:], b1)
	v := binary.LittleEndian.Uint64(b[8*i:]) + 1
	binary.LittleEndian.PutUint64(b[8*i:], v)
	os.WriteFile(g.path, b, 0o644)
	return v
}

func (g *generation) load() uint64       { return g.word(0) }
func (g *generation) bump() uint64       { return g.add(0) }
func (g *generation) loadSchema() uint64 { return g.word(1) }
func (g *generation) bumpSchema() uint64 { return g.add(1) }

func (g *generation) close() error { return nil }
