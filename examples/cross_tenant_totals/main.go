// Command cross_tenant_totals is the Go version of "Common Pitfalls: 2.
// Cross-Tenant Queries" in the multi-tenancy concept document: there are no
// cross-tenant joins, so a total over tenants is the same query run on
// each tenant (db.Fleet().Query fans it out in parallel), combined in
// the application.
//
// CLI equivalent: cinch query "SELECT SUM(amount) AS total FROM orders" --all-tenants
//
//	go run ./examples/cross_tenant_totals [DIR]
package main

import (
	"context"
	"fmt"
	"io"
	"os"

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

// GetAllTenantTotals returns SUM(amount) of the orders of every tenant of
// db's branch, from one fan-out query: Fleet().Query runs the statement on each
// served tenant in parallel (lazy tenants answer from the schema, without
// getting a file) and the totals are combined here. SUM over no rows is
// NULL; COALESCE makes it 0.
func GetAllTenantTotals(ctx context.Context, db *local.DB) (map[string]float64, error) {
	results, err := db.Fleet().Query(ctx, cinch.FanOutOptions{}, "SELECT COALESCE(SUM(amount), 0.0) AS total FROM orders")
	if err != nil {
		return nil, err
	}
	totals := make(map[string]float64, len(results))
	for _, r := range results {
		if r.Err != nil {
			return nil, fmt.Errorf("tenant %s: %w", r.Tenant, r.Err)
		}
		totals[r.Tenant] = toFloat(r.Result.Value(0, "total"))
	}
	return totals, nil
}

// toFloat accepts the numeric types a query returns.
func toFloat(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int64:
		return float64(n)
	}
	return 0
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

	// A join can only see one tenant: tenants are separate files, and
	// ATTACH is refused, so there is no acme_corp schema to name.
	_, err = db.Query(ctx, "SELECT * FROM orders JOIN acme_corp.orders USING (id)")
	if err == nil {
		return fmt.Errorf("a cross-tenant join succeeded")
	}
	fmt.Fprintf(out, "cross-tenant join: %v\n", err)

	totals, err := GetAllTenantTotals(ctx, db)
	if err != nil {
		return err
	}
	var grand float64
	for _, name := range []string{"acme_corp", "main", "stark_ind", "wayne_ent"} {
		fmt.Fprintf(out, "%-10s %8.2f\n", name, totals[name])
		grand += totals[name]
	}
	fmt.Fprintf(out, "%-10s %8.2f\n", "all", grand)
	return nil
}

// setup creates an orders table and tenants with known order amounts.
func setup(ctx context.Context, db *local.DB) error {
	amount, _ := cinch.ParseColumnSpec("amount:REAL:not_null")
	if _, err := db.Tables().Create(ctx, "orders", []cinch.Column{amount}); err != nil {
		return err
	}
	amounts := map[string][]float64{
		"acme_corp": {10.5, 20.25, 4},
		"wayne_ent": {1000},
		"stark_ind": {}, // no orders: total 0
	}
	for tenant, list := range amounts {
		if _, err := db.Tenants().Create(ctx, tenant, cinch.TenantCreateOptions{}); err != nil {
			return err
		}
		recs := make([]cinch.Record, len(list))
		for i, a := range list {
			recs[i] = cinch.Record{"amount": a}
		}
		if _, err := db.SwitchTenant(tenant).InsertMany(ctx, "orders", recs); err != nil {
			return err
		}
	}
	return nil
}
