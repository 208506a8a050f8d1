// Package local is cinch's engine on local files: a project folder holding
// databases, branches, tenants (one SQLite file each), change histories and
// the rollout journal. It implements the interfaces of package cinch.
package local

import (
	"context"
	"log/slog"
	"time"

	"github.com/cinchdb/cinch"
)

// Defaults for Config.
const (
	// DefaultMaxOpenTenants bounds the open tenant handles per process. Each
	// open tenant holds up to 1+ReadersPerTenant connections of ~3 file
	// descriptors and ~280 KiB each, so 128 keeps a process well under the
	// usual descriptor limits however many tenants are registered.
	DefaultMaxOpenTenants   = 128
	DefaultReadersPerTenant = 2
	DefaultBusyTimeout      = 10 * time.Second
)

// ProjectDirName is the folder that marks a project.
const ProjectDirName = ".cinchdb"

// Config configures Open. Only Dir is required.
type Config struct {
	Dir              string        // the project folder (holding .cinchdb)
	MaxOpenTenants   int           // open tenant handles kept; DefaultMaxOpenTenants if 0
	ReadersPerTenant int           // reader connections per open tenant; DefaultReadersPerTenant if 0
	BusyTimeout      time.Duration // wait for other writers; DefaultBusyTimeout if 0
	Logger           *slog.Logger  // nil: discard
	Now              func() time.Time
}

// Settings is what config.toml holds.
type Settings struct {
	ActiveDatabase string `toml:"active_database"`
	ActiveBranch   string `toml:"active_branch"`
}

// Init creates a project in dir (creating dir if needed) with one database
// (name, or "main" when empty) holding branch main and tenant main.
// ErrProjectExists if dir already holds a project.
func Init(ctx context.Context, dir, database string) error { panic("unimplemented") }

// FindProject walks up from start to the first folder holding .cinchdb.
// ErrNoProject if there is none.
func FindProject(start string) (string, error) { panic("unimplemented") }

// Project is an open project. It is safe for concurrent use, and other
// processes may use the same project at the same time.
type Project struct{}

// Open opens the project at cfg.Dir.
func Open(ctx context.Context, cfg Config) (*Project, error) { panic("unimplemented") }

// Close closes every open tenant. A second call returns nil.
func (p *Project) Close(ctx context.Context) error { panic("unimplemented") }

// Dir returns the project folder.
func (p *Project) Dir() string { panic("unimplemented") }

// Settings returns the active database and branch from config.toml.
func (p *Project) Settings() (Settings, error) { panic("unimplemented") }

// SetActive records the active database and branch in config.toml.
func (p *Project) SetActive(database, branch string) error { panic("unimplemented") }

// Databases lists the databases.
func (p *Project) Databases(ctx context.Context) ([]cinch.DatabaseInfo, error) {
	panic("unimplemented")
}

// CreateDatabase creates a database with branch main and tenant main.
func (p *Project) CreateDatabase(ctx context.Context, name string) error { panic("unimplemented") }

// DatabaseInfo describes one database.
func (p *Project) DatabaseInfo(ctx context.Context, name string) (cinch.DatabaseInfo, error) {
	panic("unimplemented")
}

// DeleteDatabase removes a database and all its files. The database the
// project's config marks active cannot be deleted (ErrProtected).
func (p *Project) DeleteDatabase(ctx context.Context, name string) error { panic("unimplemented") }

// Branches lists the branches of a database.
func (p *Project) Branches(ctx context.Context, database string) ([]cinch.BranchInfo, error) {
	panic("unimplemented")
}

// Connect returns a handle on target. Names are validated here; existence
// is checked on first use.
func (p *Project) Connect(target cinch.Target) (*DB, error) { panic("unimplemented") }

// TenantCheck is the result of checking one tenant.
type TenantCheck struct {
	Tenant        string   `json:"tenant"`
	State         string   `json:"state"`
	SchemaVersion int      `json:"schema_version"`
	BranchVersion int      `json:"branch_version"`
	Drift         bool     `json:"drift"`
	Integrity     []string `json:"integrity"` // ["ok"] when healthy
	OK            bool     `json:"ok"`
}

// DB is a handle on one tenant; it implements cinch.DB.
type DB struct{}

var _ cinch.DB = (*DB)(nil)

// Check runs integrity_check on the tenants named (all of the branch when
// none) and compares each schema version with the branch; it converges
// tenants that are behind before checking.
func (d *DB) Check(ctx context.Context, tenants ...string) ([]TenantCheck, error) {
	panic("unimplemented")
}
