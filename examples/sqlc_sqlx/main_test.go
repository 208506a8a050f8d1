package main

import (
	"bytes"
	"context"
	"database/sql"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), t.TempDir(), &out); err != nil {
		t.Fatal(err)
	}
	want := "second transaction failed: true\n" +
		`user Alice email="alice@acme.example" (valid true) id set: true created_at set: true` + "\n" +
		`user Bob email="" (valid false) id set: true created_at set: true` + "\n" +
		"acme_corp users seen by cinch: 2\n" +
		"DDL through *sql.DB rejected: true\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestSQLDBIsTenantScoped(t *testing.T) {
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
	admin, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		t.Fatal(err)
	}
	if err := setup(ctx, admin); err != nil {
		t.Fatal(err)
	}
	acmeSQL, err := admin.WithTenant("acme_corp").SQLDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer acmeSQL.Close()
	mainSQL, err := admin.SQLDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer mainSQL.Close()

	if err := CreateTwoUsers(ctx, acmeSQL, User{Name: "A1"}, User{Name: "A2"}); err != nil {
		t.Fatal(err)
	}
	if err := CreateTwoUsers(ctx, mainSQL, User{Name: "M1"}, User{Name: "M2"}); err != nil {
		t.Fatal(err)
	}
	for db, want := range map[*sql.DB]string{acmeSQL: "A1,A2", mainSQL: "M1,M2"} {
		users, err := ListUsers(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for i, u := range users {
			if i > 0 {
				got += ","
			}
			got += u.Name
		}
		if got != want {
			t.Errorf("users = %s, want %s", got, want)
		}
	}

	// Rows written through database/sql are ordinary cinch rows: Update
	// by id works and moves updated_at.
	users, err := ListUsers(ctx, acmeSQL)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := admin.WithTenant("acme_corp").Update(ctx, "users", users[0].ID, cinch.Record{"email": "a1@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	if rec["email"] != "a1@acme.example" || rec["created_at"] != users[0].CreatedAt {
		t.Errorf("updated record = %v", rec)
	}

	// A rolled-back transaction leaves nothing behind.
	tx, err := acmeSQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM users"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := acmeSQL.QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("after rollback: %d users, want 2", n)
	}
}
