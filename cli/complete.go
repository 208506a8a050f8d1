package cli

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// Shell completion: `cinch completion bash|zsh|fish|powershell` prints
// cobra's script for the shell, and the script asks the binary for
// candidates through cobra's hidden `cinch __complete ARGS... PARTIAL`
// command. Besides command and flag names, the candidates are the names in
// the project, as kubectl completes resource names: tenants, tables,
// columns (of the table given first), branches, databases, groups, views
// and indexes, of the database and branch the command line would use
// (--database, --branch, the environment, config.toml).
//
// Completion reads the project through local.Catalog, which changes
// nothing, and it never fails loudly: outside a project, or on any error,
// it offers nothing (and never file names, which no cinch argument is).

// Kinds of names completed beyond those of package cinch.
const (
	compNone    = ""        // an argument with no candidates (a new name)
	compDir     = "dir"     // a folder (init)
	compTenants = "tenants" // a comma-separated list of tenants (--tenants)
)

// argCompletions gives the kind of each positional argument of a command,
// by its path under cinch; a kind ending in "..." repeats for every
// further argument. Commands not listed complete no arguments.
var argCompletions = map[string][]string{
	"init": {compDir},

	"db switch": {cinch.KindDatabase},
	"db info":   {cinch.KindDatabase},
	"db delete": {cinch.KindDatabase},

	"branch info":            {cinch.KindBranch},
	"branch changes":         {cinch.KindBranch},
	"branch switch":          {cinch.KindBranch},
	"branch delete":          {cinch.KindBranch},
	"branch merge":           {cinch.KindBranch, cinch.KindBranch},
	"branch merge-into-main": {cinch.KindBranch},

	"tenant info":       {cinch.KindTenant},
	"tenant copy":       {cinch.KindTenant, compNone},
	"tenant rename":     {cinch.KindTenant, compNone},
	"tenant delete":     {cinch.KindTenant},
	"tenant check":      {cinch.KindTenant},
	"tenant stats":      {cinch.KindTenant + "..."},
	"tenant vacuum":     {cinch.KindTenant + "..."},
	"tenant analyze":    {cinch.KindTenant + "..."},
	"tenant archive":    {cinch.KindTenant},
	"tenant restore":    {cinch.KindTenant},
	"tenant rotate-key": {cinch.KindTenant},
	"tenant group set":  {cinch.KindTenant, cinch.KindGroup},
	"group limits":      {cinch.KindGroup},

	"table info":            {cinch.KindTable},
	"table copy":            {cinch.KindTable, compNone},
	"table delete":          {cinch.KindTable},
	"column list":           {cinch.KindTable},
	"column add":            {cinch.KindTable, compNone},
	"column drop":           {cinch.KindTable, cinch.KindColumn},
	"column rename":         {cinch.KindTable, cinch.KindColumn, compNone},
	"column alter-nullable": {cinch.KindTable, cinch.KindColumn},
	"view info":             {cinch.KindView},
	"view update":           {cinch.KindView, compNone},
	"view delete":           {cinch.KindView},
	"index list":            {cinch.KindTable},
	"index create":          {cinch.KindTable, cinch.KindColumn + "..."},
	"index delete":          {cinch.KindIndex},

	"data insert": {cinch.KindTable},
	"data select": {cinch.KindTable},
	"data update": {cinch.KindTable, compNone},
	"data delete": {cinch.KindTable, compNone},
}

// flagCompletions gives the kind of a flag's value by flag name, on every
// command that has the flag; flagCompletionsOf overrides it for one
// command.
var (
	flagCompletions = map[string]string{
		"tenant":   cinch.KindTenant,
		"tenants":  compTenants,
		"group":    cinch.KindGroup,
		"branch":   cinch.KindBranch,
		"database": cinch.KindDatabase,
	}
	flagCompletionsOf = map[string]map[string]string{
		"tenant create": {"from": cinch.KindTenant},
		"branch create": {"from": cinch.KindBranch},
	}
)

// completionTimeout bounds the reading of the project for one completion.
const completionTimeout = 3 * time.Second

