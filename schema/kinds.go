package schema

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/cinchdb/cinch"
)

// kind is everything cinch does with one change type. Every ChangeType has
// one entry in kinds (TestKinds checks it), so adding a change type is one
// entry here, a Plan function for the service that makes it, and tests.
type kind struct {
	// apply updates the model with a recorded change (replaying changes.json).
	apply func(s *Schema, ch cinch.Change) error
	// replan plans a recorded change again, from its details, on another
	// schema (a merge target): the SQL may differ, the meaning does not.
	replan func(s *Schema, ch cinch.Change) (Plan, error)
	// inverse is the SQL that undoes the change on a tenant, for a change
	// that may fail on some tenant's data (it is rolled out prepare-then-
	// commit, see Plan.DataDependent); nil SQL when it cannot fail on data.
	// before is the schema the change is planned on.
	inverse func(before *Schema, ch cinch.Change) (sql []string, rebuild bool)
	// footprint is what the change writes and reads, for merge conflicts.
	footprint func(ch cinch.Change) Footprint
}

// behaviour is a kind written against its decoded details D.
type behaviour[D any] struct {
	apply     func(s *Schema, d D) error
	replan    func(s *Schema, d D) (Plan, error)
	inverse   func(before *Schema, d D) ([]string, bool) // nil: never data-dependent
	footprint func(d D) Footprint
}

// detailsError is a change whose details do not decode as its type's.
type detailsError struct{ err error }

func (e *detailsError) Error() string { return e.err.Error() }
func (e *detailsError) Unwrap() error { return e.err }

// kind decodes the details once for each of b's functions. A function b
// lacks stays nil in the kind (TestKinds finds it), except inverse: a
// kind without one never depends on data.
func (b behaviour[D]) kind() kind {
	decode := func(ch cinch.Change) (D, error) {
		var d D
		if err := json.Unmarshal(ch.Details, &d); err != nil {
			return d, &detailsError{err}
		}
		return d, nil
	}
	k := kind{inverse: func(*Schema, cinch.Change) ([]string, bool) { return nil, false }}
	if b.apply != nil {
		k.apply = func(s *Schema, ch cinch.Change) error {
			d, err := decode(ch)
			if err != nil {
				return err
			}
			return b.apply(s, d)
		}
	}
	if b.replan != nil {
		k.replan = func(s *Schema, ch cinch.Change) (Plan, error) {
			d, err := decode(ch)
			if err != nil {
				return Plan{}, err
			}
			return b.replan(s, d)
		}
	}
	if b.inverse != nil {
		k.inverse = func(before *Schema, ch cinch.Change) ([]string, bool) {
			d, err := decode(ch)
			if err != nil {
				return nil, false
			}
			return b.inverse(before, d)
		}
	}
	if b.footprint != nil {
		k.footprint = func(ch cinch.Change) Footprint {
			d, _ := decode(ch) // what decodes: a footprint never fails
			return b.footprint(d)
		}
	}
	return k
}

// kinds is the behaviour of every change type. It is filled by init, not
// by its declaration: its entries plan, and planning reads kinds.
var kinds map[cinch.ChangeType]kind

