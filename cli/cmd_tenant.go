package cli

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

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
		a.tenantGroupCommand(), a.tenantRotateKeyCommand(), a.tenantMigrateCommand())
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
	var age time.Duration
	c := &cobra.Command{
		Use:   "list",
		Short: "List the tenants of the active branch",
		Long: `list shows every tenant of the branch. --inactive-since AGE keeps only the
served tenants not written for AGE (365d, 48h, 90m, 1d12h): candidates for
cinch tenant archive.`,
		Example: "  cinch tenant list\n  cinch tenant list --format json\n  cinch tenant list --inactive-since 365d",
		Args:    noArgs(),
	}
	since := func() bool { return c.Flags().Changed("inactive-since") }
	c.RunE = a.runE(call{
		check: func(args []string) (err error) {
			if since() {
				age, err = parseAge(inactive)
			}
			return err
		},
		run: func(ctx context.Context, db cinch.DB, args []string) error {
			var list []cinch.TenantInfo
			var err error
			if since() {
				list, err = db.Fleet().InactiveSince(ctx, time.Now().Add(-age))
			} else {
				list, err = db.Tenants().List(ctx)
			}
			if err != nil {
				return err
			}
			if len(list) == 0 && a.format == FormatTable && since() {
				_, err := fmt.Fprintf(a.stdout, "No tenant has gone unwritten for %s\n", inactive)
				return err
			}
			branchVersion := -1
			if changes, err := db.Changes(ctx); err == nil {
				branchVersion = len(changes)
			}
			return emitList(a, list, []string{"name", "state", "size", "schema_version", "behind", "encrypted", "created_at", "group"}, func(t cinch.TenantInfo) []string {
				version := strconv.Itoa(t.SchemaVersion)
				if branchVersion >= 0 && t.SchemaVersion < branchVersion {
					version += " (pending " + strconv.Itoa(branchVersion) + ")"
				}
				return []string{t.Name, string(t.State), sizeText(t.SizeBytes), version, yesNo(t.Behind), yesNo(t.Encrypted), timeText(t.CreatedAt), t.Group}
			})
		}})
	c.Flags().StringVar(&inactive, "inactive-since", "", "only served tenants not written for this long (365d, 48h, 90m)")
	return c
}

