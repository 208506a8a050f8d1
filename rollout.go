package cinch

import "context"

// rolloutWaitKey is the context key of WaitForRollout.
type rolloutWaitKey struct{}

// rolloutWait is what WaitForRollout stores.
type rolloutWait struct{ progress func(done, total int) }

// WaitForRollout returns a context under which a schema change (a table,
// column, view or index change) returns only once every materialized
// tenant of the branch has the new schema, calling progress (when not nil)
// after each tenant with the number done and the total; calls do not
// overlap. Without it, a change that cannot fail on data returns at its
// commit point, once the tenants open in the process are migrated: every
// other tenant is caught up before its next query, in any process, and a
// server converges them in the background. Either way, when the change
// returns every tenant sees the new schema on its next query. A change
// that can fail on data (a UNIQUE index, NOT NULL without a fill value)
// always reads every tenant before it returns.
func WaitForRollout(ctx context.Context, progress func(done, total int)) context.Context {
	return context.WithValue(ctx, rolloutWaitKey{}, rolloutWait{progress: progress})
}

// RolloutWait reports whether ctx was made by WaitForRollout, and its
// progress callback.
func RolloutWait(ctx context.Context) (wait bool, progress func(done, total int)) {
	w, ok := ctx.Value(rolloutWaitKey{}).(rolloutWait)
	return ok, w.progress
}
