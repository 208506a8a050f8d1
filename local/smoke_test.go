package local_test

import (
	"context"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func TestSmoke(t *testing.T) {
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
	col, _ := cinch.ParseColumnSpec("name:TEXT")
	email, _ := cinch.ParseColumnSpec("email:TEXT:unique")
	active, _ := cinch.ParseColumnSpec("active:BOOLEAN:default=true")
	if _, err := db.Tables().Create(ctx, "users", []cinch.Column{col, email, active}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tenants().Create(ctx, "acme_corp", cinch.TenantCreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tenants().Create(ctx, "lazy_one", cinch.TenantCreateOptions{Lazy: true}); err != nil {
		t.Fatal(err)
	}
	acme := db.SwitchTenant("acme_corp")
	rec, err := acme.Insert(ctx, "users", cinch.Record{"name": "Alice", "email": "a@x"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("inserted %v", rec)
	phone, _ := cinch.ParseColumnArgs([]string{"phone", "TEXT"})
	if _, err := db.Columns().Add(ctx, "users", phone); err != nil {
		t.Fatal(err)
	}
	res, err := acme.Query(ctx, "SELECT * FROM users")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("acme %v %v", res.Columns, res.Rows)
	res, err = db.SwitchTenant("lazy_one").Query(ctx, "SELECT * FROM users")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("lazy %v %v", res.Columns, res.Rows)
	if _, err := db.SwitchTenant("lazy_one").Insert(ctx, "users", cinch.Record{"name": "Bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Columns().Drop(ctx, "users", "phone"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Indexes().Create(ctx, cinch.IndexInfo{Table: "users", Columns: []string{"name"}, Unique: true}); err != nil {
		t.Fatal(err)
	}
	acme.Insert(ctx, "users", cinch.Record{"name": "Alice", "email": "b@x"})
	_, err = db.Columns().AlterNullable(ctx, "users", "name", false, nil)
	t.Logf("alter: %v", err)
	for _, q := range []string{"ATTACH 'x.db' AS x", "VACUUM INTO '/tmp/y.db'", "CREATE TABLE z(a)", "VACUUM", "ANALYZE", "PRAGMA integrity_check", "with x as (select 1) select * from x", "PRAGMA journal_mode=DELETE", "DROP TABLE users", "SELECT load_extension('x')"} {
		res, err := acme.Query(ctx, q)
		t.Logf("%s -> %v %v (%s)", q, res, err, cinch.Code(err))
	}
	ch, _ := db.Changes(ctx)
	t.Logf("changes %d", len(ch))
	ts, _ := db.Tenants().List(ctx)
	t.Logf("tenants %+v", ts)
	if err := db.Tenants().Rename(ctx, "acme_corp", "acme2"); err != nil {
		t.Fatal(err)
	}
	res, err = db.SwitchTenant("acme2").Query(ctx, "SELECT name FROM users")
	t.Logf("acme2 %v %v", res, err)
	if _, err := db.Tenants().Copy(ctx, "acme2", "acme3", false); err != nil {
		t.Fatal(err)
	}
	res, err = db.SwitchTenant("acme3").Query(ctx, "SELECT name FROM users")
	t.Logf("acme3 %v %v", res, err)
	if err := db.Tenants().Delete(ctx, "acme2"); err != nil {
		t.Fatal(err)
	}
	_, err = db.SwitchTenant("acme2").Query(ctx, "SELECT name FROM users")
	t.Logf("deleted: %v", err)
}
