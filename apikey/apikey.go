// Package apikey is the store of API keys for `cinch serve` (SPEC §7): a
// SQLite file, keys.db in the project's .cinchdb folder, holding per key its
// scope and the SHA-256 of its secret. The secret itself is shown once, at
// creation, and never stored.
//
// The store needs three things and takes them from its Config: the folder
// the file lives in, a clock (expiry and revocation times) and the SQLite
// busy timeout. It reaches SQLite only through package sqlite.
package apikey

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
	"syscall"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// File is the name of the key store inside the project's .cinchdb folder.
const File = "keys.db"

// Prefix starts every API key, so keys are recognizable in logs and by
// secret scanners. A key is Prefix + id + "_" + secret.
const Prefix = "cinch_"

// Config configures a Store. Only Dir is required.
type Config struct {
	Dir         string           // the folder holding File (a project's .cinchdb)
	Now         func() time.Time // the clock; time.Now if nil
	BusyTimeout time.Duration    // wait for other writers; sqlite's default if 0
}

// Spec is what a new key may reach. An empty Database, Branch or Tenant
// means any; a zero Expires means never.
type Spec struct {
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
func (s Spec) Validate() error {
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

const schema = `CREATE TABLE IF NOT EXISTS keys (
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

// Store is an open key store. It is safe for concurrent use; its one
// connection is opened on first use and closed by Close. Other processes
// (cinch key revoke while cinch serve runs) share the file through
// SQLite's locking, and every Verify sees the current row, so a revoke
// takes effect on the next request.
type Store struct {
	path string
	now  func() time.Time
	opts sqlite.Options

	mu   sync.Mutex
	conn *sqlite.Conn

	// Verified keys by id, valid while the key files look unchanged (size,
	// modification time and inode of keys.db and its WAL) and for at most
	// cacheAge, so a revoke from any process is seen on the next request
	// without a SQLite read per request.
	cmu   sync.Mutex
	cache map[string]cachedKey
	csig  [2]fileSig
}

type cachedKey struct {
	hash []byte
	key  Key
	at   time.Time
}

// cacheAge bounds how long a verified key is trusted without reading
// keys.db, for file systems with coarse modification times.
const cacheAge = time.Second

// New returns the store in cfg.Dir. It does no I/O until used; the file is
// created on first use.
func New(cfg Config) *Store {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Store{path: filepath.Join(cfg.Dir, File), now: now, opts: sqlite.Options{BusyTimeout: cfg.BusyTimeout}}
}

// Project is what a key store takes from an open cinch project (a
// *local.Project): its state folder (.cinchdb, where File lives), its clock
// and how long it waits for other writers.
type Project interface {
	StateDir() string
	Now() time.Time
	BusyTimeout() time.Duration
}

// ForProject returns the key store of an open project. It does no I/O
// until used; the caller closes it.
func ForProject(p Project) *Store {
	return New(Config{Dir: p.StateDir(), Now: p.Now, BusyTimeout: p.BusyTimeout()})
}

// Close closes the store's connection; it may be called more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.conn.Close()
	s.conn = nil
	return err
}

// exec runs trusted SQL on the store's connection, opening it if needed.
func (s *Store) exec(ctx context.Context, sql string, args ...any) (*cinch.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		c, err := sqlite.Open(ctx, s.path, s.opts)
		if err != nil {
			return nil, err
		}
		if err := c.Exec(schema); err != nil {
			c.Close()
			return nil, err
		}
		// The file holds hashes only, but keep it private all the same.
		os.Chmod(s.path, 0o600)
		s.conn = c
	}
	// Plain DML on an ordinary table passes the guard, and running it
	// guarded keeps the prepared statements (changing the authorizer
	// would expire them on every call).
	return s.conn.Query(ctx, cinch.QueryOptions{}, sql, args...)
}

// NewSecret makes a new key: its id and its secret (Prefix + id + "_" +
// random), the format every key store of cinch uses (this package's, and
// the cluster's).
func NewSecret() (id, secret string, err error) {
	var idBytes [8]byte
	var secretBytes [32]byte
	if _, err := rand.Read(idBytes[:]); err != nil {
		return "", "", err
	}
	if _, err := rand.Read(secretBytes[:]); err != nil {
		return "", "", err
	}
	id = hex.EncodeToString(idBytes[:])
	return id, Prefix + id + "_" + strings.ToLower(secretEncoding.EncodeToString(secretBytes[:])), nil
}

// SecretID returns the id a secret names, false if it is not a key's.
func SecretID(secret string) (string, bool) {
	rest, ok := strings.CutPrefix(secret, Prefix)
	id, _, ok2 := strings.Cut(rest, "_")
	return id, ok && ok2 && len(id) == 16
}

// HashSecret is what a key store keeps of a secret.
func HashSecret(secret string) []byte { return hashSecret(secret) }

func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

var secretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Create stores a new key for spec and returns its id and full secret.
func (s *Store) Create(ctx context.Context, spec Spec) (id, secret string, err error) {
	if err := spec.Validate(); err != nil {
		return "", "", err
	}
	now := s.now().UTC()
	if !spec.Expires.IsZero() && !spec.Expires.After(now) {
		return "", "", cinch.Errorf(cinch.ErrInvalidInput, "key expiry %s is not in the future", spec.Expires.UTC().Format(time.RFC3339)).
			WithHint("give an expiry time after the present")
	}
	id, secret, err = NewSecret()
	if err != nil {
		return "", "", err
	}
	expires := ""
	if !spec.Expires.IsZero() {
		expires = spec.Expires.UTC().Format(cinch.TimeFormat)
	}
	_, err = s.exec(ctx, `INSERT INTO keys (id, hash, database, branch, tenant, read_only, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id, hashSecret(secret), spec.Database, spec.Branch, spec.Tenant, spec.ReadOnly, now.Format(cinch.TimeFormat), expires)
	if err != nil {
		return "", "", err
	}
	return id, secret, nil
}

func parseTime(v any) *time.Time {
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
		ExpiresAt: parseTime(r["expires_at"]), RevokedAt: parseTime(r["revoked_at"]),
	}
	if t := parseTime(r["created_at"]); t != nil {
		k.CreatedAt = *t
	}
	return k
}

