package local

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"sync"

	"github.com/cinchdb/cinch"
	"golang.org/x/crypto/argon2"
)

// Encryption at rest: an encrypted tenant's file is written through the
// adiantum VFS of the driver under a 32-byte key derived from the user's key
// with Argon2id and a per-tenant random salt (kept in the registry). cinch
// never stores the user's key or the derived key on disk; every access
// gives the key (library: DB.WithKey; CLI: --key or CINCHDB_TENANT_KEY).
// Derivation is deliberately slow, so derived keys are cached in memory per
// process (bounded).

const saltSize = 16

func newSalt() ([]byte, error) {
	s := make([]byte, saltSize)
	_, err := rand.Read(s)
	return s, err
}

// keyCache maps (salt, user key) to the derived key.
type keyCache struct {
	mu sync.Mutex
	m  map[[32]byte][]byte
}

func (kc *keyCache) derive(salt []byte, key string) []byte {
	id := sha256.Sum256(append(append([]byte{}, salt...), key...))
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if k, ok := kc.m[id]; ok {
		return k
	}
	if kc.m == nil || len(kc.m) > 4096 {
		kc.m = map[[32]byte][]byte{}
	}
	// OWASP's Argon2id minimum: 19 MiB, 2 passes.
	k := argon2.IDKey([]byte(key), salt, 2, 19*1024, 2, 32)
	kc.m[id] = k
	return k
}

var errNoKey = func(tenant string) error {
	return &cinch.Error{Err: cinch.ErrEncryptionKey, Message: fmt.Sprintf("tenant %q is encrypted and no key was given", tenant),
		Hint: "give the tenant's key; in Go, DB.WithKey"}
}

// sameKey compares derived keys in constant time.
func sameKey(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
