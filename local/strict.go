package local

import (
	"errors"
	"fmt"

	"github.com/cinchdb/cinch"
)

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

// connected finishes Connect: on a strict project, a handle connected
// without a tenant remembers why it may not run data operations.
func (p *Project) connected(d *DB, implicitTenant bool) (*DB, error) {
	if !implicitTenant {
		return d, nil
	}
	switch p.cfg.StrictTenant {
	case StrictTenantOn:
		d.strict = "Config.StrictTenant"
	case StrictTenantOff:
	default:
		s, err := p.Settings()
		if err != nil {
			return nil, err
		}
		if s.StrictTenant {
			d.strict = "strict_tenant in " + configFile
		}
	}
	return d, nil
}

// errTenantRequired is what a data operation of a handle without a tenant
// returns on a strict project.
func (d *DB) errTenantRequired() error {
	return &cinch.Error{Err: cinch.ErrTenantRequired, Entity: fmt.Sprintf("branch %q", d.target.Branch),
		Message: fmt.Sprintf("no tenant given: this project requires one for every data operation (%s)", d.strict),
		Hint:    "name the tenant (cinch.Target.Tenant, or DB.WithTenant)"}
}

// SetStrictTenant records strict_tenant in config.toml. When on, handles
// connected without a tenant refuse data operations (unless
// Config.StrictTenant overrides the setting), and the CLI's data commands
// need --tenant.
func (p *Project) SetStrictTenant(on bool) error {
	unlock, err := p.lockProject()
	if err != nil {
		return err
	}
	defer unlock()
	// A file that does not parse is reported, not replaced: it may hold an
	// active database this call knows nothing about.
	if _, err := p.Settings(); err != nil {
		return err
	}
	return p.rewriteSettings(func(s *Settings) { s.StrictTenant = on })
}

// rewriteSettings changes config.toml through fn; the caller holds the
// project lock. Settings fn does not touch are kept. A file that does not
// parse is rewritten from the defaults, which is the documented way out of
// it (set the active database and branch again).
func (p *Project) rewriteSettings(fn func(*Settings)) error {
	s, err := p.Settings()
	if errors.Is(err, cinch.ErrInvalidInput) {
		s, err = Settings{ActiveDatabase: cinch.DefaultDatabase, ActiveBranch: cinch.DefaultBranch}, nil
	}
	if err != nil {
		return err
	}
	fn(&s)
	return writeSettings(p.root, s)
}
