// Package schema is cinch's schema logic, without I/O: the model of a
// branch's schema (replayed from its change records), the DDL generated
// from it, planning each kind of change, and planning merges (footprints,
// conflicts, re-planning on the target). Package sqlite runs the SQL it
// plans; package local decides when.
package schema

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/cinchdb/cinch"
)

// Table is a table of the schema model: its user columns in order (the
// automatic id, created_at and updated_at come first in SQL).
type Table struct {
	Name    string         `json:"name"`
	Columns []cinch.Column `json:"columns"`
}

// Column returns the user column named name, or nil.
func (t *Table) Column(name string) *cinch.Column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// HasColumn reports whether name is a user or automatic column.
func (t *Table) HasColumn(name string) bool {
	return slices.Contains(cinch.ReservedColumns, name) || t.Column(name) != nil
}

// Schema is the model of a branch's schema, derived by replaying its
// changes. DDL is generated from it, so every tenant gets the same SQL.
type Schema struct {
	Tables  map[string]*Table          `json:"tables"`
	Views   map[string]string          `json:"views"` // name → SELECT body
	Indexes map[string]cinch.IndexInfo `json:"indexes"`
}

// NewSchema returns an empty schema.
func NewSchema() *Schema {
	return &Schema{Tables: map[string]*Table{}, Views: map[string]string{}, Indexes: map[string]cinch.IndexInfo{}}
}

// Clone returns a deep copy.
func (s *Schema) Clone() *Schema {
	b, _ := json.Marshal(s)
	c := NewSchema()
	json.Unmarshal(b, c)
	return c
}

// TableNames returns the table names, sorted.
func (s *Schema) TableNames() []string { return sortedKeys(s.Tables) }

// ViewNames returns the view names, sorted.
func (s *Schema) ViewNames() []string { return sortedKeys(s.Views) }

