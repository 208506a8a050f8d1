package local

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// registry is a branch's list of tenants: a small SQLite file
// (registry.db) so creating one tenant is one indexed insert, never a
// rewrite of the whole list, and several processes may share it safely.
type registry struct {
	mu   sync.Mutex
	conn *sqlite.Conn
	sig  fileSig // identifies the file, to notice a deleted and recreated branch
}

const registrySchema = `CREATE TABLE IF NOT EXISTS tenants (
  name       TEXT PRIMARY KEY NOT NULL,
  created_at TEXT NOT NULL,
  grp        TEXT NOT NULL DEFAULT '',
  encrypted  INTEGER NOT NULL DEFAULT 0,
  archived   INTEGER NOT NULL DEFAULT 0,
  salt       BLOB,                       -- encrypted tenants: KDF salt (the key itself is never stored)
  version    INTEGER NOT NULL DEFAULT 0  -- encrypted tenants: schema version last seen (their header is encrypted)
) WITHOUT ROWID`

// Groups live in the branch registry (table groups), so branch creation
// copies them with the tenants. A tenant's group is registry column grp.
const groupsSchema = `CREATE TABLE IF NOT EXISTS groups (
  name           TEXT PRIMARY KEY NOT NULL,
  max_db_bytes   INTEGER NOT NULL DEFAULT 0,
  max_concurrent INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID`

func openRegistry(ctx context.Context, path string, busy time.Duration) (*registry, error) {
	c, err := sqlite.Open(ctx, path, sqlite.Options{BusyTimeout: busy})
	if err != nil {
		return nil, err
	}
	if err := c.Exec(registrySchema + ";" + groupsSchema); err != nil {
		c.Close()
		return nil, err
	}
	// Registries written before encryption existed lack two columns.
	if c.ObjectSQL("tenants") != "" && !strings.Contains(c.ObjectSQL("tenants"), "salt") {
		if err := c.Exec("ALTER TABLE tenants ADD COLUMN salt BLOB; ALTER TABLE tenants ADD COLUMN version INTEGER NOT NULL DEFAULT 0"); err != nil {
			c.Close()
			return nil, err
		}
	}
	sig, err := statSig(path)
	if err != nil {
		c.Close()
		return nil, err
	}
	return &registry{conn: c, sig: sig}, nil
}

func (r *registry) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.conn.Close()
	r.conn = nil
	return err
}

type tenantRow struct {
	Name      string
	CreatedAt time.Time
	Group     string
	Encrypted bool
	Archived  bool
	Salt      []byte
	Version   int
}

func (r *registry) exec(ctx context.Context, sql string, args ...any) (*cinch.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		return nil, cinch.Errorf(cinch.ErrBranchNotFound, "the branch was deleted while in use").WithHint("retry")
	}
	var res *cinch.Result
	err := r.conn.System(func() error {
		var err error
		res, err = r.conn.Query(ctx, cinch.QueryOptions{}, sql, args...)
		return err
	})
	return res, err
}

func rowsToTenants(res *cinch.Result) []tenantRow {
	out := make([]tenantRow, 0, len(res.Rows))
	for _, r := range res.Records() {
		t, _ := time.Parse(cinch.TimeFormat, r["created_at"].(string))
		out = append(out, tenantRow{
			Name: r["name"].(string), CreatedAt: t, Group: r["grp"].(string),
			Encrypted: r["encrypted"].(int64) != 0, Archived: r["archived"].(int64) != 0,
			Version: int(r["version"].(int64)),
		})
		out[len(out)-1].Salt, _ = r["salt"].([]byte)
	}
	return out
}

func (r *registry) get(ctx context.Context, name string) (tenantRow, bool, error) {
	res, err := r.exec(ctx, "SELECT * FROM tenants WHERE name = ?", name)
	if err != nil || len(res.Rows) == 0 {
		return tenantRow{}, false, err
	}
	return rowsToTenants(res)[0], true, nil
}

func (r *registry) list(ctx context.Context) ([]tenantRow, error) {
	res, err := r.exec(ctx, "SELECT * FROM tenants ORDER BY name")
	if err != nil {
		return nil, err
	}
	return rowsToTenants(res), nil
}

func (r *registry) count(ctx context.Context) (int, error) {
	res, err := r.exec(ctx, "SELECT count(*) AS n FROM tenants")
	if err != nil {
		return 0, err
	}
	return int(res.Value(0, "n").(int64)), nil
}

func (r *registry) insert(ctx context.Context, t tenantRow) error {
	var salt any
	if t.Salt != nil {
		salt = t.Salt
	}
	_, err := r.exec(ctx, "INSERT INTO tenants (name, created_at, grp, encrypted, salt, version) VALUES (?, ?, ?, ?, ?, ?)",
		t.Name, t.CreatedAt.UTC().Format(cinch.TimeFormat), t.Group, t.Encrypted, salt, t.Version)
	return err
}

// insertMany inserts rows in one transaction (one commit for a batch of
// tenants): all or none. A name already taken fails it with ErrConstraint.
func (r *registry) insertMany(ctx context.Context, rows []tenantRow) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		return cinch.Errorf(cinch.ErrBranchNotFound, "the branch was deleted while in use").WithHint("retry")
	}
	return r.conn.System(func() error {
		return r.conn.Update(ctx, func() error {
			for _, t := range rows {
				var salt any
				if t.Salt != nil {
					salt = t.Salt
				}
				if _, err := r.conn.Query(ctx, cinch.QueryOptions{}, "INSERT INTO tenants (name, created_at, grp, encrypted, salt, version) VALUES (?, ?, ?, ?, ?, ?)",
					t.Name, t.CreatedAt.UTC().Format(cinch.TimeFormat), t.Group, t.Encrypted, salt, t.Version); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

func (r *registry) remove(ctx context.Context, name string) error {
	_, err := r.exec(ctx, "DELETE FROM tenants WHERE name = ?", name)
	return err
}

func (r *registry) rename(ctx context.Context, oldName, newName string) error {
	_, err := r.exec(ctx, "UPDATE tenants SET name = ? WHERE name = ?", newName, oldName)
	return err
}

// backup writes a consistent copy of the registry to path (branch create).
func (r *registry) backup(ctx context.Context, path string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.conn.BackupToTemp(ctx, tempFile(path), nil); err != nil {
		return err
	}
	return sqlite.Publish(tempFile(path), path)
}
