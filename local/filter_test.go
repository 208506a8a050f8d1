package local_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// Row filters through the real engine (cinch.FilterQuerier on local.DB).

// filterFixture: users(name TEXT NOT NULL, age INTEGER, score REAL,
// active BOOLEAN, phone TEXT) on tenant main with five rows, inserted in
// this order, at a clock the test controls.
func filterFixture(t *testing.T) (*engFixture, *engClock) {
	t.Helper()
	clk := &engClock{now: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)}
	f := newProject(t, local.Config{Now: clk.Now})
	engMustChange(t)(f.db.Tables().Create(context.Background(), "users",
		engCols(t, "name:TEXT:not_null", "age:INTEGER", "score:REAL", "active:BOOLEAN", "phone:TEXT")))
	_, err := f.db.InsertMany(context.Background(), "users", []cinch.Record{
		{"name": "Alice", "age": 31, "score": 1.5, "active": true, "phone": "555-0100"},
		{"name": "Bob", "age": 25, "score": 2.5, "active": false},
		{"name": "ann", "age": 40, "score": 0.5, "active": true},
		{"name": "Carol", "age": 31, "active": false, "phone": "555-0101"},
		{"name": "Dan"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return f, clk
}

// names returns the name column of res, in order.
func filterNames(t *testing.T) func(*cinch.Result, error) []string {
	return func(res *cinch.Result, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for i := range res.Rows {
			out = append(out, res.Value(i, "name").(string))
		}
		return out
	}
}

func TestDB_Select(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, _ := filterFixture(t)
	db := f.db
	w := cinch.Where
	must := func(s string) cinch.Filter {
		f, err := cinch.ParseFilter(s)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	cases := []struct {
		name string
		opts []cinch.SelectOption
		want []string
	}{
		{"none: every row, insertion order", nil, []string{"Alice", "Bob", "ann", "Carol", "Dan"}},
		{"=", []cinch.SelectOption{w("name", "=", "Bob")}, []string{"Bob"}},
		{"!= leaves NULL out", []cinch.SelectOption{w("age", "!=", 31)}, []string{"Bob", "ann"}},
		{">", []cinch.SelectOption{w("age", ">", 30)}, []string{"Alice", "ann", "Carol"}},
		{">=", []cinch.SelectOption{w("age", ">=", 40)}, []string{"ann"}},
		{"<", []cinch.SelectOption{w("score", "<", 1.5)}, []string{"ann"}},
		{"<=", []cinch.SelectOption{w("score", "<=", 1.5)}, []string{"Alice", "ann"}},
		{"like is ASCII case-insensitive", []cinch.SelectOption{w("name", "like", "a%")}, []string{"Alice", "ann"}},
		{"like _", []cinch.SelectOption{w("name", "like", "_ob")}, []string{"Bob"}},
		{"in", []cinch.SelectOption{w("name", "in", "Dan", "Bob", "nobody")}, []string{"Bob", "Dan"}},
		{"is null", []cinch.SelectOption{w("phone", "is null")}, []string{"Bob", "ann", "Dan"}},
		{"is not null", []cinch.SelectOption{w("phone", "is not null")}, []string{"Alice", "Carol"}},
		{"bool value", []cinch.SelectOption{w("active", "=", true)}, []string{"Alice", "ann"}},
		{"filters are ANDed", []cinch.SelectOption{w("age", "=", 31), w("active", "=", false)}, []string{"Carol"}},
		{"all rows", []cinch.SelectOption{cinch.AllRows(), w("age", "<", 30)}, []string{"Bob"}},
		// Text values, as the CLI and HTTP give them: compared with the column's type.
		{"text on INTEGER", []cinch.SelectOption{must("age>30")}, []string{"Alice", "ann", "Carol"}},
		{"text on REAL", []cinch.SelectOption{must("score>=2.5")}, []string{"Bob"}},
		{"text true on BOOLEAN", []cinch.SelectOption{must("active=true")}, []string{"Alice", "ann"}},
		{"text FALSE on BOOLEAN", []cinch.SelectOption{must("active=FALSE")}, []string{"Bob", "Carol"}},
		{"text in on BOOLEAN", []cinch.SelectOption{must("active in (false)")}, []string{"Bob", "Carol"}},
		{"text 1 on BOOLEAN", []cinch.SelectOption{must("active=1")}, []string{"Alice", "ann"}},
		{"text in on INTEGER", []cinch.SelectOption{must("age in (25, 40)")}, []string{"Bob", "ann"}},
		{"order asc, ties by insertion", []cinch.SelectOption{cinch.OrderBy("age"), w("age", "is not null")}, []string{"Bob", "Alice", "Carol", "ann"}},
		{"order desc", []cinch.SelectOption{cinch.OrderByDesc("age"), cinch.OrderBy("name")}, []string{"ann", "Alice", "Carol", "Bob", "Dan"}},
		{"limit", []cinch.SelectOption{cinch.Limit(2)}, []string{"Alice", "Bob"}},
		{"limit and offset", []cinch.SelectOption{cinch.Limit(2), cinch.Offset(2)}, []string{"ann", "Carol"}},
		{"offset alone", []cinch.SelectOption{cinch.Offset(3)}, []string{"Carol", "Dan"}},
		{"order by an automatic column", []cinch.SelectOption{cinch.OrderByDesc("id"), cinch.Limit(1)}, []string{"Dan"}},
		{"a whole Selection", []cinch.SelectOption{cinch.Selection{Where: []cinch.Filter{w("age", ">", 30)}, Limit: 1}}, []string{"Alice"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := filterNames(t)(db.Select(ctx, "users", tc.opts...))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	t.Run("shape", func(t *testing.T) {
		res, err := db.Select(ctx, "users", w("name", "=", "Alice"))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"id", "created_at", "updated_at", "name", "age", "score", "active", "phone"}; !cmp.Equal(res.Columns, want) {
			t.Errorf("columns %v, want %v", res.Columns, want)
		}
		rec := res.Record(0)
		if rec["age"] != int64(31) || rec["active"] != true || rec["score"] != 1.5 {
			t.Errorf("record %v: want typed values", rec)
		}
		byID := filterNames(t)(db.Select(ctx, "users", w("id", "=", rec["id"])))
		byTime := filterNames(t)(db.Select(ctx, "users", w("created_at", "<=", time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)), cinch.Limit(1)))
		if !cmp.Equal(byID, []string{"Alice"}) || !cmp.Equal(byTime, []string{"Alice"}) {
			t.Errorf("by id %v, by created_at %v", byID, byTime)
		}
	})

	t.Run("SelectTo bounds", func(t *testing.T) {
		var res cinch.Result
		sum, err := db.SelectTo(ctx, cinch.QueryOptions{Limit: 2}, cinch.Collect(&res), "users", cinch.Selection{})
		if err != nil || len(res.Rows) != 2 || !sum.Truncated {
			t.Errorf("SelectTo limit 2: %d rows, %+v, %v", len(res.Rows), sum, err)
		}
	})

	t.Run("errors", func(t *testing.T) {
		cases := []struct {
			table string
			opts  []cinch.SelectOption
			want  error
		}{
			{"nope", nil, cinch.ErrTableNotFound},
			{"Users", nil, cinch.ErrInvalidName},
			{"users", []cinch.SelectOption{w("nope", "=", 1)}, cinch.ErrColumnNotFound},
			{"users", []cinch.SelectOption{w("rowid", "=", 1)}, cinch.ErrColumnNotFound},
			{"users", []cinch.SelectOption{cinch.OrderBy("nope")}, cinch.ErrColumnNotFound},
			{"users", []cinch.SelectOption{cinch.OrderBy("rowid")}, cinch.ErrColumnNotFound},
			{"users", []cinch.SelectOption{w("age", "=", nil)}, cinch.ErrInvalidInput},
			{"users", []cinch.SelectOption{w("age", "~", 1)}, cinch.ErrInvalidInput},
			{"users", []cinch.SelectOption{cinch.Limit(-1)}, cinch.ErrInvalidInput},
		}
		for _, tc := range cases {
			if _, err := db.Select(ctx, tc.table, tc.opts...); !errors.Is(err, tc.want) {
				t.Errorf("Select(%s, %v): %v, want %v", tc.table, tc.opts, err, tc.want)
			}
		}
		if _, err := db.WithTenant("ghost").Select(ctx, "users"); !errors.Is(err, cinch.ErrTenantNotFound) {
			t.Errorf("unknown tenant: %v", err)
		}
	})
}

// TestDB_Filters_Hostile: hostile values are data, matched exactly, never
// SQL; hostile names never reach SQLite.
func TestDB_Filters_Hostile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, _ := filterFixture(t)
	db := f.db
	hostile := []string{
		`x' OR '1'='1`,
		`"; DROP TABLE users; --`,
		`') OR 1=1 --`,
		`%`,
		`Robert'); DELETE FROM users WHERE ('a'='a`,
		"nul\x00byte",
	}
	for _, v := range hostile {
		engMustInsert(t, db, "users", cinch.Record{"name": v})
	}
	for _, v := range hostile {
		got := filterNames(t)(db.Select(ctx, "users", cinch.Where("name", "=", v)))
		if !cmp.Equal(got, []string{v}) {
			t.Errorf("name = %q matched %q, want exactly itself", v, got)
		}
		text, err := cinch.Where("name", "in", v, "none").MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		pf, err := cinch.ParseFilter(string(text))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if got := filterNames(t)(db.Select(ctx, "users", pf)); !cmp.Equal(got, []string{v}) {
			t.Errorf("through the text form %q: %q", text, got)
		}
	}
	if got := filterNames(t)(db.Select(ctx, "users", cinch.Where("name", "=", `' OR '1'='1`))); len(got) != 0 {
		t.Errorf("an injection attempt matched %q", got)
	}
	for _, name := range []string{`name" OR 1=1 --`, `name = name OR name`, "name;", `"name"`, "NAME", "users.name", "sqlite_master", "_rowid_", "x\x00"} {
		if _, err := db.Select(ctx, "users", cinch.Where(name, "=", "x")); !errors.Is(err, cinch.ErrInvalidName) {
			t.Errorf("filter column %q: %v, want ErrInvalidName", name, err)
		}
		if _, err := db.Select(ctx, "users", cinch.OrderBy(name)); !errors.Is(err, cinch.ErrInvalidName) {
			t.Errorf("order column %q: %v, want ErrInvalidName", name, err)
		}
		if _, err := db.DeleteWhere(ctx, "users", []cinch.Filter{cinch.Where(name, "=", "x")}); !errors.Is(err, cinch.ErrInvalidName) {
			t.Errorf("delete by column %q: %v, want ErrInvalidName", name, err)
		}
	}
	if _, err := db.Select(ctx, `users" --`); !errors.Is(err, cinch.ErrInvalidName) {
		t.Errorf("hostile table name: %v", err)
	}
	n, err := db.DeleteWhere(ctx, "users", []cinch.Filter{cinch.Where("name", "=", `x' OR '1'='1`)})
	if err != nil || n != 1 {
		t.Errorf("delete of one hostile value: %d, %v", n, err)
	}
	if got := engMustQuery(t, db, "SELECT count(*) AS n FROM users").Value(0, "n"); got != int64(5+len(hostile)-1) {
		t.Errorf("rows left: %v", got)
	}
}

func TestDB_UpdateWhere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, clk := filterFixture(t)
	db := f.db
	created := clk.Now().Format(cinch.TimeFormat)
	clk.Set(clk.Now().Add(time.Hour))
	later := clk.Now().Format(cinch.TimeFormat)

	n, err := db.UpdateWhere(ctx, "users", []cinch.Filter{cinch.Where("age", ">", 30), cinch.Where("active", "=", true)}, cinch.Record{"phone": "555-0199", "score": 9.0})
	if err != nil || n != 2 {
		t.Fatalf("UpdateWhere: %d, %v; want 2", n, err)
	}
	res := engMustQuery(t, db, "SELECT name, phone, score, updated_at FROM users ORDER BY rowid")
	want := [][]any{
		{"Alice", "555-0199", 9.0, later},
		{"Bob", nil, 2.5, created},
		{"ann", "555-0199", 9.0, later},
		{"Carol", "555-0101", nil, created},
		{"Dan", nil, nil, created},
	}
	if diff := cmp.Diff(want, res.Rows); diff != "" {
		t.Errorf("rows after update (-want +got):\n%s", diff)
	}
	if n, err := db.UpdateWhere(ctx, "users", []cinch.Filter{cinch.Where("name", "=", "nobody")}, cinch.Record{"age": 1}); err != nil || n != 0 {
		t.Errorf("no match: %d, %v", n, err)
	}
	if n, err := db.UpdateWhere(ctx, "users", []cinch.Filter{cinch.AllRows()}, cinch.Record{"age": 7}); err != nil || n != 5 {
		t.Errorf("all rows: %d, %v", n, err)
	}
	errCases := []struct {
		where []cinch.Filter
		rec   cinch.Record
		want  error
	}{
		{nil, cinch.Record{"age": 1}, cinch.ErrInvalidInput},
		{[]cinch.Filter{}, cinch.Record{"age": 1}, cinch.ErrInvalidInput},
		{[]cinch.Filter{cinch.Where("nope", "=", 1)}, cinch.Record{"age": 1}, cinch.ErrColumnNotFound},
		{[]cinch.Filter{cinch.Where("age", "=", 7)}, cinch.Record{"nope": 1}, cinch.ErrColumnNotFound},
		{[]cinch.Filter{cinch.Where("age", "=", 7)}, cinch.Record{"id": "x"}, cinch.ErrInvalidInput},
		{[]cinch.Filter{cinch.Where("age", "=", 7)}, cinch.Record{"updated_at": "x"}, cinch.ErrInvalidInput},
		{[]cinch.Filter{cinch.Where("age", "=", 7)}, cinch.Record{"name": nil}, cinch.ErrConstraint},
		{[]cinch.Filter{cinch.Where("age", "=")}, cinch.Record{"age": 1}, cinch.ErrInvalidInput},
	}
	for _, tc := range errCases {
		if _, err := db.UpdateWhere(ctx, "users", tc.where, tc.rec); !errors.Is(err, tc.want) {
			t.Errorf("UpdateWhere(%v, %v): %v, want %v", tc.where, tc.rec, err, tc.want)
		}
	}
	if got := engMustQuery(t, db, "SELECT count(*) AS n FROM users WHERE age = 7").Value(0, "n"); got != int64(5) {
		t.Errorf("a refused update changed rows: %v left at 7", got)
	}
}

func TestDB_DeleteWhere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, _ := filterFixture(t)
	db := f.db
	for _, where := range [][]cinch.Filter{nil, {}} {
		if _, err := db.DeleteWhere(ctx, "users", where); !errors.Is(err, cinch.ErrInvalidInput) {
			t.Errorf("DeleteWhere(%v): %v, want ErrInvalidInput", where, err)
		}
	}
	if _, err := db.DeleteWhere(ctx, "users", []cinch.Filter{cinch.Where("nope", "is null")}); !errors.Is(err, cinch.ErrColumnNotFound) {
		t.Errorf("unknown column: %v", err)
	}
	if _, err := db.DeleteWhere(ctx, "nope", []cinch.Filter{cinch.AllRows()}); !errors.Is(err, cinch.ErrTableNotFound) {
		t.Errorf("unknown table: %v", err)
	}
	n, err := db.DeleteWhere(ctx, "users", []cinch.Filter{cinch.Where("phone", "is null"), cinch.Where("age", "<", 41)})
	if err != nil || n != 2 {
		t.Fatalf("DeleteWhere: %d, %v; want 2 (Bob, ann)", n, err)
	}
	if got := filterNames(t)(db.Select(ctx, "users")); !cmp.Equal(got, []string{"Alice", "Carol", "Dan"}) {
		t.Errorf("left %v", got)
	}
	if n, err := db.DeleteWhere(ctx, "users", []cinch.Filter{cinch.AllRows()}); err != nil || n != 3 {
		t.Errorf("all rows: %d, %v", n, err)
	}
}

// TestDB_Filters_LazyTenant: a lazy tenant answers a select from the
// schema and has no rows to change; names are still checked, and it stays
// lazy.
func TestDB_Filters_LazyTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, _ := filterFixture(t)
	engMustCreateTenant(t, f.db, "idle", true)
	db := f.db.WithTenant("idle")
	res, err := db.Select(ctx, "users", cinch.Where("age", ">", 1))
	if err != nil || len(res.Rows) != 0 || len(res.Columns) != 8 {
		t.Errorf("select on a lazy tenant: %+v, %v", res, err)
	}
	if n, err := db.UpdateWhere(ctx, "users", []cinch.Filter{cinch.AllRows()}, cinch.Record{"age": 1}); err != nil || n != 0 {
		t.Errorf("update: %d, %v", n, err)
	}
	if n, err := db.DeleteWhere(ctx, "users", []cinch.Filter{cinch.Where("age", "=", 1)}); err != nil || n != 0 {
		t.Errorf("delete: %d, %v", n, err)
	}
	if _, err := db.UpdateWhere(ctx, "users", []cinch.Filter{cinch.AllRows()}, cinch.Record{"nope": 1}); !errors.Is(err, cinch.ErrColumnNotFound) {
		t.Errorf("update of an unknown column: %v", err)
	}
	if _, err := db.Select(ctx, "users", cinch.Where("nope", "=", 1)); !errors.Is(err, cinch.ErrColumnNotFound) {
		t.Errorf("select on an unknown column: %v", err)
	}
	info, err := f.db.Tenants().Info(ctx, "idle")
	if err != nil || info.State != cinch.TenantLazy || engFileExists(engTenantFile(f.dir, "idle")) {
		t.Errorf("tenant after filtered reads and writes: %+v, %v; want lazy, no file", info, err)
	}
}

