// Command regional_stats is the Go version of "Use Cases: 2. Regional
// Isolation" in the multi-tenancy concept document: tenants are grouped by
// region in application code, and a region's statistics come from one
// fan-out query over its tenants (db.Fleet().Query).
//
// CLI equivalent: cinch query "SELECT COUNT(*) AS count FROM users" --tenants customer_1,customer_2
//
//	go run ./examples/regional_stats [DIR]
package main

import (
	"context"
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

// Regions maps each region to its customers' tenants (REGIONS in the seed).
var Regions = map[string][]string{
	"us-east":  {"customer_1", "customer_2"},
	"eu-west":  {"customer_3", "customer_4"},
	"asia-pac": {"customer_5", "customer_6"},
}

// GetRegionStats counts the users of each tenant of a region with one
// fan-out query: Fleet().Query runs the statement on every named tenant in
// parallel (each on its own file: still no cross-tenant query) and returns
// one TenantResult per tenant. An unknown tenant in the list fails the
// whole call with cinch.ErrTenantNotFound; a failure on one tenant is in
// its TenantResult.Err.
func GetRegionStats(ctx context.Context, db *local.DB, region string) (map[string]int64, error) {
	tenants, ok := Regions[region]
	if !ok {
		return nil, fmt.Errorf("unknown region %q", region)
	}
	// Name the column (AS count) so the row has a "count" key.
	results, err := db.Fleet().Query(ctx, cinch.FanOutOptions{Tenants: tenants}, "SELECT COUNT(*) AS count FROM users")
	if err != nil {
		return nil, err
	}
	stats := make(map[string]int64, len(results))
	for _, r := range results {
		if r.Err != nil {
			return nil, fmt.Errorf("tenant %s: %w", r.Tenant, r.Err)
		}
		stats[r.Tenant] = r.Result.Value(0, "count").(int64)
	}
	return stats, nil
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
	regions := make([]string, 0, len(Regions))
	for r := range Regions {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	for _, region := range regions {
		stats, err := GetRegionStats(ctx, db, region)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s:", region)
		for _, tenant := range Regions[region] {
			fmt.Fprintf(out, " %s=%d", tenant, stats[tenant])
		}
		fmt.Fprintln(out)
	}
	return nil
}

// setup creates the users table and gives customer_N N users.
func setup(ctx context.Context, db *local.DB) error {
	name, _ := cinch.ParseColumnSpec("name:TEXT")
	if _, err := db.Tables().Create(ctx, "users", []cinch.Column{name}); err != nil {
		return err
	}
	for i := 1; i <= 6; i++ {
		tenant := fmt.Sprintf("customer_%d", i)
		if _, err := db.Tenants().Create(ctx, tenant, cinch.TenantCreateOptions{}); err != nil {
			return err
		}
		users := make([]cinch.Record, i)
		for j := range users {
			users[j] = cinch.Record{"name": fmt.Sprintf("user %d", j+1)}
		}
		if _, err := db.SwitchTenant(tenant).InsertMany(ctx, "users", users); err != nil {
			return err
		}
	}
	return nil
}
