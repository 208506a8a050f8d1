package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func (a *app) initCommand() *cobra.Command {
	var strict bool
	c := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Create a project (database main, branch main, tenant main)",
		Long: `init creates a CinchDB project in DIR (default: --project, CINCHDB_PROJECT_DIR
or the current folder): a .cinchdb folder with one database (main, or
--database NAME) holding branch main and tenant main. Running it again on the
same folder fails. --strict turns strict_tenant on: data commands then need
--tenant (see cinch config set).`,
		Example: `  cinch init
  cinch init myproject
  cinch init --database myapp
  cinch init --strict`,
		Args: rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.remote() {
				return localOnly(cmd.CommandPath())
			}
			dir := a.flagOrEnv(a.projectDir, EnvProjectDir)
			if len(args) == 1 {
				dir = args[0]
			}
			if dir == "" {
				wd, err := os.Getwd()
				if err != nil {
					return err
				}
				dir = wd
			}
			abs, err := filepath.Abs(dir)
			if err != nil {
				return err
			}
			database := a.flagOrEnv(a.database, EnvDatabase)
			if database == "" {
				database = cinch.DefaultDatabase
			}
			if err := cinch.ValidateDatabaseName(database); err != nil {
				return err
			}
			if err := local.Init(cmd.Context(), abs, database); err != nil {
				return err
			}
			mode := ""
			if strict {
				if err := a.initStrict(cmd.Context(), abs); err != nil {
					return err
				}
				mode = "; strict_tenant on: data commands need --tenant"
			}
			return a.done(map[string]any{"project": abs, "database": database, "branch": cinch.DefaultBranch, "strict_tenant": strict},
				"Initialized CinchDB project in %s (database %s, branch %s%s)", abs, database, cinch.DefaultBranch, mode)
		},
	}
	c.Flags().BoolVar(&strict, "strict", false, "turn strict_tenant on: data commands need --tenant")
	return c
}

func (a *app) statusCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "status",
		Short:   "Show the project, active database and branch, tenant and change counts",
		Example: "  cinch status\n  cinch status --format json",
		Args:    noArgs(),
		RunE: a.runE(call{run: func(ctx context.Context, db cinch.DB, args []string) error {
			tenants, err := db.Tenants().List(ctx)
			if err != nil {
				return err
			}
			changes, err := db.Changes(ctx)
			if err != nil {
				return err
			}
			t := db.Target()
			status := struct {
				Project  string `json:"project"`
				Database string `json:"database"`
				Branch   string `json:"branch"`
				Tenants  int    `json:"tenants"`
				Changes  int    `json:"changes"`
			}{a.be.location(), t.Database, t.Branch, len(tenants), len(changes)}
			return a.emitFields(status, [][2]string{
				{"project", status.Project},
				{"database", status.Database},
				{"branch", status.Branch},
				{"tenants", strconv.Itoa(status.Tenants)},
				{"changes", strconv.Itoa(status.Changes)},
			})
		}}),
	}
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the cinch version",
		Example: "  cinch version",
		Args:    noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, goV := version()
			if a.format == FormatJSON {
				return writeJSON(a.stdout, map[string]string{"version": v, "go": goV})
			}
			_, err := fmt.Fprintf(a.stdout, "cinch %s (%s)\n", v, goV)
			return err
		},
	}
}
