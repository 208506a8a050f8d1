package main

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), t.TempDir(), &out); err != nil {
		t.Fatal(err)
	}
	want := "enterprise [fortune500_a fortune500_b]: max db bytes 0, max concurrent 0\n" +
		"standard [startup_1 startup_2]: max db bytes 1073741824, max concurrent 16\n" +
		"trial [trial_user_1 trial_user_2]: max db bytes 65536, max concurrent 2\n" +
		"get_tenant_resources(fortune500_b): enterprise, max db bytes 0\n" +
		"get_tenant_resources(trial_user_2): trial, max db bytes 65536\n" +
		"get_tenant_resources(main): tenant is in no group: main\n" +
		"trial_user_1: stopped before 200 projects: limit_exceeded\n" +
		"fortune500_a: stored 200 of 200\n" +
		"trial_user_1 moved to standard: writes again\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

func open(t *testing.T) *local.DB {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		t.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(ctx) })
	db, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		t.Fatal(err)
	}
	if err := setup(ctx, db); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestGetTenantResources(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	limits := map[string]cinch.Group{}
	for _, g := range ResourceLimits {
		limits[g.Name] = g
	}
	for group, tenants := range TenantGroups {
		for _, tenant := range tenants {
			got, err := GetTenantResources(ctx, db, tenant)
			if err != nil || got != limits[group] {
				t.Errorf("%s: got %+v, %v; want %+v", tenant, got, err, limits[group])
			}
		}
	}
	if _, err := GetTenantResources(ctx, db, "main"); !errors.Is(err, ErrNoGroup) {
		t.Errorf("main: got %v, want ErrNoGroup", err)
	}
	if _, err := GetTenantResources(ctx, db, "stranger"); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Errorf("stranger: got %v, want ErrTenantNotFound", err)
	}
	// Groups are checked on the way in.
	if _, err := db.Groups().Create(ctx, cinch.Group{Name: "trial"}); !errors.Is(err, cinch.ErrGroupExists) {
		t.Errorf("duplicate group: got %v, want ErrGroupExists", err)
	}
	if _, err := db.Groups().Create(ctx, cinch.Group{Name: "tiny", MaxDBBytes: 1024}); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("1 KiB group: got %v, want ErrInvalidInput", err)
	}
	if err := db.Groups().SetTenant(ctx, "startup_1", "platinum"); !errors.Is(err, cinch.ErrGroupNotFound) {
		t.Errorf("unknown group: got %v, want ErrGroupNotFound", err)
	}
	// Leaving a group leaves its limits.
	if err := db.Groups().SetTenant(ctx, "startup_2", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := GetTenantResources(ctx, db, "startup_2"); !errors.Is(err, ErrNoGroup) {
		t.Errorf("startup_2 after leaving: got %v, want ErrNoGroup", err)
	}
}

func count(t *testing.T, db cinch.DB) int64 {
	t.Helper()
	res, err := db.Query(context.Background(), "SELECT COUNT(*) AS count FROM projects")
	if err != nil {
		t.Fatal(err)
	}
	return res.Value(0, "count").(int64)
}

// dbBytes is the tenant's database size as SQLite counts it.
func dbBytes(t *testing.T, db cinch.DB) int64 {
	t.Helper()
	res, err := db.Query(context.Background(), "SELECT page_count * page_size AS size FROM pragma_page_count(), pragma_page_size()")
	if err != nil {
		t.Fatal(err)
	}
	return res.Value(0, "size").(int64)
}

func TestMaxDBBytesIsEnforcedPerTenant(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	const maxBytes = 64 << 10
	var first int
	for i, tenant := range []string{"trial_user_1", "trial_user_2"} {
		tdb := db.SwitchTenant(tenant)
		stored, err := FillUntilLimit(ctx, tdb, 200)
		if !errors.Is(err, cinch.ErrLimitExceeded) {
			t.Fatalf("%s: stored %d, then %v; want ErrLimitExceeded", tenant, stored, err)
		}
		if stored == 0 || stored >= 64 {
			t.Errorf("%s: stored %d projects of 1 KiB under a 64 KiB cap", tenant, stored)
		}
		if n := count(t, tdb); n != int64(stored) {
			t.Errorf("%s holds %d projects, want the %d stored", tenant, n, stored)
		}
		if size := dbBytes(t, tdb); size > maxBytes {
			t.Errorf("%s: %d bytes, over its cap of %d", tenant, size, maxBytes)
		}
		// Each trial tenant has its own quota: the second fills the same way.
		if i == 0 {
			first = stored
		} else if stored != first {
			t.Errorf("%s stored %d, %s stored %d: quotas are not per tenant", tenant, stored, "trial_user_1", first)
		}
		// A refused batch changes nothing, and a full tenant still reads.
		_, err = tdb.InsertMany(ctx, "projects", []cinch.Record{{"title": "a"}, {"title": "b", "body": string(make([]byte, 8<<10))}})
		if !errors.Is(err, cinch.ErrLimitExceeded) {
			t.Errorf("%s: batch past the cap: got %v, want ErrLimitExceeded", tenant, err)
		}
		if n := count(t, tdb); n != int64(stored) {
			t.Errorf("%s: refused batch left %d projects, want %d", tenant, n, stored)
		}
	}
	// A tenant cannot lift its own cap through a query.
	if _, err := db.SwitchTenant("trial_user_1").Query(ctx, "PRAGMA max_page_count = 1000000"); !errors.Is(err, cinch.ErrQueryRejected) {
		t.Errorf("PRAGMA max_page_count from a query: got %v, want ErrQueryRejected", err)
	}
	// Enterprise tenants have no cap.
	ent := db.SwitchTenant("fortune500_b")
	if stored, err := FillUntilLimit(ctx, ent, 200); err != nil || stored != 200 {
		t.Fatalf("fortune500_b: stored %d, %v", stored, err)
	}
	if size := dbBytes(t, ent); size <= maxBytes {
		t.Errorf("fortune500_b: %d bytes, want past the trial cap", size)
	}
	// Raising the group's limit applies to its open tenants at once.
	if _, err := db.Groups().SetLimits(ctx, cinch.Group{Name: "trial", MaxDBBytes: 1 << 20, MaxConcurrent: 2}); err != nil {
		t.Fatal(err)
	}
	if stored, err := FillUntilLimit(ctx, db.SwitchTenant("trial_user_2"), 10); err != nil || stored != 10 {
		t.Errorf("trial_user_2 after raising the limit: stored %d, %v", stored, err)
	}
	if g, err := GetTenantResources(ctx, db, "trial_user_1"); err != nil || g.MaxDBBytes != 1<<20 {
		t.Errorf("trial limits after SetLimits: %+v, %v", g, err)
	}
}
