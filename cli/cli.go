// Package cli is the cinch command line: the `cinch` commands of SPEC §6
// (project, databases, branches, tenants, tables, columns, views, indexes,
// queries and rows) on top of the local engine in package local, or of a
// cinch server through package client with --server (remote mode; see
// backend.go: the commands are written against cinch.DB and run on either).
//
// Run is the whole program: cmd/cinch only wires the process (arguments,
// standard streams, environment, signals) to it, so tests can drive the CLI
// in-process or through the built binary alike.
//
// Conventions every command follows:
//   - global flags --project, --database, --branch, --format, --key, with the
//     environment variables CINCHDB_PROJECT_DIR, CINCHDB_DATABASE,
//     CINCHDB_BRANCH and CINCHDB_TENANT_KEY as fallbacks (flag, then
//     environment, then the active database and branch in config.toml, or
//     main on a server); --server and --api-key (CINCH_SERVER,
//     CINCH_API_KEY) choose a server instead of a project folder;
//   - data goes to stdout in the chosen format (table, json or csv); with
//     --format json stdout holds exactly one JSON value and nothing else;
//   - errors go to stderr as one line `Error: ...` and exit 1 (see errors.go);
//   - destructive commands ask on a terminal and need --force otherwise.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// Environment variables read by the CLI.
const (
	EnvProjectDir = "CINCHDB_PROJECT_DIR"
	EnvDatabase   = "CINCHDB_DATABASE"
	EnvBranch     = "CINCHDB_BRANCH"
	EnvTenantKey  = "CINCHDB_TENANT_KEY"
)

// Output formats accepted by --format.
const (
	FormatTable = "table"
	FormatJSON  = "json"
	FormatCSV   = "csv"
)

// app is the state of one CLI run: streams, environment, global flags and
// the project once opened.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	env            func(string) string

	// Global flags.
	projectDir string
	database   string
	branch     string
	format     string
	key        string
	server     string // --server: drive this cinch server instead of a folder
	apiKey     string // --api-key: the server's API key

	be      backend // chosen on first use (app.backend)
	cmdPath string  // the command being run, for errors ("cinch db list")

	forceProgress bool // tests: draw progress bars on a stderr that is not a terminal
}

// Run runs the cinch command line with args (without the program name) and
// returns the process exit code: 0 on success, 1 on any error.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string) (code int) {
	if env == nil {
		env = func(string) string { return "" }
	}
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, env: env}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)

	defer func() {
		if r := recover(); r != nil {
			msg := fmt.Sprintf("internal error: %v", r)
			if env("CINCHDB_DEBUG") != "" {
				msg += "\n" + string(debug.Stack())
			}
			fmt.Fprintln(stderr, "Error: "+msg)
			code = 1
		}
		if a.be != nil {
			if err := a.be.close(context.WithoutCancel(ctx)); err != nil && code == 0 {
				code = a.fail(root, err)
			}
		}
	}()

	cmd, err := root.ExecuteContextC(ctx)
	if err != nil {
		if cmd == nil {
			cmd = root
		}
		return a.fail(cmd, err)
	}
	return 0
}

// rootCommand builds the command tree.
func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "cinch",
		Short: "CinchDB: many SQLite tenants sharing one tracked schema",
		Long: `cinch manages a CinchDB project: databases, branches of schema history,
tenants (one SQLite file per customer, all on the same schema), tables,
columns, views and indexes, and runs queries on one tenant at a time.

Commands find the project by walking up from the current folder (like git);
--project DIR or CINCHDB_PROJECT_DIR override that. With --server URL and
--api-key KEY (or CINCH_SERVER and CINCH_API_KEY) they drive a cinch serve
instead, single node or any cluster node; commands that write the project
folder (init, config, db, switches, key, serve) work locally only.`,
		Example: `  cinch init
  cinch table create users name:TEXT email:TEXT
  cinch tenant create acme_corp
  cinch column add users phone:TEXT
  cinch data insert users --tenant acme_corp --data '{"name": "Alice", "email": "alice@acme.com"}'
  cinch query "SELECT * FROM users" --tenant acme_corp`,
		Args:          groupArgs,
		RunE:          groupRun,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			a.cmdPath = cmd.CommandPath()
			switch a.format {
			case FormatTable, FormatJSON, FormatCSV:
				return nil
			}
			return usageErrorf("invalid --format %q: use table, json or csv", a.format)
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: err} })

	pf := root.PersistentFlags()
	pf.StringVar(&a.projectDir, "project", "", "project folder (default: found by walking up from the current folder; env "+EnvProjectDir+")")
	pf.StringVar(&a.database, "database", "", "database to use (default: the active one in config.toml; env "+EnvDatabase+")")
	pf.StringVar(&a.branch, "branch", "", "branch to use (default: the active one in config.toml; env "+EnvBranch+")")
	pf.StringVar(&a.format, "format", FormatTable, "output format: table, json or csv")
	pf.StringVar(&a.key, "key", "", "encryption key of an encrypted tenant (env "+EnvTenantKey+"); never stored")
	pf.StringVar(&a.server, "server", "", "drive this cinch server (http://HOST:PORT) instead of a project folder (env "+EnvServer+")")
	pf.StringVar(&a.apiKey, "api-key", "", "API key for --server (env "+EnvAPIKey+")")

	root.AddCommand(
		a.initCommand(),
		a.statusCommand(),
		a.versionCommand(),
		a.dbCommand(),
		a.branchCommand(),
		a.tenantCommand(),
		a.tableCommand(),
		a.columnCommand(),
		a.viewCommand(),
		a.indexCommand(),
		a.queryCommand(),
		a.dataCommand(),
		a.keyCommand(),
		a.serveCommand(),
		a.groupCommand(),
		a.codegenCommand(),
		a.configCommand(),
		a.kvCommand(),
		a.clusterCommand(),
	)
	a.addCompletion(root)
	return root
}

