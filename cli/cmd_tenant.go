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

func (a *app) tenantCommand() *cobra.Command {
	return group("tenant", "Manage tenants (one SQLite file per customer) of the active branch",
		`  cinch tenant create acme_corp
  cinch tenant list
  cinch tenant delete old_customer --force`,
		a.tenantListCommand(), a.tenantCreateCommand(), a.tenantInfoCommand(), a.tenantCopyCommand(),
		a.tenantRenameCommand(), a.tenantDeleteCommand(), a.tenantStatsCommand(), a.tenantVacuumCommand(),
		a.tenantAnalyzeCommand(), a.tenantCheckCommand(), a.tenantArchiveCommand(), a.tenantRestoreCommand(),
		a.tenantGroupCommand(), a.tenantRotateKeyCommand())
}

func tenantFields(t cinch.TenantInfo) [][2]string {
	return [][2]string{
		{"name", t.Name},
		{"state", string(t.State)},
		{"created_at", timeText(t.CreatedAt)},
		{"size", sizeText(t.SizeBytes)},
		{"schema_version", strconv.Itoa(t.SchemaVersion)},
		{"encrypted", yesNo(t.Encrypted)},
	}
}

func (a *app) tenantListCommand() *cobra.Command {
	var inactive string
	c := &cobra.Command{
		Use:   "list",
		Short: "List the tenants of the active branch",
		Long: `list shows every tenant of the branch. --inactive-since AGE keeps only the
served tenants not written for AGE (365d, 48h, 90m, 1d12h): candidates for
cinch tenant archive.`,
		Example: "  cinch tenant list\n  cinch tenant list --format json\n  cinch tenant list --inactive-since 365d",
		Args:    noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if cmd.Flags().Changed("inactive-since") {
				if _, err := parseAge(inactive); err != nil {
					return err
				}
			}
			db, err := a.connect(ctx, "", "")
			if err != nil {
				return err
			}
			var list []cinch.TenantInfo
			if cmd.Flags().Changed("inactive-since") {
				list, err = a.inactiveSince(ctx, db, inactive)
			} else {
				list, err = db.Tenants().List(ctx)
			}
			if err != nil {
				return err
			}
			if len(list) == 0 && a.format == FormatTable && cmd.Flags().Changed("inactive-since") {
				_, err := fmt.Fprintf(a.stdout, "No tenant has gone unwritten for %s\n", inactive)
				return err
			}
			branchVersion := -1
			if changes, err := db.Changes(ctx); err == nil {
				branchVersion = len(changes)
			}
			rows := make([][]string, len(list))
			for i, t := range list {
				version := strconv.Itoa(t.SchemaVersion)
				if branchVersion >= 0 && t.SchemaVersion < branchVersion {
					version += " (pending " + strconv.Itoa(branchVersion) + ")"
				}
				rows[i] = []string{t.Name, string(t.State), sizeText(t.SizeBytes), version, yesNo(t.Encrypted), timeText(t.CreatedAt), t.Group}
			}
			return a.emit(orEmpty(list), []string{"name", "state", "size", "schema_version", "encrypted", "created_at", "group"}, rows)
		},
	}
	c.Flags().StringVar(&inactive, "inactive-since", "", "only served tenants not written for this long (365d, 48h, 90m)")
	return c
}

