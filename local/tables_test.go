package local_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
	"github.com/google/go-cmp/cmp"
)

// ---- 1. schema changes reach every tenant ----

func TestTableService_ChangesReachEveryTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{WaitForRollout: true}) // files compared after each change
	db := f.db
	engMustCreateTenant(t, db, "acme", false)
	engMustCreateTenant(t, db, "opened", false)
	engMustCreateTenant(t, db, "cold", false) // never opened by this process
	engMustCreateTenant(t, db, "lazy_read", true)
	engMustCreateTenant(t, db, "lazy_cold", true)
	opened := db.WithTenant("opened")
	lazyRead := db.WithTenant("lazy_read")
	engMustQuery(t, opened, "SELECT 1")
	engMustQuery(t, lazyRead, "SELECT 1")

	must := engMustChange(t)
	steps := []struct {
		name string
		do   func() (cinch.Change, error)
	}{
		{"create users", func() (cinch.Change, error) {
			return db.Tables().Create(ctx, "users", engCols(t, "name:TEXT:not_null", "email:TEXT:unique", "active:BOOLEAN:default=true", "score:INTEGER:default=5", "nick:TEXT"))
		}},
		{"create orders", func() (cinch.Change, error) {
			return db.Tables().Create(ctx, "orders", engCols(t, "user_id:TEXT:fk=users.cascade", "amount:REAL"))
		}},
		{"add column", func() (cinch.Change, error) { return db.Columns().Add(ctx, "users", engMustCol(t, "phone:TEXT")) }},
		{"create index", func() (cinch.Change, error) {
			return db.Indexes().Create(ctx, cinch.IndexInfo{Table: "users", Columns: []string{"name"}})
		}},
		{"create view", func() (cinch.Change, error) {
			return db.Views().Create(ctx, "v_names", "SELECT name, phone FROM users")
		}},
		{"rename column", func() (cinch.Change, error) { return db.Columns().Rename(ctx, "users", "phone", "mobile") }},
		{"copy table", func() (cinch.Change, error) { return db.Tables().Copy(ctx, "users", "users_archive", false) }},
		{"not null with fill", func() (cinch.Change, error) {
			return db.Columns().AlterNullable(ctx, "users", "nick", false, engStrp("anon"))
		}},
		{"nullable again", func() (cinch.Change, error) { return db.Columns().AlterNullable(ctx, "users", "nick", true, nil) }},
		{"drop view", func() (cinch.Change, error) { return db.Views().Drop(ctx, "v_names") }},
		{"drop column", func() (cinch.Change, error) { return db.Columns().Drop(ctx, "users", "mobile") }},
		{"add unique column", func() (cinch.Change, error) { return db.Columns().Add(ctx, "users", engMustCol(t, "code:TEXT:unique")) }},
		{"unique index", func() (cinch.Change, error) {
			return db.Indexes().Create(ctx, cinch.IndexInfo{Table: "users", Columns: []string{"email", "name"}, Unique: true})
		}},
		{"drop index", func() (cinch.Change, error) { return db.Indexes().Drop(ctx, "idx_users_name") }},
		{"create view 2", func() (cinch.Change, error) { return db.Views().Create(ctx, "v2", "SELECT email FROM users") }},
		{"update view", func() (cinch.Change, error) { return db.Views().Update(ctx, "v2", "SELECT email, code FROM users") }},
		{"drop table", func() (cinch.Change, error) { return db.Tables().Drop(ctx, "users_archive") }},
	}
	for i, st := range steps {
		ch := must(st.do())
		if ch.ID == "" || ch.Timestamp.IsZero() {
			t.Errorf("%s: change lacks id or timestamp: %+v", st.name, ch)
		}
		if got, want := engChangesLen(t, db), i+1; got != want {
			t.Fatalf("%s: %d changes, want %d", st.name, got, want)
		}
		if i == 0 {
			// Rows that live through every later change.
			engMustInsert(t, db.WithTenant("acme"), "users", cinch.Record{"name": "Alice", "email": "a@x"})
			engMustInsert(t, opened, "users", cinch.Record{"name": "Bob"})
		}
		engCheckConverged(t, db, f.dir)
		if t.Failed() {
			t.Fatalf("not converged after %q", st.name)
		}
		// The open handles and the lazy tenant see the new schema.
		res := engMustQuery(t, lazyRead, "SELECT * FROM users")
		if diff := cmp.Diff(engColumnNames(t, db, "users"), res.Columns); diff != "" {
			t.Errorf("%s: lazy tenant columns (-want +got):\n%s", st.name, diff)
		}
		if len(res.Rows) != 0 {
			t.Errorf("%s: lazy tenant has rows: %v", st.name, res.Rows)
		}
		res = engMustQuery(t, opened, "SELECT * FROM users")
		if diff := cmp.Diff(engColumnNames(t, db, "users"), res.Columns); diff != "" {
			t.Errorf("%s: open tenant columns (-want +got):\n%s", st.name, diff)
		}
	}
	if engFileExists(engTenantFile(f.dir, "lazy_read")) || engFileExists(engTenantFile(f.dir, "lazy_cold")) {
		t.Fatalf("reads created a lazy tenant's file")
	}
	if info, err := db.Tenants().Info(ctx, "lazy_cold"); err != nil || info.State != cinch.TenantLazy || info.SchemaVersion != len(steps) {
		t.Errorf("lazy tenant info = %+v, %v", info, err)
	}

	t.Run("rows survive", func(t *testing.T) {
		res := engMustQuery(t, db.WithTenant("acme"), "SELECT name, email, nick, active, score FROM users")
		want := []cinch.Record{{"name": "Alice", "email": "a@x", "nick": "anon", "active": true, "score": int64(5)}}
		if diff := cmp.Diff(want, res.Records()); diff != "" {
			t.Errorf("acme rows (-want +got):\n%s", diff)
		}
	})
	t.Run("first write materializes a lazy tenant at the current version", func(t *testing.T) {
		lazy := db.WithTenant("lazy_cold")
		engMustInsert(t, lazy, "users", cinch.Record{"name": "Carol"})
		if got, want := engFileVersion(t, engTenantFile(f.dir, "lazy_cold")), len(steps); got != want {
			t.Errorf("user_version = %d, want %d", got, want)
		}
		if got := len(engMustQuery(t, lazy, "SELECT * FROM users").Rows); got != 1 {
			t.Errorf("rows = %d, want 1", got)
		}
		info, err := db.Tenants().Info(ctx, "lazy_cold")
		if err != nil || info.State != cinch.TenantMaterialized {
			t.Errorf("info = %+v, %v", info, err)
		}
		// A raw-SQL write materializes too.
		engMustQuery(t, lazyRead, "INSERT INTO users (name) VALUES ('Dan')")
		if got := len(engMustQuery(t, lazyRead, "SELECT * FROM users").Rows); got != 1 {
			t.Errorf("rows = %d, want 1", got)
		}
		engMustCreateTenant(t, db, "late", false)
		engCheckConverged(t, db, f.dir)
	})
	t.Run("reading a lazy tenant's missing table is an error", func(t *testing.T) {
		engMustCreateTenant(t, db, "lazy_more", true)
		_, err := db.WithTenant("lazy_more").Query(ctx, "SELECT * FROM nope")
		engWantErrIs(t, err, cinch.ErrInvalidInput)
		if engFileExists(engTenantFile(f.dir, "lazy_more")) {
			t.Errorf("a failed read created the file")
		}
	})
}

