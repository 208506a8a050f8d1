package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
)

// Row filters on the command line: data select, and data update and data
// delete by --where instead of by id. A --where is one filter in the text
// form of cinch.ParseFilter; repeated, every one must match.

const whereUsage = "filter COND, repeatable (all must match): name=Alice, 'age>30', 'name like A%', 'id in (a,b)', 'phone is null'"

// whereFlags are --where and --all of data update and data delete.
type whereFlags struct {
	where   []string
	all     bool
	filters []cinch.Filter // parsed by check
}

func (w *whereFlags) add(c *cobra.Command, verb string) {
	c.Flags().StringArrayVarP(&w.where, "where", "w", nil, whereUsage)
	c.Flags().BoolVar(&w.all, "all", false, verb+" every row of the table (an empty filter is refused without it)")
}

// check parses the filters and refuses ids together with filters, and a
// write by filter with none (unless --all).
func (w *whereFlags) check(ids int, verb string) error {
	switch {
	case ids > 0 && (len(w.where) > 0 || w.all):
		return usageErrorf("give row ids or --where/--all, not both")
	case ids == 0 && len(w.where) == 0 && !w.all:
		return usageErrorf("give the id of a row, or --where COND to %s the rows that match (--all for every row)", verb)
	}
	filters, err := parseFilters(w.where)
	if err != nil {
		return err
	}
	if w.all {
		filters = append(filters, cinch.AllRows())
	}
	w.filters = filters
	return nil
}

func parseFilters(texts []string) ([]cinch.Filter, error) {
	var out []cinch.Filter
	for _, s := range texts {
		f, err := cinch.ParseFilter(s)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func (a *app) dataSelectCommand() *cobra.Command {
	var tenant string
	var where, orderBy []string
	var sel cinch.Selection
	c := &cobra.Command{
		Use:   "select TABLE [--where COND]... [--order-by COL[:desc]]... [--limit N] [--offset N]",
		Short: "Read the rows of a table that match filters, without writing SQL",
		Long: `select prints the rows of TABLE that match every --where filter, sorted by
--order-by (then by insertion order), at most --limit of them after skipping
--offset. Without --where it prints every row.

A filter is COLUMN OP VALUE with OP one of = != > >= < <=, or
COLUMN like PATTERN (% any run, _ one character; ASCII case-insensitive),
COLUMN in (A, B, ...), COLUMN is null, COLUMN is not null. Quote filters
for the shell. A value is the rest of the filter, or quoted ('Ada
Lovelace', 'a,b'; '' inside for a quote). Values are compared with the
column's type: 'age>30' compares numbers, active=true matches a BOOLEAN.
Column names are checked against the table; values are never written into
the SQL.`,
		Example: `  cinch data select users --tenant acme_corp --where name=Alice
  cinch data select users --where 'age>30' --where 'name like A%' --order-by created_at:desc --limit 10
  cinch data select users --where 'id in (0190a1b2-..., 0190a1b3-...)' --format json
  cinch data select users --where 'phone is null' --format csv`,
		Args: exactArgs(1),
		RunE: a.runE(call{names: names(cinch.KindTable), tenant: &tenant,
			check: func(args []string) (err error) {
				if err := cinch.ValidateTenantName(tenant); err != nil {
					return err
				}
				if sel.Limit < 0 || sel.Offset < 0 {
					return usageErrorf("--limit and --offset must be 0 or more")
				}
				if sel.Where, err = parseFilters(where); err != nil {
					return err
				}
				sel.OrderBy = nil
				for _, s := range orderBy {
					o, err := cinch.ParseOrder(s)
					if err != nil {
						return err
					}
					sel.OrderBy = append(sel.OrderBy, o)
				}
				return sel.Validate()
			},
			run: func(ctx context.Context, db cinch.DB, args []string) error {
				out := newRowPrinter(a.stdout, a.format)
				res, err := db.SelectTo(ctx, cinch.QueryOptions{}, out, args[0], sel)
				if cerr := out.close(res); err == nil {
					err = cerr
				}
				return err
			}}),
	}
	tenantFlag(c, &tenant, "tenant to read")
	c.Flags().StringArrayVarP(&where, "where", "w", nil, whereUsage)
	c.Flags().StringSliceVar(&orderBy, "order-by", nil, "sort by COL or COL:desc (repeatable, or comma-separated)")
	c.Flags().IntVar(&sel.Limit, "limit", 0, "print at most N rows (0: all)")
	c.Flags().IntVar(&sel.Offset, "offset", 0, "skip the first N rows")
	return c
}

// updateWhere is data update by filter: it prints how many rows matched.
func (a *app) updateWhere(ctx context.Context, db cinch.DB, table, tenant string, w *whereFlags, rec cinch.Record) error {
	n, err := db.UpdateWhere(ctx, table, w.filters, rec)
	if err != nil {
		return err
	}
	return a.done(map[string]int64{"rows_affected": n}, "Updated %d %s in %s (tenant %s)", n, plural(n, "row", "rows"), table, tenant)
}

// deleteWhere is data delete by filter.
func (a *app) deleteWhere(ctx context.Context, db cinch.DB, table, tenant string, w *whereFlags) error {
	n, err := db.DeleteWhere(ctx, table, w.filters)
	if err != nil {
		return err
	}
	return a.done(map[string]int64{"rows_affected": n}, "Deleted %d %s from %s (tenant %s)", n, plural(n, "row", "rows"), table, tenant)
}
