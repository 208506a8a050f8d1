package schema

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/cinchdb/cinch"
)

// Plan is a change ready to roll out: the record (without id and time,
// which the caller stamps), and, for changes whose success depends on each
// tenant's data, the SQL that undoes it (see docs/design.md, "rollout").
type Plan struct {
	Change cinch.Change
	// DataDependent changes may fail on some tenant's rows (a UNIQUE index
	// over duplicates, NOT NULL over NULLs). They are rolled out with
	// prepare-then-commit and undone with Inverse if any tenant refuses.
	// Each change type's kind (kinds.go) says when, and gives the Inverse.
	DataDependent  bool
	Inverse        []string
	InverseRebuild bool
	// After is the schema once the change is applied.
	After *Schema
}

func newPlan(s *Schema, typ cinch.ChangeType, entity string, details any, sql []string) (Plan, error) {
	d, err := json.Marshal(details)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{Change: cinch.Change{Type: typ, Entity: entity, Details: d, SQL: sql}}
	p.After = s.Clone()
	if err := p.After.Apply(p.Change); err != nil {
		return Plan{}, err
	}
	if inv, rebuild := kinds[typ].inverse(s, p.Change); inv != nil {
		p.DataDependent, p.Inverse, p.InverseRebuild = true, inv, rebuild
	}
	return p, nil
}

func (s *Schema) table(name string) (*Table, error) {
	if err := cinch.ValidateIdentifier(cinch.KindTable, name); err != nil {
		return nil, err
	}
	t, ok := s.Tables[name]
	if !ok {
		return nil, cinch.NotFound(cinch.ErrTableNotFound, "table", name, "")
	}
	return t, nil
}

func (s *Schema) freeName(kind, name string) error {
	if err := cinch.ValidateIdentifier(kind, name); err != nil {
		return err
	}
	if s.Exists(name) {
		sentinel := map[string]error{cinch.KindTable: cinch.ErrTableExists, cinch.KindView: cinch.ErrViewExists, cinch.KindIndex: cinch.ErrIndexExists}[kind]
		what := "a table"
		if _, ok := s.Views[name]; ok {
			what = "a view"
		} else if _, ok := s.Indexes[name]; ok {
			what = "an index"
		}
		return &cinch.Error{Err: sentinel, Message: fmt.Sprintf("%s %q already exists (%s has that name)", kind, name, what), Hint: "choose another name"}
	}
	return nil
}

func (s *Schema) checkColumns(table string, cols []cinch.Column) error {
	seen := map[string]bool{}
	for _, c := range cols {
		if err := c.Validate(); err != nil {
			return err
		}
		if seen[c.Name] {
			return cinch.Errorf(cinch.ErrColumnExists, "column %q is given twice", c.Name).WithHint("give each column once")
		}
		seen[c.Name] = true
		if fk := c.ForeignKey; fk != nil {
			target, ok := s.Tables[fk.Table]
			if fk.Table == table {
				target, ok = &Table{Name: table, Columns: cols}, true
			}
			if !ok {
				return cinch.NotFound(cinch.ErrTableNotFound, "table", fk.Table, "the foreign key of column "+c.Name+" must reference an existing table")
			}
			if fk.Column != "id" {
				tc := target.Column(fk.Column)
				if tc == nil {
					return cinch.NotFound(cinch.ErrColumnNotFound, "column", fk.Table+"."+fk.Column, "the foreign key of column "+c.Name+" must reference an existing column")
				}
				if !tc.Unique {
					return cinch.Errorf(cinch.ErrInvalidInput, "foreign key %s.%s -> %s.%s: the referenced column must be unique", table, c.Name, fk.Table, fk.Column).
						WithHint("reference id, or a column created with :unique")
				}
			}
		}
	}
	return nil
}

// PlanCreateTable plans CREATE_TABLE.
func PlanCreateTable(s *Schema, name string, cols []cinch.Column) (Plan, error) {
	if err := s.freeName(cinch.KindTable, name); err != nil {
		return Plan{}, err
	}
	if err := s.checkColumns(name, cols); err != nil {
		return Plan{}, err
	}
	t := &Table{Name: name, Columns: cols}
	if t.Columns == nil {
		t.Columns = []cinch.Column{}
	}
	return newPlan(s, cinch.ChangeCreateTable, name, cinch.DetailsCreateTable{Table: name, Columns: t.Columns},
		[]string{CreateTableSQL(t, name), TriggerSQL(name)})
}