func (a *app) tenantCreateCommand() *cobra.Command {
	var opts cinch.TenantCreateOptions
	var fromFile string
	c := &cobra.Command{
		Use:   "create NAME... [--from-file F]",
		Short: "Create tenants with the current schema, ready for use",
		Long: `create makes a tenant's SQLite file with the branch's current schema.
--lazy only registers the tenant (for bulk provisioning): its file appears on
its first write. --from copies schema and data from a template tenant.
--encrypt stores it encrypted at rest under --key (or CINCHDB_TENANT_KEY);
cinch never stores the key, and every later command on the tenant needs it.

Several NAMEs, or --from-file F (one name per line; blank lines and lines
starting with # are skipped; - reads stdin), create a batch at once: the
names must be new and distinct, else none is created, and the work is shared
(much faster than one create per tenant). A batch cannot use --from or
--encrypt.`,
		Example: `  cinch tenant create acme_corp
  cinch tenant create customer_12345 --lazy
  cinch tenant create wayne_ent --from _template_default
  cinch tenant create stark_ind --encrypt --key "$STARK_KEY"
  cinch tenant create acme globex initech
  cinch tenant create --from-file customers.txt --lazy`,
		Args: usageArgs(func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && fromFile == "" {
				return fmt.Errorf("give at least one tenant NAME, or --from-file F")
			}
			return nil
		}),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) > 1 || fromFile != "") && (opts.From != "" || opts.Encrypt) {
				return usageErrorf("--from and --encrypt create one tenant at a time: give one NAME")
			}
			return nil
		},
		RunE: a.runE(call{names: names(cinch.KindTenant),
			check: func(args []string) error {
				if opts.From != "" {
					return cinch.ValidateTenantName(opts.From)
				}
				return nil
			},
			run: func(ctx context.Context, db cinch.DB, args []string) error {
				if len(args) > 1 || fromFile != "" {
					return a.createTenants(ctx, db, args, fromFile, opts)
				}
				name := args[0]
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
			}}),
	}
	c.Flags().StringVar(&opts.From, "from", "", "copy schema and data from this tenant")
	c.Flags().BoolVar(&opts.Lazy, "lazy", false, "only register the tenant; create its file on first write")
	c.Flags().BoolVar(&opts.Encrypt, "encrypt", false, "encrypt the tenant at rest under --key")
	c.Flags().StringVar(&fromFile, "from-file", "", "create the tenants named in this file, one per line (- for stdin)")
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
		RunE: a.runE(call{project: func(ctx context.Context, p *local.Project, args []string) error {
			database, branch, err := a.scope(ctx)
			if err != nil {
				return err
			}
			db, err := p.Connect(cinch.Target{Database: database, Branch: branch, Tenant: cinch.DefaultTenant})
			if err != nil {
				return err
			}
			if err := db.WithKey(a.tenantKey()).RotateKey(ctx, args[0], a.flagOrEnv(newKey, "CINCHDB_NEW_TENANT_KEY")); err != nil {
				return err
			}
			return a.done(map[string]string{"name": args[0], "status": "rotated"}, "Re-encrypted tenant %s under the new key", args[0])
		}}),
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
		RunE: a.runE(call{names: names(cinch.KindTenant), run: func(ctx context.Context, db cinch.DB, args []string) error {
			info, err := db.Tenants().Info(ctx, args[0])
			if err != nil {
				return err
			}
			return a.emitFields(info, tenantFields(info))
		}}),
	}
}

func (a *app) tenantCopyCommand() *cobra.Command {
	var noData bool
	c := &cobra.Command{
		Use:     "copy SOURCE TARGET",
		Short:   "Copy a tenant (a consistent snapshot, or only its schema with --no-data)",
		Example: "  cinch tenant copy _template_default acme_corp\n  cinch tenant copy acme_corp acme_corp_staging --no-data",
		Args:    exactArgs(2),
		RunE: a.runE(call{names: names(cinch.KindTenant), run: func(ctx context.Context, db cinch.DB, args []string) error {
			info, err := db.Tenants().Copy(ctx, args[0], args[1], noData)
			if err != nil {
				return err
			}
			what := ""
			if noData {
				what = " (schema only)"
			}
			return a.done(info, "Copied tenant %s to %s%s", args[0], args[1], what)
		}}),
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
		RunE: a.runE(call{names: names(cinch.KindTenant), run: func(ctx context.Context, db cinch.DB, args []string) error {
			if err := db.Tenants().Rename(ctx, args[0], args[1]); err != nil {
				return err
			}
			return a.done(map[string]string{"old": args[0], "new": args[1]}, "Renamed tenant %s to %s", args[0], args[1])
		}}),
	}
}

func (a *app) tenantDeleteCommand() *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a tenant and all its data",
		Example: "  cinch tenant delete old_customer --force",
		Args:    exactArgs(1),
		RunE: a.runE(call{names: names(cinch.KindTenant), run: func(ctx context.Context, db cinch.DB, args []string) error {
			name := args[0]
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
		}}),
	}
	forceFlag(c, &force, "delete without asking")
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
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if all && len(args) > 0 {
				return usageErrorf("give a tenant NAME or --all, not both")
			}
			return nil
		},
		RunE: a.runE(call{names: names(cinch.KindTenant), run: func(ctx context.Context, db cinch.DB, args []string) error {
			checks, err := a.check(ctx, db, args)
			if err != nil {
				return err
			}
			bad := 0
			err = emitList(a, checks, []string{"tenant", "state", "schema_version", "branch_version", "drift", "integrity", "status"}, func(c cinch.TenantCheck) []string {
				status := "OK"
				if !c.OK {
					bad++
					status = "FAILED"
					for _, m := range c.Integrity {
						if strings.HasPrefix(m, "could not read") {
							status = "COULD NOT READ" // not a verdict on the file: retry once readable
						}
					}
				}
				return []string{c.Tenant, c.State, strconv.Itoa(c.SchemaVersion), strconv.Itoa(c.BranchVersion),
					yesNo(c.Drift), strings.Join(c.Integrity, "; "), status}
			})
			if err != nil {
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
		}}),
	}
	c.Flags().BoolVar(&all, "all", false, "check every tenant of the branch (the default without NAME)")
	return c
}