// TestDB_Filters_SchemaFromAnotherProcess: a column another process just
// added is found (the cached schema model is reloaded on a miss).
func TestDB_Filters_SchemaFromAnotherProcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, _ := filterFixture(t)
	if _, err := f.db.Select(ctx, "users", cinch.Where("age", ">", 1)); err != nil { // warm the cache
		t.Fatal(err)
	}
	other := engConnect(t, engOpenProject(t, f.dir, local.Config{}), "main")
	engMustChange(t)(other.Columns().Add(ctx, "users", engMustCol(t, "plan:TEXT")))
	if _, err := other.UpdateWhere(ctx, "users", []cinch.Filter{cinch.Where("name", "=", "Bob")}, cinch.Record{"plan": "pro"}); err != nil {
		t.Fatal(err)
	}
	if got := filterNames(t)(f.db.Select(ctx, "users", cinch.Where("plan", "=", "pro"))); !cmp.Equal(got, []string{"Bob"}) {
		t.Errorf("select on the new column: %v", got)
	}
	if n, err := f.db.UpdateWhere(ctx, "users", []cinch.Filter{cinch.Where("plan", "is null")}, cinch.Record{"plan": "free"}); err != nil || n != 4 {
		t.Errorf("update on the new column: %d, %v", n, err)
	}
	engMustChange(t)(other.Tables().Create(ctx, "orders", engCols(t, "total:REAL")))
	if n, err := f.db.DeleteWhere(ctx, "orders", []cinch.Filter{cinch.AllRows()}); err != nil || n != 0 {
		t.Errorf("delete on the new table: %d, %v", n, err)
	}
}
