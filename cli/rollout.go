package cli

import (
	"context"
	"sync"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
)

// A schema change returns once it is committed and the tenants open in the
// process have it (the CLI has none open): tenants catch up on their next
// query, or with cinch tenant migrate. --wait on the schema commands (table,
// column, view, index) keeps the old behaviour: return when every tenant
// has the change, with a progress bar.

// waitUsage is the help of --wait.
const waitUsage = "return only once every tenant has the change (progress bar on a terminal); without it a change returns once committed, and tenants catch up on their next query or with `cinch tenant migrate --all`"

// withWait gives a group of schema commands the --wait flag.
func withWait(c *cobra.Command) *cobra.Command {
	c.PersistentFlags().Bool("wait", false, waitUsage)
	return c
}

// rolloutFinishKey holds, in a command's context, the function that
// removes its rollout progress bar (changed calls it before printing).
type rolloutFinishKey struct{}

// rolloutContext returns ctx under cinch.WaitForRollout, with a progress
// bar, when cmd's --wait is set; finish removes the bar (it may be called
// more than once).
func (a *app) rolloutContext(ctx context.Context, cmd *cobra.Command) (_ context.Context, finish func()) {
	f := cmd.Flag("wait")
	if f == nil || f.Value.String() != "true" {
		return ctx, func() {}
	}
	cb, done := a.progress(ctx, "rollout")
	finish = sync.OnceFunc(done)
	ctx = context.WithValue(ctx, rolloutFinishKey{}, finish)
	return cinch.WaitForRollout(ctx, cb), finish
}

// finishRollout removes the rollout progress bar of ctx, if any.
func finishRollout(ctx context.Context) {
	if f, ok := ctx.Value(rolloutFinishKey{}).(func()); ok {
		f()
	}
}
