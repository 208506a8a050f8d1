package cinch_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
)

func strp(s string) *string { return &s }

func TestParseColumnSpec(t *testing.T) {
	cases := []struct {
		spec string
		want cinch.Column
	}{
		{"name:TEXT", cinch.Column{Name: "name", Type: cinch.TypeText, Nullable: true}},
		{"name:text", cinch.Column{Name: "name", Type: cinch.TypeText, Nullable: true}},
		{"name:Text", cinch.Column{Name: "name", Type: cinch.TypeText, Nullable: true}},
		{"name:TEXT?", cinch.Column{Name: "name", Type: cinch.TypeText, Nullable: true}},
		{"n:integer", cinch.Column{Name: "n", Type: cinch.TypeInteger, Nullable: true}},
		{"n:REAL", cinch.Column{Name: "n", Type: cinch.TypeReal, Nullable: true}},
		{"n:blob", cinch.Column{Name: "n", Type: cinch.TypeBlob, Nullable: true}},
		{"n:Numeric", cinch.Column{Name: "n", Type: cinch.TypeNumeric, Nullable: true}},
		{"n:boolean?", cinch.Column{Name: "n", Type: cinch.TypeBoolean, Nullable: true}},
		{"age:INTEGER:not_null:default=0", cinch.Column{Name: "age", Type: cinch.TypeInteger, Default: strp("0")}},
		{"email:TEXT:unique", cinch.Column{Name: "email", Type: cinch.TypeText, Nullable: true, Unique: true}},
		{"email:TEXT:not_null:unique", cinch.Column{Name: "email", Type: cinch.TypeText, Unique: true}},
		{"email:TEXT:UNIQUE:NOT_NULL", cinch.Column{Name: "email", Type: cinch.TypeText, Unique: true}},
		{"active:BOOLEAN:default=true", cinch.Column{Name: "active", Type: cinch.TypeBoolean, Nullable: true, Default: strp("true")}},
		{"active:BOOLEAN:default=FALSE", cinch.Column{Name: "active", Type: cinch.TypeBoolean, Nullable: true, Default: strp("FALSE")}},
		{"active:BOOLEAN:default=1", cinch.Column{Name: "active", Type: cinch.TypeBoolean, Nullable: true, Default: strp("1")}},
		{"org_id:TEXT:fk=orgs", cinch.Column{Name: "org_id", Type: cinch.TypeText, Nullable: true,
			ForeignKey: &cinch.ForeignKey{Table: "orgs", Column: "id"}}},
		{"org_id:TEXT:fk=orgs.id.cascade", cinch.Column{Name: "org_id", Type: cinch.TypeText, Nullable: true,
			ForeignKey: &cinch.ForeignKey{Table: "orgs", Column: "id", OnDelete: cinch.FKCascade}}},
		{"org_id:TEXT:fk=orgs.set_null", cinch.Column{Name: "org_id", Type: cinch.TypeText, Nullable: true,
			ForeignKey: &cinch.ForeignKey{Table: "orgs", Column: "id", OnDelete: cinch.FKSetNull}}},
		{"org_code:TEXT:fk=orgs.code.restrict", cinch.Column{Name: "org_code", Type: cinch.TypeText, Nullable: true,
			ForeignKey: &cinch.ForeignKey{Table: "orgs", Column: "code", OnDelete: cinch.FKRestrict}}},
		{"org_code:TEXT:fk=orgs.code", cinch.Column{Name: "org_code", Type: cinch.TypeText, Nullable: true,
			ForeignKey: &cinch.ForeignKey{Table: "orgs", Column: "code"}}},
		{"org_id:TEXT:not_null:fk=orgs.CASCADE", cinch.Column{Name: "org_id", Type: cinch.TypeText,
			ForeignKey: &cinch.ForeignKey{Table: "orgs", Column: "id", OnDelete: cinch.FKCascade}}},
		// default keeps colons: it is the rest of the spec
		{"at:TEXT:default=12:30", cinch.Column{Name: "at", Type: cinch.TypeText, Nullable: true, Default: strp("12:30")}},
		{"at:TEXT:default=12:30:45", cinch.Column{Name: "at", Type: cinch.TypeText, Nullable: true, Default: strp("12:30:45")}},
		{"url:TEXT:default=https://x.io:8080/a", cinch.Column{Name: "url", Type: cinch.TypeText, Nullable: true, Default: strp("https://x.io:8080/a")}},
		{"s:TEXT:default=", cinch.Column{Name: "s", Type: cinch.TypeText, Nullable: true, Default: strp("")}},
		{"s:TEXT:default=a=b", cinch.Column{Name: "s", Type: cinch.TypeText, Nullable: true, Default: strp("a=b")}},
		{"s:TEXT:default=x:unique", cinch.Column{Name: "s", Type: cinch.TypeText, Nullable: true, Default: strp("x:unique")}},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := cinch.ParseColumnSpec(tc.spec)
			if err != nil {
				t.Fatalf("ParseColumnSpec(%q): %v", tc.spec, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseColumnSpec(%q) = %s, want %s", tc.spec, dump(got), dump(tc.want))
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			back, err := cinch.ParseColumnSpec(got.String())
			if err != nil || !reflect.DeepEqual(back, got) {
				t.Fatalf("round trip via %q: %s, %v", got.String(), dump(back), err)
			}
		})
	}
}

