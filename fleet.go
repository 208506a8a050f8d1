package cinch

import "time"

// FanOutOptions narrow and tune a query run on many tenants
// (FleetService.Query).
type FanOutOptions struct {
	Tenants     []string // only these tenants (default: every served tenant of the branch)
	Group       string   // only tenants of this group
	Concurrency int      // tenants queried at once (default: 2 × GOMAXPROCS); a server chooses its own
	Limit       int      // rows per tenant (0: no cap)
	// TotalRows and TotalBytes cap the answer as a whole (0: no cap), so
	// its size does not grow with the number of tenants: once either is
	// reached, later rows are left out and the results they belonged to
	// say Truncated. Bytes count as in QueryOptions.MaxBytes. Which
	// tenants are cut depends on the order they answer in.
	TotalRows  int
	TotalBytes int64
	// Progress, when set, is called after each tenant with the number
	// done and the total (the CLI draws a bar from it); calls do not
	// overlap and done counts up. A remote handle calls it once, when the
	// answer arrives.
	Progress func(done, total int)
}

// FleetOptions narrow a fleet operation (stats, vacuum, analyze, check).
type FleetOptions struct {
	// Tenants are the tenants to cover; all must exist. None: every served
	// (not archived) tenant of the branch; for Check, every tenant.
	Tenants []string
	// Progress is as in FanOutOptions.
	Progress func(done, total int)
}

// TenantResult is one tenant's answer to a fan-out query: rows, or an
// error that does not hide the other tenants' answers. Err wraps a
// sentinel of the error vocabulary, remotely too (the server sends its
// code), so errors.Is works on it.
type TenantResult struct {
	Tenant string  `json:"tenant"`
	Result *Result `json:"result,omitempty"`
	Err    error   `json:"-"`
}

// TenantStats are a tenant's metrics (SPEC: cinch tenant stats).
type TenantStats struct {
	TenantInfo
	WALBytes  int64     `json:"wal_bytes"`
	Tables    int       `json:"tables"`
	Rows      int64     `json:"rows"`
	LastWrite time.Time `json:"last_write,omitzero"` // modification time of the db or wal file
	Pending   bool      `json:"pending_schema"`      // behind the branch; caught up on next open
}

// MaintenanceResult is one tenant's outcome of vacuum or analyze.
type MaintenanceResult struct {
	Tenant      string   `json:"tenant"`
	BytesBefore int64    `json:"bytes_before"`
	BytesAfter  int64    `json:"bytes_after"`
	Messages    []string `json:"messages,omitempty"` // integrity_check output
	Error       string   `json:"error,omitempty"`
}

// TenantCheck is the result of checking one tenant (FleetService.Check).
type TenantCheck struct {
	Tenant        string   `json:"tenant"`
	State         string   `json:"state"`
	SchemaVersion int      `json:"schema_version"`
	BranchVersion int      `json:"branch_version"`
	Drift         bool     `json:"drift"`
	Integrity     []string `json:"integrity"` // ["ok"] when healthy
	OK            bool     `json:"ok"`
}

// Group is a named set of tenants with resource limits enforced by cinch.
type Group struct {
	Name string `json:"name"`
	// MaxDBBytes caps a tenant's database size (0: no cap); writes past it
	// fail with ErrLimitExceeded and change nothing.
	MaxDBBytes int64 `json:"max_db_bytes"`
	// MaxConcurrent caps queries running at once on one tenant in this
	// process (0: no cap); more fail fast with ErrLimitExceeded.
	MaxConcurrent int `json:"max_concurrent"`
}

// MigrateResult is what FleetService.Migrate did: of the tenants it
// covered, how many were behind the branch's schema, how many of those it
// brought up to date, and how many remain behind (encrypted tenants not
// named with their key: cinch never stores keys, so it cannot open them).
type MigrateResult struct {
	Behind    int `json:"behind"`
	Migrated  int `json:"migrated"`
	Remaining int `json:"remaining"`
}
