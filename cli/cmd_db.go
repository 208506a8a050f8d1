package cli

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func (a *app) dbCommand() *cobra.Command {
	return group("db", "Manage databases (named schema histories)",
		"  cinch db list\n  cinch db create myapp --switch\n  cinch db info myapp",
		a.dbListCommand(), a.dbCreateCommand(), a.dbSwitchCommand(), a.dbInfoCommand(), a.dbDeleteCommand())
}

type dbEntry struct {
	cinch.DatabaseInfo
	Active bool `json:"active"`
}

func (a *app) dbListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the databases",
		Example: "  cinch db list\n  cinch db list --format json",
		Args:    noArgs(),
		RunE: a.runE(call{project: func(ctx context.Context, p *local.Project, args []string) error {
			active, _, err := a.scope(ctx)
			if err != nil {
				return err
			}
			dbs, err := p.Databases(ctx)
			if err != nil {
				return err
			}
			entries := make([]dbEntry, len(dbs))
			for i, d := range dbs {
				entries[i] = dbEntry{d, d.Name == active}
				entries[i].Branches = orEmpty(d.Branches)
			}
			return emitList(a, entries, []string{"name", "branches", "active"}, func(e dbEntry) []string {
				return []string{e.Name, strings.Join(e.Branches, ", "), yesNo(e.Active)}
			})
		}}),
	}
}

func (a *app) dbCreateCommand() *cobra.Command {
	var switchTo bool
	c := &cobra.Command{
		Use:     "create NAME",
		Short:   "Create a database with branch main and tenant main",
		Example: "  cinch db create myapp\n  cinch db create saas_app --switch",
		Args:    exactArgs(1),
		RunE: a.runE(call{names: names(cinch.KindDatabase), project: func(ctx context.Context, p *local.Project, args []string) error {
			name := args[0]
			if err := p.CreateDatabase(ctx, name); err != nil {
				return err
			}
			msg := "Created database " + name
			if switchTo {
				if err := p.SetActive(name, cinch.DefaultBranch); err != nil {
					return err
				}
				msg += " and switched to it"
			}
			return a.done(map[string]any{"name": name, "active": switchTo}, "%s", msg)
		}}),
	}
	c.Flags().BoolVar(&switchTo, "switch", false, "make the new database the active one")
	return c
}

func (a *app) dbSwitchCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "switch NAME",
		Short:   "Make a database the active one (on its branch main)",
		Example: "  cinch db switch myapp",
		Args:    exactArgs(1),
		RunE: a.runE(call{names: names(cinch.KindDatabase), project: func(ctx context.Context, p *local.Project, args []string) error {
			name := args[0]
			if _, err := p.DatabaseInfo(ctx, name); err != nil {
				return err
			}
			if err := p.SetActive(name, cinch.DefaultBranch); err != nil {
				return err
			}
			return a.done(map[string]string{"database": name, "branch": cinch.DefaultBranch},
				"Switched to database %s (branch %s)", name, cinch.DefaultBranch)
		}}),
	}
}

func (a *app) dbInfoCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "info [NAME]",
		Short:   "Describe a database (default: the active one)",
		Example: "  cinch db info\n  cinch db info myapp --format json",
		Args:    rangeArgs(0, 1),
		RunE: a.runE(call{project: func(ctx context.Context, p *local.Project, args []string) error {
			active, _, err := a.scope(ctx)
			if err != nil {
				return err
			}
			name := active
			if len(args) == 1 {
				name = args[0]
				if err := cinch.ValidateDatabaseName(name); err != nil {
					return err
				}
			}
			info, err := p.DatabaseInfo(ctx, name)
			if err != nil {
				return err
			}
			info.Branches = orEmpty(info.Branches)
			e := dbEntry{info, info.Name == active}
			return a.emitFields(e, [][2]string{
				{"name", info.Name},
				{"branches", strings.Join(info.Branches, ", ")},
				{"branch count", strconv.Itoa(len(info.Branches))},
				{"active", yesNo(e.Active)},
			})
		}}),
	}
}

func (a *app) dbDeleteCommand() *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a database with all its branches and tenants",
		Example: "  cinch db delete myapp --force",
		Args:    exactArgs(1),
		RunE: a.runE(call{names: names(cinch.KindDatabase), project: func(ctx context.Context, p *local.Project, args []string) error {
			name := args[0]
			if _, err := p.DatabaseInfo(ctx, name); err != nil {
				return err
			}
			if err := a.confirm(force, "database "+name+" with all its branches and tenants"); err != nil {
				return err
			}
			if err := p.DeleteDatabase(ctx, name); err != nil {
				return err
			}
			return a.done(map[string]string{"deleted": name}, "Deleted database %s", name)
		}}),
	}
	forceFlag(c, &force, "delete without asking")
	return c
}
