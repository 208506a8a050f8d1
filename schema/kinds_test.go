package schema_test

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/google/go-cmp/cmp"
)

// declaredChangeTypes reads the ChangeType constants from the root
// package's source, so a constant added there is seen here without
// anyone listing it.
func declaredChangeTypes(t *testing.T) []cinch.ChangeType {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../change.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []cinch.ChangeType
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "ChangeType" {
				continue
			}
			for _, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("ChangeType constant %s is not a string literal", vs.Names[0])
				}
				s, _ := strconv.Unquote(lit.Value)
				out = append(out, cinch.ChangeType(s))
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("found no ChangeType constants in ../change.go")
	}
	return out
}

// kindSamples plans one change of every type on baseSchema; the
// data-dependent variant where a type has one.
var kindSamples = map[cinch.ChangeType]func(t *testing.T, s *schema.Schema) (schema.Plan, error){
	cinch.ChangeCreateTable: func(t *testing.T, s *schema.Schema) (schema.Plan, error) {
		return schema.PlanCreateTable(s, "t", []cinch.Column{col(t, "a:TEXT"), col(t, "u:TEXT:fk=users")})
	},
	cinch.ChangeCopyTable: func(t *testing.T, s *schema.Schema) (schema.Plan, error) {
		return schema.PlanCopyTable(s, "users", "users2", false)
	},
	cinch.ChangeDropTable: func(t *testing.T, s *schema.Schema) (schema.Plan, error) { return schema.PlanDropTable(s, "orders") },
	cinch.ChangeRenameTable: func(t *testing.T, s *schema.Schema) (schema.Plan, error) {
		return schema.PlanRenameTable(s, "users", "people")
	},
	cinch.ChangeAddColumn: func(t *testing.T, s *schema.Schema) (schema.Plan, error) {
		return schema.PlanAddColumn(s, "users", col(t, "code:TEXT:unique"))
	},
	cinch.ChangeDropColumn: func(t *testing.T, s *schema.Schema) (schema.Plan, error) {
		return schema.PlanDropColumn(s, "users", "nick")
	},
	cinch.ChangeRenameColumn: func(t *testing.T, s *schema.Schema) (schema.Plan, error) {
		return schema.PlanRenameColumn(s, "users", "email", "mail")
	},
	cinch.ChangeAlterNullable: func(t *testing.T, s *schema.Schema) (schema.Plan, error) {
		return schema.PlanAlterNullable(s, "users", "nick", false, nil)
	},
	cinch.ChangeCreateView: func(t *testing.T, s *schema.Schema) (schema.Plan, error) {
		return schema.PlanCreateView(s, "v", "SELECT 1", false)
	},
	cinch.ChangeUpdateView: func(t *testing.T, s *schema.Schema) (schema.Plan, error) {
		return schema.PlanCreateView(s, "active_users", "SELECT email FROM users", true)
	},
	cinch.ChangeDropView: func(t *testing.T, s *schema.Schema) (schema.Plan, error) {
		return schema.PlanDropView(s, "active_users")
	},
	cinch.ChangeCreateIndex: func(t *testing.T, s *schema.Schema) (schema.Plan, error) {
		return schema.PlanCreateIndex(s, cinch.IndexInfo{Table: "users", Columns: []string{"nick"}, Unique: true})
	},
	cinch.ChangeDropIndex: func(t *testing.T, s *schema.Schema) (schema.Plan, error) {
		return schema.PlanDropIndex(s, "idx_users_name")
	},
}

// TestKinds: every ChangeType constant has a complete entry in the table
// of change kinds (apply, replan, inverse, footprint), and the table has
// nothing else.
func TestKinds(t *testing.T) {
	declared := declaredChangeTypes(t)
	gaps := schema.KindGaps()
	for _, typ := range declared {
		g, ok := gaps[typ]
		if !ok {
			t.Errorf("%s has no entry in the kinds table (schema/kinds.go)", typ)
			continue
		}
		if len(g) > 0 {
			slices.Sort(g)
			t.Errorf("%s's entry in the kinds table lacks %v", typ, g)
		}
		if kindSamples[typ] == nil {
			t.Errorf("%s has no sample in kindSamples (schema/kinds_test.go)", typ)
		}
	}
	for typ := range gaps {
		if !slices.Contains(declared, typ) {
			t.Errorf("the kinds table has %s, which change.go does not declare", typ)
		}
	}
}

// TestKinds_Behaviour runs each kind's entry on a sample change: replaying
// the record gives the planned model, replanning it on the same schema
// gives the same plan (SQL, inverse, model), its footprint writes
// something, and bad details are an internal error, never a panic.
func TestKinds_Behaviour(t *testing.T) {
	for _, typ := range declaredChangeTypes(t) {
		sample := kindSamples[typ]
		if sample == nil {
			continue // TestKinds reports it
		}
		t.Run(string(typ), func(t *testing.T) {
			s := baseSchema(t)
			p := mustPlan(t)(sample(t, s))
			if p.Change.Type != typ {
				t.Fatalf("sample planned %s", p.Change.Type)
			}
			replayed := s.Clone()
			if err := replayed.Apply(p.Change); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if diff := cmp.Diff(p.After, replayed); diff != "" {
				t.Errorf("replayed model differs from planned (-planned +replayed):\n%s", diff)
			}
			rp, err := schema.Replan(s, p.Change)
			if err != nil {
				t.Fatalf("Replan: %v", err)
			}
			if diff := cmp.Diff(p, rp); diff != "" {
				t.Errorf("replanned differs (-planned +replanned):\n%s", diff)
			}
			if p.DataDependent != (len(p.Inverse) > 0) {
				t.Errorf("data-dependent %v with inverse %q", p.DataDependent, p.Inverse)
			}
			if f := schema.FootprintOf(p.Change); len(f.Writes) == 0 {
				t.Errorf("footprint %+v writes nothing", f)
			}

			bad := p.Change
			bad.Details = json.RawMessage(`"not an object"`)
			if err := s.Clone().Apply(bad); !errors.Is(err, cinch.ErrInternal) {
				t.Errorf("Apply with bad details = %v, want ErrInternal", err)
			}
			if _, err := schema.Replan(s, bad); !errors.Is(err, cinch.ErrInternal) {
				t.Errorf("Replan with bad details = %v, want ErrInternal", err)
			}
			_ = schema.FootprintOf(bad)
		})
	}
}

func TestKinds_UnknownType(t *testing.T) {
	ch := cinch.Change{ID: "x", Type: "NOPE", Details: json.RawMessage(`{}`)}
	if err := schema.NewSchema().Apply(ch); !errors.Is(err, cinch.ErrInternal) {
		t.Errorf("Apply = %v, want ErrInternal", err)
	}
	if _, err := schema.Replan(schema.NewSchema(), ch); !errors.Is(err, cinch.ErrInternal) {
		t.Errorf("Replan = %v, want ErrInternal", err)
	}
	if f := schema.FootprintOf(ch); len(f.Writes)+len(f.Reads) != 0 {
		t.Errorf("FootprintOf = %+v, want empty", f)
	}
}
