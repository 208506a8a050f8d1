package local

import (
	"context"
	"path/filepath"
	"slices"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/cinchdb/cinch/sqlite"
)

func dirOf(path string) string { return filepath.Dir(path) }

type tables struct{ d *DB }

var _ cinch.TableService = tables{}

func tableInfo(b *branch, s *schema.Schema, t *schema.Table) cinch.TableInfo {
	info := cinch.TableInfo{Name: t.Name, Columns: columnInfos(t), Indexes: []cinch.IndexInfo{}}
	for _, n := range s.IndexNames() {
		if idx := s.Indexes[n]; idx.Table == t.Name {
			info.Indexes = append(info.Indexes, idx)
		}
	}
	b.withTemplate(func(c *sqlite.Conn) error {
		info.SQL = c.ObjectSQL(t.Name)
		return nil
	})
	return info
}

func columnInfos(t *schema.Table) []cinch.ColumnInfo {
	out := []cinch.ColumnInfo{
		{Name: "id", Type: "TEXT", PrimaryKey: true, Automatic: true},
		{Name: "created_at", Type: "TEXT", Automatic: true},
		{Name: "updated_at", Type: "TEXT", Automatic: true},
	}
	for _, c := range t.Columns {
		out = append(out, cinch.ColumnInfo{Name: c.Name, Type: string(c.Type), Nullable: c.Nullable, Unique: c.Unique,
			Default: c.Default, ForeignKey: c.ForeignKey})
	}
	return out
}

func (t tables) List(ctx context.Context) ([]cinch.TableInfo, error) {
	b, s, err := t.d.schema(ctx)
	if err != nil {
		return nil, err
	}
	out := []cinch.TableInfo{}
	for _, n := range s.TableNames() {
		out = append(out, tableInfo(b, s, s.Tables[n]))
	}
	return out, nil
}

func (t tables) Info(ctx context.Context, name string) (cinch.TableInfo, error) {
	b, s, err := t.d.schema(ctx)
	if err != nil {
		return cinch.TableInfo{}, err
	}
	tb, err := tableFor(s, name)
	if err != nil {
		return cinch.TableInfo{}, err
	}
	return tableInfo(b, s, tb), nil
}

func (t tables) Create(ctx context.Context, name string, cols []cinch.Column) (cinch.Change, error) {
	return t.d.change(ctx, func(s *schema.Schema) (schema.Plan, error) { return schema.PlanCreateTable(s, name, cols) })
}

func (t tables) Copy(ctx context.Context, source, target string, noData bool) (cinch.Change, error) {
	return t.d.change(ctx, func(s *schema.Schema) (schema.Plan, error) { return schema.PlanCopyTable(s, source, target, noData) })
}

func (t tables) Drop(ctx context.Context, name string) (cinch.Change, error) {
	return t.d.change(ctx, func(s *schema.Schema) (schema.Plan, error) { return schema.PlanDropTable(s, name) })
}

type columns struct{ d *DB }

var _ cinch.ColumnService = columns{}

func (c columns) List(ctx context.Context, table string) ([]cinch.ColumnInfo, error) {
	_, s, err := c.d.schema(ctx)
	if err != nil {
		return nil, err
	}
	t, err := tableFor(s, table)
	if err != nil {
		return nil, err
	}
	return columnInfos(t), nil
}

func (c columns) Add(ctx context.Context, table string, col cinch.Column) (cinch.Change, error) {
	return c.d.change(ctx, func(s *schema.Schema) (schema.Plan, error) { return schema.PlanAddColumn(s, table, col) })
}

func (c columns) Drop(ctx context.Context, table, column string) (cinch.Change, error) {
	return c.d.change(ctx, func(s *schema.Schema) (schema.Plan, error) { return schema.PlanDropColumn(s, table, column) })
}

func (c columns) Rename(ctx context.Context, table, oldName, newName string) (cinch.Change, error) {
	return c.d.change(ctx, func(s *schema.Schema) (schema.Plan, error) {
		return schema.PlanRenameColumn(s, table, oldName, newName)
	})
}

