// Command tenant_groups is the Go version of "Scaling Patterns: 2. Tenant
// Groups" in the multi-tenancy concept document: tenants grouped by plan,
// each group with its resource limits, enforced by the application.
//
// Groups live in application code here. Issue 3 makes them first-class in
// cinch (TenantInfo.Group is reserved for it); until then the mapping and
// the enforcement below are the application's.
//
//	go run ./examples/tenant_groups [DIR]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func main() {
	dir, cleanup, err := projectDir()
	if err == nil {
		err = run(context.Background(), dir, os.Stdout)
		cleanup()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// projectDir returns os.Args[1] or a fresh temporary folder (removed by cleanup).
func projectDir() (string, func(), error) {
	if len(os.Args) > 1 {
		return os.Args[1], func() {}, nil
	}
	dir, err := os.MkdirTemp("", "cinch-example-*")
	return dir, func() { os.RemoveAll(dir) }, err
}

// TenantGroups maps each group to its tenants (TENANT_GROUPS in the seed).
var TenantGroups = map[string][]string{
	"enterprise": {"fortune500_a", "fortune500_b"},
	"standard":   {"startup_1", "startup_2"},
	"trial":      {"trial_user_1", "trial_user_2"},
}

// ResourceLimits is what a group's tenants may use.
type ResourceLimits struct {
	MaxRowsPerTable int64 // 0: unlimited
	MaxSizeBytes    int64 // 0: unlimited
	ReadOnly        bool  // e.g. an expired trial
}

// ResourceLimitsByGroup is RESOURCE_LIMITS in the seed.
var ResourceLimitsByGroup = map[string]ResourceLimits{
	"enterprise": {},
	"standard":   {MaxRowsPerTable: 10_000, MaxSizeBytes: 1 << 30},
	"trial":      {MaxRowsPerTable: 3, MaxSizeBytes: 10 << 20},
}

// ErrNoGroup means a tenant is in no group.
var ErrNoGroup = errors.New("tenant is in no group")

// ErrLimit means an operation would exceed the tenant's limits.
var ErrLimit = errors.New("over the tenant's limit")

// GetTenantResources returns the limits of the tenant's group.
func GetTenantResources(tenantName string) (group string, limits ResourceLimits, err error) {
	for group, tenants := range TenantGroups {
		for _, t := range tenants {
			if t == tenantName {
				return group, ResourceLimitsByGroup[group], nil
			}
		}
	}
	return "", ResourceLimits{}, fmt.Errorf("%w: %s", ErrNoGroup, tenantName)
}

// InsertWithinLimits inserts rec into table of the tenant of db unless the
// tenant's group limits forbid it.
func InsertWithinLimits(ctx context.Context, db cinch.DB, table string, rec cinch.Record) (cinch.Record, error) {
	tenant := db.Target().Tenant
	_, limits, err := GetTenantResources(tenant)
	if err != nil {
		return nil, err
	}
	if limits.ReadOnly {
		return nil, fmt.Errorf("%w: %s is read-only", ErrLimit, tenant)
	}
	if limits.MaxRowsPerTable > 0 {
		// Table names cannot be parameters; cinch's names are plain
		// identifiers (SPEC §3), so quoting is enough.
		res, err := db.Query(ctx, fmt.Sprintf("SELECT COUNT(*) AS count FROM %q", table))
		if err != nil {
			return nil, err
		}
		if n := res.Rows[0]["count"].(int64); n >= limits.MaxRowsPerTable {
			return nil, fmt.Errorf("%w: %s already has %d rows in %s (max %d)", ErrLimit, tenant, n, table, limits.MaxRowsPerTable)
		}
	}
	if limits.MaxSizeBytes > 0 {
		info, err := db.Tenants().Info(ctx, tenant)
		if err != nil {
			return nil, err
		}
		if info.SizeBytes >= limits.MaxSizeBytes {
			return nil, fmt.Errorf("%w: %s uses %d bytes (max %d)", ErrLimit, tenant, info.SizeBytes, limits.MaxSizeBytes)
		}
	}
	return db.Insert(ctx, table, rec)
}

func run(ctx context.Context, dir string, out io.Writer) error {
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		return err
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		return err
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		return err
	}
	if err := setup(ctx, db); err != nil {
		return err
	}

	groups := make([]string, 0, len(TenantGroups))
	for g := range TenantGroups {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		l := ResourceLimitsByGroup[g]
		fmt.Fprintf(out, "%s %v: max rows/table %d, max bytes %d\n", g, TenantGroups[g], l.MaxRowsPerTable, l.MaxSizeBytes)
	}

	// Five inserts each into an enterprise and a trial tenant.
	for _, tenant := range []string{"fortune500_a", "trial_user_1"} {
		tenantDB := db.SwitchTenant(tenant)
		stored := 0
		var lastErr error
		for i := range 5 {
			if _, err := InsertWithinLimits(ctx, tenantDB, "projects", cinch.Record{"title": fmt.Sprintf("project %d", i+1)}); err != nil {
				if !errors.Is(err, ErrLimit) {
					return err
				}
				lastErr = err
				continue
			}
			stored++
		}
		fmt.Fprintf(out, "%s: stored %d of 5", tenant, stored)
		if lastErr != nil {
			fmt.Fprintf(out, " (%v)", lastErr)
		}
		fmt.Fprintln(out)
	}
	_, _, err = GetTenantResources("main")
	fmt.Fprintf(out, "main: %v\n", err)
	return nil
}

// setup creates a projects table and every tenant of every group.
func setup(ctx context.Context, db cinch.DB) error {
	title, _ := cinch.ParseColumnSpec("title:TEXT")
	if _, err := db.Tables().Create(ctx, "projects", []cinch.Column{title}); err != nil {
		return err
	}
	for _, tenants := range TenantGroups {
		for _, t := range tenants {
			if _, err := db.Tenants().Create(ctx, t, cinch.TenantCreateOptions{}); err != nil {
				return err
			}
		}
	}
	return nil
}
