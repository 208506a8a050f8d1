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

// Result is what a query returns: the column names in order, each row as
// its values in that order, and for writes the number of rows changed.
// Values are nil, bool, int64, float64, string or []byte. Nothing is lost
// when two columns share a name (SELECT 1 AS x, 2 AS x; SELECT * over a
// join). Truncated is set when a row or byte limit cut the result short.
type Result struct {
	Columns      []string `json:"columns"`
	Rows         [][]any  `json:"rows"`
	RowsAffected int64    `json:"rows_affected"`
	Truncated    bool     `json:"truncated"`
}

// Column returns the position of the first column named name, or -1.
func (r *Result) Column(name string) int {
	for i, c := range r.Columns {
		if c == name {
			return i
		}
	}
	return -1
}

// Value returns the value of the first column named column in row i, or
// nil when there is no such row or column.
func (r *Result) Value(i int, column string) any {
	j := r.Column(column)
	if i < 0 || i >= len(r.Rows) || j < 0 || j >= len(r.Rows[i]) {
		return nil
	}
	return r.Rows[i][j]
}

// Record returns row i as column name → value. It is lossy: when two
// columns share a name, the later one's value wins. Use Rows to keep every
// value.
func (r *Result) Record(i int) Record {
	rec := make(Record, len(r.Columns))
	for j, c := range r.Columns {
		if j < len(r.Rows[i]) {
			rec[c] = r.Rows[i][j]
		}
	}
	return rec
}

// Records returns every row as a Record, with Record's loss on repeated
// column names.
func (r *Result) Records() []Record {
	out := make([]Record, len(r.Rows))
	for i := range r.Rows {
		out[i] = r.Record(i)
	}
	return out
}

// RowWriter receives a streamed query result (Querier.QueryTo): the column
// names once, before any row, then each row as it is read. The values
// slice is the writer's to keep. An error from either method stops the
// query and is returned by QueryTo.
type RowWriter interface {
	WriteColumns(names []string) error
	WriteRow(values []any) error
}

// collect is the RowWriter behind Query: it keeps every row.
type collect struct{ res *Result }

func (c collect) WriteColumns(names []string) error { c.res.Columns = names; return nil }
func (c collect) WriteRow(values []any) error {
	c.res.Rows = append(c.res.Rows, values)
	return nil
}

// Collect returns a RowWriter that stores what it receives in res.
func Collect(res *Result) RowWriter { return collect{res} }

// CollectRows runs a streamed query (a QueryTo bound to its arguments) and
// returns its whole Result: how QueryWith is built on QueryTo.
//
//	return cinch.CollectRows(func(w cinch.RowWriter) (*cinch.Result, error) {
//		return d.QueryTo(ctx, opts, w, sql, params...)
//	})
func CollectRows(query func(w RowWriter) (*Result, error)) (*Result, error) {
	res := &Result{Columns: []string{}, Rows: [][]any{}}
	sum, err := query(collect{res})
	if err != nil {
		return nil, err
	}
	res.RowsAffected, res.Truncated = sum.RowsAffected, sum.Truncated
	return res, nil
}

// ValueSize is a value's size as QueryOptions.MaxBytes counts it: strings
// and blobs by length, anything else 8 bytes.
func ValueSize(v any) int64 {
	switch v := v.(type) {
	case string:
		return int64(len(v))
	case []byte:
		return int64(len(v))
	}
	return 8
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
	Behind        bool        `json:"behind"`         // the file lacks changes of the branch; caught up on its next query
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
	// Behind is the number of materialized tenants whose file has not yet
	// applied every change: a schema change returns without waiting for
	// tenants nobody has open, which catch up on their next query (or in a
	// server's background converger, or by cinch tenant migrate).
	Behind int `json:"behind"`
	// Error is set, in a list of branches, on a branch that cannot be read
	// (e.g. its changes.json is not valid JSON): it names the file and says
	// what to do; the other fields hold what could still be read. The
	// branch's other operations fail with the same message.
	Error string `json:"error,omitempty"`
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
