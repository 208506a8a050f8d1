package cinch

import "time"

// DefaultDatabase, DefaultBranch and DefaultTenant are the names every
// project, database and branch starts with; the last two cannot be deleted.
const (
	DefaultDatabase = "main"
	DefaultBranch   = "main"
	DefaultTenant   = "main"
)

// TimeFormat is how created_at and updated_at are stored: RFC 3339 in UTC
// with fixed millisecond precision, so text order is time order and it
// matches SQLite's strftime('%Y-%m-%dT%H:%M:%fZ').
const TimeFormat = "2006-01-02T15:04:05.000Z"

// TenantKeyHeader is the HTTP header that carries an encrypted tenant's key
// on one request. Neither the server nor cinch stores it.
const TenantKeyHeader = "X-Cinch-Tenant-Key"

// Target names one tenant of one branch of one database.
type Target struct {
	Database string `json:"database"`
	Branch   string `json:"branch"`
	Tenant   string `json:"tenant"`
}

// Validate checks all three names.
func (t Target) Validate() error {
	if err := ValidateDatabaseName(t.Database); err != nil {
		return err
	}
	if err := ValidateBranchName(t.Branch); err != nil {
		return err
	}
	return ValidateTenantName(t.Tenant)
}

// Record is one row as column → value. Values are nil, bool, int64,
// float64, string or []byte.
type Record = map[string]any

// Result is what a query returns: the columns in order, the rows, and for
// writes the number of rows changed. Truncated is set when a row limit cut
// the result short.
type Result struct {
	Columns      []string `json:"columns"`
	Rows         []Record `json:"rows"`
	RowsAffected int64    `json:"rows_affected"`
	Truncated    bool     `json:"truncated,omitempty"`
}

// Value returns the value of the named column in row i (the first column
// of that name), or nil when there is no such row or column.
func (r *Result) Value(i int, column string) any {
	if i < 0 || i >= len(r.Rows) {
		return nil
	}
	return r.Rows[i][column]
}

// QueryOptions tune one query.
type QueryOptions struct {
	// Limit caps the rows returned (0: no cap); Result.Truncated says when it cut.
	Limit int
	// MaxBytes caps the size of the values returned (strings and blobs by
	// length, anything else by 8 bytes; 0: no cap); Result.Truncated says
	// when it cut.
	MaxBytes int64
	// ReadOnly refuses any statement that would write.
	ReadOnly bool
}

// TenantState says where a tenant's data lives.
type TenantState string

// Tenant states.
const (
	TenantLazy         TenantState = "lazy"         // registered, no file yet
	TenantMaterialized TenantState = "materialized" // has its SQLite file
	TenantArchived     TenantState = "archived"     // moved out of the serving set
)

// TenantInfo describes one tenant.
type TenantInfo struct {
	Name          string      `json:"name"`
	State         TenantState `json:"state"`
	CreatedAt     time.Time   `json:"created_at"`
	SizeBytes     int64       `json:"size_bytes"`     // db + wal, 0 when lazy
	SchemaVersion int         `json:"schema_version"` // changes applied to the file (branch version when lazy)
	Encrypted     bool        `json:"encrypted"`
	Group         string      `json:"group,omitempty"`
}

// TenantCreateOptions tune TenantService.Create.
type TenantCreateOptions struct {
	// Lazy only registers the tenant; its file appears on first write.
	Lazy bool
	// From copies data and schema from this template tenant.
	From string
	// Encrypt stores the tenant encrypted at rest under Key (required).
	// cinch never stores the key; every later access must give it.
	Encrypt bool
	Key     string
}

// TableInfo describes a table of the branch schema.
type TableInfo struct {
	Name    string       `json:"name"`
	Columns []ColumnInfo `json:"columns"`
	Indexes []IndexInfo  `json:"indexes,omitempty"`
	SQL     string       `json:"sql"`
}

// ColumnInfo is a column as the schema has it (automatic ones included).
type ColumnInfo struct {
	Name       string      `json:"name"`
	Type       string      `json:"type"`
	Nullable   bool        `json:"nullable"`
	PrimaryKey bool        `json:"primary_key,omitempty"`
	Unique     bool        `json:"unique,omitempty"`
	Default    *string     `json:"default,omitempty"`
	ForeignKey *ForeignKey `json:"foreign_key,omitempty"`
	Automatic  bool        `json:"automatic,omitempty"`
}

// ViewInfo describes a view.
type ViewInfo struct {
	Name string `json:"name"`
	SQL  string `json:"sql"`
}

// IndexInfo describes an index.
type IndexInfo struct {
	Name    string   `json:"name"`
	Table   string   `json:"table"`
	Columns []string `json:"columns"`
	Unique  bool     `json:"unique"`
}

// BranchInfo describes a branch.
type BranchInfo struct {
	Name      string    `json:"name"`
	Database  string    `json:"database"`
	Parent    string    `json:"parent,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Changes   int       `json:"changes"`
	Tenants   int       `json:"tenants"`
}

// DatabaseInfo describes a database.
type DatabaseInfo struct {
	Name     string   `json:"name"`
	Branches []string `json:"branches"`
}

// MergeConflict is one entity both branches changed incompatibly since
// their common ancestor, with each side's changes to it.
type MergeConflict struct {
	Entity string   `json:"entity"` // e.g. "column:users.phone", "view:active_users"
	Source []Change `json:"source"`
	Target []Change `json:"target"`
	Reason string   `json:"reason,omitempty"`
}

// MergeResult describes a merge: what it applies (or would, for a dry
// run) and whether it was a fast-forward.
type MergeResult struct {
	Source      string          `json:"source"`
	Target      string          `json:"target"`
	Ancestor    string          `json:"ancestor,omitempty"` // id of the last common change, "" if none
	FastForward bool            `json:"fast_forward"`
	DryRun      bool            `json:"dry_run"`
	Changes     []Change        `json:"changes"` // as applied to the target, with their SQL
	Conflicts   []MergeConflict `json:"conflicts,omitempty"`
	Tenants     int             `json:"tenants"` // target tenants migrated (or to migrate)
}
