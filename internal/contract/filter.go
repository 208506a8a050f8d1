package contract

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
)

// testFilters: Select, UpdateWhere and DeleteWhere find the same rows and
// fail the same way through a local handle and through the client, whose
// filters travel in their text form (so typed values must compare alike).
func testFilters(t *testing.T, ctx context.Context, db cinch.DB) {
	usersTable(t, ctx, db)
	ok(t, errOf(db.InsertMany(ctx, "users", []cinch.Record{
		{"name": "Alice", "age": 31, "score": 1.5},
		{"name": "Bob", "age": 25, "score": 2.5, "active": false},
		{"name": "a, b", "age": 40},
		{"name": "", "age": 31, "active": false},
		{"name": " padded ", "score": -0.5},
		{"name": "it's 'quoted'", "score": math.Inf(1)},
	})))
	names := func(opts ...cinch.SelectOption) []string {
		t.Helper()
		res := must[*cinch.Result](t)(db.Select(ctx, "users", opts...))
		out := []string{}
		for i := range res.Rows {
			out = append(out, res.Value(i, "name").(string))
		}
		return out
	}
	w := cinch.Where
	cases := []struct {
		what string
		opts []cinch.SelectOption
		want []string
	}{
		{"every row", nil, []string{"Alice", "Bob", "a, b", "", " padded ", "it's 'quoted'"}},
		{"int", []cinch.SelectOption{w("age", ">", 30)}, []string{"Alice", "a, b", ""}},
		{"int64 !=", []cinch.SelectOption{w("age", "!=", int64(31))}, []string{"Bob", "a, b"}},
		{"float", []cinch.SelectOption{w("score", ">=", 1.5)}, []string{"Alice", "Bob", "it's 'quoted'"}},
		{"negative float", []cinch.SelectOption{w("score", "<", 0)}, []string{" padded "}},
		{"infinity", []cinch.SelectOption{w("score", "=", math.Inf(1))}, []string{"it's 'quoted'"}},
		{"bool", []cinch.SelectOption{w("active", "=", false)}, []string{"Bob", ""}},
		{"bool in", []cinch.SelectOption{w("active", "in", true)}, []string{"Alice", "a, b", " padded ", "it's 'quoted'"}},
		{"comma", []cinch.SelectOption{w("name", "=", "a, b")}, []string{"a, b"}},
		{"empty text", []cinch.SelectOption{w("name", "=", "")}, []string{""}},
		{"spaces", []cinch.SelectOption{w("name", "=", " padded ")}, []string{" padded "}},
		{"quotes", []cinch.SelectOption{w("name", "=", "it's 'quoted'")}, []string{"it's 'quoted'"}},
		{"in with odd values", []cinch.SelectOption{w("name", "in", "a, b", "", "(x)", "Bob")}, []string{"Bob", "a, b", ""}},
		{"like", []cinch.SelectOption{w("name", "like", "%b%")}, []string{"Bob", "a, b"}},
		{"is null", []cinch.SelectOption{w("age", "is null")}, []string{" padded ", "it's 'quoted'"}},
		{"is not null", []cinch.SelectOption{w("score", "is not null"), w("age", "is not null")}, []string{"Alice", "Bob"}},
		{"time", []cinch.SelectOption{w("created_at", "<", time.Now().Add(time.Hour)), cinch.Limit(1)}, []string{"Alice"}},
		{"order desc, limit, offset", []cinch.SelectOption{cinch.OrderByDesc("age"), cinch.OrderBy("name"), cinch.Limit(3), cinch.Offset(1)}, []string{"", "Alice", "Bob"}},
		{"offset alone", []cinch.SelectOption{cinch.Offset(5)}, []string{"it's 'quoted'"}},
		{"all rows in a select", []cinch.SelectOption{cinch.AllRows(), w("age", "=", 25)}, []string{"Bob"}},
	}
	for _, tc := range cases {
		if got := names(tc.opts...); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.what, got, tc.want)
		}
	}
	res := must[*cinch.Result](t)(db.Select(ctx, "users", w("name", "=", "Alice")))
	if want := []string{"id", "created_at", "updated_at", "name", "age", "score", "active"}; !slices.Equal(res.Columns, want) {
		t.Errorf("columns %v, want %v", res.Columns, want)
	}
	if rec := res.Record(0); rec["age"] != int64(31) || rec["score"] != 1.5 || rec["active"] != true {
		t.Errorf("record %#v: want typed values", rec)
	}
	var streamed cinch.Result
	sum := must[*cinch.Result](t)(db.SelectTo(ctx, cinch.QueryOptions{Limit: 2}, cinch.Collect(&streamed), "users", cinch.Selection{}))
	if len(streamed.Rows) != 2 || !sum.Truncated {
		t.Errorf("SelectTo with limit 2: %d rows, truncated %v", len(streamed.Rows), sum.Truncated)
	}

	// Errors.
	wantErr(t, errOf(db.Select(ctx, "nope")), cinch.ErrTableNotFound)
	wantErr(t, errOf(db.Select(ctx, "users", w("nope", "=", 1))), cinch.ErrColumnNotFound)
	wantErr(t, errOf(db.Select(ctx, "users", cinch.OrderBy("nope"))), cinch.ErrColumnNotFound)
	wantErr(t, errOf(db.Select(ctx, "users", w(`name" OR 1=1 --`, "=", 1))), cinch.ErrInvalidName)
	wantErr(t, errOf(db.Select(ctx, "users", w("name", "=", nil))), cinch.ErrInvalidInput)
	wantErr(t, errOf(db.Select(ctx, "users", w("name", "~", "x"))), cinch.ErrInvalidInput)
	wantErr(t, errOf(db.SwitchTenant("ghost").Select(ctx, "users")), cinch.ErrTenantNotFound)
	for _, where := range [][]cinch.Filter{nil, {}} {
		wantErr(t, errOf(db.UpdateWhere(ctx, "users", where, cinch.Record{"age": 1})), cinch.ErrInvalidInput)
		wantErr(t, errOf(db.DeleteWhere(ctx, "users", where)), cinch.ErrInvalidInput)
	}
	wantErr(t, errOf(db.UpdateWhere(ctx, "users", []cinch.Filter{w("nope", "=", 1)}, cinch.Record{"age": 1})), cinch.ErrColumnNotFound)
	wantErr(t, errOf(db.UpdateWhere(ctx, "users", []cinch.Filter{w("age", "=", 1)}, cinch.Record{"nope": 1})), cinch.ErrColumnNotFound)
	wantErr(t, errOf(db.UpdateWhere(ctx, "users", []cinch.Filter{cinch.AllRows()}, cinch.Record{"name": nil})), cinch.ErrConstraint)
	wantErr(t, errOf(db.DeleteWhere(ctx, "nope", []cinch.Filter{cinch.AllRows()})), cinch.ErrTableNotFound)

	// Writes by filter.
	if n := must[int64](t)(db.UpdateWhere(ctx, "users", []cinch.Filter{w("age", "=", 31), w("active", "=", false)}, cinch.Record{"age": 32, "score": 7.0})); n != 1 {
		t.Errorf("updated %d, want 1", n)
	}
	if got := names(w("age", "=", 32), w("score", "=", 7)); !slices.Equal(got, []string{""}) {
		t.Errorf("after update: %q", got)
	}
	if n := must[int64](t)(db.UpdateWhere(ctx, "users", []cinch.Filter{w("name", "=", "nobody")}, cinch.Record{"age": 1})); n != 0 {
		t.Errorf("updated %d, want 0", n)
	}
	if n := must[int64](t)(db.DeleteWhere(ctx, "users", []cinch.Filter{w("name", "in", "a, b", "it's 'quoted'")})); n != 2 {
		t.Errorf("deleted %d, want 2", n)
	}

	// Another tenant: isolated; a lazy one has no rows and stays lazy.
	ok(t, errOf(db.Tenants().Create(ctx, "acme", cinch.TenantCreateOptions{})))
	ok(t, errOf(db.Tenants().Create(ctx, "idle", cinch.TenantCreateOptions{Lazy: true})))
	acme, idle := db.SwitchTenant("acme"), db.SwitchTenant("idle")
	ok(t, errOf(acme.Insert(ctx, "users", cinch.Record{"name": "Zed"})))
	if n := must[int64](t)(acme.DeleteWhere(ctx, "users", []cinch.Filter{cinch.AllRows()})); n != 1 {
		t.Errorf("acme: deleted %d, want 1", n)
	}
	if got := names(); len(got) != 4 {
		t.Errorf("main after acme's delete: %q", got)
	}
	if res := must[*cinch.Result](t)(idle.Select(ctx, "users", w("age", ">", 1))); len(res.Rows) != 0 || len(res.Columns) != 7 {
		t.Errorf("lazy select: %+v", res)
	}
	if n := must[int64](t)(idle.UpdateWhere(ctx, "users", []cinch.Filter{cinch.AllRows()}, cinch.Record{"age": 1})); n != 0 {
		t.Errorf("lazy update: %d", n)
	}
	if n := must[int64](t)(idle.DeleteWhere(ctx, "users", []cinch.Filter{w("age", "=", 1)})); n != 0 {
		t.Errorf("lazy delete: %d", n)
	}
	if info := must[cinch.TenantInfo](t)(db.Tenants().Info(ctx, "idle")); info.State != cinch.TenantLazy {
		t.Errorf("idle after filtered writes: %s, want lazy", info.State)
	}
	if n := must[int64](t)(db.DeleteWhere(ctx, "users", []cinch.Filter{cinch.AllRows()})); n != 4 {
		t.Errorf("deleted %d, want 4", n)
	}
}
