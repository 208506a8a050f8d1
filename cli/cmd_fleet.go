package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// ---- fan-out query ----

// queryFleet runs one read-only statement on many tenants through the
// engine's fan-out and prints every tenant's answer: table and CSV with a
// leading tenant column, JSON as [{"tenant": NAME, "rows": [...]}] or
// {"tenant": NAME, "error": MSG}. Failures are listed on stderr after the
// data and make the command exit 1.
func (a *app) queryFleet(ctx context.Context, db *local.DB, opts cinch.FanOutOptions, sql string, params []any) error {
	cb, finish := a.progress(ctx, "query")
	opts.Progress = cb
	results, err := db.Fleet().Query(ctx, opts, sql, params...)
	finish()
	if err != nil {
		return err
	}
	failed, readOnly := 0, 0
	for _, r := range results {
		if r.Err != nil {
			failed++
			if errors.Is(r.Err, cinch.ErrReadOnly) {
				readOnly++
			}
		}
	}
	if failed > 0 && readOnly == failed {
		return &cinch.Error{Err: cinch.ErrReadOnly,
			Message: "writes are refused on many tenants at once; nothing was changed",
			Hint:    "run a write on one tenant with --tenant NAME"}
	}
	switch a.format {
	case FormatJSON:
		var js bytes.Buffer
		js.WriteByte('[')
		for i, r := range results {
			if i > 0 {
				js.WriteByte(',')
			}
			name, _ := json.Marshal(r.Tenant)
			if r.Err != nil {
				msg, _ := json.Marshal(errorMessage(r.Err))
				fmt.Fprintf(&js, `{"tenant":%s,"error":%s}`, name, msg)
				continue
			}
			res := r.Result
			if res == nil {
				res = &cinch.Result{}
			}
			fmt.Fprintf(&js, `{"tenant":%s,"rows":%s}`, name, rowObjects(res.Columns, res.Rows))
		}
		js.WriteByte(']')
		if err := writeRawJSON(a.stdout, js.Bytes()); err != nil {
			return err
		}
	default:
		// Tenants normally answer with the same columns; one whose schema
		// differs (a column only some tenants have) is lined up by name.
		var columns []string
		first := true
		for _, r := range results {
			if r.Err != nil || r.Result == nil {
				continue
			}
			if first {
				columns, first = slices.Clone(r.Result.Columns), false
				continue
			}
			for _, c := range r.Result.Columns {
				if !slices.Contains(columns, c) {
					columns = append(columns, c)
				}
			}
		}
		var lines [][]string
		for _, r := range results {
			if r.Err != nil || r.Result == nil {
				continue
			}
			for _, row := range r.Result.Rows {
				line := make([]string, 1, len(columns)+1)
				line[0] = r.Tenant
				for _, v := range alignRow(columns, r.Result.Columns, row) {
					line = append(line, formatValue(v, a.format == FormatCSV))
				}
				lines = append(lines, line)
			}
		}
		headers := append([]string{"tenant"}, columns...)
		if a.format == FormatCSV {
			if err := writeCSV(a.stdout, headers, lines); err != nil {
				return err
			}
		} else {
			if err := writeTable(a.stdout, headers, lines); err != nil {
				return err
			}
			ok := len(results) - failed
			fmt.Fprintf(a.stdout, "(%d %s from %d %s)\n", len(lines), plural(int64(len(lines)), "row", "rows"), ok, plural(int64(ok), "tenant", "tenants"))
		}
	}
	for _, r := range results {
		if r.Err == nil && r.Result != nil && r.Result.Truncated {
			a.note("(tenant %s: showing the first %d rows; raise --limit to see more)", r.Tenant, len(r.Result.Rows))
		}
	}
	if failed > 0 {
		if a.format != FormatJSON {
			for _, r := range results {
				if r.Err != nil {
					a.note("tenant %s: %s", r.Tenant, errorMessage(r.Err))
				}
			}
		}
		return &cinch.Error{Err: cinch.ErrInternal,
			Message: fmt.Sprintf("query failed on %d of %d %s", failed, len(results), plural(int64(len(results)), "tenant", "tenants")),
			Hint:    "the other tenants' rows are above; run `cinch tenant check NAME` on the failed ones"}
	}
	return nil
}

