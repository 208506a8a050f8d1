package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
)

func (a *app) tenantMigrateCommand() *cobra.Command {
	var all bool
	c := &cobra.Command{
		Use:   "migrate [NAME...|--all]",
		Short: "Bring tenants that are behind up to the branch's schema now",
		Long: `migrate applies the branch's schema changes to tenants that do not have them
yet. A schema change returns once it is committed (unless given --wait):
tenants nobody has open catch up on their next query, a server converges them
in the background, and migrate does it now: for the named tenants, or with
--all (or no NAME) for every tenant of the branch that is behind. Encrypted
tenants are migrated only when named, with --key. cinch tenant list shows
which tenants are behind, cinch branch info how many. With --server the
server does it (POST .../tenants:migrate), with a key that covers the branch.`,
		Example: "  cinch tenant migrate --all\n  cinch tenant migrate acme_corp",
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if all && len(args) > 0 {
				return usageErrorf("give tenant NAMEs or --all, not both")
			}
			return nil
		},
		RunE: a.runE(call{names: names(cinch.KindTenant), run: func(ctx context.Context, db cinch.DB, args []string) error {
			cb, finish := a.progress(ctx, "migrate")
			res, err := db.Fleet().Migrate(ctx, cinch.FleetOptions{Tenants: args, Progress: cb})
			finish()
			if err != nil {
				return err
			}
			if res.Behind == 0 {
				return a.done(res, "No tenant is behind the branch's schema")
			}
			msg := fmt.Sprintf("Migrated %d %s to the branch's schema", res.Migrated, plural(int64(res.Migrated), "tenant", "tenants"))
			if left := res.Remaining; left > 0 {
				msg += fmt.Sprintf(" (%d encrypted %s left: name %s with --key)", left, plural(int64(left), "tenant", "tenants"), plural(int64(left), "it", "them"))
			}
			return a.done(res, "%s", msg)
		}}),
	}
	c.Flags().BoolVar(&all, "all", false, "every tenant of the branch that is behind (the default without NAME)")
	return c
}
