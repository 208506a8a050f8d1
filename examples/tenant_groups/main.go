// Command tenant_groups is the Go version of "Scaling Patterns: 2. Tenant
// Groups" in the multi-tenancy concept document: tenants grouped by plan,
// each group with resource limits that cinch itself enforces.
//
// Groups are first-class: db.Groups().Create makes a group with limits,
// SetTenant puts a tenant in it, List lists them, and
// TenantInfo.Group says a tenant's group. The engine enforces the limits:
// MaxDBBytes caps each tenant's database file (a write past it fails with
// cinch.ErrLimitExceeded and changes nothing), MaxConcurrent caps the
// queries running at once on one tenant (more fail fast with
// ErrLimitExceeded). SetLimits changes them for open tenants at once.
//
// CLI equivalents: cinch group create trial --max-db-size 64KiB
// --max-concurrent 2, cinch tenant set-group trial_user_1 trial.
//
//	go run ./examples/tenant_groups [DIR]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

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
// setup stores it in cinch; from then on cinch's registry is the truth.
var TenantGroups = map[string][]string{
	"enterprise": {"fortune500_a", "fortune500_b"},
	"standard":   {"startup_1", "startup_2"},
	"trial":      {"trial_user_1", "trial_user_2"},
}

// ResourceLimits is RESOURCE_LIMITS in the seed, as cinch groups. Zero
// means no limit. 64 KiB is the smallest database size cinch accepts.
var ResourceLimits = []cinch.Group{
	{Name: "enterprise"},
	{Name: "standard", MaxDBBytes: 1 << 30, MaxConcurrent: 16},
	{Name: "trial", MaxDBBytes: 64 << 10, MaxConcurrent: 2},
}

// ErrNoGroup means a tenant is in no group.
var ErrNoGroup = errors.New("tenant is in no group")

// GetTenantResources returns the group of a tenant, with its limits, as
// cinch stores them (get_tenant_resources in the seed).
func GetTenantResources(ctx context.Context, db *local.DB, tenantName string) (cinch.Group, error) {
	info, err := db.Tenants().Info(ctx, tenantName)
	if err != nil {
		return cinch.Group{}, err
	}
	if info.Group == "" {
		return cinch.Group{}, fmt.Errorf("%w: %s", ErrNoGroup, tenantName)
	}
	groups, err := db.Groups().List(ctx)
	if err != nil {
		return cinch.Group{}, err
	}
	for _, g := range groups {
		if g.Name == info.Group {
			return g, nil
		}
	}
	return cinch.Group{}, fmt.Errorf("tenant %s: %w: %s", tenantName, cinch.ErrGroupNotFound, info.Group)
}

// FillUntilLimit inserts up to n projects of about 1 KiB into the tenant
// of db and returns how many were stored, and the error that stopped it
// (nil when all n were).
func FillUntilLimit(ctx context.Context, db cinch.DB, n int) (int, error) {
	for i := range n {
		_, err := db.Insert(ctx, "projects", cinch.Record{"title": fmt.Sprintf("project %d", i+1), "body": strings.Repeat("x", 1024)})
		if err != nil {
			return i, err
		}
	}
	return n, nil
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

	groups, err := db.Groups().List(ctx)
	if err != nil {
		return err
	}
	for _, g := range groups {
		fmt.Fprintf(out, "%s %v: max db bytes %d, max concurrent %d\n", g.Name, TenantGroups[g.Name], g.MaxDBBytes, g.MaxConcurrent)
	}
	for _, tenant := range []string{"fortune500_b", "trial_user_2"} {
		g, err := GetTenantResources(ctx, db, tenant)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "get_tenant_resources(%s): %s, max db bytes %d\n", tenant, g.Name, g.MaxDBBytes)
	}
	_, err = GetTenantResources(ctx, db, "main")
	fmt.Fprintf(out, "get_tenant_resources(main): %v\n", err)

	// 200 projects of 1 KiB each: more than a trial's 64 KiB.
	const n = 200
	stored, err := FillUntilLimit(ctx, db.SwitchTenant("trial_user_1"), n)
	if !errors.Is(err, cinch.ErrLimitExceeded) {
		return fmt.Errorf("trial_user_1: stored %d, then %v; want ErrLimitExceeded", stored, err)
	}
	fmt.Fprintf(out, "trial_user_1: stopped before %d projects: %s\n", n, cinch.Code(err))
	// The enterprise tenant, in its own file, keeps writing.
	stored, err = FillUntilLimit(ctx, db.SwitchTenant("fortune500_a"), n)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "fortune500_a: stored %d of %d\n", stored, n)

	// Upgrading the plan raises the limit for the open tenant at once.
	if err := db.Groups().SetTenant(ctx, "trial_user_1", "standard"); err != nil {
		return err
	}
	if _, err := FillUntilLimit(ctx, db.SwitchTenant("trial_user_1"), 1); err != nil {
		return err
	}
	info, err := db.Tenants().Info(ctx, "trial_user_1")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "trial_user_1 moved to %s: writes again\n", info.Group)
	return nil
}

// setup creates a projects table, the groups with their limits, and every
// tenant of every group.
func setup(ctx context.Context, db *local.DB) error {
	title, _ := cinch.ParseColumnSpec("title:TEXT")
	body, _ := cinch.ParseColumnSpec("body:TEXT")
	if _, err := db.Tables().Create(ctx, "projects", []cinch.Column{title, body}); err != nil {
		return err
	}
	for _, g := range ResourceLimits {
		if _, err := db.Groups().Create(ctx, g); err != nil {
			return err
		}
		for _, t := range TenantGroups[g.Name] {
			if _, err := db.Tenants().Create(ctx, t, cinch.TenantCreateOptions{}); err != nil {
				return err
			}
			if err := db.Groups().SetTenant(ctx, t, g.Name); err != nil {
				return err
			}
		}
	}
	return nil
}