// check runs the engine's Check, with a progress bar when one is shown.
func (a *app) check(ctx context.Context, db cinch.DB, names []string) ([]cinch.TenantCheck, error) {
	cb, finish := a.progress(ctx, "check")
	defer finish()
	return db.Fleet().Check(ctx, cinch.FleetOptions{Tenants: names, Progress: cb})
}

// ---- fleet: stats, vacuum, analyze, archive, restore ----

func (a *app) tenantStatsCommand() *cobra.Command {
	var sortBy string
	var less func(x, y cinch.TenantStats) bool
	c := &cobra.Command{
		Use:   "stats [NAME...]",
		Short: "Show tenant metrics: size on disk, tables, rows, last write, schema version",
		Long: `stats reports, per tenant (every served tenant of the branch without NAME):
its size on disk (database + WAL), WAL size, tables, total rows, last write
time, schema version, whether it is behind the branch, encryption and group.

--sort name (default), size or rows (largest first), last-write (most
recent first).`,
		Example: `  cinch tenant stats
  cinch tenant stats --sort size
  cinch tenant stats acme_corp --format json`,
		Args: usageArgs(cobra.ArbitraryArgs),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			var ok bool
			if less, ok = statsOrder[sortBy]; !ok {
				return usageErrorf("invalid --sort %q: use name, size, rows or last-write", sortBy)
			}
			return nil
		},
		RunE: a.runE(call{names: names(cinch.KindTenant), run: func(ctx context.Context, db cinch.DB, args []string) error {
			cb, finish := a.progress(ctx, "stats")
			stats, err := db.Fleet().Stats(ctx, cinch.FleetOptions{Tenants: args, Progress: cb})
			finish()
			if err != nil {
				return err
			}
			sort.SliceStable(stats, func(i, j int) bool { return less(stats[i], stats[j]) })
			return emitList(a, stats, []string{"name", "state", "size", "tables", "rows", "last_write", "schema_version", "encrypted", "group"}, func(s cinch.TenantStats) []string {
				size := sizeText(s.SizeBytes)
				if a.format == FormatCSV {
					size = strconv.FormatInt(s.SizeBytes, 10)
				}
				version := strconv.Itoa(s.SchemaVersion)
				if s.Pending {
					version += " (behind)"
				}
				return []string{s.Name, string(s.State), size, strconv.Itoa(s.Tables), strconv.FormatInt(s.Rows, 10),
					timeText(s.LastWrite), version, yesNo(s.Encrypted), s.Group}
			})
		}}),
	}
	c.Flags().StringVar(&sortBy, "sort", "name", "order: name, size, rows or last-write")
	return c
}

var statsOrder = map[string]func(x, y cinch.TenantStats) bool{
	"name": func(x, y cinch.TenantStats) bool { return x.Name < y.Name },
	"size": func(x, y cinch.TenantStats) bool { return x.SizeBytes > y.SizeBytes },
	"rows": func(x, y cinch.TenantStats) bool { return x.Rows > y.Rows },
	"last-write": func(x, y cinch.TenantStats) bool {
		return x.LastWrite.After(y.LastWrite)
	},
}