// PlanCopyTable plans COPY_TABLE: the same columns (and constraints), with
// or without the rows. Indexes are not copied: create them on the copy.
func PlanCopyTable(s *Schema, source, target string, noData bool) (Plan, error) {
	src, err := s.table(source)
	if err != nil {
		return Plan{}, err
	}
	if err := s.freeName(cinch.KindTable, target); err != nil {
		return Plan{}, err
	}
	t := &Table{Name: target, Columns: slices.Clone(src.Columns)}
	sql := []string{CreateTableSQL(t, target), TriggerSQL(target)}
	if !noData {
		sql = append(sql, "INSERT INTO "+Quote(target)+" SELECT * FROM "+Quote(source))
	}
	return newPlan(s, cinch.ChangeCopyTable, target, cinch.DetailsCreateTable{Table: target, Source: source, NoData: noData}, sql)
}

// PlanDropTable plans DROP_TABLE; refused while views, or other tables'
// foreign keys, depend on it.
func PlanDropTable(s *Schema, name string) (Plan, error) {
	if _, err := s.table(name); err != nil {
		return Plan{}, err
	}
	for _, other := range s.TableNames() {
		if other == name {
			continue
		}
		for _, c := range s.Tables[other].Columns {
			if c.ForeignKey != nil && c.ForeignKey.Table == name {
				return Plan{}, cinch.Errorf(cinch.ErrInvalidInput, "table %q is referenced by the foreign key %s.%s", name, other, c.Name).
					WithHint("drop that column or table first")
			}
		}
	}
	if v := s.viewsUsing(name, ""); len(v) > 0 {
		return Plan{}, cinch.Errorf(cinch.ErrInvalidInput, "table %q is used by view(s) %s", name, strings.Join(v, ", ")).WithHint("delete or update those views first")
	}
	return newPlan(s, cinch.ChangeDropTable, name, cinch.DetailsTable{Table: name}, []string{"DROP TABLE " + Quote(name)})
}

// PlanRenameTable plans RENAME_TABLE. SQLite rewrites the indexes, views,
// triggers and foreign keys that name the table; the updated_at trigger
// keeps working but is recreated under the new table's name, so the old
// name is free for a new table.
func PlanRenameTable(s *Schema, oldName, newName string) (Plan, error) {
	if _, err := s.table(oldName); err != nil {
		return Plan{}, err
	}
	if err := s.freeName(cinch.KindTable, newName); err != nil {
		return Plan{}, err
	}
	return newPlan(s, cinch.ChangeRenameTable, oldName, cinch.DetailsRename{Table: oldName, Old: oldName, New: newName}, []string{
		"ALTER TABLE " + Quote(oldName) + " RENAME TO " + Quote(newName),
		"DROP TRIGGER " + Quote(TriggerName(oldName)),
		TriggerSQL(newName),
	})
}

// viewsUsing returns views whose SQL mentions table (and column, if given)
// as a word. A conservative test: it may name a view that does not really
// depend on it, never miss one that does; the template check catches the rest.
func (s *Schema) viewsUsing(table, column string) []string {
	var out []string
	for _, v := range s.ViewNames() {
		body := strings.ToLower(s.Views[v])
		if containsWord(body, table) && (column == "" || containsWord(body, column) || strings.Contains(body, "*")) {
			out = append(out, v)
		}
	}
	return out
}

func containsWord(s, w string) bool {
	isWord := func(b byte) bool { return b == '_' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(w)
		if (j == 0 || !isWord(s[j-1])) && (end == len(s) || !isWord(s[end])) {
			return true
		}
		i = j + 1
	}
}

// PlanAddColumn plans ADD_COLUMN. A plain column is an ALTER TABLE ADD
// COLUMN; a UNIQUE one needs a rebuild and, with a default, may fail on
// tenants with more than one row, so it is data-dependent.
func PlanAddColumn(s *Schema, table string, col cinch.Column) (Plan, error) {
	t, err := s.table(table)
	if err != nil {
		return Plan{}, err
	}
	if err := col.Validate(); err != nil {
		return Plan{}, err
	}
	if t.HasColumn(col.Name) {
		return Plan{}, cinch.Exists(cinch.ErrColumnExists, "column", table+"."+col.Name)
	}
	if !col.Nullable && col.Default == nil {
		return Plan{}, cinch.Errorf(cinch.ErrInvalidInput, "cannot add NOT NULL column %q to %q without a default: existing rows would have no value", col.Name, table).
			WithHint("give it a default value, or add it nullable and make it NOT NULL later with a value for the NULLs")
	}
	if err := s.checkColumns(table, append(slices.Clone(t.Columns), col)); err != nil {
		return Plan{}, err
	}
	if col.ForeignKey != nil && col.Default != nil {
		return Plan{}, cinch.Errorf(cinch.ErrInvalidInput, "cannot add foreign key column %q with a default", col.Name).WithHint("add it without a default")
	}
	details := cinch.DetailsColumn{Table: table, Column: col}
	if !col.Unique {
		return newPlan(s, cinch.ChangeAddColumn, table, details,
			[]string{"ALTER TABLE " + Quote(table) + " ADD COLUMN " + ColumnDef(col)})
	}
	after := s.Clone()
	nt := after.Tables[table]
	nt.Columns = append(nt.Columns, col)
	p, err := newPlan(s, cinch.ChangeAddColumn, table, details, RebuildSQL(after, nt, map[string]string{col.Name: ""}))
	if err != nil {
		return Plan{}, err
	}
	p.Change.Rebuild = true
	return p, nil
}

