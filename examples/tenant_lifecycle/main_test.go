package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	login := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	var out bytes.Buffer
	if err := runWithClock(ctx, dir, &out, func() time.Time { return login }); err != nil {
		t.Fatal(err)
	}
	want := "created customer_name: state=materialized schema_version=3\n" +
		"inserted user Alice (id set: true, last_login: <nil>)\n" +
		"pending orders: 1 (amount 12.5)\n" +
		"updated last_login: 2025-03-04T05:06:07.000Z\n" +
		"deleted sessions: 1\n" +
		"old_customer after delete: tenant_not_found\n" +
		"deleting main: protected\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}

	tenants := filepath.Join(dir, ".cinchdb", "databases", "myapp", "branches", "main", "tenants")
	if _, err := os.Stat(filepath.Join(tenants, "customer_name.db")); err != nil {
		t.Errorf("customer_name has no file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(tenants, "old_customer.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("old_customer's file is still there: %v", err)
	}

	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{Database: "myapp", Tenant: "customer_name"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Query(ctx, "SELECT name, last_login, updated_at >= created_at AS moved FROM users")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Value(0, "last_login") != "2025-03-04T05:06:07.000Z" || res.Value(0, "moved") != int64(1) {
		t.Errorf("users = %v", res.Rows)
	}
	res, err = db.Query(ctx, "SELECT (SELECT COUNT(*) FROM sessions) AS sessions, (SELECT COUNT(*) FROM orders) AS orders")
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Record(0); r["sessions"] != int64(0) || r["orders"] != int64(2) {
		t.Errorf("counts = %v, want 0 sessions and 2 orders", r)
	}
}
