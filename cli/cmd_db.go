package cli

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
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
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := a.open(ctx)
			if err != nil {
				return err
			}
			active, _, err := a.scope(p)
			if err != nil {
				return err
			}
			dbs, err := p.Databases(ctx)
			if err != nil {
				return err
			}
			entries := make([]dbEntry, len(dbs))
			rows := make([][]string, len(dbs))
			for i, d := range dbs {
				entries[i] = dbEntry{d, d.Name == active}
				entries[i].Branches = orEmpty(d.Branches)
				rows[i] = []string{d.Name, strings.Join(d.Branches, ", "), yesNo(d.Name == active)}
			}
			return a.emit(entries, []string{"name", "branches", "active"}, rows)
		},
	}
}

func (a *app) dbCreateCommand() *cobra.Command {
	var switchTo bool
	c := &cobra.Command{
		Use:     "create NAME",
		Short:   "Create a database with branch main and tenant main",
		Example: "  cinch db create myapp\n  cinch db create saas_app --switch",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name := args[0]
			if err := cinch.ValidateDatabaseName(name); err != nil {
				return err
			}
			p, err := a.open(ctx)
			if err != nil {
				return err
			}
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
		},
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
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name := args[0]
			if err := cinch.ValidateDatabaseName(name); err != nil {
				return err
			}
			p, err := a.open(ctx)
			if err != nil {
				return err
			}
			if _, err := p.DatabaseInfo(ctx, name); err != nil {
				return err
			}
			if err := p.SetActive(name, cinch.DefaultBranch); err != nil {
				return err
			}
			return a.done(map[string]string{"database": name, "branch": cinch.DefaultBranch},
				"Switched to database %s (branch %s)", name, cinch.DefaultBranch)
		},
	}
}

func (a *app) dbInfoCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "info [NAME]",
		Short:   "Describe a database (default: the active one)",
		Example: "  cinch db info\n  cinch db info myapp --format json",
		Args:    rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := a.open(ctx)
			if err != nil {
				return err
			}
			active, _, err := a.scope(p)
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
		},
	}
}

func (a *app) dbDeleteCommand() *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a database with all its branches and tenants",
		Example: "  cinch db delete myapp --force",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name := args[0]
			if err := cinch.ValidateDatabaseName(name); err != nil {
				return err
			}
			p, err := a.open(ctx)
			if err != nil {
				return err
			}
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
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "delete without asking")
	return c
}

// ---- branches ----

func (a *app) branchCommand() *cobra.Command {
	return group("branch", "Manage branches (lines of schema history) of the active database",
		`  cinch branch list
  cinch branch create feature --switch
  cinch branch changes
  cinch branch merge feature main --dry-run
  cinch branch merge-into-main feature`,
		a.branchListCommand(), a.branchCreateCommand(), a.branchSwitchCommand(), a.branchInfoCommand(),
		a.branchChangesCommand(), a.branchMergeCommand(), a.branchMergeIntoMainCommand(), a.branchDeleteCommand())
}

type branchEntry struct {
	cinch.BranchInfo
	Active bool `json:"active"`
}

func (a *app) branches(cmd *cobra.Command) (database, active string, list []cinch.BranchInfo, err error) {
	ctx := cmd.Context()
	p, err := a.open(ctx)
	if err != nil {
		return "", "", nil, err
	}
	database, active, err = a.scope(p)
	if err != nil {
		return "", "", nil, err
	}
	list, err = p.Branches(ctx, database)
	return database, active, list, err
}

func (a *app) branchListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the branches of the active database",
		Example: "  cinch branch list\n  cinch branch list --database myapp --format json",
		Args:    noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, active, list, err := a.branches(cmd)
			if err != nil {
				return err
			}
			entries := make([]branchEntry, len(list))
			rows := make([][]string, len(list))
			for i, b := range list {
				entries[i] = branchEntry{b, b.Name == active}
				rows[i] = []string{b.Name, b.Parent, strconv.Itoa(b.Changes), strconv.Itoa(b.Tenants), timeText(b.CreatedAt), yesNo(b.Name == active)}
			}
			return a.emit(entries, []string{"name", "parent", "changes", "tenants", "created_at", "active"}, rows)
		},
	}
}

func (a *app) branchInfoCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "info [NAME]",
		Short:   "Describe a branch: parent, created, tenants, changes, merged into",
		Example: "  cinch branch info\n  cinch branch info main --format json",
		Args:    rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			database, active, list, err := a.branches(cmd)
			if err != nil {
				return err
			}
			name := active
			if len(args) == 1 {
				name = args[0]
				if err := cinch.ValidateBranchName(name); err != nil {
					return err
				}
			}
			for _, b := range list {
				if b.Name != name {
					continue
				}
				merged := a.mergedInto(ctx, database, name, list)
				e := branchDetail{branchEntry{b, b.Name == active}, merged}
				return a.emitFields(e, [][2]string{
					{"name", b.Name},
					{"database", database},
					{"parent", b.Parent},
					{"created_at", timeText(b.CreatedAt)},
					{"changes", strconv.Itoa(b.Changes)},
					{"tenants", strconv.Itoa(b.Tenants)},
					{"merged_into", strings.Join(merged, ", ")},
					{"active", yesNo(e.Active)},
				})
			}
			return cinch.NotFound(cinch.ErrBranchNotFound, "branch", name, "run `cinch branch list` to see the branches of database "+database)
		},
	}
}

func (a *app) branchChangesCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "changes [NAME]",
		Short: "List the schema changes of a branch, oldest first",
		Example: `  cinch branch changes
  cinch branch changes main --format json`,
		Args: rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			branch := ""
			if len(args) == 1 {
				branch = args[0]
			}
			db, err := a.connect(ctx, branch, "")
			if err != nil {
				return err
			}
			changes, err := db.Changes(ctx)
			if err != nil {
				return err
			}
			rows := make([][]string, len(changes))
			for i, c := range changes {
				sql := strings.Join(strings.Fields(strings.Join(c.SQL, "; ")), " ")
				if a.format == FormatTable {
					sql = truncate(sql, 80)
				}
				rows[i] = []string{strconv.Itoa(i + 1), c.ID, timeText(c.Timestamp), string(c.Type), c.Entity, sql}
			}
			return a.emit(orEmpty(changes), []string{"#", "id", "time", "type", "entity", "sql"}, rows)
		},
	}
}