func (a *app) tenantCreateCommand() *cobra.Command {
	var opts cinch.TenantCreateOptions
	c := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a tenant with the current schema, ready for use",
		Long: `create makes a tenant's SQLite file with the branch's current schema.
--lazy only registers the tenant (for bulk provisioning): its file appears on
its first write. --from copies schema and data from a template tenant.
--encrypt stores it encrypted at rest under --key (or CINCHDB_TENANT_KEY);
cinch never stores the key, and every later command on the tenant needs it.`,
		Example: `  cinch tenant create acme_corp
  cinch tenant create customer_12345 --lazy
  cinch tenant create wayne_ent --from _template_default
  cinch tenant create stark_ind --encrypt --key "$STARK_KEY"`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name := args[0]
			if err := cinch.ValidateTenantName(name); err != nil {
				return err
			}
			if opts.From != "" {
				if err := cinch.ValidateTenantName(opts.From); err != nil {
					return err
				}
			}
			db, err := a.connect(ctx, "", "")
			if err != nil {
				return err
			}
			if opts.Encrypt {
				opts.Key = a.tenantKey()
			}
			info, err := db.Tenants().Create(ctx, name, opts)
			if err != nil {
				return err
			}
			msg := "Created tenant " + name
			switch {
			case opts.From != "":
				msg += " from " + opts.From
			case opts.Lazy:
				msg += " (lazy: its file appears on first write)"
			}
			if opts.Encrypt {
				msg += " (encrypted: keep the key safe, cinch does not store it)"
			}
			return a.done(info, "%s", msg)
		},
	}
	c.Flags().StringVar(&opts.From, "from", "", "copy schema and data from this tenant")
	c.Flags().BoolVar(&opts.Lazy, "lazy", false, "only register the tenant; create its file on first write")
	c.Flags().BoolVar(&opts.Encrypt, "encrypt", false, "encrypt the tenant at rest under --key")
	return c
}

func (a *app) tenantRotateKeyCommand() *cobra.Command {
	var newKey string
	c := &cobra.Command{
		Use:   "rotate-key NAME",
		Short: "Re-encrypt an encrypted tenant under a new key",
		Long: `rotate-key re-encrypts the tenant under --new-key (or CINCHDB_NEW_TENANT_KEY);
--key is the current key. The switch is crash-safe: at every moment exactly
one of the two keys opens the tenant.`,
		Example: `  cinch tenant rotate-key stark_ind --key "$OLD_KEY" --new-key "$NEW_KEY"`,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := a.connect(ctx, "", "")
			if err != nil {
				return err
			}
			if err := db.RotateKey(ctx, args[0], a.flagOrEnv(newKey, "CINCHDB_NEW_TENANT_KEY")); err != nil {
				return err
			}
			return a.done(map[string]string{"name": args[0], "status": "rotated"}, "Re-encrypted tenant %s under the new key", args[0])
		},
	}
	c.Flags().StringVar(&newKey, "new-key", "", "the new encryption key (env CINCHDB_NEW_TENANT_KEY)")
	return c
}

func (a *app) tenantInfoCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "info NAME",
		Short:   "Describe a tenant",
		Example: "  cinch tenant info acme_corp\n  cinch tenant info acme_corp --format json",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := cinch.ValidateTenantName(args[0]); err != nil {
				return err
			}
			db, err := a.connect(ctx, "", "")
			if err != nil {
				return err
			}
			info, err := db.Tenants().Info(ctx, args[0])
			if err != nil {
				return err
			}
			return a.emitFields(info, tenantFields(info))
		},
	}
}

func (a *app) tenantCopyCommand() *cobra.Command {
	var noData bool
	c := &cobra.Command{
		Use:     "copy SOURCE TARGET",
		Short:   "Copy a tenant (a consistent snapshot, or only its schema with --no-data)",
		Example: "  cinch tenant copy _template_default acme_corp\n  cinch tenant copy acme_corp acme_corp_staging --no-data",
		Args:    exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			for _, n := range args {
				if err := cinch.ValidateTenantName(n); err != nil {
					return err
				}
			}
			db, err := a.connect(ctx, "", "")
			if err != nil {
				return err
			}
			info, err := db.Tenants().Copy(ctx, args[0], args[1], noData)
			if err != nil {
				return err
			}
			what := ""
			if noData {
				what = " (schema only)"
			}
			return a.done(info, "Copied tenant %s to %s%s", args[0], args[1], what)
		},
	}
	c.Flags().BoolVar(&noData, "no-data", false, "copy only the schema, not the rows")
	return c
}

