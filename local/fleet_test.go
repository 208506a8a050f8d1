package local_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// newFleet makes n eager tenants t0..t(n-1) with i rows each in orders,
// plus one lazy tenant.
func newFleet(t *testing.T, n int) (*local.Project, *local.DB) {
	t.Helper()
	ctx := context.Background()
	f := newProject(t, local.Config{MaxOpenTenants: 4})
	p, db := f.p, f.db
	mustChange(t)(db.Tables().Create(ctx, "orders", []cinch.Column{mustCol(t, "amount:REAL"), mustCol(t, "note:TEXT")}))
	for i := range n {
		name := fmt.Sprintf("t%d", i)
		if _, err := db.Tenants().Create(ctx, name, cinch.TenantCreateOptions{}); err != nil {
			t.Fatal(err)
		}
		for j := range i {
			if _, err := db.WithTenant(name).Insert(ctx, "orders", cinch.Record{"amount": float64(j + 1)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := db.Tenants().Create(ctx, "lazy", cinch.TenantCreateOptions{Lazy: true}); err != nil {
		t.Fatal(err)
	}
	return p, db
}

func TestDB_QueryAll(t *testing.T) {
	ctx := context.Background()
	p, db := newFleet(t, 6)
	res, err := db.Fleet().Query(ctx, cinch.FanOutOptions{}, "SELECT count(*) AS n, coalesce(sum(amount), 0) AS total FROM orders")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Tenant, r.Err)
		}
		got[r.Tenant] = r.Result.Value(0, "n").(int64)
	}
	for i := range 6 {
		if n := got[fmt.Sprintf("t%d", i)]; n != int64(i) {
			t.Errorf("t%d: %d rows, want %d", i, n, i)
		}
	}
	if n, ok := got["lazy"]; !ok || n != 0 {
		t.Errorf("lazy tenant answered %d (present %v), want 0", n, ok)
	}
	if _, err := os.Stat(filepath.Join(p.Dir(), ".cinchdb/databases/main/branches/main/tenants/lazy.db")); !os.IsNotExist(err) {
		t.Errorf("fan-out created the lazy tenant's file: %v", err)
	}
	// Writes are refused on every tenant.
	res, err = db.Fleet().Query(ctx, cinch.FanOutOptions{Tenants: []string{"t1", "t2"}}, "DELETE FROM orders")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !errors.Is(r.Err, cinch.ErrReadOnly) {
			t.Errorf("%s: write through fan-out: %v, want ErrReadOnly", r.Tenant, r.Err)
		}
	}
	// One broken tenant does not hide the others.
	bad := filepath.Join(p.Dir(), ".cinchdb/databases/main/branches/main/tenants/t3.db")
	if err := os.WriteFile(bad, []byte("this is not a database, not at all, no"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A fresh process: nothing of t3 is open, as after a restart.
	p2, err := local.Open(ctx, local.Config{Dir: p.Dir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close(ctx)
	db2, _ := p2.Connect(cinch.Target{})
	res, err = db2.Fleet().Query(ctx, cinch.FanOutOptions{Tenants: []string{"t2", "t3", "t4"}}, "SELECT count(*) AS n FROM orders")
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[2].Err != nil || res[1].Err == nil {
		t.Errorf("errors = %v / %v / %v, want only t3 to fail", res[0].Err, res[1].Err, res[2].Err)
	}
	if _, err := db.Fleet().Query(ctx, cinch.FanOutOptions{Tenants: []string{"nope"}}, "SELECT 1"); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Errorf("unknown tenant: %v", err)
	}
	if _, err := db.Fleet().Query(ctx, cinch.FanOutOptions{Group: "nope"}, "SELECT 1"); !errors.Is(err, cinch.ErrGroupNotFound) {
		t.Errorf("unknown group: %v", err)
	}
}

func TestDB_StatsVacuumCheck(t *testing.T) {
	ctx := context.Background()
	_, db := newFleet(t, 3)
	stats, err := db.Fleet().Stats(ctx, cinch.FleetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]cinch.TenantStats{}
	for _, s := range stats {
		byName[s.Name] = s
	}
	if s := byName["t2"]; s.Rows != 2 || s.Tables != 1 || s.SizeBytes == 0 || s.LastWrite.IsZero() || s.Pending {
		t.Errorf("t2 stats = %+v", s)
	}
	if s := byName["lazy"]; s.State != cinch.TenantLazy || s.Rows != 0 {
		t.Errorf("lazy stats = %+v", s)
	}
	// Grow then shrink a tenant: vacuum reclaims.
	big := db.WithTenant("t1")
	for range 200 {
		if _, err := big.Insert(ctx, "orders", cinch.Record{"note": string(make([]byte, 2000))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := big.Query(ctx, "DELETE FROM orders WHERE note IS NOT NULL"); err != nil {
		t.Fatal(err)
	}
	var done int
	results, err := db.Fleet().Vacuum(ctx, cinch.FleetOptions{Tenants: []string{"t1"}, Progress: func(d, total int) { done = d }})
	if err != nil {
		t.Fatal(err)
	}
	if done != 1 || results[0].Error != "" || results[0].BytesAfter >= results[0].BytesBefore {
		t.Errorf("vacuum = %+v (progress %d)", results, done)
	}
	if res, err := db.Fleet().Analyze(ctx, cinch.FleetOptions{}); err != nil || len(res) != 5 {
		t.Errorf("analyze = %v, %v", res, err)
	}
}

func TestDB_ArchiveRestore(t *testing.T) {
	ctx := context.Background()
	p, db := newFleet(t, 3)
	tenantFile := filepath.Join(p.Dir(), ".cinchdb/databases/main/branches/main/tenants/t2.db")
	if err := db.Fleet().Archive(ctx, "t2"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tenantFile); !os.IsNotExist(err) {
		t.Errorf("archived tenant file still served: %v", err)
	}
	if _, err := db.WithTenant("t2").Query(ctx, "SELECT 1"); !errors.Is(err, cinch.ErrTenantArchived) {
		t.Errorf("query on archived: %v, want ErrTenantArchived", err)
	}
	res, err := db.Fleet().Query(ctx, cinch.FanOutOptions{}, "SELECT 1")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Tenant == "t2" {
			t.Errorf("fan-out did not skip the archived tenant")
		}
	}
	// Schema moves on while archived; restore applies it, data intact.
	mustChange(t)(db.Columns().Add(ctx, "orders", mustCol(t, "status:TEXT")))
	if err := db.Fleet().Restore(ctx, "t2"); err != nil {
		t.Fatal(err)
	}
	out, err := db.WithTenant("t2").Query(ctx, "SELECT count(*) AS n, sum(amount) AS s FROM orders WHERE status IS NULL")
	if err != nil {
		t.Fatal(err)
	}
	if n, s := out.Value(0, "n"), out.Value(0, "s"); n != int64(2) || s != 3.0 {
		t.Errorf("restored rows = %v sum %v, want 2 and 3", n, s)
	}
	if err := db.Fleet().Restore(ctx, "t2"); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("restore of a served tenant: %v", err)
	}
	if err := db.Fleet().Archive(ctx, "main"); !errors.Is(err, cinch.ErrProtected) {
		t.Errorf("archive main: %v", err)
	}
	// A corrupt archive is refused and the tenant stays archived.
	if err := db.Fleet().Archive(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	arc := filepath.Join(p.Dir(), ".cinchdb/databases/main/branches/main/archive/t1.db.zst")
	if err := os.WriteFile(arc, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := db.Fleet().Restore(ctx, "t1"); err == nil {
		t.Fatal("restore of a corrupt archive succeeded")
	}
	if info, err := db.Tenants().Info(ctx, "t1"); err != nil || info.State != cinch.TenantArchived {
		t.Errorf("after failed restore: %+v %v, want archived", info, err)
	}
}

func TestDB_InactiveSince(t *testing.T) {
	ctx := context.Background()
	p, db := newFleet(t, 2)
	old := time.Now().Add(-400 * 24 * time.Hour)
	f := filepath.Join(p.Dir(), ".cinchdb/databases/main/branches/main/tenants/t0.db")
	if err := os.Chtimes(f, old, old); err != nil {
		t.Fatal(err)
	}
	os.Remove(f + "-wal")
	got, err := db.Fleet().InactiveSince(ctx, time.Now().Add(-365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "t0" {
		t.Errorf("inactive = %+v, want [t0]", got)
	}
}

func TestDB_GroupLimits(t *testing.T) {
	ctx := context.Background()
	_, db := newFleet(t, 2)
	if _, err := db.Groups().Create(ctx, cinch.Group{Name: "trial", MaxDBBytes: -1}); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("negative limit: %v", err)
	}
	if _, err := db.Groups().Create(ctx, cinch.Group{Name: "trial", MaxDBBytes: 256 << 10}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Groups().Create(ctx, cinch.Group{Name: "trial"}); !errors.Is(err, cinch.ErrGroupExists) {
		t.Errorf("duplicate group: %v", err)
	}
	if err := db.Groups().SetTenant(ctx, "t1", "nope"); !errors.Is(err, cinch.ErrGroupNotFound) {
		t.Errorf("unknown group: %v", err)
	}
	if err := db.Groups().SetTenant(ctx, "t1", "trial"); err != nil {
		t.Fatal(err)
	}
	tenant := db.WithTenant("t1")
	var limitErr error
	stored := 0
	for i := range 1000 {
		_, err := tenant.Insert(ctx, "orders", cinch.Record{"note": fmt.Sprintf("%04d%s", i, string(make([]byte, 1000)))})
		if err != nil {
			limitErr = err
			break
		}
		stored++
	}
	if !errors.Is(limitErr, cinch.ErrLimitExceeded) {
		t.Fatalf("writing past the size limit: %v, want ErrLimitExceeded", limitErr)
	}
	res, err := tenant.Query(ctx, "SELECT count(*) AS n FROM orders WHERE note IS NOT NULL")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Value(0, "n").(int64); got != int64(stored) {
		t.Errorf("rows after limit = %d, want %d acknowledged", got, stored)
	}
	checks, err := db.Fleet().Check(ctx, cinch.FleetOptions{Tenants: []string{"t1"}})
	if err != nil || !checks[0].OK {
		t.Errorf("integrity after limit: %+v %v", checks, err)
	}
	// Raising the limit lets writes through again.
	if _, err := db.Groups().SetLimits(ctx, cinch.Group{Name: "trial", MaxDBBytes: 64 << 20}); err != nil {
		t.Fatal(err)
	}
	if _, err := tenant.Insert(ctx, "orders", cinch.Record{"note": "after"}); err != nil {
		t.Errorf("insert after raising the limit: %v", err)
	}
	groups, err := db.Groups().List(ctx)
	if err != nil || len(groups) != 1 || groups[0].MaxDBBytes != 64<<20 {
		t.Errorf("groups = %+v %v", groups, err)
	}
}
