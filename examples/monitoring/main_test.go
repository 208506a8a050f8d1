package main

import (
	"bytes"
	"context"
	"strconv"
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
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := []struct {
		tenant, state string
		hasFile       bool
		tables, rows  int
	}{
		{"acme_corp", "materialized", true, 2, 6},
		{"main", "materialized", true, 2, 0},
		{"stark_ind", "lazy", false, 2, 0},
		{"wayne_ent", "materialized", true, 2, 20},
	}
	if len(lines) != len(want)+1 || strings.Fields(lines[0])[2] != "SIZE_MB" {
		t.Fatalf("output:\n%s", out.String())
	}
	for i, w := range want {
		f := strings.Fields(lines[i+1])
		size, err := strconv.ParseFloat(f[2], 64)
		if err != nil || f[0] != w.tenant || f[1] != w.state || (size > 0) != w.hasFile ||
			f[3] != strconv.Itoa(w.tables) || f[4] != strconv.Itoa(w.rows) {
			t.Errorf("line %q, want %+v", lines[i+1], w)
		}
	}
}

func TestGetTenantMetrics(t *testing.T) {
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
	before, err := GetTenantMetrics(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	// Writing to the lazy tenant gives it a file, a size and rows; a new
	// table counts for every tenant.
	stark := db.SwitchTenant("stark_ind")
	if _, err := stark.Insert(ctx, "users", cinch.Record{"name": "Tony"}); err != nil {
		t.Fatal(err)
	}
	note, _ := cinch.ParseColumnSpec("body:TEXT")
	if _, err := db.Tables().Create(ctx, "notes", []cinch.Column{note}); err != nil {
		t.Fatal(err)
	}
	after, err := GetTenantMetrics(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	byName := func(ms []TenantMetrics, name string) TenantMetrics {
		for _, m := range ms {
			if m.Tenant == name {
				return m
			}
		}
		t.Fatalf("no metrics for %s", name)
		return TenantMetrics{}
	}
	b, a := byName(before, "stark_ind"), byName(after, "stark_ind")
	if b.State != cinch.TenantLazy || b.SizeMB != 0 || b.TotalRows != 0 {
		t.Errorf("lazy stark_ind before: %+v", b)
	}
	if a.State != cinch.TenantMaterialized || a.SizeMB <= 0 || a.TotalRows != 1 || a.TableCount != 3 {
		t.Errorf("stark_ind after: %+v", a)
	}
	if w := byName(after, "wayne_ent"); w.TotalRows != 20 || w.TableCount != 3 {
		t.Errorf("wayne_ent after: %+v", w)
	}
}
