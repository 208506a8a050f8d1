package schema_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
)

// schemaSeeds are changes.json files for FuzzSchemaApply.
var schemaSeeds = []string{
	`[]`,
	`[{"id":"1","timestamp":"2024-01-01T00:00:00Z","type":"CREATE_TABLE","entity":"users","details":{"table":"users","columns":[{"name":"email","type":"TEXT","nullable":false,"unique":true}]},"sql":["CREATE TABLE users (x)"]}]`,
	`[{"type":"CREATE_TABLE","details":{"table":"orgs","columns":[{"name":"code","type":"TEXT","nullable":true}]}},
	  {"type":"CREATE_TABLE","details":{"table":"users","columns":[{"name":"org","type":"TEXT","nullable":true,"default":"x","foreign_key":{"table":"orgs","column":"code","on_delete":"CASCADE"}}]}},
	  {"type":"COPY_TABLE","details":{"table":"users2","source":"users","no_data":true}},
	  {"type":"RENAME_COLUMN","details":{"table":"orgs","old":"code","new":"key"}},
	  {"type":"CREATE_INDEX","details":{"index":"i","table":"users","columns":["org"],"unique":true}},
	  {"type":"RENAME_TABLE","details":{"table":"users","old":"users","new":"people"}},
	  {"type":"ADD_COLUMN","details":{"table":"people","column":{"name":"age","type":"INTEGER","nullable":true}}},
	  {"type":"ALTER_COLUMN_NULLABLE","details":{"table":"people","column":"age","nullable":false,"fill_value":"0"}},
	  {"type":"DROP_COLUMN","details":{"table":"people","column":{"name":"age"}}},
	  {"type":"CREATE_VIEW","details":{"view":"v","sql":"SELECT 1"}},
	  {"type":"UPDATE_VIEW","details":{"view":"v","sql":"SELECT 2"}},
	  {"type":"DROP_VIEW","details":{"view":"v"}},
	  {"type":"DROP_INDEX","details":{"index":"i"}},
	  {"type":"DROP_TABLE","details":{"table":"people"}}]`,
	`[{"type":"RENAME_TABLE","details":{"old":"nope","new":"x"}}]`,
	`[{"type":"RENAME_COLUMN","details":null}]`,
	`[{"type":"ADD_COLUMN","details":{"table":"t"}}]`,
	`[{"type":"COPY_TABLE","details":{"table":"a","source":"a"}}]`,
	`[{"type":"CREATE_TABLE","details":{"table":"a","columns":null}},{"type":"RENAME_TABLE","details":{"old":"a","new":"a"}},{"type":"RENAME_COLUMN","details":{"table":"a","old":"x","new":"y"}}]`,
	`[{"type":"CREATE_INDEX","details":{"index":"i","table":"a","columns":["x","x"]}},{"type":"RENAME_COLUMN","details":{"table":"a","old":"x","new":"y"}}]`,
	`[{"type":"NOPE"},{"type":""},{}]`,
	`[{"type":"CREATE_TABLE","details":"not an object"}]`,
	`[{"type":"CREATE_TABLE","details":{"table":"t","columns":[{"name":"a","type":"BOOLEAN","default":"true"},{"name":"b","type":"INTEGER","default":"0x10"}]}}]`,
	`null`,
}

// FuzzSchemaApply: any changes.json, parsed as []cinch.Change and replayed
// into a Schema, never panics; errors wrap ErrInternal; the model stays
// consistent (map key == table name), survives Clone, and renders SQL.
// Re-planning each record on the model so far and its footprint (what a
// merge does with it) never panic either.
func FuzzSchemaApply(f *testing.F) {
	for _, s := range schemaSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var changes []cinch.Change
		if err := json.Unmarshal(data, &changes); err != nil {
			return
		}
		s := schema.NewSchema()
		for _, ch := range changes {
			_ = schema.FootprintOf(ch)
			_, _ = schema.Replan(s.Clone(), ch)
			if err := s.Apply(ch); err != nil && !errors.Is(err, cinch.ErrInternal) {
				t.Fatalf("Apply(%s): error %v does not wrap ErrInternal", ch.Type, err)
			}
		}
		for name, tb := range s.Tables {
			if tb == nil {
				t.Fatalf("table %q is nil", name)
			}
			if tb.Name != name {
				t.Fatalf("table under key %q is named %q", name, tb.Name)
			}
		}
		if c := s.Clone(); !reflect.DeepEqual(c, s) {
			t.Fatalf("Clone differs:\n%#v\n%#v", c, s)
		}
		for _, name := range s.TableNames() {
			tb := s.Tables[name]
			_ = schema.CreateTableSQL(tb, name)
			_ = schema.TriggerSQL(name)
			_ = schema.RebuildSQL(s, tb, nil)
			for _, c := range tb.Columns {
				_ = schema.ColumnDef(c)
			}
		}
		for _, name := range s.IndexNames() {
			_ = schema.IndexSQL(s.Indexes[name])
		}
		for _, name := range s.ViewNames() {
			_ = schema.ViewSQL(name, s.Views[name])
		}
	})
}
