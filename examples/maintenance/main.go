// Command maintenance is the Go version of "Tenant Lifecycle: 3.
// Maintenance" in the multi-tenancy concept document: VACUUM, ANALYZE and
// PRAGMA integrity_check on one tenant through the ordinary query path
// (maintain_tenant), then the same for every tenant at once with the
// engine's fleet operations (db.Fleet(): Vacuum, Analyze and Check).
//
// CLI equivalents: cinch tenant vacuum NAME|--all, cinch tenant check NAME|--all.
//
//	go run ./examples/maintenance [DIR]
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

// MaintainTenant reclaims space, refreshes the planner's statistics and
// reports whether the tenant's file passes SQLite's integrity check. All
// three statements are allowed by the query guard (SPEC §5).
func MaintainTenant(ctx context.Context, db cinch.DB, tenantName string) (bool, error) {
	tenantDB := db.SwitchTenant(tenantName)

	// Vacuum to reclaim space.
	if _, err := tenantDB.Query(ctx, "VACUUM"); err != nil {
		return false, err
	}
	// Analyze for query optimization.
	if _, err := tenantDB.Query(ctx, "ANALYZE"); err != nil {
		return false, err
	}
	// Check integrity.
	result, err := tenantDB.Query(ctx, "PRAGMA integrity_check")
	if err != nil {
		return false, err
	}
	return len(result.Rows) > 0 && result.Value(0, "integrity_check") == "ok", nil
}

// FleetReport is the outcome of maintaining every tenant at once.
type FleetReport struct {
	Vacuum  []cinch.MaintenanceResult
	Analyze []cinch.MaintenanceResult
	Check   []cinch.TenantCheck
}

// MaintainFleet is maintain_tenant for the whole fleet, done by the
// engine: VACUUM (then a WAL truncate) and ANALYZE run on every served
// tenant, in parallel, each on its tenant's writer; Check then brings each
// tenant to the branch's schema and runs PRAGMA integrity_check. Lazy
// tenants have no file, so there is nothing to vacuum (0 bytes) and they
// stay lazy. A failure on one tenant is in its result, not an error.
func MaintainFleet(ctx context.Context, db *local.DB) (FleetReport, error) {
	var r FleetReport
	var err error
	if r.Vacuum, err = db.Fleet().Vacuum(ctx, cinch.FleetOptions{}); err != nil {
		return r, err
	}
	if r.Analyze, err = db.Fleet().Analyze(ctx, cinch.FleetOptions{}); err != nil {
		return r, err
	}
	r.Check, err = db.Fleet().Check(ctx, cinch.FleetOptions{})
	return r, err
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
	if err := setup(ctx, db, "acme_corp", "wayne_ent"); err != nil {
		return err
	}
	if _, err := db.Tenants().Create(ctx, "stark_ind", cinch.TenantCreateOptions{Lazy: true}); err != nil {
		return err
	}

	// One tenant, the seed's way: delete most rows, then maintain through
	// the query path. VACUUM gives the pages back.
	if _, err := db.SwitchTenant("acme_corp").Query(ctx, "DELETE FROM events WHERE rowid % 10 != 0"); err != nil {
		return err
	}
	ok, err := MaintainTenant(ctx, db, "acme_corp")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "acme_corp integrity ok: %t\n", ok)

	// ANALYZE wrote the planner's statistics into the tenant's file.
	res, err := db.SwitchTenant("acme_corp").Query(ctx, "SELECT COUNT(*) AS count FROM sqlite_stat1 WHERE tbl = ?", "events")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "acme_corp sqlite_stat1 rows for events: %d\n", res.Value(0, "count"))

	_, err = MaintainTenant(ctx, db, "no_such_tenant")
	fmt.Fprintf(out, "no_such_tenant: %s\n", cinch.Code(err))

	// Every tenant, the engine's way (cinch tenant vacuum --all, cinch
	// tenant check --all): wayne_ent loses most of its rows first.
	if _, err := db.SwitchTenant("wayne_ent").Query(ctx, "DELETE FROM events WHERE rowid % 10 != 0"); err != nil {
		return err
	}
	report, err := MaintainFleet(ctx, db)
	if err != nil {
		return err
	}
	for _, v := range report.Vacuum {
		fmt.Fprintf(out, "vacuum %s: %d -> %d bytes%s\n", v.Tenant, v.BytesBefore, v.BytesAfter, errSuffix(v.Error))
	}
	for _, a := range report.Analyze {
		if a.Error != "" {
			fmt.Fprintf(out, "analyze %s:%s\n", a.Tenant, errSuffix(a.Error))
		}
	}
	res, err = db.SwitchTenant("wayne_ent").Query(ctx, "SELECT COUNT(*) AS count FROM sqlite_stat1 WHERE tbl = ?", "events")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "wayne_ent sqlite_stat1 rows for events: %d\n", res.Value(0, "count"))
	// Check also compares each tenant's schema version with the branch's,
	// to catch drift.
	for _, c := range report.Check {
		fmt.Fprintf(out, "check %s (%s): ok=%t drift=%t integrity=%v\n", c.Tenant, c.State, c.OK, c.Drift, c.Integrity)
	}
	return nil
}

func errSuffix(msg string) string {
	if msg == "" {
		return ""
	}
	return " error: " + msg
}

// setup creates an events table and tenants holding 500 events each.
func setup(ctx context.Context, db cinch.DB, tenants ...string) error {
	kind, _ := cinch.ParseColumnSpec("kind:TEXT")
	payload, _ := cinch.ParseColumnSpec("payload:TEXT")
	if _, err := db.Tables().Create(ctx, "events", []cinch.Column{kind, payload}); err != nil {
		return err
	}
	if _, err := db.Indexes().Create(ctx, cinch.IndexInfo{Table: "events", Columns: []string{"kind"}}); err != nil {
		return err
	}
	for _, tenant := range tenants {
		if _, err := db.Tenants().Create(ctx, tenant, cinch.TenantCreateOptions{}); err != nil {
			return err
		}
		recs := make([]cinch.Record, 500)
		for i := range recs {
			recs[i] = cinch.Record{"kind": fmt.Sprintf("k%d", i%7), "payload": fmt.Sprintf("%0200d", i)}
		}
		if _, err := db.SwitchTenant(tenant).InsertMany(ctx, "events", recs); err != nil {
			return err
		}
	}
	return nil
}
