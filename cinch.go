package cinch

import (
	"context"
	"time"
)

// Querier runs statements and row operations on one tenant.
type Querier interface {
	// Query runs one SQL statement with positional params on the tenant and
	// returns its rows (reads) or rows affected (writes). SPEC §5 decides what
	// is allowed; anything else fails with ErrQueryRejected.
	Query(ctx context.Context, sql string, params ...any) (*Result, error)
	// QueryWith is Query with options (row and byte limits, read-only).
	QueryWith(ctx context.Context, opts QueryOptions, sql string, params ...any) (*Result, error)
	// QueryTo is QueryWith that streams: w receives the column names, then
	// each row as it is read, so memory does not grow with the result. The
	// returned Result carries RowsAffected and Truncated; its Rows are nil.
	QueryTo(ctx context.Context, opts QueryOptions, w RowWriter, sql string, params ...any) (*Result, error)
	// Insert stores one record and returns it as stored (id, timestamps, defaults).
	Insert(ctx context.Context, table string, rec Record) (Record, error)
	// InsertMany stores records in one transaction: all or none.
	InsertMany(ctx context.Context, table string, recs []Record) ([]Record, error)
	// Update changes the given columns of the row with id; ErrRowNotFound if none.
	Update(ctx context.Context, table, id string, rec Record) (Record, error)
	// Delete removes rows by id and returns how many existed.
	Delete(ctx context.Context, table string, ids ...string) (int64, error)
}

// FilterQuerier reads, changes and deletes the rows of one table of one
// tenant that match filters (Where, ParseFilter), without writing SQL.
// Column names are checked against the table (ErrColumnNotFound); values
// are always bound as parameters.
type FilterQuerier interface {
	// Select returns the rows matching every filter, sorted and paged by
	// the other options: db.Select(ctx, "users", cinch.Where("age", ">",
	// 30), cinch.OrderBy("name"), cinch.Limit(10)). The Result has the
	// table's columns in order (its Records are lossless: a table's column
	// names are unique).
	Select(ctx context.Context, table string, opts ...SelectOption) (*Result, error)
	// SelectTo is Select streaming to w, with query options (row and byte
	// limits; it only ever reads), as QueryTo is to Query.
	SelectTo(ctx context.Context, opts QueryOptions, w RowWriter, table string, sel Selection) (*Result, error)
	// UpdateWhere sets the given columns (and updated_at) of every row
	// matching all filters and returns how many matched. An empty where is
	// refused (ErrInvalidInput): pass AllRows() to mean every row.
	UpdateWhere(ctx context.Context, table string, where []Filter, rec Record) (int64, error)
	// DeleteWhere removes every row matching all filters and returns how
	// many; an empty where is refused as for UpdateWhere.
	DeleteWhere(ctx context.Context, table string, where []Filter) (int64, error)
}

// TenantService manages the tenants of one branch.
type TenantService interface {
	List(ctx context.Context) ([]TenantInfo, error)
	Create(ctx context.Context, name string, opts TenantCreateOptions) (TenantInfo, error)
	// CreateMany creates several tenants at once, sharing the work a
	// create does per tenant (lock, registry transaction, directory fsync),
	// and returns them in the order given. Names must be valid, distinct
	// and not taken, else nothing is created (a taken name fails with
	// ErrTenantExists naming every taken one). opts.Lazy applies to all;
	// From and Encrypt are not supported in a batch. If creation fails
	// part way, the tenants created before the failure are returned with
	// the error, which names those created and those not; no tenant is
	// left half made.
	CreateMany(ctx context.Context, names []string, opts TenantCreateOptions) ([]TenantInfo, error)
	Info(ctx context.Context, name string) (TenantInfo, error)
	// Copy makes target a consistent copy of source (SQLite backup API), or
	// an empty tenant with the same schema when noData is set.
	Copy(ctx context.Context, source, target string, noData bool) (TenantInfo, error)
	Rename(ctx context.Context, oldName, newName string) error
	Delete(ctx context.Context, name string) error
}

// TableService changes and describes the tables of one branch. Every change
// is recorded in changes.json and reaches every tenant of the branch.
type TableService interface {
	List(ctx context.Context) ([]TableInfo, error)
	Info(ctx context.Context, name string) (TableInfo, error)
	Create(ctx context.Context, name string, columns []Column) (Change, error)
	Copy(ctx context.Context, source, target string, noData bool) (Change, error)
	Drop(ctx context.Context, name string) (Change, error)
}

// ColumnService changes the columns of a table on one branch.
type ColumnService interface {
	List(ctx context.Context, table string) ([]ColumnInfo, error)
	Add(ctx context.Context, table string, column Column) (Change, error)
	Drop(ctx context.Context, table, column string) (Change, error)
	Rename(ctx context.Context, table, oldName, newName string) (Change, error)
	// AlterNullable makes a column nullable or NOT NULL; fill replaces
	// existing NULLs when making it NOT NULL.
	AlterNullable(ctx context.Context, table, column string, nullable bool, fill *string) (Change, error)
}

// ViewService changes and describes the views of one branch.
type ViewService interface {
	List(ctx context.Context) ([]ViewInfo, error)
	Info(ctx context.Context, name string) (ViewInfo, error)
	Create(ctx context.Context, name, sql string) (Change, error)
	Update(ctx context.Context, name, sql string) (Change, error)
	Drop(ctx context.Context, name string) (Change, error)
}

