package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
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
	want := "active_customer: last active 10 days ago, kept\n" +
		"old_customer: last active 400 days ago, archived to archive/old_customer.json and deleted\n" +
		"archived tenants: 1\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}

	// The archive holds the tenant's data.
	data, err := os.ReadFile(filepath.Join(dir, "archive", "old_customer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var a Archive
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	if a.Tenant != "old_customer" || !a.ArchivedAt.Equal(now) || !a.LastActivity.Equal(now.AddDate(0, 0, -400)) {
		t.Errorf("archive header: %+v", a)
	}
	if n := len(a.Tables["users"].Rows); n != 1 {
		t.Errorf("archived users: %d, want 1", n)
	}
	if n := len(a.Tables["orders"].Rows); n != 2 {
		t.Errorf("archived orders: %d, want 2", n)
	}
	if u := a.Tables["users"].Rows[0]; u["email"] != "owner@old_customer.example" {
		t.Errorf("archived user: %v", u)
	}
	if len(a.Tables["orders"].Columns) != 5 {
		t.Errorf("archived order columns: %+v", a.Tables["orders"].Columns)
	}

	// The tenant is gone; the active one and the registry entry remain.
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tenants().Info(ctx, "old_customer"); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Errorf("old_customer: got %v, want ErrTenantNotFound", err)
	}
	if _, err := db.Tenants().Info(ctx, "active_customer"); err != nil {
		t.Errorf("active_customer: %v", err)
	}
	res, err := db.Query(ctx, "SELECT tenant, archive_path, last_activity FROM archived_tenants")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0]["tenant"] != "old_customer" || res.Rows[0]["last_activity"] != "2028-11-27T12:00:00.000Z" {
		t.Errorf("registry: %v", res.Rows)
	}
}

// TestThreshold checks both sides of the 365-day line, and that a tenant
// without rows counts from its creation.
func TestThreshold(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		t.Fatal(err)
	}
	at := now
	p, err := local.Open(ctx, local.Config{Dir: dir, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		t.Fatal(err)
	}
	if err := createSchema(ctx, db); err != nil {
		t.Fatal(err)
	}
	for tenant, daysAgo := range map[string]int{"c364": 364, "c366": 366} {
		at = now.AddDate(0, 0, -daysAgo)
		if err := addCustomer(ctx, db, tenant); err != nil {
			t.Fatal(err)
		}
	}
	at = now.AddDate(-2, 0, 0)
	if _, err := db.Tenants().Create(ctx, "empty_old", cinch.TenantCreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// An update moves updated_at: an old tenant touched yesterday is active.
	at = now.AddDate(-3, 0, 0)
	if err := addCustomer(ctx, db, "revived"); err != nil {
		t.Fatal(err)
	}
	at = now.AddDate(0, 0, -1)
	res, err := db.SwitchTenant("revived").Query(ctx, "SELECT id FROM users")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SwitchTenant("revived").Update(ctx, "users", res.Rows[0]["id"].(string), cinch.Record{"name": "Back"}); err != nil {
		t.Fatal(err)
	}
	at = now

	archiveDir := filepath.Join(dir, "archive")
	for tenant, wantArchived := range map[string]bool{"c364": false, "c366": true, "empty_old": true, "revived": false} {
		path, err := ArchiveInactiveTenant(ctx, db, tenant, archiveDir, now)
		if err != nil {
			t.Fatalf("%s: %v", tenant, err)
		}
		if (path != "") != wantArchived {
			t.Errorf("%s: archived = %q, want archived %t", tenant, path, wantArchived)
		}
		_, err = db.Tenants().Info(ctx, tenant)
		if wantArchived != errors.Is(err, cinch.ErrTenantNotFound) {
			t.Errorf("%s: after archiving, Info says %v", tenant, err)
		}
	}
}