func dump(c cinch.Column) string {
	s := c.String()
	if c.Nullable {
		s += " (nullable)"
	}
	if c.Default != nil {
		s += " default=" + *c.Default
	}
	return s
}

func TestParseColumnArgs(t *testing.T) {
	cases := []struct {
		args []string
		want cinch.Column
	}{
		{[]string{"phone", "TEXT"}, cinch.Column{Name: "phone", Type: cinch.TypeText, Nullable: true}},
		{[]string{"phone:TEXT"}, cinch.Column{Name: "phone", Type: cinch.TypeText, Nullable: true}},
		{[]string{"phone", "TEXT", "unique"}, cinch.Column{Name: "phone", Type: cinch.TypeText, Nullable: true, Unique: true}},
		{[]string{"phone", "text?"}, cinch.Column{Name: "phone", Type: cinch.TypeText, Nullable: true}},
		{[]string{"age", "INTEGER", "not_null", "default=0"}, cinch.Column{Name: "age", Type: cinch.TypeInteger, Default: strp("0")}},
		{[]string{"phone:TEXT", "unique"}, cinch.Column{Name: "phone", Type: cinch.TypeText, Nullable: true, Unique: true}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got, err := cinch.ParseColumnArgs(tc.args)
			if err != nil {
				t.Fatalf("ParseColumnArgs(%q): %v", tc.args, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseColumnArgs(%q) = %s, want %s", tc.args, dump(got), dump(tc.want))
			}
		})
	}
	for _, args := range [][]string{nil, {}, {"phone"}, {"phone", "STRING"}, {"Phone", "TEXT"}, {"phone", "TEXT", "bogus"}} {
		_, err := cinch.ParseColumnArgs(args)
		if err == nil {
			t.Errorf("ParseColumnArgs(%q) accepted", args)
			continue
		}
		if !errors.Is(err, cinch.ErrInvalidInput) && !errors.Is(err, cinch.ErrInvalidName) {
			t.Errorf("ParseColumnArgs(%q): %v is neither ErrInvalidInput nor ErrInvalidName", args, err)
		}
		if !strings.Contains(err.Error(), "write") && !strings.Contains(err.Error(), "use ") && !strings.Contains(err.Error(), "must be") {
			t.Errorf("ParseColumnArgs(%q): message %q does not say what to write", args, err)
		}
	}
}

