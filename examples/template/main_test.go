package main

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), t.TempDir(), &out); err != nil {
		t.Fatal(err)
	}
	want := "customer_12345: created_from=default, created_at set: true, categories: Billing, General, Support\n" +
		"customer_67890: created_from=default, created_at set: true, categories: Billing, General, Support\n" +
		"_template_default settings rows: 0\n" +
		"from missing template: tenant_not_found\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestCopiesAreIndependent(t *testing.T) {
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
	if err := setupTemplate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateTenantFromTemplate(ctx, db, "acme_corp", ""); err != nil {
		t.Fatal(err)
	}
	// Later template changes do not reach existing copies...
	if _, err := db.SwitchTenant("_template_default").Insert(ctx, "categories", cinch.Record{"name": "Sales"}); err != nil {
		t.Fatal(err)
	}
	acme, err := categoryNames(ctx, db.SwitchTenant("acme_corp"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(acme, []string{"Billing", "General", "Support"}) {
		t.Errorf("acme_corp categories = %v", acme)
	}
	// ...but new copies get them.
	if _, err := CreateTenantFromTemplate(ctx, db, "wayne_ent", ""); err != nil {
		t.Fatal(err)
	}
	wayne, err := categoryNames(ctx, db.SwitchTenant("wayne_ent"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(wayne, []string{"Billing", "General", "Sales", "Support"}) {
		t.Errorf("wayne_ent categories = %v", wayne)
	}
	res, err := db.SwitchTenant("wayne_ent").Query(ctx, "SELECT tenant_name, created_from FROM settings")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Value(0, "tenant_name") != "wayne_ent" || res.Value(0, "created_from") != "default" {
		t.Errorf("wayne_ent settings = %v", res.Rows)
	}
	// Creating over an existing tenant is refused.
	if _, err := CreateTenantFromTemplate(ctx, db, "acme_corp", ""); !errors.Is(err, cinch.ErrTenantExists) {
		t.Errorf("second create: got %v, want ErrTenantExists", err)
	}
}