// IndexService changes and describes the indexes of one branch.
type IndexService interface {
	// List returns the indexes of table, or of every table when table is "".
	List(ctx context.Context, table string) ([]IndexInfo, error)
	// Create makes an index; the name defaults to idx_<table>_<columns>.
	Create(ctx context.Context, index IndexInfo) (Change, error)
	Drop(ctx context.Context, name string) (Change, error)
}

// BranchService manages the branches of one database.
type BranchService interface {
	List(ctx context.Context) ([]BranchInfo, error)
	Info(ctx context.Context, name string) (BranchInfo, error)
	// Create copies the from branch: its change history and every tenant's
	// data (consistent per tenant, while from keeps serving).
	Create(ctx context.Context, name, from string) (BranchInfo, error)
	// Delete removes a branch and its tenants; main cannot be deleted.
	Delete(ctx context.Context, name string) error
	// Changes returns a branch's change records, oldest first.
	Changes(ctx context.Context, name string) ([]Change, error)
	// Merge applies the changes source has since the common ancestor to
	// target's schema and every target tenant, or only reports the plan
	// when dryRun is set. Conflicts refuse the merge with ErrConflict and
	// are listed in the result.
	Merge(ctx context.Context, source, target string, dryRun bool) (MergeResult, error)
}

// FleetService works on many tenants of one branch at once: fan-out
// reads, metrics, maintenance, checks and archiving. A failure on one
// tenant is reported in its result and does not hide the others; the
// error return is for what stops the whole operation (an unknown branch,
// group or named tenant).
type FleetService interface {
	// Query runs one read-only statement on many tenants in parallel and
	// returns each tenant's answer, in tenant order. Lazy tenants answer
	// from the schema and stay lazy; archived ones are skipped unless
	// named. A statement that writes fails on every tenant (ErrReadOnly).
	Query(ctx context.Context, opts FanOutOptions, sql string, params ...any) ([]TenantResult, error)
	// Stats returns the metrics of the tenants.
	Stats(ctx context.Context, opts FleetOptions) ([]TenantStats, error)
	// Vacuum rebuilds the tenants' files (VACUUM, then a WAL truncate) and
	// reports the bytes before and after; lazy tenants are skipped.
	Vacuum(ctx context.Context, opts FleetOptions) ([]MaintenanceResult, error)
	// Analyze refreshes the tenants' query planner statistics (ANALYZE).
	Analyze(ctx context.Context, opts FleetOptions) ([]MaintenanceResult, error)
	// Check brings each tenant to the branch's schema version and runs an
	// integrity check on it; a tenant left behind or ahead is drift.
	Check(ctx context.Context, opts FleetOptions) ([]TenantCheck, error)
	// Migrate brings the tenants that are behind the branch's schema up
	// to date now (they would catch up on their next open otherwise): the
	// named ones, or every materialized tenant of the branch. Encrypted
	// tenants are migrated only when named, on a handle with their key.
	// A tenant that fails stops nothing else; the error names it.
	Migrate(ctx context.Context, opts FleetOptions) (MigrateResult, error)
	// Archive moves a tenant out of the serving set into a compressed
	// archive; tenant main cannot be archived (ErrProtected).
	Archive(ctx context.Context, tenant string) error
	// Restore brings an archived tenant back, with the schema changes made
	// meanwhile; a corrupt archive changes nothing.
	Restore(ctx context.Context, tenant string) error
	// InactiveSince returns the served tenants last written before cutoff
	// (lazy tenants count from their creation).
	InactiveSince(ctx context.Context, cutoff time.Time) ([]TenantInfo, error)
}

// GroupService manages the tenant groups of one branch and their limits.
type GroupService interface {
	List(ctx context.Context) ([]Group, error)
	Info(ctx context.Context, name string) (Group, error)
	// Create makes a group with limits; ErrGroupExists if the name is taken.
	Create(ctx context.Context, group Group) (Group, error)
	// SetLimits replaces a group's limits; open tenants pick them up at once.
	SetLimits(ctx context.Context, group Group) (Group, error)
	// SetTenant puts a tenant in a group, or takes it out of its group when
	// group is "".
	SetTenant(ctx context.Context, tenant, group string) error
}

// DB is a cheap handle on one tenant of one branch of one database. Local
// (package local) and remote (package client) handles both satisfy it, so an
// application switches between them by changing how it connects.
type DB interface {
	Querier
	FilterQuerier
	// Target names the database, branch and tenant this handle works on.
	Target() Target
	// IsLocal reports whether the handle works on files in this process.
	IsLocal() bool
	// SwitchTenant returns a handle on another tenant of the same branch; it
	// does no I/O (an unknown tenant fails on first use).
	SwitchTenant(name string) DB
	// SwitchBranch returns a handle on the same tenant name of another branch.
	SwitchBranch(name string) DB
	Tenants() TenantService
	Tables() TableService
	Columns() ColumnService
	Views() ViewService
	Indexes() IndexService
	Branches() BranchService
	Fleet() FleetService
	Groups() GroupService
	// KV is the tenant's key-value store.
	KV() KVService
	// Changes returns the branch's change records, oldest first.
	Changes(ctx context.Context) ([]Change, error)
}