const keyColumns = "id, database, branch, tenant, read_only, created_at, expires_at, revoked_at"

// List returns every stored key, oldest first.
func (s *Store) List(ctx context.Context) ([]Key, error) {
	res, err := s.exec(ctx, "SELECT "+keyColumns+" FROM keys ORDER BY created_at, id")
	if err != nil {
		return nil, err
	}
	out := make([]Key, 0, len(res.Rows))
	for _, r := range res.Records() {
		out = append(out, rowToKey(r))
	}
	return out, nil
}

// Revoke marks a key revoked; requests with it fail from then on. An
// unknown id is ErrInvalidInput; revoking a revoked key does nothing.
func (s *Store) Revoke(ctx context.Context, id string) error {
	res, err := s.exec(ctx, "UPDATE keys SET revoked_at = ? WHERE id = ? AND revoked_at = ''",
		s.now().UTC().Format(cinch.TimeFormat), id)
	if err != nil {
		return err
	}
	if res.RowsAffected == 1 {
		return nil
	}
	got, err := s.exec(ctx, "SELECT id FROM keys WHERE id = ?", id)
	if err != nil {
		return err
	}
	if len(got.Rows) == 0 {
		return &cinch.Error{Err: cinch.ErrInvalidInput, Message: fmt.Sprintf("key %s not found", quoteID(id)),
			Hint: "list the keys to see their ids"}
	}
	return nil // already revoked
}

func quoteID(id string) string {
	if len(id) > 40 {
		id = id[:40] + "..."
	}
	return fmt.Sprintf("%q", id)
}

func errBadKey(msg string) error {
	return &cinch.Error{Err: cinch.ErrUnauthorized, Message: msg,
		Hint: "use a key as it was shown when created, not revoked and not expired"}
}

// Verify returns the key a secret belongs to. The stored hash is compared
// in constant time; unknown, malformed, wrong, expired and revoked keys
// fail with ErrUnauthorized.
func (s *Store) Verify(ctx context.Context, secret string) (Key, error) {
	id, ok := SecretID(secret)
	if !ok {
		return Key{}, errBadKey("invalid API key")
	}
	hash := hashSecret(secret)
	now := s.now()
	sig := s.filesSig()
	s.cmu.Lock()
	if sig != s.csig {
		s.cache, s.csig = nil, sig
	}
	c, hit := s.cache[id]
	s.cmu.Unlock()
	if !hit || now.Sub(c.at) > cacheAge || now.Before(c.at) {
		res, err := s.exec(ctx, "SELECT hash, "+keyColumns+" FROM keys WHERE id = ?", id)
		if err != nil {
			return Key{}, err
		}
		if len(res.Rows) != 1 {
			subtle.ConstantTimeCompare(hash, make([]byte, sha256.Size)) // same work as a known id
			return Key{}, errBadKey("invalid API key")
		}
		h, _ := res.Value(0, "hash").([]byte)
		c = cachedKey{hash: h, key: rowToKey(res.Record(0)), at: now}
		s.cmu.Lock()
		if s.csig == sig {
			if s.cache == nil {
				s.cache = map[string]cachedKey{}
			}
			s.cache[id] = c
		}
		s.cmu.Unlock()
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

// fileSig identifies the contents of a file without reading it; the zero
// value stands for a missing file.
type fileSig struct {
	size  int64
	mtime time.Time
	ino   uint64
}

// filesSig identifies the current contents of the key files: keys.db and
// its WAL, where a commit from another process lands first.
func (s *Store) filesSig() [2]fileSig {
	var sig [2]fileSig
	for i, path := range []string{s.path, s.path + "-wal"} {
		if fi, err := os.Stat(path); err == nil {
			sig[i] = fileSig{size: fi.Size(), mtime: fi.ModTime()}
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				sig[i].ino = uint64(st.Ino)
			}
		}
	}
	return sig
}

// Authenticate is Verify for a server (server.KeyStore): the key's id and
// what it may reach.
func (s *Store) Authenticate(ctx context.Context, secret string) (cinch.APIKey, error) {
	k, err := s.Verify(ctx, secret)
	if err != nil {
		return cinch.APIKey{}, err
	}
	return cinch.APIKey{ID: k.ID, Database: k.Database, Branch: k.Branch, Tenant: k.Tenant, ReadOnly: k.ReadOnly}, nil
}
