package codegen_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/codegen"
	"github.com/cinchdb/cinch/codegen/internal/modelstest"
	"github.com/cinchdb/cinch/local"
)

// TestLoad reads the tables and the view's columns as SQLite reports them,
// from any tenant (a lazy one answers from the branch's template), and a
// column added is a field after regenerating.
func TestLoad(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		t.Fatal(err)
	}
	if err := modelstest.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tenants().Create(ctx, "later", cinch.TenantCreateOptions{Lazy: true}); err != nil {
		t.Fatal(err)
	}
	wantView := []codegen.ViewColumn{
		{Name: "id", Type: "TEXT"}, {Name: "created_at", Type: "TEXT"}, {Name: "text_req", Type: "TEXT"},
		{Name: "int_opt", Type: "INTEGER"}, {Name: "bool_req", Type: "BOOLEAN"}, {Name: "blob_opt", Type: "BLOB"},
		{Name: "doubled", Type: ""}, {Name: "num_real", Type: "REAL"}, {Name: "item_count", Type: ""},
	}
	for _, h := range []cinch.DB{db, db.SwitchTenant("later")} {
		s, err := codegen.Load(ctx, h)
		if err != nil {
			t.Fatalf("tenant %s: %v", h.Target().Tenant, err)
		}
		if s.Database != "main" || s.Branch != "main" || len(s.Tables) != 2 || s.Tables[0].Name != "every_type" || len(s.Views) != 1 {
			t.Fatalf("tenant %s: %+v", h.Target().Tenant, s)
		}
		if diff := cmp.Diff(wantView, s.Views[0].Columns); diff != "" {
			t.Errorf("tenant %s: view columns (-want +got):\n%s", h.Target().Tenant, diff)
		}
	}
	if ts, _ := db.Tenants().Info(ctx, "later"); ts.State != cinch.TenantLazy {
		t.Errorf("reading the schema materialized tenant later: %s", ts.State)
	}

	gen := func(lang codegen.Language) string {
		s, err := codegen.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		src, err := codegen.Generate(lang, s, codegen.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return string(src)
	}
	before := map[codegen.Language]string{}
	for _, l := range codegen.Languages {
		before[l] = gen(l)
	}
	c, _ := cinch.ParseColumnSpec("shipped_at:TEXT")
	if _, err := db.Columns().Add(ctx, "order_items", c); err != nil {
		t.Fatal(err)
	}
	for l, want := range map[codegen.Language]string{
		codegen.Go:         "ShippedAt   *string ",
		codegen.TypeScript: "  shippedAt?: string | null;",
		codegen.Python:     "    shipped_at: str | None = None  #",
	} {
		after := gen(l)
		if strings.Contains(before[l], want) || !strings.Contains(after, want) {
			t.Errorf("%s: %q not added by the column:\n%s", l, want, after)
		}
	}
}