// alignRow puts a row with the given columns under the table's columns:
// as it is when they are the same, else each table column takes the first
// of the row's columns of that name (nil when it has none).
func alignRow(table, columns []string, row []any) []any {
	if slices.Equal(table, columns) {
		return row
	}
	out := make([]any, len(table))
	for i, c := range table {
		if j := slices.Index(columns, c); j >= 0 && j < len(row) {
			out[i] = row[j]
		}
	}
	return out
}

// ---- tenant stats, vacuum, analyze, archive, restore ----

// tenantNames validates tenant names given as arguments.
func tenantNames(args []string) error {
	for _, n := range args {
		if err := cinch.ValidateTenantName(n); err != nil {
			return err
		}
	}
	return nil
}

func (a *app) tenantStatsCommand() *cobra.Command {
	var sortBy string
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
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			less, ok := statsOrder[sortBy]
			if !ok {
				return usageErrorf("invalid --sort %q: use name, size, rows or last-write", sortBy)
			}
			if err := tenantNames(args); err != nil {
				return err
			}
			db, err := a.connect(ctx, "", "")
			if err != nil {
				return err
			}
			cb, finish := a.progress(ctx, "stats")
			stats, err := db.Fleet().Stats(ctx, cinch.FleetOptions{Tenants: args, Progress: cb})
			finish()
			if err != nil {
				return err
			}
			sort.SliceStable(stats, func(i, j int) bool { return less(stats[i], stats[j]) })
			rows := make([][]string, len(stats))
			for i, s := range stats {
				size := sizeText(s.SizeBytes)
				if a.format == FormatCSV {
					size = strconv.FormatInt(s.SizeBytes, 10)
				}
				version := strconv.Itoa(s.SchemaVersion)
				if s.Pending {
					version += " (behind)"
				}
				rows[i] = []string{s.Name, string(s.State), size, strconv.Itoa(s.Tables), strconv.FormatInt(s.Rows, 10),
					timeText(s.LastWrite), version, yesNo(s.Encrypted), s.Group}
			}
			return a.emit(orEmpty(stats), []string{"name", "state", "size", "tables", "rows", "last_write", "schema_version", "encrypted", "group"}, rows)
		},
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

// maintenanceSummary is the JSON of `tenant vacuum` and `tenant analyze`.
type maintenanceSummary struct {
	Tenants        int                       `json:"tenants"`
	Skipped        int                       `json:"skipped"` // lazy: nothing on disk
	Failed         int                       `json:"failed"`
	ReclaimedBytes int64                     `json:"reclaimed_bytes"`
	Results        []cinch.MaintenanceResult `json:"results"`
}

