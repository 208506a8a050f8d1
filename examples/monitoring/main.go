// Command monitoring is the Go version of "Best Practices: 3. Monitoring"
// in the multi-tenancy concept document: size, table count and row count
// of every tenant.
//
// CLI equivalent: cinch tenant stats
//
//	go run ./examples/monitoring [DIR]
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

// TenantMetrics is one tenant's line of the report.
type TenantMetrics struct {
	Tenant     string
	State      cinch.TenantState
	SizeMB     float64
	TableCount int
	TotalRows  int64
}

// GetTenantMetrics measures every tenant of db's branch. The tables are
// the branch's (every tenant has the same schema), so they are listed once.
func GetTenantMetrics(ctx context.Context, db cinch.DB) ([]TenantMetrics, error) {
	tables, err := db.Tables().List(ctx)
	if err != nil {
		return nil, err
	}
	tenants, err := db.Tenants().List(ctx)
	if err != nil {
		return nil, err
	}
	metrics := make([]TenantMetrics, 0, len(tenants))
	for _, tenant := range tenants {
		tenantDB := db.SwitchTenant(tenant.Name)
		total, err := totalRows(ctx, tenantDB, tables)
		if err != nil {
			return nil, fmt.Errorf("tenant %s: %w", tenant.Name, err)
		}
		metrics = append(metrics, TenantMetrics{
			Tenant:     tenant.Name,
			State:      tenant.State,
			SizeMB:     float64(tenant.SizeBytes) / 1024 / 1024, // file + WAL; 0 for a lazy tenant
			TableCount: len(tables),
			TotalRows:  total,
		})
	}
	return metrics, nil
}

// totalRows sums COUNT(*) over the tables.
func totalRows(ctx context.Context, db cinch.DB, tables []cinch.TableInfo) (int64, error) {
	var total int64
	for _, t := range tables {
		res, err := db.Query(ctx, fmt.Sprintf("SELECT COUNT(*) AS count FROM %q", t.Name))
		if err != nil {
			return 0, err
		}
		total += res.Rows[0]["count"].(int64)
	}
	return total, nil
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
	metrics, err := GetTenantMetrics(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%-12s %-12s %9s %6s %6s\n", "TENANT", "STATE", "SIZE_MB", "TABLES", "ROWS")
	for _, m := range metrics {
		fmt.Fprintf(out, "%-12s %-12s %9.3f %6d %6d\n", m.Tenant, m.State, m.SizeMB, m.TableCount, m.TotalRows)
	}
	return nil
}

// setup creates two tables and tenants with different amounts of data,
// one of them lazy (registered, no file yet).
func setup(ctx context.Context, db cinch.DB) error {
	name, _ := cinch.ParseColumnSpec("name:TEXT")
	amount, _ := cinch.ParseColumnSpec("amount:REAL")
	if _, err := db.Tables().Create(ctx, "users", []cinch.Column{name}); err != nil {
		return err
	}
	if _, err := db.Tables().Create(ctx, "orders", []cinch.Column{amount}); err != nil {
		return err
	}
	for tenant, n := range map[string]int{"acme_corp": 3, "wayne_ent": 10} {
		if _, err := db.Tenants().Create(ctx, tenant, cinch.TenantCreateOptions{}); err != nil {
			return err
		}
		t := db.SwitchTenant(tenant)
		for i := range n {
			if _, err := t.Insert(ctx, "users", cinch.Record{"name": fmt.Sprint("user ", i)}); err != nil {
				return err
			}
			if _, err := t.Insert(ctx, "orders", cinch.Record{"amount": float64(i)}); err != nil {
				return err
			}
		}
	}
	_, err := db.Tenants().Create(ctx, "stark_ind", cinch.TenantCreateOptions{Lazy: true})
	return err
}