// group builds a command that only holds subcommands.
func group(use, short, example string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Example: example, Args: groupArgs, RunE: groupRun}
	c.AddCommand(subs...)
	return c
}

// groupArgs rejects arguments to a command that only holds subcommands: an
// argument there is an unknown subcommand.
func groupArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return &usageError{err: errors.New(msg)}
}

func groupRun(cmd *cobra.Command, args []string) error { return cmd.Help() }

// Argument-count validators that mark their errors as usage errors.
func exactArgs(n int) cobra.PositionalArgs    { return usageArgs(cobra.ExactArgs(n)) }
func rangeArgs(n, m int) cobra.PositionalArgs { return usageArgs(cobra.RangeArgs(n, m)) }
func minArgs(n int) cobra.PositionalArgs      { return usageArgs(cobra.MinimumNArgs(n)) }
func noArgs() cobra.PositionalArgs            { return usageArgs(cobra.NoArgs) }

func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &usageError{err: err, showUsage: true}
		}
		return nil
	}
}

// version returns the module version the binary was built from, or "dev".
func version() (v, goVersion string) {
	v = "dev"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v, "unknown"
	}
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return v, bi.GoVersion
}

// ---- project, database and branch resolution ----

// flagOrEnv returns the flag value, else the environment variable.
func (a *app) flagOrEnv(flag, env string) string {
	if flag != "" {
		return flag
	}
	return a.env(env)
}

// projectRoot resolves the project folder: --project, then
// CINCHDB_PROJECT_DIR (both must hold .cinchdb themselves), then a walk up
// from the current folder.
func (a *app) projectRoot() (string, error) {
	if dir := a.flagOrEnv(a.projectDir, EnvProjectDir); dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", err
		}
		if fi, err := os.Stat(filepath.Join(abs, local.ProjectDirName)); err != nil || !fi.IsDir() {
			return "", &cinch.Error{Err: cinch.ErrNoProject,
				Message: fmt.Sprintf("No CinchDB project found in %s", abs),
				Hint:    "run `cinch init " + dir + "` to create one"}
		}
		return abs, nil
	}
	cwd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	dir, err := local.FindProject(cwd)
	if err != nil {
		if errors.Is(err, cinch.ErrNoProject) {
			return "", &cinch.Error{Err: cinch.ErrNoProject,
				Message: fmt.Sprintf("No CinchDB project found in %s or any parent folder", cwd),
				Hint:    "run `cinch init` to create one, or pass --project DIR"}
		}
		return "", err
	}
	return dir, nil
}

// open returns the local project, opened once per run; with --server it
// fails: the command works on a local project only.
func (a *app) open(ctx context.Context) (*local.Project, error) {
	b, err := a.backend(ctx)
	if err != nil {
		return nil, err
	}
	return b.project(a.cmdPath)
}

// scope returns the database and branch to work on: flag, then environment,
// then the backend's defaults (config.toml locally), then main.
func (a *app) scope(ctx context.Context) (database, branch string, err error) {
	database = a.flagOrEnv(a.database, EnvDatabase)
	branch = a.flagOrEnv(a.branch, EnvBranch)
	if database == "" || branch == "" {
		b, err := a.backend(ctx)
		if err != nil {
			return "", "", err
		}
		d, br, err := b.defaults()
		if err != nil {
			return "", "", err
		}
		if database == "" {
			database = d
		}
		if branch == "" {
			branch = br
		}
	}
	if database == "" {
		database = cinch.DefaultDatabase
	}
	if branch == "" {
		branch = cinch.DefaultBranch
	}
	if err := cinch.ValidateDatabaseName(database); err != nil {
		return "", "", err
	}
	if err := cinch.ValidateBranchName(branch); err != nil {
		return "", "", err
	}
	return database, branch, nil
}

// connect returns a handle on tenant of the active database and branch
// (branch overrides the active branch when not empty), on the project
// folder or the server.
func (a *app) connect(ctx context.Context, branch, tenant string) (cinch.DB, error) {
	b, err := a.backend(ctx)
	if err != nil {
		return nil, err
	}
	database, active, err := a.scope(ctx)
	if err != nil {
		return nil, err
	}
	if branch == "" {
		branch = active
	}
	if tenant == "" {
		tenant = cinch.DefaultTenant
	}
	if err := cinch.ValidateBranchName(branch); err != nil {
		return nil, err
	}
	if err := cinch.ValidateTenantName(tenant); err != nil {
		return nil, err
	}
	return b.connect(ctx, cinch.Target{Database: database, Branch: branch, Tenant: tenant}, a.tenantKey())
}

// tenantKey is the encryption key for encrypted tenants: --key, else
// CINCHDB_TENANT_KEY. Plain tenants ignore it.
func (a *app) tenantKey() string { return a.flagOrEnv(a.key, EnvTenantKey) }

// changeLabel names a change for a success message: its position in the
// branch history ("change 3"), or its id when that cannot be read.
func changeLabel(ctx context.Context, db cinch.DB, ch cinch.Change) string {
	if changes, err := db.Changes(ctx); err == nil {
		for i, c := range changes {
			if c.ID == ch.ID {
				return fmt.Sprintf("change %d", i+1)
			}
		}
	}
	if ch.ID == "" {
		return "change recorded"
	}
	return "change " + ch.ID
}