func (c columns) AlterNullable(ctx context.Context, table, column string, nullable bool, fill *string) (cinch.Change, error) {
	return c.d.change(ctx, func(s *schema.Schema) (schema.Plan, error) {
		return schema.PlanAlterNullable(s, table, column, nullable, fill)
	})
}

type views struct{ d *DB }

var _ cinch.ViewService = views{}

func (v views) List(ctx context.Context) ([]cinch.ViewInfo, error) {
	b, s, err := v.d.schema(ctx)
	if err != nil {
		return nil, err
	}
	out := []cinch.ViewInfo{}
	for _, n := range s.ViewNames() {
		out = append(out, viewInfo(b, s, n))
	}
	return out, nil
}

func viewInfo(b *branch, s *schema.Schema, name string) cinch.ViewInfo {
	info := cinch.ViewInfo{Name: name, SQL: s.Views[name]}
	b.withTemplate(func(c *sqlite.Conn) error {
		if sql := c.ObjectSQL(name); sql != "" {
			info.SQL = sql
		}
		return nil
	})
	return info
}

func (v views) Info(ctx context.Context, name string) (cinch.ViewInfo, error) {
	if err := cinch.ValidateIdentifier(cinch.KindView, name); err != nil {
		return cinch.ViewInfo{}, err
	}
	b, s, err := v.d.schema(ctx)
	if err != nil {
		return cinch.ViewInfo{}, err
	}
	if _, ok := s.Views[name]; !ok {
		return cinch.ViewInfo{}, cinch.NotFound(cinch.ErrViewNotFound, "view", name, "")
	}
	return viewInfo(b, s, name), nil
}

// checkViewBody makes sure a view body is one read-only statement that
// passes the query guard, on the template (so it compiles against the
// real schema).
func (v views) checkViewBody(ctx context.Context, body string) error {
	b, err := v.d.branch(ctx)
	if err != nil {
		return err
	}
	return b.useTemplate(func(c *sqlite.Conn) error {
		ro, err := c.IsReadOnly(body)
		if err != nil {
			return err
		}
		if !ro {
			return cinch.Errorf(cinch.ErrInvalidInput, "a view must be a SELECT statement").WithHint(`e.g. "SELECT * FROM users WHERE active = 1"`)
		}
		return nil
	})
}

func (v views) Create(ctx context.Context, name, body string) (cinch.Change, error) {
	if err := v.checkViewBody(ctx, body); err != nil {
		return cinch.Change{}, err
	}
	return v.d.change(ctx, func(s *schema.Schema) (schema.Plan, error) { return schema.PlanCreateView(s, name, body, false) })
}

func (v views) Update(ctx context.Context, name, body string) (cinch.Change, error) {
	if err := v.checkViewBody(ctx, body); err != nil {
		return cinch.Change{}, err
	}
	return v.d.change(ctx, func(s *schema.Schema) (schema.Plan, error) { return schema.PlanCreateView(s, name, body, true) })
}

func (v views) Drop(ctx context.Context, name string) (cinch.Change, error) {
	return v.d.change(ctx, func(s *schema.Schema) (schema.Plan, error) { return schema.PlanDropView(s, name) })
}

type indexes struct{ d *DB }

var _ cinch.IndexService = indexes{}

func (x indexes) List(ctx context.Context, table string) ([]cinch.IndexInfo, error) {
	_, s, err := x.d.schema(ctx)
	if err != nil {
		return nil, err
	}
	if table != "" {
		if _, err := tableFor(s, table); err != nil {
			return nil, err
		}
	}
	out := []cinch.IndexInfo{}
	for _, n := range s.IndexNames() {
		if idx := s.Indexes[n]; table == "" || idx.Table == table {
			idx.Columns = slices.Clone(idx.Columns)
			out = append(out, idx)
		}
	}
	return out, nil
}

func (x indexes) Create(ctx context.Context, idx cinch.IndexInfo) (cinch.Change, error) {
	return x.d.change(ctx, func(s *schema.Schema) (schema.Plan, error) { return schema.PlanCreateIndex(s, idx) })
}

func (x indexes) Drop(ctx context.Context, name string) (cinch.Change, error) {
	return x.d.change(ctx, func(s *schema.Schema) (schema.Plan, error) { return schema.PlanDropIndex(s, name) })
}
