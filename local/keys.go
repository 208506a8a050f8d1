package local

// API keys for `cinch serve` (SPEC §7): a project-level store in
// .cinchdb/keys.db holding, per key, its scope and the SHA-256 of its
// secret. The secret itself is shown once, at creation, and never stored.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// KeysFile is the key store inside .cinchdb.
const KeysFile = "keys.db"

// KeyPrefix starts every API key, so keys are recognizable in logs and by
// secret scanners. A key is KeyPrefix + id + "_" + secret.
const KeyPrefix = "cinch_"

// KeySpec is what a new key may reach. An empty Database, Branch or Tenant
// means any; a zero Expires means never.
type KeySpec struct {
	Database string
	Branch   string
	Tenant   string
	ReadOnly bool
	Expires  time.Time
}

// Key describes a stored key (never its secret).
type Key struct {
	ID        string     `json:"id"`
	Database  string     `json:"database,omitempty"`
	Branch    string     `json:"branch,omitempty"`
	Tenant    string     `json:"tenant,omitempty"`
	ReadOnly  bool       `json:"read_only"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Validate checks the scope names of a spec.
func (s KeySpec) Validate() error {
	if s.Database != "" {
		if err := cinch.ValidateDatabaseName(s.Database); err != nil {
			return err
		}
	}
	if s.Branch != "" {
		if err := cinch.ValidateBranchName(s.Branch); err != nil {
			return err
		}
	}
	if s.Tenant != "" {
		if err := cinch.ValidateTenantName(s.Tenant); err != nil {
			return err
		}
	}
	return nil
}

const keysSchema = `CREATE TABLE IF NOT EXISTS keys (
  id          TEXT PRIMARY KEY NOT NULL,
  hash        BLOB NOT NULL,
  database    TEXT NOT NULL DEFAULT '',
  branch      TEXT NOT NULL DEFAULT '',
  tenant      TEXT NOT NULL DEFAULT '',
  read_only   INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL DEFAULT '',
  revoked_at  TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID`

// KeyStore is an open key store. It is safe for concurrent use; its one
// connection is opened on first use and closed by Close. Other processes
// (cinch key revoke while cinch serve runs) share the file through
// SQLite's locking, and every Verify reads the current row, so a revoke
// takes effect on the next request.
type KeyStore struct {
	p    *Project
	mu   sync.Mutex
	conn *sqlite.Conn

	// Verified keys by id, valid while the key files look unchanged (size
	// and modification time of keys.db and its WAL) and for at most
	// keyCacheAge, so a revoke from any process is seen on the next
	// request without a SQLite read per request.
	cmu   sync.Mutex
	cache map[string]cachedKey
	csig  [2]fileSig
}

type cachedKey struct {
	hash []byte
	key  Key
	at   time.Time
}

// keyCacheAge bounds how long a verified key is trusted without reading
// keys.db, for file systems with coarse modification times.
const keyCacheAge = time.Second

// keysSig identifies the current contents of the key files.
func (ks *KeyStore) keysSig() [2]fileSig {
	path := filepath.Join(ks.p.root, KeysFile)
	var sig [2]fileSig
	for i, p := range []string{path, path + "-wal"} {
		sig[i], _ = statSig(p)
	}
	return sig
}

// KeyStore returns the project's key store. It does no I/O until used.
func (p *Project) KeyStore() *KeyStore { return &KeyStore{p: p} }

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

// Close closes the store's connection; it may be called more than once.
func (ks *KeyStore) Close() error {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	err := ks.conn.Close()
	ks.conn = nil
	return err
}

// exec runs trusted SQL on the store's connection, opening it if needed.
func (ks *KeyStore) exec(ctx context.Context, sql string, args ...any) (*cinch.Result, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.conn == nil {
		c, err := sqlite.Open(ctx, filepath.Join(ks.p.root, KeysFile), ks.p.connOptions())
		if err != nil {
			return nil, err
		}
		if err := c.Exec(keysSchema); err != nil {
			c.Close()
			return nil, err
		}
		// The file holds hashes only, but keep it private all the same.
		os.Chmod(filepath.Join(ks.p.root, KeysFile), 0o600)
		ks.conn = c
	}
	// Plain DML on an ordinary table passes the guard, and running it
	// guarded keeps the prepared statements (changing the authorizer
	// would expire them on every call).
	return ks.conn.Query(ctx, cinch.QueryOptions{}, sql, args...)
}

func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

var secretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Create stores a new key for spec and returns its id and full secret.
func (ks *KeyStore) Create(ctx context.Context, spec KeySpec) (id, secret string, err error) {
	if err := spec.Validate(); err != nil {
		return "", "", err
	}
	now := ks.p.now().UTC()
	if !spec.Expires.IsZero() && !spec.Expires.After(now) {
		return "", "", cinch.Errorf(cinch.ErrInvalidInput, "key expiry %s is not in the future", spec.Expires.UTC().Format(time.RFC3339)).
			WithHint("give a positive duration, e.g. --expires 720h")
	}
	var idBytes [8]byte
	var secretBytes [32]byte
	if _, err := rand.Read(idBytes[:]); err != nil {
		return "", "", err
	}
	if _, err := rand.Read(secretBytes[:]); err != nil {
		return "", "", err
	}
	id = hex.EncodeToString(idBytes[:])
	secret = KeyPrefix + id + "_" + strings.ToLower(secretEncoding.EncodeToString(secretBytes[:]))
	expires := ""
	if !spec.Expires.IsZero() {
		expires = spec.Expires.UTC().Format(cinch.TimeFormat)
	}
	_, err = ks.exec(ctx, `INSERT INTO keys (id, hash, database, branch, tenant, read_only, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id, hashSecret(secret), spec.Database, spec.Branch, spec.Tenant, spec.ReadOnly, now.Format(cinch.TimeFormat), expires)
	if err != nil {
		return "", "", err
	}
	return id, secret, nil
}

func parseKeyTime(v any) *time.Time {
	s, _ := v.(string)
	if s == "" {
		return nil
	}
	t, err := time.Parse(cinch.TimeFormat, s)
	if err != nil {
		return nil
	}
	return &t
}

func rowToKey(r cinch.Record) Key {
	k := Key{
		ID: r["id"].(string), Database: r["database"].(string), Branch: r["branch"].(string),
		Tenant: r["tenant"].(string), ReadOnly: r["read_only"].(int64) != 0,
		ExpiresAt: parseKeyTime(r["expires_at"]), RevokedAt: parseKeyTime(r["revoked_at"]),
	}
	if t := parseKeyTime(r["created_at"]); t != nil {
		k.CreatedAt = *t
	}
	return k
}

const keyColumns = "id, database, branch, tenant, read_only, created_at, expires_at, revoked_at"

// List returns every stored key, oldest first.
func (ks *KeyStore) List(ctx context.Context) ([]Key, error) {
	res, err := ks.exec(ctx, "SELECT "+keyColumns+" FROM keys ORDER BY created_at, id")
	if err != nil {
		return nil, err
	}
	out := make([]Key, 0, len(res.Rows))
	for _, r := range res.Records() {
		out = append(out, rowToKey(r))
	}
	return out, nil
}

// Revoke marks a key revoked; requests with it fail from then on.
func (ks *KeyStore) Revoke(ctx context.Context, id string) error {
	res, err := ks.exec(ctx, "UPDATE keys SET revoked_at = ? WHERE id = ? AND revoked_at = ''",
		ks.p.now().UTC().Format(cinch.TimeFormat), id)
	if err != nil {
		return err
	}
	if res.RowsAffected == 1 {
		return nil
	}
	got, err := ks.exec(ctx, "SELECT id FROM keys WHERE id = ?", id)
	if err != nil {
		return err
	}
	if len(got.Rows) == 0 {
		return &cinch.Error{Err: cinch.ErrInvalidInput, Message: fmt.Sprintf("key %s not found", quoteKeyID(id)),
			Hint: "see the keys with: cinch key list"}
	}
	return nil // already revoked
}

func quoteKeyID(id string) string {
	if len(id) > 40 {
		id = id[:40] + "..."
	}
	return fmt.Sprintf("%q", id)
}

func errBadKey(msg string) error {
	return &cinch.Error{Err: cinch.ErrUnauthorized, Message: msg,
		Hint: "send Authorization: Bearer <key> with a key from: cinch key create"}
}

// Verify returns the key a secret belongs to. The stored hash is compared
// in constant time; unknown, malformed, wrong, expired and revoked keys
// fail with ErrUnauthorized.
func (ks *KeyStore) Verify(ctx context.Context, secret string) (Key, error) {
	rest, ok := strings.CutPrefix(secret, KeyPrefix)
	id, _, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(id) != 16 {
		return Key{}, errBadKey("invalid API key")
	}
	hash := hashSecret(secret)
	now := ks.p.now()
	sig := ks.keysSig()
	ks.cmu.Lock()
	if sig != ks.csig {
		ks.cache, ks.csig = nil, sig
	}
	c, hit := ks.cache[id]
	ks.cmu.Unlock()
	if !hit || now.Sub(c.at) > keyCacheAge || now.Before(c.at) {
		res, err := ks.exec(ctx, "SELECT hash, "+keyColumns+" FROM keys WHERE id = ?", id)
		if err != nil {
			return Key{}, err
		}
		if len(res.Rows) != 1 {
			subtle.ConstantTimeCompare(hash, make([]byte, sha256.Size)) // same work as a known id
			return Key{}, errBadKey("invalid API key")
		}
		h, _ := res.Value(0, "hash").([]byte)
		c = cachedKey{hash: h, key: rowToKey(res.Record(0)), at: now}
		ks.cmu.Lock()
		if ks.csig == sig {
			if ks.cache == nil {
				ks.cache = map[string]cachedKey{}
			}
			ks.cache[id] = c
		}
		ks.cmu.Unlock()
	}
	if subtle.ConstantTimeCompare(hash, c.hash) != 1 {
		return Key{}, errBadKey("invalid API key")
	}
	k := c.key
	if k.RevokedAt != nil {
		return Key{}, errBadKey("API key " + k.ID + " was revoked")
	}
	if k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
		return Key{}, errBadKey("API key " + k.ID + " expired at " + k.ExpiresAt.Format(time.RFC3339))
	}
	return k, nil
}

// Authenticate is Verify for a server (server.KeyStore): the key's id and
// what it may reach.
func (ks *KeyStore) Authenticate(ctx context.Context, secret string) (cinch.APIKey, error) {
	k, err := ks.Verify(ctx, secret)
	if err != nil {
		return cinch.APIKey{}, err
	}
	return cinch.APIKey{ID: k.ID, Database: k.Database, Branch: k.Branch, Tenant: k.Tenant, ReadOnly: k.ReadOnly}, nil
}
