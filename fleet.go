package cinch

import "time"

// FanOutOptions narrow and tune a query run on many tenants.
type FanOutOptions struct {
	Tenants     []string // only these tenants (default: every served tenant of the branch)
	Group       string   // only tenants of this group
	Concurrency int      // tenants queried at once (default: 2 × GOMAXPROCS)
	Limit       int      // rows per tenant (0: no cap)
}

// TenantResult is one tenant's answer to a fan-out query: rows, or an
// error that does not hide the other tenants' answers.
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

// MaintenanceResult is one tenant's outcome of vacuum, analyze or check.
type MaintenanceResult struct {
	Tenant      string   `json:"tenant"`
	BytesBefore int64    `json:"bytes_before"`
	BytesAfter  int64    `json:"bytes_after"`
	Messages    []string `json:"messages,omitempty"` // integrity_check output
	Error       string   `json:"error,omitempty"`
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
