package local

// Strict tenant context (the seed's pitfall "forgetting tenant context"): a
// project may require every data operation to name its tenant, so that a
// query meant for one customer never runs silently on tenant main.
//
// The check is made on first use, not by Connect: a handle connected
// without a tenant still serves branch-level work (schema changes, the
// tenant list, change history, fleet operations), and only its data
// operations (queries, row writes, SQLDB, and any later operation that
// reaches a tenant's file through DB.use) fail with cinch.ErrTenantRequired.

// StrictTenant says whether a handle connected without a tenant
// (cinch.Target.Tenant "") may run data operations on tenant main.
type StrictTenant int

const (
	// StrictTenantFromProject follows strict_tenant in config.toml, read
	// by each Connect without a tenant. The default.
	StrictTenantFromProject StrictTenant = iota
	// StrictTenantOn requires a tenant, whatever config.toml says.
	StrictTenantOn
	// StrictTenantOff lets an empty tenant mean main, whatever config.toml
	// says.
	StrictTenantOff
)