func TestParseColumnSpecRejects(t *testing.T) {
	cases := []struct {
		spec string
		want error    // sentinel
		says []string // fragments the message must hold (what was wrong, what to write)
	}{
		{"name", cinch.ErrInvalidInput, []string{"missing type", "name:TYPE"}},
		{"", cinch.ErrInvalidInput, []string{"missing type"}},
		{"name:", cinch.ErrInvalidInput, []string{"unknown type", "TEXT, INTEGER"}},
		{"name:STRING", cinch.ErrInvalidInput, []string{`"STRING"`, "TEXT, INTEGER, REAL, BLOB, NUMERIC, BOOLEAN"}},
		{"name:VARCHAR(20)", cinch.ErrInvalidInput, []string{"unknown type"}},
		{"name:TEXT??", cinch.ErrInvalidInput, []string{"unknown type"}},
		{"name:?", cinch.ErrInvalidInput, []string{"unknown type"}},
		{"name:TEXT:primary", cinch.ErrInvalidInput, []string{`unknown modifier "primary"`, "not_null"}},
		{"name:TEXT:", cinch.ErrInvalidInput, []string{"unknown modifier"}},
		{"name:TEXT:unique:unique", cinch.ErrInvalidInput, []string{"twice"}},
		{"name:TEXT:not_null:NOT_NULL", cinch.ErrInvalidInput, []string{"twice"}},
		{"name:TEXT:fk=a:fk=b", cinch.ErrInvalidInput, []string{"twice"}},
		{"name:TEXT:default", cinch.ErrInvalidInput, []string{"default needs a value", "default=VALUE"}},
		{"name:TEXT:unique=1", cinch.ErrInvalidInput, []string{"takes no value"}},
		{"name:TEXT:not_null=yes", cinch.ErrInvalidInput, []string{"takes no value"}},
		{"org_id:TEXT:fk", cinch.ErrInvalidInput, []string{"fk needs a table", "fk=table"}},
		{"org_id:TEXT:fk=", cinch.ErrInvalidInput, []string{"fk needs a table"}},
		{"org_id:TEXT:fk=Orgs", cinch.ErrInvalidInput, []string{"bad table", "fk=table"}},
		{"org_id:TEXT:fk=sqlite_master", cinch.ErrInvalidInput, []string{"bad table"}},
		{"org_id:TEXT:fk=orgs.", cinch.ErrInvalidInput, []string{"bad column"}},
		{"org_id:TEXT:fk=.id", cinch.ErrInvalidInput, []string{"bad table"}},
		{"org_id:TEXT:fk=orgs.id.explode", cinch.ErrInvalidInput, []string{"unknown foreign key action", "cascade"}},
		{"org_id:TEXT:fk=orgs.id.cascade.x", cinch.ErrInvalidInput, []string{"too many parts"}},
		{"org_id:TEXT:fk=orgs.Code", cinch.ErrInvalidInput, []string{"bad column"}},
		{"id:TEXT", cinch.ErrInvalidName, []string{`"id"`, "automatic"}},
		{"created_at:TEXT", cinch.ErrInvalidName, []string{"automatic"}},
		{"updated_at:TEXT", cinch.ErrInvalidName, []string{"automatic"}},
		{"Name:TEXT", cinch.ErrInvalidName, []string{"column", `"Name"`, "^[a-z][a-z0-9_]*$"}},
		{"1name:TEXT", cinch.ErrInvalidName, []string{"column"}},
		{"user-name:TEXT", cinch.ErrInvalidName, []string{"column"}},
		{"__x:TEXT", cinch.ErrInvalidName, []string{"column"}},
		{"sqlite_x:TEXT", cinch.ErrInvalidName, []string{"column"}},
		{":TEXT", cinch.ErrInvalidName, []string{"column"}},
		{strings.Repeat("a", 64) + ":TEXT", cinch.ErrInvalidName, []string{"column"}},
		{"active:BOOLEAN:default=maybe", cinch.ErrInvalidInput, []string{`"maybe"`, "BOOLEAN", "true or false"}},
		{"active:BOOLEAN:default=", cinch.ErrInvalidInput, []string{"BOOLEAN"}},
		{"active:BOOLEAN:default=yes", cinch.ErrInvalidInput, []string{"BOOLEAN"}},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			col, err := cinch.ParseColumnSpec(tc.spec)
			if err == nil {
				t.Fatalf("ParseColumnSpec(%q) accepted: %s", tc.spec, dump(col))
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("ParseColumnSpec(%q): %v, want errors.Is %v", tc.spec, err, tc.want)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q lacks %q", err, s)
				}
			}
		})
	}
}

