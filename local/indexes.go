package local

import (
	"context"
	"slices"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
)

// indexes is the handle's cinch.IndexService: the indexes of its branch,
// changed through tracked changes (DB.change).
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
