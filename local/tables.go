package local

import (
	"context"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/cinchdb/cinch/sqlite"
)

// tables is the handle's cinch.TableService: the tables of its branch,
// changed through tracked changes (DB.change).
type tables struct{ d *DB }

var _ cinch.TableService = tables{}

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