// addCompletion adds the completion command and wires the completion of
// every command's arguments and flags in the tree under root.
func (a *app) addCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	examples := map[string]string{
		"bash":       "  source <(cinch completion bash)                        # this shell\n  cinch completion bash > /etc/bash_completion.d/cinch    # every new shell",
		"zsh":        "  cinch completion zsh > \"${fpath[1]}/_cinch\"    # then start a new shell",
		"fish":       "  cinch completion fish > ~/.config/fish/completions/cinch.fish",
		"powershell": "  cinch completion powershell | Out-String | Invoke-Expression",
	}
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Args, c.RunE = groupArgs, groupRun
		c.Example = "  source <(cinch completion bash)\n  cinch completion zsh > \"${fpath[1]}/_cinch\"\n  cinch completion fish > ~/.config/fish/completions/cinch.fish"
		for _, sh := range c.Commands() {
			sh.Example = examples[sh.Name()]
		}
	}
	root.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{FormatTable, FormatJSON, FormatCSV}, cobra.ShellCompDirectiveNoFileComp))

	var wire func(c *cobra.Command)
	wire = func(c *cobra.Command) {
		path := strings.TrimPrefix(strings.TrimPrefix(c.CommandPath(), root.Name()), " ")
		if c.ValidArgsFunction == nil && len(c.ValidArgs) == 0 {
			c.ValidArgsFunction = a.completeArgs(argCompletions[path])
		}
		// The flags defined on c: persistent ones (root's --branch and
		// --database) once, where they are defined.
		for _, fs := range []*pflag.FlagSet{c.LocalNonPersistentFlags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				kind, ok := flagCompletionsOf[path][f.Name]
				if !ok {
					kind, ok = flagCompletions[f.Name]
				}
				if ok {
					c.RegisterFlagCompletionFunc(f.Name, a.completeFlag(kind))
				}
			})
		}
		for _, sub := range c.Commands() {
			wire(sub)
		}
	}
	wire(root)
}

// completeArgs completes the positional arguments of a command whose
// arguments are of kinds (see argCompletions).
func (a *app) completeArgs(kinds []string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		none := cobra.ShellCompDirectiveNoFileComp
		if len(kinds) == 0 {
			return nil, none
		}
		kind := kinds[min(len(args), len(kinds)-1)]
		kind, repeats := strings.CutSuffix(kind, "...")
		if len(args) >= len(kinds) && !repeats {
			return nil, none
		}
		if kind == compDir {
			return nil, cobra.ShellCompDirectiveFilterDirs
		}
		given := map[string]bool{}
		if repeats {
			for _, arg := range args {
				given[arg] = true
			}
		}
		var out []string
		for _, name := range a.projectNames(cmd.Context(), kind, args) {
			if strings.HasPrefix(name, toComplete) && !given[name] {
				out = append(out, name)
			}
		}
		return out, none
	}
}

// completeFlag completes the value of a flag of kind (see
// flagCompletions).
func (a *app) completeFlag(kind string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if kind != compTenants {
			var out []string
			for _, name := range a.projectNames(cmd.Context(), kind, args) {
				if strings.HasPrefix(name, toComplete) {
					out = append(out, name)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		// A comma-separated list: complete its last element, keeping the
		// others, and leave the cursor after it for another comma.
		done, last := "", toComplete
		if i := strings.LastIndex(toComplete, ","); i >= 0 {
			done, last = toComplete[:i+1], toComplete[i+1:]
		}
		given := map[string]bool{}
		for _, name := range strings.Split(done, ",") {
			given[name] = true
		}
		var out []string
		for _, name := range a.projectNames(cmd.Context(), cinch.KindTenant, args) {
			if strings.HasPrefix(name, last) && !given[name] {
				out = append(out, done+name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// projectNames returns the names of kind in the project the command line
// would use, for completion: none on any failure. A column's table is the
// first argument.
func (a *app) projectNames(ctx context.Context, kind string, args []string) (names []string) {
	defer func() {
		if recover() != nil {
			names = nil
		}
	}()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	p, err := a.open(ctx)
	if err != nil {
		return nil
	}
	database, branch, err := a.scope(ctx)
	if err != nil {
		return nil
	}
	c := p.Catalog()
	switch kind {
	case cinch.KindDatabase:
		names, err = c.Databases()
	case cinch.KindBranch:
		names, err = c.Branches(database)
	case cinch.KindTenant:
		names, err = c.Tenants(ctx, database, branch)
	case cinch.KindGroup:
		names, err = c.Groups(ctx, database, branch)
	case cinch.KindTable, cinch.KindColumn, cinch.KindView, cinch.KindIndex:
		names, err = schemaNames(c, database, branch, kind, args)
	}
	if err != nil {
		return nil
	}
	return names
}

// schemaNames returns the tables, views or indexes of a branch, or the
// columns of the table named by args[0].
func schemaNames(c local.Catalog, database, branch, kind string, args []string) ([]string, error) {
	model, err := c.Schema(database, branch)
	if err != nil {
		return nil, err
	}
	switch kind {
	case cinch.KindTable:
		return model.TableNames(), nil
	case cinch.KindView:
		return model.ViewNames(), nil
	case cinch.KindIndex:
		return model.IndexNames(), nil
	}
	if len(args) == 0 || model.Tables[args[0]] == nil {
		return nil, nil
	}
	var names []string
	for _, col := range model.Tables[args[0]].Columns {
		names = append(names, col.Name)
	}
	return names, nil
}
