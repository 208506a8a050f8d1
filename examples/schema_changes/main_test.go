package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func TestRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(ctx, dir, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"recorded change ADD_COLUMN on users\n",
		"main       users has phone: true\n",
		"acme_corp  users has phone: true\n",
		"wayne_ent  users has phone: true\n",
		"stark_ind  users has phone: true\n",
		"lazy_ltd   users has phone: true\n",
		"tenants checked: 5, with drift or damage: 0\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	// The refusal points to the tracked path.
	_, msg, _ := strings.Cut(s, "ALTER TABLE through a query: ")
	if !strings.Contains(msg, "column") || !strings.Contains(msg, "tracked") {
		t.Errorf("the refusal does not point to the column commands: %q", msg)
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
	// The change is in the branch history.
	changes, err := db.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(changes); n != 2 || changes[1].Type != "ADD_COLUMN" {
		t.Errorf("changes = %+v", changes)
	}
	// No fax column anywhere; phone holds acme_corp's value.
	cols, err := db.Columns().List(ctx, "users")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cols {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "id,created_at,updated_at,name,phone" {
		t.Errorf("users columns = %s", got)
	}
	res, err := db.SwitchTenant("acme_corp").Query(ctx, "SELECT phone FROM users")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Value(0, "phone") != "+1 555 0100" {
		t.Errorf("acme_corp phones = %v", res.Rows)
	}
	res, err = db.SwitchTenant("wayne_ent").Query(ctx, "SELECT phone FROM users")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Value(0, "phone") != nil {
		t.Errorf("wayne_ent phones = %v", res.Rows)
	}
}