func TestParseColumnType(t *testing.T) {
	for _, typ := range cinch.ColumnTypes {
		for _, s := range []string{string(typ), strings.ToLower(string(typ)), " " + string(typ) + " "} {
			got, err := cinch.ParseColumnType(s)
			if err != nil || got != typ {
				t.Errorf("ParseColumnType(%q) = %q, %v", s, got, err)
			}
		}
	}
	if _, err := cinch.ParseColumnType("DATETIME"); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("DATETIME: %v", err)
	}
}

func TestColumnValidate(t *testing.T) {
	bad := []cinch.Column{
		{Name: "a", Type: "STRING"},
		{Name: "id", Type: cinch.TypeText},
		{Name: "a", Type: cinch.TypeText, ForeignKey: &cinch.ForeignKey{Table: "orgs", Column: "id", OnDelete: "NO ACTION"}},
		{Name: "a", Type: cinch.TypeText, ForeignKey: &cinch.ForeignKey{Table: "Orgs", Column: "id"}},
		{Name: "a", Type: cinch.TypeText, ForeignKey: &cinch.ForeignKey{Table: "orgs", Column: ""}},
		{Name: "a", Type: cinch.TypeBoolean, Default: strp("2")},
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) passed", c)
		} else if !errors.Is(err, cinch.ErrInvalidInput) && !errors.Is(err, cinch.ErrInvalidName) {
			t.Errorf("Validate(%+v): %v", c, err)
		}
	}
}

// FuzzParseColumnSpec: never panics; an accepted spec validates and its
// String() re-parses to an equal Column.
func FuzzParseColumnSpec(f *testing.F) {
	for _, s := range []string{
		"name:TEXT", "name:text?", "age:INTEGER:not_null:default=0", "email:TEXT:unique",
		"active:BOOLEAN:default=true", "org_id:TEXT:fk=orgs", "o:TEXT:fk=orgs.id.cascade",
		"o:TEXT:fk=orgs.set_null", "o:TEXT:fk=orgs.code.restrict", "at:TEXT:default=12:30",
		"a:TEXT:fk=orgs:default=x", "a:BOOLEAN:fk=orgs:default=true", "a:TEXT:nullable:not_null",
		"a:TEXT:notnull", "a:TEXT:default=", "id:TEXT", "a:TEXT:fk=orgs.cascade.cascade",
		"a:TEXT:default=\x00", "a:REAL:default=1e9", "a:TEXT:unique:fk=b.c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		col, err := cinch.ParseColumnSpec(spec)
		if err != nil {
			if !errors.Is(err, cinch.ErrInvalidInput) && !errors.Is(err, cinch.ErrInvalidName) {
				t.Fatalf("ParseColumnSpec(%q): error %v wraps neither ErrInvalidInput nor ErrInvalidName", spec, err)
			}
			return
		}
		if err := col.Validate(); err != nil {
			t.Fatalf("ParseColumnSpec(%q) accepted a column that does not validate: %v", spec, err)
		}
		s := col.String()
		back, err := cinch.ParseColumnSpec(s)
		if err != nil {
			t.Fatalf("ParseColumnSpec(%q) -> String %q does not re-parse: %v", spec, s, err)
		}
		if !reflect.DeepEqual(back, col) {
			t.Fatalf("round trip of %q via %q: got %s, want %s", spec, s, dump(back), dump(col))
		}
		// ParseColumnArgs' split form gives the same column.
		if args, err := cinch.ParseColumnArgs(strings.Split(s, ":")); err != nil || !reflect.DeepEqual(args, col) {
			t.Fatalf("ParseColumnArgs(split %q) = %s, %v", s, dump(args), err)
		}
	})
}