func (a *app) tenantRenameCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "rename OLD NEW",
		Short:   "Rename a tenant",
		Example: "  cinch tenant rename wayne_ent wayne_enterprises",
		Args:    exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			for _, n := range args {
				if err := cinch.ValidateTenantName(n); err != nil {
					return err
				}
			}
			db, err := a.connect(ctx, "", "")
			if err != nil {
				return err
			}
			if err := db.Tenants().Rename(ctx, args[0], args[1]); err != nil {
				return err
			}
			return a.done(map[string]string{"old": args[0], "new": args[1]}, "Renamed tenant %s to %s", args[0], args[1])
		},
	}
}

func (a *app) tenantDeleteCommand() *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a tenant and all its data",
		Example: "  cinch tenant delete old_customer --force",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name := args[0]
			if err := cinch.ValidateTenantName(name); err != nil {
				return err
			}
			db, err := a.connect(ctx, "", "")
			if err != nil {
				return err
			}
			if name == cinch.DefaultTenant {
				return &cinch.Error{Err: cinch.ErrProtected, Message: `tenant "main" cannot be deleted`,
					Hint: "every branch keeps its main tenant"}
			}
			if _, err := db.Tenants().Info(ctx, name); err != nil {
				return err
			}
			if err := a.confirm(force, "tenant "+name+" and all its data"); err != nil {
				return err
			}
			if err := db.Tenants().Delete(ctx, name); err != nil {
				return err
			}
			return a.done(map[string]string{"deleted": name}, "Deleted tenant %s", name)
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "delete without asking")
	return c
}

func (a *app) tenantCheckCommand() *cobra.Command {
	var all bool
	c := &cobra.Command{
		Use:   "check [NAME|--all]",
		Short: "Check tenants: schema version against the branch, drift and integrity",
		Long: `check runs PRAGMA integrity_check on a tenant (or every tenant of the branch
with --all or no NAME) and compares its schema version with the branch's,
bringing tenants that are behind up to date first. It exits 1 if any tenant
is not OK.`,
		Example: "  cinch tenant check acme_corp\n  cinch tenant check --all --format json",
		Args:    rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if all && len(args) > 0 {
				return usageErrorf("give a tenant NAME or --all, not both")
			}
			for _, n := range args {
				if err := cinch.ValidateTenantName(n); err != nil {
					return err
				}
			}
			db, err := a.connect(ctx, "", "")
			if err != nil {
				return err
			}
			checks, err := a.check(ctx, db, args)
			if err != nil {
				return err
			}
			bad := 0
			rows := make([][]string, len(checks))
			for i, c := range checks {
				if !c.OK {
					bad++
				}
				status := "OK"
				if !c.OK {
					status = "FAILED"
					for _, m := range c.Integrity {
						if strings.HasPrefix(m, "could not read") {
							status = "COULD NOT READ" // not a verdict on the file: retry once readable
						}
					}
				}
				rows[i] = []string{c.Tenant, c.State, strconv.Itoa(c.SchemaVersion), strconv.Itoa(c.BranchVersion),
					yesNo(c.Drift), strings.Join(c.Integrity, "; "), status}
			}
			if err := a.emit(orEmpty(checks), []string{"tenant", "state", "schema_version", "branch_version", "drift", "integrity", "status"}, rows); err != nil {
				return err
			}
			if bad > 0 {
				sentinel := cinch.ErrInternal
				for _, c := range checks {
					if c.Drift {
						sentinel = cinch.ErrSchemaDrift
					}
				}
				return &cinch.Error{Err: sentinel, Message: fmt.Sprintf("%d of %d %s failed the check", bad, len(checks), plural(int64(len(checks)), "tenant", "tenants"))}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&all, "all", false, "check every tenant of the branch (the default without NAME)")
	return c
}

// check runs the engine's Check, with a progress bar when one is shown.
func (a *app) check(ctx context.Context, db *local.DB, names []string) ([]cinch.TenantCheck, error) {
	cb, finish := a.progress(ctx, "check")
	defer finish()
	return db.Fleet().Check(ctx, cinch.FleetOptions{Tenants: names, Progress: cb})
}
