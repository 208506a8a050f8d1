package cluster

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"sync"
)

// idents maps each tenant (database/branch/name) to its log identity
// (Tenant.ID). The map is a function of the control log: a tenant gets a
// new identity from the control entry that creates it, and a renamed tenant
// carries its identity to its new name, so every node computes the same map.
// It is kept in an append-only file of JSON lines, fsynced before the entry
// that changes it is applied (write-ahead: a node that dies mid-entry
// re-applies it with the same identities), and read back at start.
//
// Tenants with no line (made before identities existed, or by a project
// that was not a cluster) use their name as their identity.
type idents struct {
	mu   sync.RWMutex
	m    map[string]string
	path string
	f    *os.File
}

// identLine is one line of the file: tenant ID is identity.
type identLine struct {
	Tenant string `json:"t"`
	ID     string `json:"id"`
}

func openIdents(path string) (*idents, error) {
	x := &idents{m: map[string]string{}, path: path}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var l identLine
		// A torn last line (the node died while appending) was never
		// acted on: its entry is applied again, and appends it again.
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Tenant != "" {
			x.m[l.Tenant] = l.ID
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if n := len(data); n > 0 && data[n-1] != '\n' {
		f.Write([]byte("\n")) // end the torn line
	}
	x.f = f
	return x, nil
}

// resolve returns t with its identity.
func (x *idents) resolve(t Tenant) Tenant {
	x.mu.RLock()
	t.ID = x.m[t.String()]
	x.mu.RUnlock()
	return t
}

// set records identities (tenant String -> ID) durably, then in memory.
func (x *idents) set(pairs []identLine) error {
	if len(pairs) == 0 {
		return nil
	}
	var buf bytes.Buffer
	for _, p := range pairs {
		b, _ := json.Marshal(p)
		buf.Write(b)
		buf.WriteByte('\n')
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, err := x.f.Write(buf.Bytes()); err != nil {
		return err
	}
	if err := x.f.Sync(); err != nil {
		return err
	}
	for _, p := range pairs {
		x.m[p.Tenant] = p.ID
	}
	return nil
}

func (x *idents) close() error {
	if x == nil || x.f == nil {
		return nil
	}
	return x.f.Close()
}