func (a *app) maintenanceCommand(verb, past, short, long string, run func(f cinch.FleetService, ctx context.Context, opts cinch.FleetOptions) ([]cinch.MaintenanceResult, error)) *cobra.Command {
	var all bool
	c := &cobra.Command{
		Use:     verb + " [NAME...|--all]",
		Short:   short,
		Long:    long,
		Example: fmt.Sprintf("  cinch tenant %s acme_corp\n  cinch tenant %s --all\n  cinch tenant %s --all --format json", verb, verb, verb),
		Args:    usageArgs(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if all == (len(args) > 0) {
				if all {
					return usageErrorf("give tenant NAMEs or --all, not both")
				}
				return usageErrorf("give a tenant NAME, or --all for every tenant of the branch")
			}
			if err := tenantNames(args); err != nil {
				return err
			}
			db, err := a.connect(ctx, "", "")
			if err != nil {
				return err
			}
			cb, finish := a.progress(ctx, verb)
			results, err := run(db.Fleet(), ctx, cinch.FleetOptions{Tenants: args, Progress: cb})
			finish()
			if err != nil {
				return err
			}
			sum := maintenanceSummary{Results: orEmpty(results)}
			rows := make([][]string, 0, len(results))
			for _, r := range results {
				status := "ok"
				switch {
				case r.Error != "":
					sum.Failed++
					status = "FAILED: " + oneLine(r.Error)
				case r.BytesBefore == 0:
					sum.Skipped++
					status = "skipped (lazy: no file yet)"
				default:
					sum.Tenants++
					if d := r.BytesBefore - r.BytesAfter; d > 0 {
						sum.ReclaimedBytes += d
					}
				}
				rows = append(rows, []string{r.Tenant, sizeText(r.BytesBefore), sizeText(r.BytesAfter), status})
			}
			switch a.format {
			case FormatJSON:
				if err := writeJSON(a.stdout, sum); err != nil {
					return err
				}
			case FormatCSV:
				for i, r := range results {
					rows[i][1], rows[i][2] = strconv.FormatInt(r.BytesBefore, 10), strconv.FormatInt(r.BytesAfter, 10)
				}
				if err := writeCSV(a.stdout, []string{"tenant", "bytes_before", "bytes_after", "status"}, rows); err != nil {
					return err
				}
			default:
				if len(rows) <= 50 || sum.Failed > 0 {
					if len(rows) > 50 { // only the failures: the summary says the rest
						rows = slices.DeleteFunc(rows, func(r []string) bool { return !strings.HasPrefix(r[3], "FAILED") })
					}
					if err := writeTable(a.stdout, []string{"tenant", "size_before", "size_after", "status"}, rows); err != nil {
						return err
					}
				}
				line := fmt.Sprintf("%s %d %s", past, sum.Tenants, plural(int64(sum.Tenants), "tenant", "tenants"))
				if verb == "vacuum" {
					line += ", reclaimed " + sizeText(sum.ReclaimedBytes)
				}
				if sum.Skipped > 0 {
					line += fmt.Sprintf(", skipped %d lazy", sum.Skipped)
				}
				line += fmt.Sprintf(", %d %s", sum.Failed, plural(int64(sum.Failed), "failure", "failures"))
				fmt.Fprintln(a.stdout, line)
			}
			if sum.Failed > 0 {
				return &cinch.Error{Err: cinch.ErrInternal,
					Message: fmt.Sprintf("%s failed on %d of %d %s", verb, sum.Failed, len(results), plural(int64(len(results)), "tenant", "tenants")),
					Hint:    "run `cinch tenant check NAME` on the failed ones"}
			}
			return nil
		},
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
			if err := db.Fleet().Archive(ctx, name); err != nil {
				return err
			}
			return a.done(map[string]string{"archived": name}, "Archived tenant %s (bring it back with: cinch tenant restore %s)", name, name)
		},
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
			if err := db.Fleet().Restore(ctx, name); err != nil {
				return err
			}
			return a.done(map[string]string{"restored": name}, "Restored tenant %s", name)
		},
	}
}

// ---- groups ----

func (a *app) tenantGroupCommand() *cobra.Command {
	return group("group", "Put tenants in groups (see cinch group)",
		"  cinch tenant group set acme_corp enterprise\n  cinch tenant group set acme_corp --none",
		a.tenantGroupSetCommand())
}

