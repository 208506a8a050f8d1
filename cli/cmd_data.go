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
		Long: `query runs one statement on one tenant (--tenant, default main).

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
			if err := cinch.ValidateTenantName(tenant); err != nil {
				return err
			}
			if err := tenantNames(tenants); err != nil {
				return err
			}
			if grp != "" {
				if err := cinch.ValidateGroupName(grp); err != nil {
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
	c.Flags().StringVarP(&tenant, "tenant", "t", cinch.DefaultTenant, "tenant to run on")
	c.Flags().StringArrayVarP(&params, "param", "p", nil, "value for the next ? placeholder (repeatable; JSON scalars are typed, see above)")
	c.Flags().IntVar(&limit, "limit", 0, "return at most N rows (per tenant with --all-tenants; 0: all)")
	c.Flags().DurationVar(&timeout, "timeout", 0, "interrupt the query after this long, e.g. 30s (0: no limit)")
	c.Flags().BoolVar(&allTenants, "all-tenants", false, "run a read on every served tenant of the branch, in parallel")
	c.Flags().StringSliceVar(&tenants, "tenants", nil, "run a read on these tenants (comma-separated), in parallel")
	c.Flags().StringVar(&grp, "group", "", "run a read on the tenants of this group, in parallel")
	c.Flags().IntVar(&concurrency, "concurrency", 0, "tenants queried at once with --all-tenants (0: 2 x CPUs)")
	return c
}

func (a *app) dataCommand() *cobra.Command {
	return group("data", "Insert, update and delete rows of one tenant",
		`  cinch data insert users --tenant acme_corp --data '{"name": "Alice", "email": "alice@acme.com"}'
  cinch data delete users 0190a1b2-... --tenant acme_corp`,
		a.dataInsertCommand(), a.dataUpdateCommand(), a.dataDeleteCommand())
}

func (a *app) dataInsertCommand() *cobra.Command {
	var tenant, data string
	c := &cobra.Command{
		Use:   "insert TABLE --data JSON",
		Short: "Insert a row (a JSON object) or rows (an array, in one transaction)",
		Long: `insert stores a JSON object as one row, or an array of objects as rows in
one transaction (all or none), and prints what was stored: id, created_at,
updated_at and defaults included. --data - reads the JSON from stdin.`,
		Example: `  cinch data insert users --tenant acme_corp --data '{"name": "Alice", "email": "alice@acme.com"}'
  cinch data insert users --tenant wayne_ent --data '[{"name": "Bruce"}, {"name": "Alfred"}]' --format json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			table := args[0]
			if !cmd.Flags().Changed("data") {
				return usageErrorf("--data is required: a JSON object or an array of objects")
			}
			if err := validateIdents(cinch.KindTable, table); err != nil {
				return err
			}
			if err := cinch.ValidateTenantName(tenant); err != nil {
				return err
			}
			raw, err := a.readData(data)
			if err != nil {
				return err
			}
			recs, many, err := decodeRecords(raw, true)
			if err != nil {
				return err
			}
			db, err := a.connect(ctx, "", tenant)
			if err != nil {
				return err
			}
			var stored []cinch.Record
			if many {
				stored, err = db.InsertMany(ctx, table, recs)
			} else {
				var rec cinch.Record
				rec, err = db.Insert(ctx, table, recs[0])
				stored = []cinch.Record{rec}
			}
			if err != nil {
				return err
			}
			if a.format == FormatJSON {
				return writeRecords(a.stdout, stored, many)
			}
			if !many && len(stored) == 1 {
				_, err = fmt.Fprintf(a.stdout, "Inserted row %s into %s (tenant %s)\n", formatValue(stored[0]["id"], false), table, tenant)
				return err
			}
			_, err = fmt.Fprintf(a.stdout, "Inserted %d %s into %s (tenant %s)\n", len(stored), plural(int64(len(stored)), "row", "rows"), table, tenant)
			return err
		},
	}
	c.Flags().StringVarP(&tenant, "tenant", "t", cinch.DefaultTenant, "tenant to write to")
	c.Flags().StringVarP(&data, "data", "d", "", "JSON object or array of objects (- reads stdin)")
	return c
}

func (a *app) dataUpdateCommand() *cobra.Command {
	var tenant, data string
	c := &cobra.Command{
		Use:     "update TABLE ID --data JSON",
		Short:   "Update columns of the row with ID (updated_at moves)",
		Example: `  cinch data update users 0190a1b2-... --tenant acme_corp --data '{"phone": "555-0100"}'`,
		Args:    exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			table, id := args[0], args[1]
			if !cmd.Flags().Changed("data") {
				return usageErrorf("--data is required: a JSON object of the columns to change")
			}
			if err := validateIdents(cinch.KindTable, table); err != nil {
				return err
			}
			if err := cinch.ValidateTenantName(tenant); err != nil {
				return err
			}
			raw, err := a.readData(data)
			if err != nil {
				return err
			}
			recs, _, err := decodeRecords(raw, false)
			if err != nil {
				return err
			}
			db, err := a.connect(ctx, "", tenant)
			if err != nil {
				return err
			}
			rec, err := db.Update(ctx, table, id, recs[0])
			if err != nil {
				return err
			}
			if a.format == FormatJSON {
				return writeRecords(a.stdout, []cinch.Record{rec}, false)
			}
			_, err = fmt.Fprintf(a.stdout, "Updated row %s in %s (tenant %s)\n", id, table, tenant)
			return err
		},
	}
	c.Flags().StringVarP(&tenant, "tenant", "t", cinch.DefaultTenant, "tenant to write to")
	c.Flags().StringVarP(&data, "data", "d", "", "JSON object of the columns to change (- reads stdin)")
	return c
}

func (a *app) dataDeleteCommand() *cobra.Command {
	var tenant string
	c := &cobra.Command{
		Use:     "delete TABLE ID...",
		Short:   "Delete rows by id (prints how many existed)",
		Example: "  cinch data delete users 0190a1b2-... --tenant acme_corp",
		Args:    minArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			table, ids := args[0], args[1:]
			if err := validateIdents(cinch.KindTable, table); err != nil {
				return err
			}
			if err := cinch.ValidateTenantName(tenant); err != nil {
				return err
			}
			db, err := a.connect(ctx, "", tenant)
			if err != nil {
				return err
			}
			n, err := db.Delete(ctx, table, ids...)
			if err != nil {
				return err
			}
			return a.done(map[string]int64{"rows_affected": n}, "Deleted %d %s from %s (tenant %s)", n, plural(n, "row", "rows"), table, tenant)
		},
	}
	c.Flags().StringVarP(&tenant, "tenant", "t", cinch.DefaultTenant, "tenant to write to")
	return c
}
