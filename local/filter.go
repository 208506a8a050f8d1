package local

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/cinchdb/cinch/sqlite"
)

// Row filters (cinch.FilterQuerier): SELECT, UPDATE and DELETE built from
// a table of the schema model and checked filters. Only names that the
// model has are written into the SQL, always quoted, and operators come
// from a fixed table; every value is a bound parameter.

var _ cinch.FilterQuerier = filters{}

// filters is cinch.FilterQuerier on a DB's tenant; DB's methods of the
// same names call it.
type filters struct{ d *DB }

// sqlOps is the SQL of each comparison operator.
var sqlOps = map[cinch.Op]string{
	cinch.OpEq: "=", cinch.OpNe: "<>", cinch.OpGt: ">", cinch.OpGe: ">=", cinch.OpLt: "<", cinch.OpLe: "<=",
	cinch.OpLike: "LIKE",
}

// columnType returns the type of a column of t, automatic ones included.
func columnType(t *schema.Table, name string) (cinch.ColumnType, error) {
	if c := t.Column(name); c != nil {
		return c.Type, nil
	}
	for _, r := range cinch.ReservedColumns {
		if name == r {
			return cinch.TypeText, nil // id, created_at, updated_at
		}
	}
	return "", cinch.NotFound(cinch.ErrColumnNotFound, "column", t.Name+"."+name, "")
}

// filterValue is a filter value as bound for a column of type typ: text
// from the text form (the CLI, URLs) that says true or false matches a
// BOOLEAN column, which stores 1 and 0. Other text is left to SQLite's
// affinity ("30" compares as 30 with an INTEGER column).
func filterValue(typ cinch.ColumnType, v any) any {
	if s, ok := v.(string); ok && typ == cinch.TypeBoolean {
		switch strings.ToLower(s) {
		case "true":
			return true
		case "false":
			return false
		}
	}
	return v
}

// whereSQL checks filters against t and returns the condition ("" for
// none) and its parameters.
func whereSQL(t *schema.Table, where []cinch.Filter) (string, []any, error) {
	var conds []string
	var args []any
	for _, f := range where {
		if err := f.Validate(); err != nil {
			return "", nil, err
		}
		if f.Op == cinch.OpAll {
			continue
		}
		typ, err := columnType(t, f.Column)
		if err != nil {
			return "", nil, err
		}
		c := schema.Quote(f.Column)
		switch f.Op {
		case cinch.OpIsNull:
			conds = append(conds, c+" IS NULL")
		case cinch.OpNotNull:
			conds = append(conds, c+" IS NOT NULL")
		case cinch.OpIn:
			conds = append(conds, c+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.Values)), ", ")+")")
			for _, v := range f.Values {
				args = append(args, filterValue(typ, v))
			}
		case cinch.OpLike:
			conds = append(conds, c+" LIKE ?")
			args = append(args, f.Values[0])
		default:
			op, ok := sqlOps[f.Op]
			if !ok { // Validate knows every operator; this is a guard
				return "", nil, fmt.Errorf("%w: filter operator %q has no SQL", cinch.ErrInternal, f.Op)
			}
			conds = append(conds, c+" "+op+" ?")
			args = append(args, filterValue(typ, f.Values[0]))
		}
	}
	return strings.Join(conds, " AND "), args, nil
}

// selectSQL builds the SELECT of a Selection on table. Rows are sorted by
// the orders, then by rowid (insertion order), so a page is stable.
// _rowid_ cannot be shadowed: a column name never starts with _.
func selectSQL(model *schema.Schema, table string, sel cinch.Selection) (string, []any, error) {
	t, err := tableFor(model, table)
	if err != nil {
		return "", nil, err
	}
	cond, args, err := whereSQL(t, sel.Where)
	if err != nil {
		return "", nil, err
	}
	var b strings.Builder
	b.WriteString("SELECT * FROM " + schema.Quote(table))
	if cond != "" {
		b.WriteString(" WHERE " + cond)
	}
	b.WriteString(" ORDER BY ")
	for _, o := range sel.OrderBy {
		if err := cinch.ValidateIdentifier(cinch.KindColumn, o.Column); err != nil {
			return "", nil, err
		}
		if _, err := columnType(t, o.Column); err != nil {
			return "", nil, err
		}
		b.WriteString(schema.Quote(o.Column))
		if o.Desc {
			b.WriteString(" DESC")
		}
		b.WriteString(", ")
	}
	b.WriteString("_rowid_")
	switch {
	case sel.Limit > 0:
		b.WriteString(" LIMIT ?")
		args = append(args, sel.Limit)
	case sel.Offset > 0:
		b.WriteString(" LIMIT -1")
	}
	if sel.Offset > 0 {
		b.WriteString(" OFFSET ?")
		args = append(args, sel.Offset)
	}
	return b.String(), args, nil
}