// IndexNames returns the index names, sorted.
func (s *Schema) IndexNames() []string { return sortedKeys(s.Indexes) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Exists reports whether any schema object is named name (tables, views
// and indexes share SQLite's namespace).
func (s *Schema) Exists(name string) bool {
	_, t := s.Tables[name]
	_, v := s.Views[name]
	_, i := s.Indexes[name]
	return t || v || i
}

// Apply updates the model with one recorded change.
func (s *Schema) Apply(ch cinch.Change) error {
	k, ok := kinds[ch.Type]
	if !ok {
		return fmt.Errorf("%w: change %s (%s): unknown change type", cinch.ErrInternal, ch.ID, ch.Type)
	}
	if err := k.apply(s, ch); err != nil {
		return fmt.Errorf("%w: change %s (%s): %v", cinch.ErrInternal, ch.ID, ch.Type, err)
	}
	return nil
}

// Quote quotes an SQL identifier.
func Quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// AppendQuoted appends name quoted as Quote does, without allocating a
// string per name (the insert path builds its SQL with it).
func AppendQuoted(b []byte, name string) []byte {
	b = append(b, '"')
	for i := 0; i < len(name); i++ {
		if name[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, name[i])
	}
	return append(b, '"')
}

// QuoteLiteral quotes an SQL string literal.
func QuoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// nowExpr is SQLite's clock in cinch.TimeFormat.
const nowExpr = `strftime('%Y-%m-%dT%H:%M:%fZ','now')`

// uuidExpr makes a random (version 4) UUID for rows inserted by raw SQL
// without an id; the library and API use UUID v7 instead.
const uuidExpr = `lower(hex(randomblob(4))||'-'||hex(randomblob(2))||'-4'||substr(hex(randomblob(2)),2)||'-'||substr('89ab',1+(abs(random())%4),1)||substr(hex(randomblob(2)),2)||'-'||hex(randomblob(6)))`

// literal renders a default value for a column type.
func literal(t cinch.ColumnType, v string) string {
	switch t {
	case cinch.TypeBoolean:
		if strings.EqualFold(v, "true") || v == "1" {
			return "1"
		}
		return "0"
	case cinch.TypeInteger, cinch.TypeReal, cinch.TypeNumeric:
		if _, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "xXpP_") {
			return v
		}
	}
	return QuoteLiteral(v)
}

// ColumnDef renders a user column's definition.
func ColumnDef(c cinch.Column) string {
	var b strings.Builder
	b.WriteString(Quote(c.Name) + " " + string(c.Type))
	if !c.Nullable {
		b.WriteString(" NOT NULL")
	}
	if c.Unique {
		b.WriteString(" UNIQUE")
	}
	if c.Default != nil {
		b.WriteString(" DEFAULT " + literal(c.Type, *c.Default))
	}
	if c.Type == cinch.TypeBoolean {
		b.WriteString(" CHECK (" + Quote(c.Name) + " IN (0, 1))")
	}
	if fk := c.ForeignKey; fk != nil {
		b.WriteString(" REFERENCES " + Quote(fk.Table) + " (" + Quote(fk.Column) + ")")
		if fk.OnDelete != "" {
			b.WriteString(" ON DELETE " + fk.OnDelete)
		}
	}
	return b.String()
}

// CreateTableSQL renders CREATE TABLE for t under the name as.
func CreateTableSQL(t *Table, as string) string {
	defs := []string{
		`"id" TEXT PRIMARY KEY NOT NULL DEFAULT (` + uuidExpr + `)`,
		`"created_at" TEXT NOT NULL DEFAULT (` + nowExpr + `)`,
		`"updated_at" TEXT NOT NULL DEFAULT (` + nowExpr + `)`,
	}
	for _, c := range t.Columns {
		defs = append(defs, ColumnDef(c))
	}
	return "CREATE TABLE " + Quote(as) + " (\n  " + strings.Join(defs, ",\n  ") + "\n)"
}

// TriggerName is the updated_at trigger of a table.
func TriggerName(table string) string { return "__cinch_" + table + "_updated_at" }

// TriggerSQL renders the trigger that moves updated_at on every update that
// did not set it, so raw SQL updates keep the SPEC §4 promise too.
func TriggerSQL(table string) string {
	q := Quote(table)
	return "CREATE TRIGGER " + Quote(TriggerName(table)) + " AFTER UPDATE ON " + q +
		" FOR EACH ROW WHEN NEW.\"updated_at\" IS OLD.\"updated_at\" BEGIN UPDATE " + q +
		" SET \"updated_at\" = " + nowExpr + " WHERE rowid = NEW.rowid; END"
}

// IndexSQL renders CREATE INDEX.
func IndexSQL(idx cinch.IndexInfo) string {
	cols := make([]string, len(idx.Columns))
	for i, c := range idx.Columns {
		cols[i] = Quote(c)
	}
	u := ""
	if idx.Unique {
		u = "UNIQUE "
	}
	return "CREATE " + u + "INDEX " + Quote(idx.Name) + " ON " + Quote(idx.Table) + " (" + strings.Join(cols, ", ") + ")"
}

// ViewSQL renders CREATE VIEW.
func ViewSQL(name, body string) string { return "CREATE VIEW " + Quote(name) + " AS " + body }

// RebuildSQL recreates table from with the definition of to, keeping rows:
// the generalized ALTER TABLE procedure of the SQLite docs (create new,
// copy, drop old, rename, recreate indexes and trigger). copyCols maps each
// column of the new table to an expression over the old one. It runs with
// foreign keys off (Change.Rebuild) and ends with a foreign_key_check.
func RebuildSQL(s *Schema, to *Table, copyCols map[string]string) []string {
	tmp := "__cinch_new_" + to.Name
	names := append([]string{}, cinch.ReservedColumns...)
	for _, c := range to.Columns {
		names = append(names, c.Name)
	}
	var dst, src []string
	for _, n := range names {
		expr, ok := copyCols[n]
		if !ok {
			expr = Quote(n)
		}
		if expr == "" { // new column: leave to its default
			continue
		}
		dst = append(dst, Quote(n))
		src = append(src, expr)
	}
	stmts := []string{
		CreateTableSQL(to, tmp),
		"INSERT INTO " + Quote(tmp) + " (" + strings.Join(dst, ", ") + ") SELECT " + strings.Join(src, ", ") + " FROM " + Quote(to.Name),
		"DROP TABLE " + Quote(to.Name),
		// legacy mode: views naming the table are not re-checked mid-rebuild.
		"PRAGMA legacy_alter_table=ON",
		"ALTER TABLE " + Quote(tmp) + " RENAME TO " + Quote(to.Name),
		"PRAGMA legacy_alter_table=OFF",
		TriggerSQL(to.Name),
	}
	for _, name := range s.IndexNames() {
		if idx := s.Indexes[name]; idx.Table == to.Name {
			stmts = append(stmts, IndexSQL(idx))
		}
	}
	return stmts
}
