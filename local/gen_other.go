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
		if err := os.WriteFile(path, make([]byte, 8), 0o644); err != nil {
			return nil, err
		}
	}
	return &generation{path: path}, nil
}

func (g *generation) load() uint64 {
	b, err := os.ReadFile(g.path)
	if err != nil || len(b) < 8 {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

func (g *generation) bump() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	v := g.load() + 1
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, v)
	os.WriteFile(g.path, b, 0o644)
	return v
}

func (g *generation) close() error { return nil }
