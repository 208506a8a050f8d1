package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
)

func (a *app) viewCommand() *cobra.Command {
	return withWait(group("view", "Manage views of the active branch (changes reach every tenant)",
		`  cinch view create active_users "SELECT * FROM users WHERE phone IS NOT NULL"
  cinch view list`,
		a.viewListCommand(), a.viewCreateCommand(), a.viewUpdateCommand(), a.viewInfoCommand(), a.viewDeleteCommand()))
}

func (a *app) viewListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the views",
		Example: "  cinch view list\n  cinch view list --format json",
		Args:    noArgs(),
		RunE: a.runE(call{run: func(ctx context.Context, db cinch.DB, args []string) error {
			list, err := db.Views().List(ctx)
			if err != nil {
				return err
			}
			return emitList(a, list, []string{"name", "sql"}, func(v cinch.ViewInfo) []string { return []string{v.Name, v.SQL} })
		}}),
	}
}

// viewSaveCommand is view create and view update: save, the engine call,
// is Views().Create or Views().Update.
func (a *app) viewSaveCommand(use, short, example, verb string, save func(s cinch.ViewService, ctx context.Context, name, sql string) (cinch.Change, error)) *cobra.Command {
	return &cobra.Command{
		Use:     use,
		Short:   short,
		Long:    short + ". SQL is the SELECT the view runs; quote it as one argument (words after NAME are joined with spaces).",
		Example: example,
		Args:    minArgs(2),
		RunE: a.runE(call{names: names(cinch.KindView, ""), run: func(ctx context.Context, db cinch.DB, args []string) error {
			ch, err := save(db.Views(), ctx, args[0], strings.Join(args[1:], " "))
			return a.changed(ctx, db, ch, err, verb+" view "+args[0])
		}}),
	}
}

func (a *app) viewCreateCommand() *cobra.Command {
	return a.viewSaveCommand("create NAME SQL", "Create a view",
		`  cinch view create active_users "SELECT id, name, email FROM users WHERE phone IS NOT NULL"`, "Created", cinch.ViewService.Create)
}

func (a *app) viewUpdateCommand() *cobra.Command {
	return a.viewSaveCommand("update NAME SQL", "Replace a view's SQL",
		`  cinch view update active_users "SELECT id, name FROM users"`, "Updated", cinch.ViewService.Update)
}

func (a *app) viewInfoCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "info NAME",
		Short:   "Show a view's SQL",
		Example: "  cinch view info active_users",
		Args:    exactArgs(1),
		RunE: a.runE(call{names: names(cinch.KindView), run: func(ctx context.Context, db cinch.DB, args []string) error {
			v, err := db.Views().Info(ctx, args[0])
			if err != nil {
				return err
			}
			return a.emitFields(v, [][2]string{{"name", v.Name}, {"sql", v.SQL}})
		}}),
	}
}

func (a *app) viewDeleteCommand() *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a view on every tenant",
		Example: "  cinch view delete active_users --force",
		Args:    exactArgs(1),
		RunE: a.runE(call{names: names(cinch.KindView), run: func(ctx context.Context, db cinch.DB, args []string) error {
			name := args[0]
			if _, err := db.Views().Info(ctx, name); err != nil {
				return err
			}
			if err := a.confirm(force, "view "+name); err != nil {
				return err
			}
			ch, err := db.Views().Drop(ctx, name)
			return a.changed(ctx, db, ch, err, "Deleted view "+name)
		}}),
	}
	forceFlag(c, &force, "delete without asking")
	return c
}
