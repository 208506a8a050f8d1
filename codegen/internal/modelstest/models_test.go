package modelstest_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/codegen"
	"github.com/cinchdb/cinch/codegen/internal/modelstest"
	"github.com/cinchdb/cinch/local"
)

var update = flag.Bool("update", false, "rewrite models.go from the schema")

// setup makes a project with the schema of modelstest and the rows Full
// and Minimal on tenant main.
func setup(t *testing.T) (*local.DB, cinch.Record, cinch.Record) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		t.Fatal(err)
	}
	if err := modelstest.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	full, minimal, err := modelstest.Insert(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return db, full, minimal
}

// TestModelsUpToDate: models.go is what codegen generates for the schema
// today (go test -run TestModelsUpToDate -update rewrites it).
func TestModelsUpToDate(t *testing.T) {
	db, _, _ := setup(t)
	s, err := codegen.Load(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	src, err := codegen.Generate(codegen.Go, s, codegen.Options{Package: "modelstest"})
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("models.go", src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have, err := os.ReadFile("models.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, src) {
		t.Errorf("models.go is stale: run go generate ./codegen/internal/modelstest\n%s", cmp.Diff(string(have), string(src)))
	}
}

// scanAll reads every row into a new T, matching columns to fields by
// their db tags as sqlx does: the tags and types database/sql needs.
func scanAll[T any](t *testing.T, rows *sql.Rows) []T {
	t.Helper()
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []T
	for rows.Next() {
		var v T
		rv := reflect.ValueOf(&v).Elem()
		dest := make([]any, len(cols))
		for i, c := range cols {
			for j := 0; j < rv.NumField(); j++ {
				if rv.Type().Field(j).Tag.Get("db") == c {
					dest[i] = rv.Field(j).Addr().Interface()
				}
			}
			if dest[i] == nil {
				t.Fatalf("no field of %T has db tag %q", v, c)
			}
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatalf("scan into %T: %v", v, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func stamp(t *testing.T, rec cinch.Record, col string) modelstest.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, rec[col].(string))
	if err != nil {
		t.Fatal(err)
	}
	return modelstest.Time{Time: tm}
}

// TestScanSQLDB: rows of every type scan into the generated structs
// through the guarded *sql.DB, NULLs as nil pointers, timestamps as Time,
// and Time works as a parameter.
func TestScanSQLDB(t *testing.T) {
	ctx := context.Background()
	db, full, minimal := setup(t)
	sdb, err := db.SQLDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()

	rows, err := sdb.QueryContext(ctx, "SELECT * FROM every_type ORDER BY text_req")
	if err != nil {
		t.Fatal(err)
	}
	got := scanAll[modelstest.EveryType](t, rows)
	want := []modelstest.EveryType{{
		ID: full["id"].(string), CreatedAt: stamp(t, full, "created_at"), UpdatedAt: stamp(t, full, "updated_at"),
		TextReq: "full", TextOpt: ptr("optional text"),
		IntReq: -42, IntOpt: ptr(int64(1) << 52),
		RealReq: 2.5, RealOpt: ptr(-0.125),
		NumReq: 7, NumOpt: ptr(3.75),
		BoolReq: true, BoolOpt: ptr(false),
		BlobReq: []byte{0, 1, 2, 0xfe, 0xff}, BlobOpt: []byte("bytes"),
		Email: ptr("full@example.com"), APIURL: ptr("https://api.example.com"),
	}, {
		ID: minimal["id"].(string), CreatedAt: stamp(t, minimal, "created_at"), UpdatedAt: stamp(t, minimal, "updated_at"),
		TextReq: "minimal", NumReq: 1.5, BlobReq: []byte{9}, APIURL: ptr("https://example.com"),
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("every_type rows (-want +got):\n%s", diff)
	}

	rows, err = sdb.QueryContext(ctx, "SELECT * FROM every_view ORDER BY text_req")
	if err != nil {
		t.Fatal(err)
	}
	view := scanAll[modelstest.EveryView](t, rows)
	wantView := []modelstest.EveryView{{
		ID: ptr(full["id"].(string)), CreatedAt: ptr(stamp(t, full, "created_at")), TextReq: ptr("full"),
		IntOpt: ptr(int64(1) << 52), BoolReq: ptr(true), BlobOpt: []byte("bytes"),
		Doubled: 5.0, NumReal: ptr(3.75), ItemCount: int64(1),
	}, {
		ID: ptr(minimal["id"].(string)), CreatedAt: ptr(stamp(t, minimal, "created_at")), TextReq: ptr("minimal"),
		BoolReq: ptr(false), Doubled: 0.0, ItemCount: int64(0),
	}}
	if diff := cmp.Diff(wantView, view); diff != "" {
		t.Errorf("every_view rows (-want +got):\n%s", diff)
	}

	// Time as a parameter: stored as cinch's text, so it compares as text.
	at := modelstest.Time{Time: time.Date(2030, 1, 2, 3, 4, 5, 6e6, time.FixedZone("x", 3600))}
	if _, err := sdb.ExecContext(ctx, "UPDATE every_type SET updated_at = ? WHERE id = ?", at, minimal["id"]); err != nil {
		t.Fatal(err)
	}
	var text string
	var back modelstest.Time
	if err := sdb.QueryRowContext(ctx, "SELECT updated_at, updated_at FROM every_type WHERE id = ?", minimal["id"]).Scan(&text, &back); err != nil {
		t.Fatal(err)
	}
	if text != "2030-01-02T02:04:05.006Z" || !back.Equal(at.Time) {
		t.Errorf("updated_at = %q, scanned %v; want 2030-01-02T02:04:05.006Z", text, back)
	}
	var n int
	if err := sdb.QueryRowContext(ctx, "SELECT count(*) FROM every_type WHERE updated_at >= ?", at).Scan(&n); err != nil || n != 1 {
		t.Errorf("rows at or after %v: %d, %v; want 1", at, n, err)
	}
	var null modelstest.Time
	if err := sdb.QueryRowContext(ctx, "SELECT NULL").Scan(&null); err == nil {
		t.Error("NULL scanned into a (non-pointer) Time without error")
	}
}

// TestJSON: a record as cinch returns it (and as the HTTP API encodes it)
// decodes into the struct, and the struct encodes back to the same JSON.
func TestJSON(t *testing.T) {
	ctx := context.Background()
	db, _, _ := setup(t)
	res, err := db.Query(ctx, "SELECT * FROM every_type ORDER BY text_req")
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range res.Records() {
		data, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		var m modelstest.EveryType
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("decode %s: %v", data, err)
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var a, b map[string]any
		json.Unmarshal(data, &a)
		json.Unmarshal(again, &b)
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("record → struct → JSON changed it (-record +struct):\n%s", diff)
		}
	}
}