// PlanDropColumn plans DROP_COLUMN (a rebuild that keeps everything else).
func PlanDropColumn(s *Schema, table, column string) (Plan, error) {
	col, err := s.column(table, column)
	if err != nil {
		return Plan{}, err
	}
	for _, name := range s.IndexNames() {
		if idx := s.Indexes[name]; idx.Table == table && slices.Contains(idx.Columns, column) {
			return Plan{}, &cinch.Error{Err: cinch.ErrInvalidInput, Entity: fmt.Sprintf("index %q", name),
				Message: fmt.Sprintf("column %s.%s is used by index %q", table, column, name), Hint: "delete the index first"}
		}
	}
	for _, other := range s.TableNames() {
		for _, c := range s.Tables[other].Columns {
			if fk := c.ForeignKey; fk != nil && fk.Table == table && fk.Column == column {
				return Plan{}, cinch.Errorf(cinch.ErrInvalidInput, "column %s.%s is referenced by the foreign key %s.%s", table, column, other, c.Name).WithHint("drop that column first")
			}
		}
	}
	if v := s.viewsUsing(table, column); len(v) > 0 {
		return Plan{}, cinch.Errorf(cinch.ErrInvalidInput, "column %s.%s may be used by view(s) %s", table, column, strings.Join(v, ", ")).WithHint("update or delete those views first")
	}
	after := s.Clone()
	nt := after.Tables[table]
	nt.Columns = slices.DeleteFunc(nt.Columns, func(c cinch.Column) bool { return c.Name == column })
	p, err := newPlan(s, cinch.ChangeDropColumn, table, cinch.DetailsColumn{Table: table, Column: *col}, RebuildSQL(after, nt, nil))
	if err != nil {
		return Plan{}, err
	}
	p.Change.Rebuild = true
	return p, nil
}

// PlanRenameColumn plans RENAME_COLUMN (SQLite rewrites indexes, views and
// foreign keys that name it).
func PlanRenameColumn(s *Schema, table, oldName, newName string) (Plan, error) {
	t, err := s.table(table)
	if err != nil {
		return Plan{}, err
	}
	if err := cinch.ValidateColumnName(oldName); err != nil {
		return Plan{}, err
	}
	if err := cinch.ValidateColumnName(newName); err != nil {
		return Plan{}, err
	}
	if t.Column(oldName) == nil {
		return Plan{}, cinch.NotFound(cinch.ErrColumnNotFound, "column", table+"."+oldName, "")
	}
	if t.HasColumn(newName) {
		return Plan{}, cinch.Exists(cinch.ErrColumnExists, "column", table+"."+newName)
	}
	p, err := newPlan(s, cinch.ChangeRenameColumn, table, cinch.DetailsRename{Table: table, Old: oldName, New: newName},
		[]string{"ALTER TABLE " + Quote(table) + " RENAME COLUMN " + Quote(oldName) + " TO " + Quote(newName)})
	if err != nil {
		return Plan{}, err
	}
	// Views keep their text in the model; SQLite rewrote them, so take its text later.
	return p, nil
}

// PlanAlterNullable plans ALTER_COLUMN_NULLABLE (a rebuild). Making a
// column NOT NULL without a fill value depends on the data (no NULLs
// anywhere), so it is prepared on every tenant first and undone if one
// tenant has NULLs.
func PlanAlterNullable(s *Schema, table, column string, nullable bool, fill *string) (Plan, error) {
	col, err := s.column(table, column)
	if err != nil {
		return Plan{}, err
	}
	if col.Nullable == nullable {
		state := "NOT NULL"
		if nullable {
			state = "nullable"
		}
		return Plan{}, cinch.Errorf(cinch.ErrInvalidInput, "column %s.%s is already %s", table, column, state).WithHint("nothing to do")
	}
	if nullable && fill != nil {
		return Plan{}, cinch.Errorf(cinch.ErrInvalidInput, "a fill value only applies when making a column NOT NULL").WithHint("leave the fill value out")
	}
	if fill != nil {
		probe := *col
		probe.Default = fill
		if err := probe.Validate(); err != nil {
			return Plan{}, err
		}
	}
	after := s.Clone()
	nt := after.Tables[table]
	nt.Column(column).Nullable = nullable
	copyCols := map[string]string{}
	if fill != nil {
		copyCols[column] = "COALESCE(" + Quote(column) + ", " + literal(col.Type, *fill) + ")"
	}
	p, err := newPlan(s, cinch.ChangeAlterNullable, table, cinch.DetailsNullable{Table: table, Column: column, Nullable: nullable, FillValue: fill},
		RebuildSQL(after, nt, copyCols))
	if err != nil {
		return Plan{}, err
	}
	p.Change.Rebuild = true
	return p, nil
}