func (a *app) tenantGroupSetCommand() *cobra.Command {
	var none bool
	c := &cobra.Command{
		Use:   "set NAME GROUP|--none",
		Short: "Put a tenant in a group, or take it out with --none (or GROUP \"\")",
		Example: `  cinch tenant group set acme_corp enterprise
  cinch tenant group set acme_corp --none`,
		Args: rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			tenant, grp := args[0], ""
			switch {
			case none && len(args) == 2:
				return usageErrorf("give a GROUP or --none, not both")
			case !none && len(args) == 1:
				return usageErrorf("give a GROUP, or --none to take tenant %s out of its group", tenant)
			case len(args) == 2:
				grp = args[1]
			}
			if err := cinch.ValidateTenantName(tenant); err != nil {
				return err
			}
			if grp != "" {
				if err := cinch.ValidateGroupName(grp); err != nil {
					return err
				}
			}
			db, err := a.connect(ctx, "", "")
			if err != nil {
				return err
			}
			if err := db.Groups().SetTenant(ctx, tenant, grp); err != nil {
				return err
			}
			if grp == "" {
				return a.done(map[string]string{"tenant": tenant, "group": ""}, "Tenant %s is in no group now", tenant)
			}
			return a.done(map[string]string{"tenant": tenant, "group": grp}, "Tenant %s is in group %s", tenant, grp)
		},
	}
	c.Flags().BoolVar(&none, "none", false, "take the tenant out of its group")
	return c
}

func (a *app) groupCommand() *cobra.Command {
	return group("group", "Manage tenant groups and their limits (max database size, max concurrent queries)",
		`  cinch group create enterprise --max-db-size 10GiB --max-concurrent 16
  cinch group list
  cinch group limits trial --max-db-size 100MB
  cinch tenant group set acme_corp enterprise`,
		a.groupCreateCommand(), a.groupListCommand(), a.groupLimitsCommand())
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
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			g := cinch.Group{Name: args[0]}
			if err := cinch.ValidateGroupName(g.Name); err != nil {
				return err
			}
			if err := lf.apply(cmd, &g); err != nil {
				return err
			}
			db, err := a.connect(ctx, "", "")
			if err != nil {
				return err
			}
			if _, err := db.Groups().Create(ctx, g); err != nil {
				return err
			}
			return a.done(g, "Created group %s (max db size: %s, max concurrent: %s)", g.Name,
				limitText(g.MaxDBBytes, true), limitText(int64(g.MaxConcurrent), false))
		},
	}
	lf.add(c)
	return c
}

func (a *app) groupListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the tenant groups with their limits and tenant counts",
		Example: "  cinch group list\n  cinch group list --format json",
		Args:    noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := a.connect(ctx, "", "")
			if err != nil {
				return err
			}
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
			rows := make([][]string, len(groups))
			for i, g := range groups {
				entries[i] = entry{g, count[g.Name]}
				size := limitText(g.MaxDBBytes, true)
				if a.format == FormatCSV {
					size = strconv.FormatInt(g.MaxDBBytes, 10)
				}
				rows[i] = []string{g.Name, size, limitText(int64(g.MaxConcurrent), false), strconv.Itoa(count[g.Name])}
			}
			return a.emit(orEmpty(entries), []string{"name", "max_db_size", "max_concurrent", "tenants"}, rows)
		},
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
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name := args[0]
			if err := cinch.ValidateGroupName(name); err != nil {
				return err
			}
			var g cinch.Group
			if err := lf.apply(cmd, &g); err != nil { // reject bad flags before opening anything
				return err
			}
			db, err := a.connect(ctx, "", "")
			if err != nil {
				return err
			}
			groups, err := db.Groups().List(ctx)
			if err != nil {
				return err
			}
			i := slices.IndexFunc(groups, func(g cinch.Group) bool { return g.Name == name })
			if i < 0 {
				return cinch.NotFound(cinch.ErrGroupNotFound, "group", name, "run `cinch group list` to see the groups")
			}
			g = groups[i]
			changed := cmd.Flags().Changed("max-db-size") || cmd.Flags().Changed("max-concurrent")
			if changed {
				if err := lf.apply(cmd, &g); err != nil {
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
		},
	}
	lf.add(c)
	return c
}

// ---- inactive tenants ----

// inactiveSince lists the served tenants not written for age.
func (a *app) inactiveSince(ctx context.Context, db *local.DB, age string) ([]cinch.TenantInfo, error) {
	d, err := parseAge(age)
	if err != nil {
		return nil, err
	}
	return db.Fleet().InactiveSince(ctx, time.Now().Add(-d))
}