func init() {
	kinds = map[cinch.ChangeType]kind{
		cinch.ChangeCreateTable: behaviour[cinch.DetailsCreateTable]{
			apply: func(s *Schema, d cinch.DetailsCreateTable) error {
				s.Tables[d.Table] = &Table{Name: d.Table, Columns: d.Columns}
				return nil
			},
			replan: func(s *Schema, d cinch.DetailsCreateTable) (Plan, error) {
				return PlanCreateTable(s, d.Table, d.Columns)
			},
			footprint: func(d cinch.DetailsCreateTable) Footprint { return Footprint{Writes: []string{"table:" + d.Table}} },
		}.kind(),

		cinch.ChangeCopyTable: behaviour[cinch.DetailsCreateTable]{
			apply: func(s *Schema, d cinch.DetailsCreateTable) error {
				src, ok := s.Tables[d.Source]
				if !ok {
					return fmt.Errorf("no table %q", d.Source)
				}
				s.Tables[d.Table] = &Table{Name: d.Table, Columns: slices.Clone(src.Columns)}
				return nil
			},
			replan: func(s *Schema, d cinch.DetailsCreateTable) (Plan, error) {
				return PlanCopyTable(s, d.Source, d.Table, d.NoData)
			},
			footprint: func(d cinch.DetailsCreateTable) Footprint {
				return Footprint{Writes: []string{"table:" + d.Table}, Reads: []string{"table:" + d.Source}}
			},
		}.kind(),

		cinch.ChangeDropTable: behaviour[cinch.DetailsTable]{
			apply: func(s *Schema, d cinch.DetailsTable) error {
				delete(s.Tables, d.Table)
				for name, idx := range s.Indexes {
					if idx.Table == d.Table {
						delete(s.Indexes, name)
					}
				}
				return nil
			},
			replan:    func(s *Schema, d cinch.DetailsTable) (Plan, error) { return PlanDropTable(s, d.Table) },
			footprint: func(d cinch.DetailsTable) Footprint { return Footprint{Writes: []string{"table:" + d.Table}} },
		}.kind(),

		cinch.ChangeRenameTable: behaviour[cinch.DetailsRename]{
			apply: func(s *Schema, d cinch.DetailsRename) error {
				t := s.Tables[d.Old]
				if t == nil {
					return fmt.Errorf("no table %q", d.Old)
				}
				delete(s.Tables, d.Old)
				t.Name = d.New
				s.Tables[d.New] = t
				for name, idx := range s.Indexes {
					if idx.Table == d.Old {
						idx.Table = d.New
						s.Indexes[name] = idx
					}
				}
				// SQLite rewrites foreign keys to the table (its own included).
				for _, other := range s.Tables {
					for i := range other.Columns {
						if fk := other.Columns[i].ForeignKey; fk != nil && fk.Table == d.Old {
							fk.Table = d.New
						}
					}
				}
				return nil
			},
			replan: func(s *Schema, d cinch.DetailsRename) (Plan, error) { return PlanRenameTable(s, d.Old, d.New) },
			footprint: func(d cinch.DetailsRename) Footprint {
				return Footprint{Writes: []string{"table:" + d.Old, "table:" + d.New}}
			},
		}.kind(),

		cinch.ChangeAddColumn: behaviour[cinch.DetailsColumn]{
			apply: func(s *Schema, d cinch.DetailsColumn) error {
				t := s.Tables[d.Table]
				if t == nil {
					return fmt.Errorf("no table %q", d.Table)
				}
				t.Columns = append(t.Columns, d.Column)
				return nil
			},
			replan: func(s *Schema, d cinch.DetailsColumn) (Plan, error) { return PlanAddColumn(s, d.Table, d.Column) },
			// A UNIQUE column fails on tenants whose rows would repeat a value.
			inverse: func(before *Schema, d cinch.DetailsColumn) ([]string, bool) {
				if !d.Column.Unique {
					return nil, false
				}
				return rebuildAsBefore(before, d.Table)
			},
			footprint: columnFootprint,
		}.kind(),

		cinch.ChangeDropColumn: behaviour[cinch.DetailsColumn]{
			apply: func(s *Schema, d cinch.DetailsColumn) error {
				t := s.Tables[d.Table]
				if t == nil {
					return fmt.Errorf("no table %q", d.Table)
				}
				t.Columns = slices.DeleteFunc(t.Columns, func(c cinch.Column) bool { return c.Name == d.Column.Name })
				return nil
			},
			replan:    func(s *Schema, d cinch.DetailsColumn) (Plan, error) { return PlanDropColumn(s, d.Table, d.Column.Name) },
			footprint: columnFootprint,
		}.kind(),

		cinch.ChangeRenameColumn: behaviour[cinch.DetailsRename]{
			apply: func(s *Schema, d cinch.DetailsRename) error {
				t := s.Tables[d.Table]
				if t == nil || t.Column(d.Old) == nil {
					return fmt.Errorf("no column %q.%q", d.Table, d.Old)
				}
				t.Column(d.Old).Name = d.New
				for name, idx := range s.Indexes {
					if idx.Table == d.Table {
						for i, c := range idx.Columns {
							if c == d.Old {
								idx.Columns[i] = d.New
							}
						}
						s.Indexes[name] = idx
					}
				}
				for _, other := range s.Tables {
					for i := range other.Columns {
						if fk := other.Columns[i].ForeignKey; fk != nil && fk.Table == d.Table && fk.Column == d.Old {
							fk.Column = d.New
						}
					}
				}
				return nil
			},
			replan: func(s *Schema, d cinch.DetailsRename) (Plan, error) {
				return PlanRenameColumn(s, d.Table, d.Old, d.New)
			},
			footprint: func(d cinch.DetailsRename) Footprint {
				return Footprint{Writes: []string{"column:" + d.Table + "." + d.Old, "column:" + d.Table + "." + d.New}, Reads: []string{"table:" + d.Table}}
			},
		}.kind(),

		cinch.ChangeAlterNullable: behaviour[cinch.DetailsNullable]{
			apply: func(s *Schema, d cinch.DetailsNullable) error {
				t := s.Tables[d.Table]
				if t == nil || t.Column(d.Column) == nil {
					return fmt.Errorf("no column %q.%q", d.Table, d.Column)
				}
				t.Column(d.Column).Nullable = d.Nullable
				return nil
			},
			replan: func(s *Schema, d cinch.DetailsNullable) (Plan, error) {
				return PlanAlterNullable(s, d.Table, d.Column, d.Nullable, d.FillValue)
			},
			// NOT NULL without a fill value fails on tenants with NULLs there.
			inverse: func(before *Schema, d cinch.DetailsNullable) ([]string, bool) {
				if d.Nullable || d.FillValue != nil {
					return nil, false
				}
				return rebuildAsBefore(before, d.Table)
			},
			footprint: func(d cinch.DetailsNullable) Footprint {
				return Footprint{Writes: []string{"column:" + d.Table + "." + d.Column}, Reads: []string{"table:" + d.Table}}
			},
		}.kind(),

		cinch.ChangeCreateView: behaviour[cinch.DetailsView]{
			apply:     setView,
			replan:    func(s *Schema, d cinch.DetailsView) (Plan, error) { return PlanCreateView(s, d.View, d.SQL, false) },
			footprint: viewFootprint,
		}.kind(),

		cinch.ChangeUpdateView: behaviour[cinch.DetailsView]{
			apply: setView,
			// A view the target lacks is created there.
			replan: func(s *Schema, d cinch.DetailsView) (Plan, error) {
				_, exists := s.Views[d.View]
				return PlanCreateView(s, d.View, d.SQL, exists)
			},
			footprint: viewFootprint,
		}.kind(),

		cinch.ChangeDropView: behaviour[cinch.DetailsView]{
			apply: func(s *Schema, d cinch.DetailsView) error {
				delete(s.Views, d.View)
				return nil
			},
			replan:    func(s *Schema, d cinch.DetailsView) (Plan, error) { return PlanDropView(s, d.View) },
			footprint: viewFootprint,
		}.kind(),

		cinch.ChangeCreateIndex: behaviour[cinch.DetailsIndex]{
			apply: func(s *Schema, d cinch.DetailsIndex) error {
				s.Indexes[d.Index] = cinch.IndexInfo{Name: d.Index, Table: d.Table, Columns: slices.Clone(d.Columns), Unique: d.Unique}
				return nil
			},
			replan: func(s *Schema, d cinch.DetailsIndex) (Plan, error) {
				return PlanCreateIndex(s, cinch.IndexInfo{Name: d.Index, Table: d.Table, Columns: d.Columns, Unique: d.Unique})
			},
			// A UNIQUE index fails on tenants with duplicates.
			inverse: func(_ *Schema, d cinch.DetailsIndex) ([]string, bool) {
				if !d.Unique {
					return nil, false
				}
				return []string{"DROP INDEX " + Quote(d.Index)}, false
			},
			footprint: indexFootprint,
		}.kind(),

		cinch.ChangeDropIndex: behaviour[cinch.DetailsIndex]{
			apply: func(s *Schema, d cinch.DetailsIndex) error {
				delete(s.Indexes, d.Index)
				return nil
			},
			replan:    func(s *Schema, d cinch.DetailsIndex) (Plan, error) { return PlanDropIndex(s, d.Index) },
			footprint: indexFootprint,
		}.kind(),
	}
}

