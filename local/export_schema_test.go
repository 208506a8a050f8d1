package local

import (
	"context"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
)

// ChangeWith makes a tracked change on d's branch from any planner,
// through the same rollout as the services: for change types no service
// offers (RENAME_TABLE).
func ChangeWith(ctx context.Context, d *DB, plan func(*schema.Schema) (schema.Plan, error)) (cinch.Change, error) {
	return d.change(ctx, plan)
}
