package cinch

import "time"

// The answers of the cluster routes (/v1/cluster/*, SPEC §8): a cluster
// node writes them, the Go client reads them, and the OpenAPI document
// describes them, all from these types.

// ClusterNode is one node of a cluster as GET /v1/cluster/status shows it:
// what its last heartbeat (at most a second old) said, read by the node
// that answers.
type ClusterNode struct {
	Name     string `json:"name"`
	Addr     string `json:"addr"`     // its HTTP address (--addr)
	Alive    bool   `json:"alive"`    // a heartbeat within the last 5 s
	Draining bool   `json:"draining"` // cinch cluster drain: it hands its tenants away and takes none
	// TenantsOwned is how many tenants it owns (holds the lease of).
	TenantsOwned int `json:"tenants_owned"`
	// WritesPerSec is the commits it appended to its tenants' logs per
	// second, over the last 10 seconds.
	WritesPerSec float64 `json:"writes_per_sec"`
	// ControlApplied is the sequence of the last control log entry (schema
	// change, tenant registry) it applied; ControlLag how many entries it
	// has not applied yet, and ControlLagSeconds the age of the oldest of
	// those (0 when it is caught up).
	ControlApplied    uint64  `json:"control_applied"`
	ControlLag        uint64  `json:"control_lag"`
	ControlLagSeconds float64 `json:"control_lag_seconds"`
	// TenantsCatchingUp counts the tenants it owns that do not take writes
	// right now: being rebuilt from snapshot and log, or refusing commits
	// until rebuilt (fenced, lease lost, or an append whose outcome is
	// unknown).
	TenantsCatchingUp int `json:"tenants_catching_up"`
	// LogTail is how many log records of the tenants it owns lie past their
	// snapshots: what rebuilding them elsewhere would replay if it died now.
	LogTail uint64 `json:"log_tail"`
	// SnapshotAgeSeconds is the age of the oldest snapshot among the
	// tenants it owns (tenants without one, never written, are left out);
	// 0 when none has one. Snapshots are taken when a tenant is released.
	SnapshotAgeSeconds float64 `json:"snapshot_age_seconds"`
	// At is when the node sent the heartbeat this comes from.
	At time.Time `json:"at"`
}

// ClusterNodes is the answer of GET /v1/cluster/status.
type ClusterNodes struct {
	Nodes []ClusterNode `json:"nodes"`
}

// ClusterAdminKey is the answer of POST /v1/cluster/init: the cluster's
// admin API key, shown once.
type ClusterAdminKey struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

// TenantMove is the answer of POST /v1/cluster/move: the tenant is owned
// by node To now, and requests on it waited Pause (a Go duration, e.g.
// "42ms") while it moved.
type TenantMove struct {
	Tenant string `json:"tenant"`
	To     string `json:"to"`
	Pause  string `json:"pause"`
}

// NodeDrain is the answer of POST /v1/cluster/drain and /v1/cluster/undrain.
type NodeDrain struct {
	Node     string `json:"node"`
	Draining bool   `json:"draining"`
}
