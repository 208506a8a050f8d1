package local_test

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/google/go-cmp/cmp"
)

// TestDB_InsertReturnsStoredRow: the record Insert returns must equal the
// row SQLite stored, read back with a query, whatever path built it (known
// from the values, or read back for affinity conversions and defaults).
func TestDB_InsertReturnsStoredRow(t *testing.T) {
	ctx := context.Background()
	_, db := newBranchProject(t)
	cols := []cinch.Column{
		mustCol(t, "t:TEXT"), mustCol(t, "i:INTEGER"), mustCol(t, "r:REAL"), mustCol(t, "n:NUMERIC"),
		mustCol(t, "b:BOOLEAN"), mustCol(t, "x:BLOB"),
		mustCol(t, "td:TEXT:default=hello"), mustCol(t, "id_:INTEGER:default=42"), mustCol(t, "rd:REAL:default=1.5"),
		mustCol(t, "bd:BOOLEAN:default=true"), mustCol(t, "nd:NUMERIC:default=7"), mustCol(t, "tx:TEXT:default=12:30"),
	}
	if _, err := db.Tables().Create(ctx, "things", cols); err != nil {
		t.Fatal(err)
	}
	// The same columns without NUMERIC ones: every value of the right type
	// takes the path that builds the record from the values.
	var simple []cinch.Column
	for _, c := range cols {
		if c.Type != cinch.TypeNumeric {
			simple = append(simple, c)
		}
	}
	if _, err := db.Tables().Create(ctx, "simple", simple); err != nil {
		t.Fatal(err)
	}
	acme := db.SwitchTenant("acme")
	records := []cinch.Record{
		{},
		{"t": "a", "i": int64(1), "r": 2.5, "b": true, "x": []byte{1, 2}},
		{"t": "x", "i": 7, "r": float64(3)},
		{"i": json.Number("12"), "r": json.Number("4"), "n": json.Number("3.25")},
		{"t": int64(5), "i": "6", "r": "7.5", "n": "8"},        // affinity conversions
		{"t": 1.5, "i": 2.0, "r": int64(9), "b": false},        // more conversions
		{"r": math.NaN(), "x": []byte{}, "td": nil, "bd": nil}, // NaN is stored as NULL; empty blob
		{"i": json.Number("1e3"), "t": "", "n": nil},
		{"id": "custom-id", "t": "given id"},
	}
	for _, table := range []string{"things", "simple"} {
		for _, rec := range records {
			if _, numeric := rec["n"]; numeric && table == "simple" {
				delete(rec, "n")
			}
			got, err := acme.Insert(ctx, table, rec)
			if err != nil {
				t.Fatalf("insert %v into %s: %v", rec, table, err)
			}
			res, err := acme.Query(ctx, "SELECT * FROM "+table+" WHERE id = ?", got["id"])
			if err != nil || len(res.Rows) != 1 {
				t.Fatalf("read back %v: %v %v", got["id"], res, err)
			}
			if diff := cmp.Diff(res.Record(0), got); diff != "" {
				t.Errorf("insert %v into %s returned a record that differs from the stored row (-stored +returned):\n%s", rec, table, diff)
			}
		}
		if table == "things" {
			acme.Query(ctx, "DELETE FROM things WHERE id = 'custom-id'")
		}
	}
	many, err := acme.InsertMany(ctx, "things", records[1:4])
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range many {
		res, _ := acme.Query(ctx, "SELECT * FROM things WHERE id = ?", got["id"])
		if diff := cmp.Diff(res.Record(0), got); diff != "" {
			t.Errorf("InsertMany returned a record that differs (-stored +returned):\n%s", diff)
		}
	}
}