// maintenanceCommand is tenant vacuum and tenant analyze: run is the
// engine call, past the verb's past tense for the summary line.
func (a *app) maintenanceCommand(verb, past, short, long string, run func(f cinch.FleetService, ctx context.Context, opts cinch.FleetOptions) ([]cinch.MaintenanceResult, error)) *cobra.Command {
	var all bool
	c := &cobra.Command{
		Use:     verb + " [NAME...|--all]",
		Short:   short,
		Long:    long,
		Example: fmt.Sprintf("  cinch tenant %s acme_corp\n  cinch tenant %s --all\n  cinch tenant %s --all --format json", verb, verb, verb),
		Args:    usageArgs(cobra.ArbitraryArgs),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				if all {
					return usageErrorf("give tenant NAMEs or --all, not both")
				}
				return usageErrorf("give a tenant NAME, or --all for every tenant of the branch")
			}
			return nil
		},
		RunE: a.runE(call{names: names(cinch.KindTenant), run: func(ctx context.Context, db cinch.DB, args []string) error {
			cb, finish := a.progress(ctx, verb)
			results, err := run(db.Fleet(), ctx, cinch.FleetOptions{Tenants: args, Progress: cb})
			finish()
			if err != nil {
				return err
			}
			return a.writeMaintenance(verb, past, results)
		}}),
	}
	c.Flags().BoolVar(&all, "all", false, "every served tenant of the branch")
	return c
}

func (a *app) tenantVacuumCommand() *cobra.Command {
	return a.maintenanceCommand("vacuum", "Vacuumed", "Rebuild tenant files to reclaim free space (VACUUM)",
		`vacuum runs VACUUM on a tenant (or every served tenant with --all), in
parallel, then truncates its WAL, and reports the space reclaimed. Lazy
tenants have no file and are skipped. It exits 1 if any tenant failed.`,
		cinch.FleetService.Vacuum)
}

func (a *app) tenantAnalyzeCommand() *cobra.Command {
	return a.maintenanceCommand("analyze", "Analyzed", "Refresh the query planner's statistics of tenants (ANALYZE)",
		`analyze runs ANALYZE on a tenant (or every served tenant with --all), in
parallel. Lazy tenants have no file and are skipped. It exits 1 if any
tenant failed.`,
		cinch.FleetService.Analyze)
}

func (a *app) tenantArchiveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "archive NAME",
		Short: "Move an inactive tenant out of the serving set (compressed; restore brings it back)",
		Long: `archive compresses a tenant's file (zstd) into the branch's archive folder
and stops serving it: queries on it fail and fan-out skips it. Its data is
kept; cinch tenant restore NAME brings it back with any schema changes made
meanwhile. main cannot be archived.`,
		Example: "  cinch tenant list --inactive-since 365d\n  cinch tenant archive old_customer",
		Args:    exactArgs(1),
		RunE: a.runE(call{names: names(cinch.KindTenant), run: func(ctx context.Context, db cinch.DB, args []string) error {
			if err := db.Fleet().Archive(ctx, args[0]); err != nil {
				return err
			}
			return a.done(map[string]string{"archived": args[0]}, "Archived tenant %s (bring it back with: cinch tenant restore %s)", args[0], args[0])
		}}),
	}
}

func (a *app) tenantRestoreCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "restore NAME",
		Short: "Bring an archived tenant back, with the schema changes made meanwhile",
		Long: `restore decompresses an archived tenant, checks its integrity, applies the
schema changes the branch made since it was archived, and serves it again.
A corrupt archive is an error and the tenant stays archived.`,
		Example: "  cinch tenant restore old_customer",
		Args:    exactArgs(1),
		RunE: a.runE(call{names: names(cinch.KindTenant), run: func(ctx context.Context, db cinch.DB, args []string) error {
			if err := db.Fleet().Restore(ctx, args[0]); err != nil {
				return err
			}
			return a.done(map[string]string{"restored": args[0]}, "Restored tenant %s", args[0])
		}}),
	}
}
