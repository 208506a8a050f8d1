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
	want := "acme_corp integrity ok: true\n" +
		"acme_corp sqlite_stat1 rows for events: 2\n" +
		"check acme_corp: ok=true drift=false integrity=[ok]\n" +
		"check main: ok=true drift=false integrity=[ok]\n" +
		"no_such_tenant: tenant_not_found\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestMaintainTenant(t *testing.T) {
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
	if err := setup(ctx, db, "acme_corp"); err != nil {
		t.Fatal(err)
	}
	acme := db.SwitchTenant("acme_corp")
	if _, err := acme.Query(ctx, "DELETE FROM events WHERE kind != ?", "k0"); err != nil {
		t.Fatal(err)
	}
	ok, err := MaintainTenant(ctx, db, "acme_corp")
	if err != nil || !ok {
		t.Fatalf("MaintainTenant = %t, %v", ok, err)
	}
	// Maintenance keeps the data: 500 events, every 7th of kind k0.
	res, err := acme.Query(ctx, "SELECT COUNT(*) AS count FROM events")
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Rows[0]["count"]; n != int64(72) {
		t.Errorf("events after maintenance = %v, want 72", n)
	}
	// VACUUM INTO would write a copy of the tenant elsewhere: refused.
	if _, err := acme.Query(ctx, "VACUUM INTO '"+t.TempDir()+"/copy.db'"); !errors.Is(err, cinch.ErrQueryRejected) {
		t.Errorf("VACUUM INTO: got %v, want ErrQueryRejected", err)
	}
	// A lazy tenant (no file yet) also passes.
	if _, err := db.Tenants().Create(ctx, "lazy_one", cinch.TenantCreateOptions{Lazy: true}); err != nil {
		t.Fatal(err)
	}
	ok, err = MaintainTenant(ctx, db, "lazy_one")
	if err != nil || !ok {
		t.Errorf("lazy tenant: MaintainTenant = %t, %v", ok, err)
	}
}