// notInModel reports an error that a fresher schema model may not give.
func notInModel(err error) bool {
	return errors.Is(err, cinch.ErrTableNotFound) || errors.Is(err, cinch.ErrColumnNotFound)
}

// Select returns the rows of table matching every filter (see
// cinch.FilterQuerier).
func (s filters) Select(ctx context.Context, table string, opts ...cinch.SelectOption) (*cinch.Result, error) {
	sel := cinch.NewSelection(opts...)
	return cinch.CollectRows(func(w cinch.RowWriter) (*cinch.Result, error) {
		return s.SelectTo(ctx, cinch.QueryOptions{}, w, table, sel)
	})
}

// SelectTo streams the rows of table matching sel to w. It is a read-only
// query: a lazy tenant answers from the schema and stays lazy.
func (s filters) SelectTo(ctx context.Context, opts cinch.QueryOptions, w cinch.RowWriter, table string, sel cinch.Selection) (*cinch.Result, error) {
	d := s.d
	if err := sel.Validate(); err != nil {
		return nil, err
	}
	b, err := d.branch(ctx)
	if err != nil {
		return nil, err
	}
	q, args, err := selectSQL(b.cachedSchema(), table, sel)
	if notInModel(err) { // perhaps added by another process: reload
		var model *schema.Schema
		if _, model, err = b.state(ctx); err == nil {
			q, args, err = selectSQL(model, table, sel)
		}
	}
	if err != nil {
		return nil, err
	}
	opts.ReadOnly = true
	return d.QueryTo(ctx, opts, w, q, args...)
}

// checkWhere refuses an empty filter list for a write: every row must be
// asked for (cinch.AllRows).
func checkWhere(verb, table string, where []cinch.Filter) error {
	if len(where) == 0 {
		return &cinch.Error{Err: cinch.ErrInvalidInput,
			Message: fmt.Sprintf("refusing to %s every row of table %q: no filter given", verb, table),
			Hint:    "give a filter, or cinch.AllRows() to mean every row"}
	}
	for _, f := range where {
		if err := f.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// writeWhere runs a filtered write: build makes the statement from the
// table (its names and values checked), and it runs on the tenant's
// writer. A lazy tenant has no rows: it is checked and stays lazy. A name
// the cached model lacks is looked up again in a reloaded one.
func (s filters) writeWhere(ctx context.Context, table string, build func(t *schema.Table) (string, []any, error)) (int64, error) {
	d := s.d
	var n int64
	err := d.use(ctx, func(h *handle) error {
		run := func(model *schema.Schema) error {
			t, err := tableFor(model, table)
			if err != nil {
				return err
			}
			q, args, err := build(t)
			if err != nil || h.lazy {
				return err
			}
			return h.useWriter(func(w *sqlite.Conn) error {
				res, err := w.Query(ctx, cinch.QueryOptions{}, q, args...)
				if err == nil {
					n = res.RowsAffected
				}
				return err
			})
		}
		err := run(h.b.cachedSchema())
		if notInModel(err) {
			_, model, rerr := h.b.state(ctx)
			if rerr != nil {
				return rerr
			}
			err = run(model)
		}
		return err
	})
	return n, err
}

// UpdateWhere sets the columns of rec, and updated_at, on every row of
// table matching all filters, in one statement, and returns how many.
func (s filters) UpdateWhere(ctx context.Context, table string, where []cinch.Filter, rec cinch.Record) (int64, error) {
	if err := checkWhere("update", table, where); err != nil {
		return 0, err
	}
	return s.writeWhere(ctx, table, func(t *schema.Table) (string, []any, error) {
		names, vals, err := recordArgs(t, rec, false)
		if err != nil {
			return "", nil, err
		}
		cond, args, err := whereSQL(t, where)
		if err != nil {
			return "", nil, err
		}
		sets := make([]string, 0, len(names)+1)
		for _, n := range names {
			sets = append(sets, schema.Quote(n)+" = ?")
		}
		sets = append(sets, `"updated_at" = ?`)
		vals = append(vals, s.d.now())
		q := "UPDATE " + schema.Quote(table) + " SET " + strings.Join(sets, ", ")
		if cond != "" {
			q += " WHERE " + cond
		}
		return q, append(vals, args...), nil
	})
}

// DeleteWhere removes every row of table matching all filters, in one
// statement, and returns how many.
func (s filters) DeleteWhere(ctx context.Context, table string, where []cinch.Filter) (int64, error) {
	if err := checkWhere("delete", table, where); err != nil {
		return 0, err
	}
	return s.writeWhere(ctx, table, func(t *schema.Table) (string, []any, error) {
		cond, args, err := whereSQL(t, where)
		if err != nil {
			return "", nil, err
		}
		q := "DELETE FROM " + schema.Quote(table)
		if cond != "" {
			q += " WHERE " + cond
		}
		return q, args, nil
	})
}
