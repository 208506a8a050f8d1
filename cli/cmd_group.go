package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
)

func (a *app) groupCommand() *cobra.Command {
	return group("group", "Manage tenant groups and their limits (max database size, max concurrent queries)",
		`  cinch group create enterprise --max-db-size 10GiB --max-concurrent 16
  cinch group list
  cinch group limits trial --max-db-size 100MB
  cinch tenant group set acme_corp enterprise`,
		a.groupCreateCommand(), a.groupListCommand(), a.groupLimitsCommand())
}

// tenantGroupCommand is `cinch tenant group`: a tenant's membership.
func (a *app) tenantGroupCommand() *cobra.Command {
	return group("group", "Put tenants in groups (see cinch group)",
		"  cinch tenant group set acme_corp enterprise\n  cinch tenant group set acme_corp --none",
		a.tenantGroupSetCommand())
}

func (a *app) tenantGroupSetCommand() *cobra.Command {
	var none bool
	var grp string
	c := &cobra.Command{
		Use:   "set NAME GROUP|--none",
		Short: "Put a tenant in a group, or take it out with --none (or GROUP \"\")",
		Example: `  cinch tenant group set acme_corp enterprise
  cinch tenant group set acme_corp --none`,
		Args: rangeArgs(1, 2),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case none && len(args) == 2:
				return usageErrorf("give a GROUP or --none, not both")
			case !none && len(args) == 1:
				return usageErrorf("give a GROUP, or --none to take tenant %s out of its group", args[0])
			case len(args) == 2:
				grp = args[1]
			}
			return nil
		},
		RunE: a.runE(call{names: names(cinch.KindTenant, ""),
			check: func(args []string) error {
				if grp != "" {
					return cinch.ValidateGroupName(grp)
				}
				return nil
			},
			run: func(ctx context.Context, db cinch.DB, args []string) error {
				tenant := args[0]
				if err := db.Groups().SetTenant(ctx, tenant, grp); err != nil {
					return err
				}
				if grp == "" {
					return a.done(map[string]string{"tenant": tenant, "group": ""}, "Tenant %s is in no group now", tenant)
				}
				return a.done(map[string]string{"tenant": tenant, "group": grp}, "Tenant %s is in group %s", tenant, grp)
			}}),
	}
	c.Flags().BoolVar(&none, "none", false, "take the tenant out of its group")
	return c
}

// limitFlags are --max-db-size and --max-concurrent.
type limitFlags struct {
	size       string
	concurrent int
}

func (f *limitFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.size, "max-db-size", "", "largest database a tenant may grow to: 512MiB, 1GB, 1048576; 0 for no limit")
	c.Flags().IntVar(&f.concurrent, "max-concurrent", 0, "queries at once on one tenant; 0 for no limit")
}

// changed reports whether any limit was given on the command line.
func (f *limitFlags) changed(cmd *cobra.Command) bool {
	return cmd.Flags().Changed("max-db-size") || cmd.Flags().Changed("max-concurrent")
}

// apply sets the limits given on the command line on g.
func (f *limitFlags) apply(cmd *cobra.Command, g *cinch.Group) error {
	if cmd.Flags().Changed("max-db-size") {
		n, err := parseSize(f.size)
		if err != nil {
			return err
		}
		g.MaxDBBytes = n
	}
	if cmd.Flags().Changed("max-concurrent") {
		if f.concurrent < 0 {
			return &cinch.Error{Err: cinch.ErrInvalidInput,
				Message: fmt.Sprintf("invalid --max-concurrent %d: it cannot be negative", f.concurrent),
				Hint:    "give a number of queries, or 0 for no limit"}
		}
		g.MaxConcurrent = f.concurrent
	}
	return nil
}

func limitText(n int64, size bool) string {
	if n == 0 {
		return "no limit"
	}
	if size {
		if n < 1024 {
			return sizeText(n)
		}
		return fmt.Sprintf("%s (%d bytes)", sizeText(n), n)
	}
	return strconv.FormatInt(n, 10)
}

