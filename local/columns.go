package local

import (
	"context"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
)

// columns is the handle's cinch.ColumnService: the columns of its
// branch's tables, changed through tracked changes (DB.change).
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
