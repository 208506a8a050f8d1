// Command monitoring is the Go version of "Best Practices: 3. Monitoring"
// in the multi-tenancy concept document: size, table count, row count and
// last write of every tenant, from db.Fleet().Stats.
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
	"time"

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
	LastWrite  time.Time // zero for a lazy tenant (no file yet)
}

// GetTenantMetrics measures every served tenant of db's branch with
// db.Fleet().Stats, the engine's form of the seed's loop: size of the db
// and WAL files, user tables and COUNT(*) rows read from each tenant's
// file, and the last write (modification time of the db or WAL file).
// A lazy tenant has no file, so it reports no size, tables or rows.
func GetTenantMetrics(ctx context.Context, db *local.DB) ([]TenantMetrics, error) {
	stats, err := db.Fleet().Stats(ctx, cinch.FleetOptions{})
	if err != nil {
		return nil, err
	}
	metrics := make([]TenantMetrics, 0, len(stats))
	for _, st := range stats {
		metrics = append(metrics, TenantMetrics{
			Tenant:     st.Name,
			State:      st.State,
			SizeMB:     float64(st.SizeBytes) / 1024 / 1024, // file + WAL; 0 for a lazy tenant
			TableCount: st.Tables,
			TotalRows:  st.Rows,
			LastWrite:  st.LastWrite,
		})
	}
	return metrics, nil
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
	fmt.Fprintf(out, "%-12s %-12s %9s %6s %6s  %s\n", "TENANT", "STATE", "SIZE_MB", "TABLES", "ROWS", "LAST_WRITE")
	for _, m := range metrics {
		last := "-"
		if !m.LastWrite.IsZero() {
			last = m.LastWrite.Format(time.RFC3339)
		}
		fmt.Fprintf(out, "%-12s %-12s %9.3f %6d %6d  %s\n", m.Tenant, m.State, m.SizeMB, m.TableCount, m.TotalRows, last)
	}
	return nil
}

// setup creates two tables and tenants with different amounts of data,
// one of them lazy (registered, no file yet).
func setup(ctx context.Context, db *local.DB) error {
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