func (a *app) groupCreateCommand() *cobra.Command {
	var lf limitFlags
	var g cinch.Group
	c := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a tenant group with limits",
		Long: `create makes a group. Its limits apply to each tenant in it: --max-db-size
caps the database size (writes past it fail and change nothing),
--max-concurrent caps queries running at once on one tenant. 0 or no flag
means no limit.`,
		Example: `  cinch group create trial --max-db-size 100MB --max-concurrent 2
  cinch group create enterprise`,
		Args: exactArgs(1),
	}
	c.RunE = a.runE(call{names: names(cinch.KindGroup),
		check: func(args []string) error {
			g = cinch.Group{Name: args[0]}
			return lf.apply(c, &g)
		},
		run: func(ctx context.Context, db cinch.DB, args []string) error {
			if _, err := db.Groups().Create(ctx, g); err != nil {
				return err
			}
			return a.done(g, "Created group %s (max db size: %s, max concurrent: %s)", g.Name,
				limitText(g.MaxDBBytes, true), limitText(int64(g.MaxConcurrent), false))
		}})
	lf.add(c)
	return c
}

func (a *app) groupListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the tenant groups with their limits and tenant counts",
		Example: "  cinch group list\n  cinch group list --format json",
		Args:    noArgs(),
		RunE: a.runE(call{run: func(ctx context.Context, db cinch.DB, args []string) error {
			groups, err := db.Groups().List(ctx)
			if err != nil {
				return err
			}
			tenants, err := db.Tenants().List(ctx)
			if err != nil {
				return err
			}
			count := map[string]int{}
			for _, t := range tenants {
				count[t.Group]++
			}
			type entry struct {
				cinch.Group
				Tenants int `json:"tenants"`
			}
			entries := make([]entry, len(groups))
			for i, g := range groups {
				entries[i] = entry{g, count[g.Name]}
			}
			return emitList(a, entries, []string{"name", "max_db_size", "max_concurrent", "tenants"}, func(e entry) []string {
				size := limitText(e.MaxDBBytes, true)
				if a.format == FormatCSV {
					size = strconv.FormatInt(e.MaxDBBytes, 10)
				}
				return []string{e.Name, size, limitText(int64(e.MaxConcurrent), false), strconv.Itoa(e.Tenants)}
			})
		}}),
	}
}

func (a *app) groupLimitsCommand() *cobra.Command {
	var lf limitFlags
	c := &cobra.Command{
		Use:   "limits NAME [--max-db-size SIZE] [--max-concurrent N]",
		Short: "Show or change a group's limits (open tenants pick them up at once)",
		Example: `  cinch group limits trial
  cinch group limits trial --max-db-size 200MB
  cinch group limits trial --max-concurrent 0`,
		Args: exactArgs(1),
	}
	c.RunE = a.runE(call{names: names(cinch.KindGroup),
		check: func(args []string) error {
			var g cinch.Group
			return lf.apply(c, &g) // reject bad flags before opening anything
		},
		run: func(ctx context.Context, db cinch.DB, args []string) error {
			name := args[0]
			groups, err := db.Groups().List(ctx)
			if err != nil {
				return err
			}
			i := slices.IndexFunc(groups, func(g cinch.Group) bool { return g.Name == name })
			if i < 0 {
				return cinch.NotFound(cinch.ErrGroupNotFound, "group", name, "run `cinch group list` to see the groups")
			}
			g := groups[i]
			changed := lf.changed(c)
			if changed {
				if err := lf.apply(c, &g); err != nil {
					return err
				}
				if _, err := db.Groups().SetLimits(ctx, g); err != nil {
					return err
				}
			}
			if a.format == FormatTable && changed {
				fmt.Fprintf(a.stdout, "Changed the limits of group %s\n", name)
			}
			return a.emitFields(g, [][2]string{
				{"name", g.Name},
				{"max_db_size", limitText(g.MaxDBBytes, true)},
				{"max_concurrent", limitText(int64(g.MaxConcurrent), false)},
			})
		}})
	lf.add(c)
	return c
}