// PlanCreateView plans CREATE_VIEW (or UPDATE_VIEW when replace is set).
// The body must be one read-only statement; the caller checks that on the
// schema template, where it is also compiled against the real schema.
func PlanCreateView(s *Schema, name, body string, replace bool) (Plan, error) {
	body = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(body), ";"))
	if body == "" {
		return Plan{}, cinch.Errorf(cinch.ErrInvalidInput, "view %q needs a SELECT statement", name).WithHint("e.g. SELECT * FROM users WHERE active = 1")
	}
	if replace {
		if err := cinch.ValidateIdentifier(cinch.KindView, name); err != nil {
			return Plan{}, err
		}
		if _, ok := s.Views[name]; !ok {
			return Plan{}, cinch.NotFound(cinch.ErrViewNotFound, "view", name, "create the view first")
		}
		return newPlan(s, cinch.ChangeUpdateView, name, cinch.DetailsView{View: name, SQL: body},
			[]string{"DROP VIEW " + Quote(name), ViewSQL(name, body)})
	}
	if err := s.freeName(cinch.KindView, name); err != nil {
		return Plan{}, err
	}
	return newPlan(s, cinch.ChangeCreateView, name, cinch.DetailsView{View: name, SQL: body}, []string{ViewSQL(name, body)})
}

// PlanDropView plans DROP_VIEW.
func PlanDropView(s *Schema, name string) (Plan, error) {
	if err := cinch.ValidateIdentifier(cinch.KindView, name); err != nil {
		return Plan{}, err
	}
	if _, ok := s.Views[name]; !ok {
		return Plan{}, cinch.NotFound(cinch.ErrViewNotFound, "view", name, "")
	}
	return newPlan(s, cinch.ChangeDropView, name, cinch.DetailsView{View: name}, []string{"DROP VIEW " + Quote(name)})
}

// PlanCreateIndex plans CREATE_INDEX; a UNIQUE index is data-dependent.
func PlanCreateIndex(s *Schema, idx cinch.IndexInfo) (Plan, error) {
	t, err := s.table(idx.Table)
	if err != nil {
		return Plan{}, err
	}
	if len(idx.Columns) == 0 {
		return Plan{}, cinch.Errorf(cinch.ErrInvalidInput, "an index needs at least one column").WithHint("name the columns to index")
	}
	for _, c := range idx.Columns {
		if err := cinch.ValidateIdentifier(cinch.KindColumn, c); err != nil {
			return Plan{}, err
		}
		if !t.HasColumn(c) {
			return Plan{}, cinch.NotFound(cinch.ErrColumnNotFound, "column", idx.Table+"."+c, "")
		}
	}
	if idx.Name == "" {
		idx.Name = "idx_" + idx.Table + "_" + strings.Join(idx.Columns, "_")
		if len(idx.Name) > cinch.MaxNameLength {
			idx.Name = idx.Name[:cinch.MaxNameLength]
		}
	}
	if err := s.freeName(cinch.KindIndex, idx.Name); err != nil {
		return Plan{}, err
	}
	return newPlan(s, cinch.ChangeCreateIndex, idx.Name,
		cinch.DetailsIndex{Index: idx.Name, Table: idx.Table, Columns: idx.Columns, Unique: idx.Unique}, []string{IndexSQL(idx)})
}

// PlanDropIndex plans DROP_INDEX.
func PlanDropIndex(s *Schema, name string) (Plan, error) {
	if err := cinch.ValidateIdentifier(cinch.KindIndex, name); err != nil {
		return Plan{}, err
	}
	idx, ok := s.Indexes[name]
	if !ok {
		return Plan{}, cinch.NotFound(cinch.ErrIndexNotFound, "index", name, "")
	}
	return newPlan(s, cinch.ChangeDropIndex, name, cinch.DetailsIndex{Index: name, Table: idx.Table}, []string{"DROP INDEX " + Quote(name)})
}

// column finds an existing column of an existing table.
func (s *Schema) column(table, column string) (*cinch.Column, error) {
	t, err := s.table(table)
	if err != nil {
		return nil, err
	}
	if err := cinch.ValidateColumnName(column); err != nil {
		return nil, err
	}
	col := t.Column(column)
	if col == nil {
		return nil, cinch.NotFound(cinch.ErrColumnNotFound, "column", table+"."+column, "")
	}
	return col, nil
}
