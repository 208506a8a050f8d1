package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

var now = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

func TestRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var out bytes.Buffer
	if err := runWithClock(ctx, dir, &out, clock); err != nil {
		t.Fatal(err)
	}
	want := "archived: [never_used old_customer]\n" +
		"old_customer: archive/old_customer.db.zst (true), live file removed (true)\n" +
		"query old_customer: tenant_archived\n" +
		"old_customer state: archived\n" +
		"orders per served tenant: active_customer=2 main=0\n" +
		"restored old_customer: owner@old_customer.example, phone=<nil>, orders total 12.5\n" +
		"old_customer phone set: +1 555 0100\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}

	// After Restore the live file is back and the archive is gone.
	if _, err := os.Stat(tenantFile(dir, "old_customer")); err != nil {
		t.Errorf("restored old_customer has no file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(branchDir(dir), "archive", "old_customer.db.zst")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("archive of restored old_customer still there: %v", err)
	}

	// A fresh process sees the same registry: never_used stays archived,
	// old_customer is served with its data and the new column.
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		t.Fatal(err)
	}
	info, err := db.Tenants().Info(ctx, "never_used")
	if err != nil || info.State != cinch.TenantArchived {
		t.Errorf("never_used: %+v, %v; want archived", info, err)
	}
	res, err := db.SwitchTenant("old_customer").Query(ctx, "SELECT phone, (SELECT COUNT(*) FROM orders) AS orders FROM users")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Value(0, "phone") != "+1 555 0100" || res.Value(0, "orders") != int64(2) {
		t.Errorf("old_customer after restore: %v", res.Rows)
	}
}

// open returns a project whose engine clock reads *at.
func open(t *testing.T, at *time.Time) (string, *local.DB) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		t.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir, Now: func() time.Time { return *at }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(ctx) })
	db, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		t.Fatal(err)
	}
	if err := createSchema(ctx, db); err != nil {
		t.Fatal(err)
	}
	return dir, db
}

func setTime(t *testing.T, path string, at time.Time) {
	t.Helper()
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
}

// TestThreshold checks both sides of the 365-day line with pinned file
// times, the WAL counting as activity, and lazy tenants counting from
// their creation time (the engine's clock).
func TestThreshold(t *testing.T) {
	ctx := context.Background()
	at := now
	dir, db := open(t, &at)
	for _, tenant := range []string{"c364", "c366", "revived"} {
		if err := addCustomer(ctx, db, tenant); err != nil {
			t.Fatal(err)
		}
	}
	at = now.AddDate(-2, 0, 0)
	if _, err := db.Tenants().Create(ctx, "lazy_old", cinch.TenantCreateOptions{Lazy: true}); err != nil {
		t.Fatal(err)
	}
	at = now.AddDate(0, 0, -1)
	if _, err := db.Tenants().Create(ctx, "lazy_new", cinch.TenantCreateOptions{Lazy: true}); err != nil {
		t.Fatal(err)
	}
	at = now
	for tenant, daysAgo := range map[string]int{"main": 0, "c364": 364, "c366": 366, "revived": 3 * 365} {
		if err := ageFiles(tenantFile(dir, tenant), now.AddDate(0, 0, -daysAgo)); err != nil {
			t.Fatal(err)
		}
	}
	// revived's db file is old, but its WAL was written yesterday.
	wal := tenantFile(dir, "revived") + "-wal"
	if _, err := os.Stat(wal); err != nil {
		t.Fatalf("revived has no WAL to pin: %v", err)
	}
	setTime(t, wal, now.AddDate(0, 0, -1))

	inactive, err := db.Fleet().InactiveSince(ctx, now.Add(-InactiveAfter))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range inactive {
		names = append(names, i.Name)
	}
	if want := []string{"c366", "lazy_old"}; !slices.Equal(names, want) {
		t.Errorf("InactiveSince = %v, want %v", names, want)
	}

	// main, old as it may be, is never archived.
	setTime(t, tenantFile(dir, "main"), now.AddDate(-5, 0, 0))
	archived, err := ArchiveInactiveTenants(ctx, db, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"c366", "lazy_old"}; !slices.Equal(archived, want) {
		t.Errorf("archived %v, want %v", archived, want)
	}
	for tenant, wantArchived := range map[string]bool{"c364": false, "c366": true, "lazy_old": true, "lazy_new": false, "revived": false, "main": false} {
		info, err := db.Tenants().Info(ctx, tenant)
		if err != nil {
			t.Fatalf("%s: %v", tenant, err)
		}
		if (info.State == cinch.TenantArchived) != wantArchived {
			t.Errorf("%s: state %s, want archived %t", tenant, info.State, wantArchived)
		}
	}
	// Archived tenants are no longer candidates.
	inactive, err = db.Fleet().InactiveSince(ctx, now.Add(-InactiveAfter))
	if err != nil {
		t.Fatal(err)
	}
	if len(inactive) != 1 || inactive[0].Name != "main" {
		t.Errorf("InactiveSince after archiving = %+v, want main only", inactive)
	}
}

