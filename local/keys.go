package local

// API keys for `cinch serve` live in package apikey; a project only knows
// where its key store is (.cinchdb/keys.db) and which clock it runs on.

import (
	"context"

	"github.com/cinchdb/cinch/apikey"
)

// Names kept from when the key store lived in this package.
type (
	KeySpec  = apikey.Spec
	Key      = apikey.Key
	KeyStore = apikey.Store
)

// KeysFile and KeyPrefix: see apikey.File and apikey.Prefix.
const (
	KeysFile  = apikey.File
	KeyPrefix = apikey.Prefix
)

// KeyStore returns the project's key store, on the project's clock. It
// does no I/O until used; the caller closes it.
func (p *Project) KeyStore() *apikey.Store {
	return apikey.New(apikey.Config{Dir: p.root, Now: p.now, BusyTimeout: p.cfg.BusyTimeout})
}

// CreateKey stores a new key and returns its id and secret (shown once).
func (p *Project) CreateKey(ctx context.Context, spec KeySpec) (id, secret string, err error) {
	ks := p.KeyStore()
	defer ks.Close()
	return ks.Create(ctx, spec)
}

// ListKeys lists the stored keys, oldest first, without secrets.
func (p *Project) ListKeys(ctx context.Context) ([]Key, error) {
	ks := p.KeyStore()
	defer ks.Close()
	return ks.List(ctx)
}

// RevokeKey revokes a key by id; it fails for an unknown id.
func (p *Project) RevokeKey(ctx context.Context, id string) error {
	ks := p.KeyStore()
	defer ks.Close()
	return ks.Revoke(ctx, id)
}

// VerifyKey returns the key a secret belongs to, or ErrUnauthorized when it
// is unknown, wrong, expired or revoked.
func (p *Project) VerifyKey(ctx context.Context, secret string) (Key, error) {
	ks := p.KeyStore()
	defer ks.Close()
	return ks.Verify(ctx, secret)
}
