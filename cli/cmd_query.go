package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
)

func (a *app) queryCommand() *cobra.Command {
	var tenant, grp string
	var params, tenants []string
	var limit, concurrency int
	var allTenants bool
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "query SQL",
		Short: "Run one SQL statement on one tenant, or a read on many at once",
		Long: `query runs one statement on one tenant (--tenant, default main; required when
strict_tenant is on, see cinch config set).

Allowed: SELECT / WITH / EXPLAIN, INSERT / UPDATE / DELETE, VACUUM, ANALYZE,
PRAGMA integrity_check / quick_check and read-only pragmas. Schema changes
(CREATE, ALTER, DROP) go through the table, column, view and index commands;
ATTACH and writable pragmas are rejected.

Each --param binds the next ? placeholder. A value that is a JSON scalar is
passed as that value: 42 is an integer, 1.5 a real, true/false a boolean,
null is NULL, and a JSON string such as '"42"' is the text 42. Anything else
is passed as text as written.

Reads print the rows (JSON: an array of row objects, [] when empty); writes
print the number of rows affected (JSON: {"rows_affected": N}).

--all-tenants runs a read on every served tenant of the branch in parallel
(--tenants a,b,c or --group G narrow the set; archived tenants are skipped,
lazy ones answer empty without being created). Writes are refused there.
Table and CSV output get a leading tenant column; JSON is
[{"tenant": NAME, "rows": [...]}, {"tenant": NAME, "error": MSG}]. A failure
on one tenant does not hide the others; the command then exits 1.`,
		Example: `  cinch query "SELECT * FROM users" --tenant acme_corp
  cinch query "SELECT * FROM users WHERE email = ?" --param alice@acme.com --tenant acme_corp
  cinch query "UPDATE users SET phone = ? WHERE name = ?" --param '"555-0100"' --param Alice --tenant acme_corp
  cinch query "PRAGMA integrity_check" --tenant wayne_ent --format json
  cinch query "SELECT COUNT(*) AS users FROM users" --all-tenants
  cinch query "SELECT COUNT(*) AS users FROM users" --group enterprise --format json`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if limit < 0 {
				return usageErrorf("--limit must be 0 (no limit) or more, got %d", limit)
			}
			if timeout < 0 {
				return usageErrorf("--timeout must be 0 (no limit) or more, got %s", timeout)
			}
			if concurrency < 0 {
				return usageErrorf("--concurrency must be 0 (default) or more, got %d", concurrency)
			}
			fleet := allTenants || cmd.Flags().Changed("tenants") || cmd.Flags().Changed("group")
			switch {
			case fleet && cmd.Flags().Changed("tenant"):
				return usageErrorf("give --tenant for one tenant, or --all-tenants / --tenants / --group for many, not both")
			case allTenants && cmd.Flags().Changed("tenants"):
				return usageErrorf("give --all-tenants or --tenants, not both")
			case !fleet && cmd.Flags().Changed("concurrency"):
				return usageErrorf("--concurrency only applies with --all-tenants, --tenants or --group")
			}
			if cmd.Flags().Changed("tenants") && len(tenants) == 0 {
				return usageErrorf("--tenants needs a comma-separated list of tenant names")
			}
			if err := checkNames(names(cinch.KindTenant), append([]string{tenant}, tenants...)); err != nil {
				return err
			}
			if grp != "" {
				if err := cinch.ValidateGroupName(grp); err != nil {
					return err
				}
			}
			if !fleet {
				if err := a.requireTenant(ctx, cmd); err != nil {
					return err
				}
			}
			db, err := a.connect(ctx, "", tenant)
			if err != nil {
				return err
			}
			sql := strings.Join(args, " ")
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			if fleet {
				return a.queryFleet(ctx, db, cinch.FanOutOptions{Tenants: tenants, Group: grp, Concurrency: concurrency, Limit: limit}, sql, parseParams(params))
			}
			out := newRowPrinter(a.stdout, a.format)
			res, err := db.QueryTo(ctx, cinch.QueryOptions{Limit: limit}, out, sql, parseParams(params)...)
			if cerr := out.close(res); err == nil {
				err = cerr
			}
			if err != nil {
				if timeout > 0 && errors.Is(err, cinch.ErrCanceled) && ctx.Err() == context.DeadlineExceeded {
					return &cinch.Error{Err: cinch.ErrCanceled, Message: fmt.Sprintf("query ran past --timeout %s and was interrupted", timeout),
						Hint: "make the query cheaper, or raise --timeout"}
				}
				return err
			}
			if res.Truncated {
				a.note("(showing the first %d rows; raise --limit to see more)", out.rows)
			}
			return nil
		},
	}
	tenantFlag(c, &tenant, "tenant to run on")
	c.Flags().StringArrayVarP(&params, "param", "p", nil, "value for the next ? placeholder (repeatable; JSON scalars are typed, see above)")
	c.Flags().IntVar(&limit, "limit", 0, "return at most N rows (per tenant with --all-tenants; 0: all)")
	c.Flags().DurationVar(&timeout, "timeout", 0, "interrupt the query after this long, e.g. 30s (0: no limit)")
	c.Flags().BoolVar(&allTenants, "all-tenants", false, "run a read on every served tenant of the branch, in parallel")
	c.Flags().StringSliceVar(&tenants, "tenants", nil, "run a read on these tenants (comma-separated), in parallel")
	c.Flags().StringVar(&grp, "group", "", "run a read on the tenants of this group, in parallel")
	c.Flags().IntVar(&concurrency, "concurrency", 0, "tenants queried at once with --all-tenants (0: 2 x CPUs)")
	return c
}

// queryFleet runs one read-only statement on many tenants through the
// engine's fan-out and prints every tenant's answer (writeFanOut). Writes
// are refused as a whole; failures on some tenants make the command exit 1
// after the others' rows are printed.
func (a *app) queryFleet(ctx context.Context, db cinch.DB, opts cinch.FanOutOptions, sql string, params []any) error {
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
	if err := a.writeFanOut(results, failed); err != nil {
		return err
	}
	if failed > 0 {
		return &cinch.Error{Err: cinch.ErrInternal,
			Message: fmt.Sprintf("query failed on %d of %d %s", failed, len(results), plural(int64(len(results)), "tenant", "tenants")),
			Hint:    "the other tenants' rows are above; run `cinch tenant check NAME` on the failed ones"}
	}
	return nil
}