// TestArchivedTenantIsRefused checks every way to reach an archived tenant.
func TestArchivedTenantIsRefused(t *testing.T) {
	ctx := context.Background()
	at := now
	_, db := open(t, &at)
	for _, tenant := range []string{"gone", "here"} {
		if err := addCustomer(ctx, db, tenant); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Fleet().Archive(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	gone := db.SwitchTenant("gone")
	if _, err := gone.Query(ctx, "SELECT 1"); !errors.Is(err, cinch.ErrTenantArchived) {
		t.Errorf("query: got %v, want ErrTenantArchived", err)
	}
	if _, err := gone.Insert(ctx, "users", cinch.Record{"name": "x"}); !errors.Is(err, cinch.ErrTenantArchived) {
		t.Errorf("insert: got %v, want ErrTenantArchived", err)
	}
	if err := db.Fleet().Archive(ctx, "gone"); !errors.Is(err, cinch.ErrTenantArchived) {
		t.Errorf("second archive: got %v, want ErrTenantArchived", err)
	}
	if err := db.Fleet().Archive(ctx, cinch.DefaultTenant); !errors.Is(err, cinch.ErrProtected) {
		t.Errorf("archive main: got %v, want ErrProtected", err)
	}
	if err := db.Fleet().Restore(ctx, "here"); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("restore of a served tenant: got %v, want ErrInvalidInput", err)
	}
	// Fleet().Query over all tenants skips it; naming it reports it per tenant.
	all, err := db.Fleet().Query(ctx, cinch.FanOutOptions{}, "SELECT COUNT(*) AS n FROM users")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if r.Tenant == "gone" {
			t.Errorf("Fleet().Query reached archived tenant: %+v", r)
		}
	}
	if len(all) != 2 {
		t.Errorf("Fleet().Query answered %d tenants, want 2 (here, main)", len(all))
	}
	named, err := db.Fleet().Query(ctx, cinch.FanOutOptions{Tenants: []string{"gone", "here"}}, "SELECT COUNT(*) AS n FROM users")
	if err != nil {
		t.Fatal(err)
	}
	if len(named) != 2 || !errors.Is(named[0].Err, cinch.ErrTenantArchived) || named[1].Err != nil {
		t.Errorf("Fleet().Query naming gone, here: %+v", named)
	}
}

// TestRestoreLazyArchived archives a tenant that never had a file and
// brings it back.
func TestRestoreLazyArchived(t *testing.T) {
	ctx := context.Background()
	at := now
	_, db := open(t, &at)
	if _, err := db.Tenants().Create(ctx, "sleeper", cinch.TenantCreateOptions{Lazy: true}); err != nil {
		t.Fatal(err)
	}
	if err := db.Fleet().Archive(ctx, "sleeper"); err != nil {
		t.Fatal(err)
	}
	restoreErr := db.Fleet().Restore(ctx, "sleeper")
	info, err := db.Tenants().Info(ctx, "sleeper")
	if err != nil {
		t.Fatal(err)
	}
	if info.State != cinch.TenantLazy {
		t.Errorf("sleeper after Restore: state %s, want lazy", info.State)
	}
	if _, err := db.SwitchTenant("sleeper").Insert(ctx, "users", cinch.Record{"name": "awake"}); err != nil {
		t.Errorf("insert after restore: %v", err)
	}
	if restoreErr != nil {
		t.Errorf("Restore of an archived lazy tenant: %v, want nil", restoreErr)
	}
}
