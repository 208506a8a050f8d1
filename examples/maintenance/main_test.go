package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), t.TempDir(), &out); err != nil {
		t.Fatal(err)
	}
	// Byte counts depend on SQLite's page layout; compare them, not print them.
	vacuum := regexp.MustCompile(`(?m)^vacuum (\w+): (\d+) -> (\d+) bytes$`)
	sizes := map[string][2]int64{}
	for _, m := range vacuum.FindAllStringSubmatch(out.String(), -1) {
		before, _ := strconv.ParseInt(m[2], 10, 64)
		after, _ := strconv.ParseInt(m[3], 10, 64)
		sizes[m[1]] = [2]int64{before, after}
	}
	if len(sizes) != 4 {
		t.Errorf("vacuum lines for %v, want 4 tenants:\n%s", sizes, out.String())
	}
	for _, name := range []string{"acme_corp", "wayne_ent"} {
		if s := sizes[name]; s[1] <= 0 || s[1] >= s[0]/2 {
			t.Errorf("vacuum %s: %d -> %d bytes, want it to give back most of the deleted rows' space", name, s[0], s[1])
		}
	}
	if s := sizes["stark_ind"]; s != [2]int64{0, 0} {
		t.Errorf("vacuum of lazy stark_ind: %v, want 0 -> 0", s)
	}
	got := vacuum.ReplaceAllString(out.String(), "vacuum $1")
	want := "acme_corp integrity ok: true\n" +
		"acme_corp sqlite_stat1 rows for events: 2\n" +
		"no_such_tenant: tenant_not_found\n" +
		"vacuum acme_corp\n" +
		"vacuum main\n" +
		"vacuum stark_ind\n" +
		"vacuum wayne_ent\n" +
		"wayne_ent sqlite_stat1 rows for events: 2\n" +
		"check acme_corp (materialized): ok=true drift=false integrity=[ok]\n" +
		"check main (materialized): ok=true drift=false integrity=[ok]\n" +
		"check stark_ind (lazy): ok=true drift=false integrity=[ok]\n" +
		"check wayne_ent (materialized): ok=true drift=false integrity=[ok]\n"
	if got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func TestMaintainFleet(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		t.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		t.Fatal(err)
	}
	if err := setup(ctx, db, "big", "kept"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tenants().Create(ctx, "lazy_one", cinch.TenantCreateOptions{Lazy: true}); err != nil {
		t.Fatal(err)
	}
	// Vacuum once so both tenants start compact; then delete most of big's rows.
	if _, err := db.Fleet().Vacuum(ctx, cinch.FleetOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SwitchTenant("big").Query(ctx, "DELETE FROM events WHERE kind != ?", "k0"); err != nil {
		t.Fatal(err)
	}
	var calls int
	results, err := db.Fleet().Vacuum(ctx, cinch.FleetOptions{Tenants: []string{"big", "kept", "lazy_one"}, Progress: func(done, total int) { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 3 {
		t.Errorf("progress called %d times, want 3", calls)
	}
	tenants := filepath.Join(dir, ".cinchdb", "databases", "myapp", "branches", "main", "tenants")
	by := map[string]cinch.MaintenanceResult{}
	for _, r := range results {
		if r.Error != "" {
			t.Errorf("vacuum %s: %s", r.Tenant, r.Error)
		}
		by[r.Tenant] = r
	}
	big, kept := by["big"], by["kept"]
	if big.BytesAfter <= 0 || big.BytesAfter >= big.BytesBefore/2 {
		t.Errorf("big: %d -> %d bytes, want most of it reclaimed", big.BytesBefore, big.BytesAfter)
	}
	if kept.BytesAfter > kept.BytesBefore || big.BytesAfter >= kept.BytesAfter {
		t.Errorf("kept: %d -> %d bytes (big now %d)", kept.BytesBefore, kept.BytesAfter, big.BytesAfter)
	}
	// BytesAfter is what is on disk: the vacuumed file, its WAL truncated.
	var onDisk int64
	for _, f := range []string{"big.db", "big.db-wal"} {
		if fi, err := os.Stat(filepath.Join(tenants, f)); err == nil {
			onDisk += fi.Size()
		}
	}
	if onDisk != big.BytesAfter {
		t.Errorf("big on disk: %d bytes, BytesAfter %d", onDisk, big.BytesAfter)
	}
	if r := by["lazy_one"]; r.BytesBefore != 0 || r.BytesAfter != 0 {
		t.Errorf("lazy_one: %+v", r)
	}

	report, err := MaintainFleet(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Vacuum) != 4 || len(report.Analyze) != 4 || len(report.Check) != 4 {
		t.Fatalf("report covers %d/%d/%d tenants, want 4", len(report.Vacuum), len(report.Analyze), len(report.Check))
	}
	for _, c := range report.Check {
		if !c.OK || c.Drift {
			t.Errorf("check %+v", c)
		}
	}
	// Maintenance keeps the data, and ANALYZE wrote statistics.
	for tenant, want := range map[string]int64{"big": 72, "kept": 500} {
		res, err := db.SwitchTenant(tenant).Query(ctx, "SELECT COUNT(*) AS count, (SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'events') AS stats FROM events")
		if err != nil {
			t.Fatal(err)
		}
		if r := res.Record(0); r["count"] != want || r["stats"].(int64) == 0 {
			t.Errorf("%s after maintenance: %v, want %d events and statistics", tenant, r, want)
		}
	}
	// The lazy tenant is still lazy: maintenance wrote no file.
	if _, err := os.Stat(filepath.Join(tenants, "lazy_one.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lazy_one got a file: %v", err)
	}
	if _, err := db.Fleet().Vacuum(ctx, cinch.FleetOptions{Tenants: []string{"nobody"}}); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Errorf("Vacuum(nobody): got %v, want ErrTenantNotFound", err)
	}
}

func TestMaintainTenant(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		t.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		t.Fatal(err)
	}
	if err := setup(ctx, db, "acme_corp"); err != nil {
		t.Fatal(err)
	}
	acme := db.SwitchTenant("acme_corp")
	if _, err := acme.Query(ctx, "DELETE FROM events WHERE kind != ?", "k0"); err != nil {
		t.Fatal(err)
	}
	ok, err := MaintainTenant(ctx, db, "acme_corp")
	if err != nil || !ok {
		t.Fatalf("MaintainTenant = %t, %v", ok, err)
	}
	// Maintenance keeps the data: 500 events, every 7th of kind k0.
	res, err := acme.Query(ctx, "SELECT COUNT(*) AS count FROM events")
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Value(0, "count"); n != int64(72) {
		t.Errorf("events after maintenance = %v, want 72", n)
	}
	// VACUUM INTO would write a copy of the tenant elsewhere: refused.
	if _, err := acme.Query(ctx, "VACUUM INTO '"+t.TempDir()+"/copy.db'"); !errors.Is(err, cinch.ErrQueryRejected) {
		t.Errorf("VACUUM INTO: got %v, want ErrQueryRejected", err)
	}
	// A lazy tenant (no file yet) also passes.
	if _, err := db.Tenants().Create(ctx, "lazy_one", cinch.TenantCreateOptions{Lazy: true}); err != nil {
		t.Fatal(err)
	}
	ok, err = MaintainTenant(ctx, db, "lazy_one")
	if err != nil || !ok {
		t.Errorf("lazy tenant: MaintainTenant = %t, %v", ok, err)
	}
}