// rebuildAsBefore is the inverse of a change that rebuilt table: rebuild
// it again with its definition before the change.
func rebuildAsBefore(before *Schema, table string) ([]string, bool) {
	t := before.Tables[table]
	if t == nil {
		return nil, false
	}
	return RebuildSQL(before, t, nil), true
}

func setView(s *Schema, d cinch.DetailsView) error {
	s.Views[d.View] = d.SQL
	return nil
}

func columnFootprint(d cinch.DetailsColumn) Footprint {
	f := Footprint{Writes: []string{"column:" + d.Table + "." + d.Column.Name}, Reads: []string{"table:" + d.Table}}
	if fk := d.Column.ForeignKey; fk != nil {
		f.Reads = append(f.Reads, "table:"+fk.Table, "column:"+fk.Table+"."+fk.Column)
	}
	return f
}

func viewFootprint(d cinch.DetailsView) Footprint {
	return Footprint{Writes: []string{"view:" + d.View}}
}

func indexFootprint(d cinch.DetailsIndex) Footprint {
	f := Footprint{Writes: []string{"index:" + d.Index}}
	if d.Table != "" {
		f.Reads = []string{"table:" + d.Table}
		for _, c := range d.Columns {
			f.Reads = append(f.Reads, "column:"+d.Table+"."+c)
		}
	}
	return f
}
