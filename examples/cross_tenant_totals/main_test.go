package main

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), t.TempDir(), &out); err != nil {
		t.Fatal(err)
	}
	first, rest, _ := strings.Cut(out.String(), "\n")
	if !strings.HasPrefix(first, "cross-tenant join: ") || !strings.Contains(first, "no such table: acme_corp.orders") {
		t.Errorf("join line: %q", first)
	}
	want := "acme_corp     34.75\n" +
		"main           0.00\n" +
		"stark_ind      0.00\n" +
		"wayne_ent   1000.00\n" +
		"all         1034.75\n"
	if rest != want {
		t.Errorf("output:\n%s\nwant:\n%s", rest, want)
	}
}

func TestGetAllTenantTotals(t *testing.T) {
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
	if err := setup(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SwitchTenant("stark_ind").Insert(ctx, "orders", cinch.Record{"amount": 0.5}); err != nil {
		t.Fatal(err)
	}
	// A lazy tenant (no file yet) totals 0 without being created on disk.
	if _, err := db.Tenants().Create(ctx, "lazy_co", cinch.TenantCreateOptions{Lazy: true}); err != nil {
		t.Fatal(err)
	}
	got, err := GetAllTenantTotals(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"main": 0, "acme_corp": 34.75, "wayne_ent": 1000, "stark_ind": 0.5, "lazy_co": 0}
	if !maps.Equal(got, want) {
		t.Errorf("totals = %v, want %v", got, want)
	}
	info, err := db.Tenants().Info(ctx, "lazy_co")
	if err != nil {
		t.Fatal(err)
	}
	if info.State != cinch.TenantLazy {
		t.Errorf("reading lazy_co materialized it: %+v", info)
	}
	lazyFile := filepath.Join(dir, ".cinchdb", "databases", "myapp", "branches", "main", "tenants", "lazy_co.db")
	if _, err := os.Stat(lazyFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("reading lazy_co created %s: %v", lazyFile, err)
	}
	// A failing statement is reported per tenant, with every tenant there.
	results, err := db.Fleet().Query(ctx, cinch.FanOutOptions{}, "SELECT no_such_column FROM orders")
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(want) {
		t.Errorf("%d results, want %d", len(results), len(want))
	}
	for _, r := range results {
		if r.Err == nil {
			t.Errorf("%s: bad column answered %v", r.Tenant, r.Result)
		}
	}
}