// ---- 2. rebuilds keep everything ----

func TestColumnService_RebuildsKeepEverything(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{})
	db := f.db
	must := engMustChange(t)
	must(db.Tables().Create(ctx, "users", engCols(t, "name:TEXT:not_null", "email:TEXT:unique", "active:BOOLEAN:default=true", "score:INTEGER:default=5", "nick:TEXT")))
	must(db.Tables().Create(ctx, "orders", engCols(t, "user_id:TEXT:fk=users.cascade", "buyer_email:TEXT:fk=users.email.set_null", "note:TEXT", "paid:BOOLEAN:not_null:default=false")))
	must(db.Indexes().Create(ctx, cinch.IndexInfo{Table: "users", Columns: []string{"name"}}))
	must(db.Indexes().Create(ctx, cinch.IndexInfo{Table: "orders", Columns: []string{"note"}}))
	must(db.Views().Create(ctx, "big_spenders", "SELECT u.name, o.note FROM users u JOIN orders o ON o.user_id = u.id"))
	engMustCreateTenant(t, db, "acme", false)

	tenants := []*local.DB{db, db.WithTenant("acme")}
	for i, tdb := range tenants {
		for j := range 3 {
			u := engMustInsert(t, tdb, "users", cinch.Record{"name": fmt.Sprintf("u%d%d", i, j), "email": fmt.Sprintf("u%d%d@x", i, j), "nick": "n", "active": j%2 == 0})
			engMustInsert(t, tdb, "orders", cinch.Record{"user_id": u["id"], "buyer_email": u["email"], "note": "o" + u["name"].(string)})
		}
	}
	const usersCols = "SELECT id, created_at, updated_at, name, email, active, score FROM users ORDER BY id"
	const ordersCols = "SELECT id, created_at, updated_at, user_id, buyer_email, paid FROM orders ORDER BY id"
	wantUsers := map[string][]cinch.Record{}
	wantOrders := map[string][]cinch.Record{}
	for _, tdb := range tenants {
		wantUsers[tdb.Target().Tenant] = engDump(t, tdb, usersCols)
		wantOrders[tdb.Target().Tenant] = engDump(t, tdb, ordersCols)
	}
	wantFacts := map[string]engTableFacts{
		"users": {
			PK: []string{"id"}, Unique: []string{"email"}, Indexes: []string{"idx_users_name"},
			Triggers: []string{"__cinch_users_updated_at"},
			Checks:   []string{`CHECK ("active" IN (0, 1))`},
			Defaults: map[string]any{"active": "1", "score": "5"},
		},
		"orders": {
			PK: []string{"id"}, Unique: nil, Indexes: []string{"idx_orders_note"},
			FKs:      []string{"buyer_email -> users.email ON DELETE SET NULL", "user_id -> users.id ON DELETE CASCADE"},
			Triggers: []string{"__cinch_orders_updated_at"},
			Checks:   []string{`CHECK ("paid" IN (0, 1))`},
			Defaults: map[string]any{"paid": "0"},
		},
	}
	check := func(t *testing.T) {
		t.Helper()
		for _, tdb := range tenants {
			name := tdb.Target().Tenant
			path := engTenantFile(f.dir, name)
			for table, want := range wantFacts {
				if diff := cmp.Diff(want, engFactsOf(t, path, table)); diff != "" {
					t.Errorf("tenant %s table %s (-want +got):\n%s", name, table, diff)
				}
			}
			if diff := cmp.Diff(wantUsers[name], engDump(t, tdb, usersCols)); diff != "" {
				t.Errorf("tenant %s users rows (-want +got):\n%s", name, diff)
			}
			if diff := cmp.Diff(wantOrders[name], engDump(t, tdb, ordersCols)); diff != "" {
				t.Errorf("tenant %s orders rows (-want +got):\n%s", name, diff)
			}
			if got := engDump(t, tdb, "PRAGMA integrity_check"); len(got) != 1 || got[0]["integrity_check"] != "ok" {
				t.Errorf("tenant %s integrity_check = %v", name, got)
			}
			if got := engDump(t, tdb, "PRAGMA foreign_key_check"); len(got) != 0 {
				t.Errorf("tenant %s foreign_key_check = %v", name, got)
			}
			if got := len(engDump(t, tdb, "SELECT * FROM big_spenders")); got != 3 {
				t.Errorf("tenant %s view rows = %d, want 3", name, got)
			}
		}
		engCheckConverged(t, db, f.dir)
	}
	check(t)

	steps := []struct {
		name string
		do   func() (cinch.Change, error)
		then func()
	}{
		{"drop column", func() (cinch.Change, error) { return db.Columns().Drop(ctx, "users", "nick") }, nil},
		{"to nullable", func() (cinch.Change, error) { return db.Columns().AlterNullable(ctx, "users", "name", true, nil) }, nil},
		{"to not null", func() (cinch.Change, error) { return db.Columns().AlterNullable(ctx, "users", "name", false, nil) }, nil},
		{"add unique column", func() (cinch.Change, error) { return db.Columns().Add(ctx, "users", engMustCol(t, "code:TEXT:unique")) }, func() {
			u := wantFacts["users"]
			u.Unique = []string{"code", "email"}
			wantFacts["users"] = u
		}},
		{"rebuild the child", func() (cinch.Change, error) { return db.Columns().AlterNullable(ctx, "orders", "paid", true, nil) }, nil},
		{"drop column of the child", func() (cinch.Change, error) {
			if _, err := db.Indexes().Drop(ctx, "idx_orders_note"); err != nil {
				return cinch.Change{}, err
			}
			if _, err := db.Views().Update(ctx, "big_spenders", "SELECT u.name, o.paid FROM users u JOIN orders o ON o.user_id = u.id"); err != nil {
				return cinch.Change{}, err
			}
			return db.Columns().Drop(ctx, "orders", "note")
		}, func() {
			o := wantFacts["orders"]
			o.Indexes = nil
			wantFacts["orders"] = o
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			ch := must(st.do())
			if !ch.Rebuild {
				t.Errorf("change %s is not a rebuild", ch.Type)
			}
			if st.then != nil {
				st.then()
			}
			check(t)
		})
	}

	t.Run("constraints still enforced", func(t *testing.T) {
		acme := db.WithTenant("acme")
		_, err := acme.Query(ctx, "INSERT INTO users (name, active) VALUES ('x', 2)")
		engWantErrIs(t, err, cinch.ErrConstraint)
		_, err = acme.Insert(ctx, "users", cinch.Record{"name": "x", "email": "u10@x"})
		engWantErrIs(t, err, cinch.ErrConstraint)
		_, err = acme.Insert(ctx, "users", cinch.Record{"email": "fresh@x"})
		engWantErrIs(t, err, cinch.ErrConstraint) // name is NOT NULL again
		_, err = acme.Insert(ctx, "orders", cinch.Record{"user_id": "ghost"})
		engWantErrIs(t, err, cinch.ErrConstraint)
		rec := engMustInsert(t, acme, "users", cinch.Record{"name": "d"})
		if got, want := rec["score"], int64(5); got != want {
			t.Errorf("default score = %v, want %v", got, want)
		}
		if got, want := rec["active"], true; got != want {
			t.Errorf("default active = %v, want %v", got, want)
		}
		// ON DELETE CASCADE and SET NULL still act.
		u := wantUsers["acme"][0]
		o := engMustInsert(t, acme, "orders", cinch.Record{"user_id": rec["id"], "buyer_email": u["email"]})
		if n, err := acme.Delete(ctx, "users", u["id"].(string)); err != nil || n != 1 {
			t.Fatalf("delete = %d, %v", n, err)
		}
		if got := engMustQuery(t, acme, "SELECT count(*) AS n FROM orders WHERE user_id = ?", u["id"]).Records(); got[0]["n"] != int64(0) {
			t.Errorf("cascade: %v orders left", got[0]["n"])
		}
		if got := engDump(t, acme, "SELECT buyer_email FROM orders WHERE id = '"+o["id"].(string)+"'"); got[0]["buyer_email"] != nil {
			t.Errorf("set null: buyer_email = %v", got[0]["buyer_email"])
		}
		// The updated_at trigger still fires.
		old := engDump(t, acme, "SELECT updated_at FROM users WHERE id = '"+rec["id"].(string)+"'")[0]["updated_at"]
		engMustQuery(t, acme, "UPDATE users SET updated_at = '2000-01-01T00:00:00.000Z' WHERE id = ?", rec["id"])
		engMustQuery(t, acme, "UPDATE users SET name = 'e' WHERE id = ?", rec["id"])
		if got := engDump(t, acme, "SELECT updated_at FROM users WHERE id = '"+rec["id"].(string)+"'")[0]["updated_at"]; got == "2000-01-01T00:00:00.000Z" || got == nil {
			t.Errorf("updated_at after raw update = %v (was %v)", got, old)
		}
	})
}
