package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// setting is one key of config.toml as the config command shows it.
type setting struct {
	key  string
	get  func(local.Settings) any                          // the value, typed as in JSON
	set  func(p *local.Project, value string) (any, error) // nil: not changed by config set
	what string                                            // how it is changed, for errors
}

// settings are the keys of config.toml, in the order config list shows.
var settings = []setting{
	{key: "active_database", get: func(s local.Settings) any { return s.ActiveDatabase },
		what: "changed with cinch db switch NAME"},
	{key: "active_branch", get: func(s local.Settings) any { return s.ActiveBranch },
		what: "changed with cinch branch switch NAME"},
	{key: "strict_tenant", get: func(s local.Settings) any { return s.StrictTenant },
		set: func(p *local.Project, value string) (any, error) {
			on, err := strconv.ParseBool(value)
			if err != nil {
				return nil, usageErrorf("strict_tenant is true or false, got %q", value)
			}
			return on, p.SetStrictTenant(on)
		}},
}

// findSetting returns the setting named key.
func findSetting(key string) (setting, error) {
	keys := make([]string, len(settings))
	for i, s := range settings {
		if s.key == key {
			return s, nil
		}
		keys[i] = s.key
	}
	return setting{}, usageErrorf("unknown setting %q: the settings are %s", key, strings.Join(keys, ", "))
}

func (a *app) configCommand() *cobra.Command {
	return group("config", "Show and change the project's settings (config.toml)",
		`  cinch config list
  cinch config set strict_tenant true
  cinch config get strict_tenant`,
		a.configListCommand(), a.configGetCommand(), a.configSetCommand())
}

func (a *app) configListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "Show every setting",
		Example: "  cinch config list\n  cinch config list --format json",
		Args:    noArgs(),
		RunE: a.runE(call{project: func(ctx context.Context, p *local.Project, args []string) error {
			return a.showSettings(p, settings)
		}}),
	}
}

func (a *app) configGetCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "get [KEY]",
		Short: "Show one setting's value (every setting without KEY)",
		Long: `get prints the value of one setting alone on a line (with --format json, the
value as JSON: true, "main"); without KEY it is config list.`,
		Example:           "  cinch config get strict_tenant\n  cinch config get",
		Args:              rangeArgs(0, 1),
		ValidArgsFunction: completeSettingKeys(false),
		RunE: a.runE(call{project: func(ctx context.Context, p *local.Project, args []string) error {
			if len(args) == 0 {
				return a.showSettings(p, settings)
			}
			st, err := findSetting(args[0])
			if err != nil {
				return err
			}
			s, err := p.Settings()
			if err != nil {
				return err
			}
			v := st.get(s)
			if a.format == FormatJSON {
				return writeJSON(a.stdout, v)
			}
			_, err = fmt.Fprintln(a.stdout, v)
			return err
		}}),
	}
}

func (a *app) configSetCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "set KEY VALUE",
		Short: "Change a setting (strict_tenant true|false)",
		Long: `set changes a setting of config.toml. The one set here is strict_tenant:

  true   every data command (query, data, kv) needs --tenant, so none runs on
         tenant main by mistake (--tenant main still reaches main); schema and
         tenant commands are not affected; in Go, a handle connected without a
         tenant refuses data operations with tenant_required.
  false  a data command without --tenant runs on tenant main (the default).

The active database and branch change with cinch db switch and cinch branch
switch. cinch init --strict makes a project with strict_tenant true.`,
		Example:           "  cinch config set strict_tenant true\n  cinch config set strict_tenant false",
		Args:              exactArgs(2),
		ValidArgsFunction: completeSettingKeys(true),
		RunE: a.runE(call{project: func(ctx context.Context, p *local.Project, args []string) error {
			st, err := findSetting(args[0])
			if err != nil {
				return err
			}
			if st.set == nil {
				return usageErrorf("%s is not changed by config set: it is %s", st.key, st.what)
			}
			v, err := st.set(p, args[1])
			if err != nil {
				return err
			}
			note := ""
			if v == true && st.key == "strict_tenant" {
				note = " (data commands now need --tenant)"
			}
			return a.done(map[string]any{"key": st.key, "value": v}, "Set %s to %v%s", st.key, v, note)
		}}),
	}
}

// showSettings prints settings: a key/value table, or one JSON object.
func (a *app) showSettings(p *local.Project, list []setting) error {
	s, err := p.Settings()
	if err != nil {
		return err
	}
	obj := map[string]any{}
	rows := make([][]string, len(list))
	for i, st := range list {
		v := st.get(s)
		obj[st.key] = v
		rows[i] = []string{st.key, fmt.Sprint(v)}
	}
	return a.emit(obj, []string{"key", "value"}, rows)
}

// requireTenant refuses a data command run without --tenant on a project
// whose strict_tenant is on. Data commands call it before they read their
// input or connect (runE does it for every call with a tenant).
func (a *app) requireTenant(ctx context.Context, cmd *cobra.Command) error {
	if cmd.Flags().Changed("tenant") {
		return nil
	}
	b, err := a.backend(ctx)
	if err != nil {
		return err
	}
	if strict, err := b.strictTenant(); err != nil || !strict {
		return err
	}
	return &cinch.Error{Err: cinch.ErrTenantRequired,
		Message: fmt.Sprintf("%s needs --tenant: this project has strict_tenant on, so no data command runs on tenant main by default", cmd.CommandPath()),
		Hint:    "pass --tenant NAME, --tenant main for main; or turn the setting off: cinch config set strict_tenant false"}
}

// initStrict turns strict_tenant on in the project just made in dir.
func (a *app) initStrict(ctx context.Context, dir string) error {
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		return err
	}
	defer p.Close(ctx)
	if err := p.SetStrictTenant(true); err != nil {
		return fmt.Errorf("the project was made in %s, but strict_tenant could not be turned on (run cinch config set strict_tenant true): %w", dir, err)
	}
	return nil
}

// completeSettingKeys completes config get KEY, and config set KEY VALUE
// when withValue: a boolean setting's values.
func completeSettingKeys(withValue bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		var out []string
		switch {
		case len(args) == 0:
			for _, s := range settings {
				if (s.set != nil || !withValue) && strings.HasPrefix(s.key, toComplete) {
					out = append(out, s.key)
				}
			}
		case len(args) == 1 && withValue && args[0] == "strict_tenant":
			for _, v := range []string{"true", "false"} {
				if strings.HasPrefix(v, toComplete) {
					out = append(out, v)
				}
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
