package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
)

func (a *app) dataCommand() *cobra.Command {
	return group("data", "Select, insert, update and delete rows of one tenant",
		`  cinch data insert users --tenant acme_corp --data '{"name": "Alice", "email": "alice@acme.com"}'
  cinch data select users --tenant acme_corp --where 'name like A%' --limit 10
  cinch data delete users 0190a1b2-... --tenant acme_corp`,
		a.dataSelectCommand(), a.dataInsertCommand(), a.dataUpdateCommand(), a.dataDeleteCommand())
}

// tenantFlag adds --tenant (-t), the one tenant a command works on.
func tenantFlag(c *cobra.Command, tenant *string, usage string) {
	c.Flags().StringVarP(tenant, "tenant", "t", cinch.DefaultTenant, usage)
}

// dataRequired is the PreRunE of commands that need --data.
func dataRequired(what string) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if !cmd.Flags().Changed("data") {
			return usageErrorf("--data is required: %s", what)
		}
		return nil
	}
}

// readRecords checks the tenant name, then reads and decodes --data.
func (a *app) readRecords(tenant, data string, allowArray bool) (recs []cinch.Record, many bool, err error) {
	if err := cinch.ValidateTenantName(tenant); err != nil {
		return nil, false, err
	}
	raw, err := a.readData(data)
	if err != nil {
		return nil, false, err
	}
	return decodeRecords(raw, allowArray)
}

func (a *app) dataInsertCommand() *cobra.Command {
	var tenant, data string
	var recs []cinch.Record
	var many bool
	c := &cobra.Command{
		Use:   "insert TABLE --data JSON",
		Short: "Insert a row (a JSON object) or rows (an array, in one transaction)",
		Long: `insert stores a JSON object as one row, or an array of objects as rows in
one transaction (all or none), and prints what was stored: id, created_at,
updated_at and defaults included. --data - reads the JSON from stdin.`,
		Example: `  cinch data insert users --tenant acme_corp --data '{"name": "Alice", "email": "alice@acme.com"}'
  cinch data insert users --tenant wayne_ent --data '[{"name": "Bruce"}, {"name": "Alfred"}]' --format json`,
		Args:    exactArgs(1),
		PreRunE: dataRequired("a JSON object or an array of objects"),
		RunE: a.runE(call{names: names(cinch.KindTable), tenant: &tenant,
			check: func(args []string) (err error) {
				recs, many, err = a.readRecords(tenant, data, true)
				return err
			},
			run: func(ctx context.Context, db cinch.DB, args []string) error {
				table := args[0]
				var stored []cinch.Record
				var err error
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
			}}),
	}
	tenantFlag(c, &tenant, "tenant to write to")
	c.Flags().StringVarP(&data, "data", "d", "", "JSON object or array of objects (- reads stdin)")
	return c
}

func (a *app) dataUpdateCommand() *cobra.Command {
	var tenant, data string
	var recs []cinch.Record
	var w whereFlags
	c := &cobra.Command{
		Use:   "update TABLE (ID | --where COND... | --all) --data JSON",
		Short: "Update columns of the row with ID, or of the rows matching --where (updated_at moves)",
		Example: `  cinch data update users 0190a1b2-... --tenant acme_corp --data '{"phone": "555-0100"}'
  cinch data update users --where 'plan is null' --where 'age>30' --data '{"plan": "pro"}'`,
		Args:    rangeArgs(1, 2),
		PreRunE: dataRequired("a JSON object of the columns to change"),
		RunE: a.runE(call{names: names(cinch.KindTable, ""), tenant: &tenant,
			check: func(args []string) (err error) {
				if err := w.check(len(args)-1, "update"); err != nil {
					return err
				}
				recs, _, err = a.readRecords(tenant, data, false)
				return err
			},
			run: func(ctx context.Context, db cinch.DB, args []string) error {
				if len(args) == 1 {
					return a.updateWhere(ctx, db, args[0], tenant, &w, recs[0])
				}
				table, id := args[0], args[1]
				rec, err := db.Update(ctx, table, id, recs[0])
				if err != nil {
					return err
				}
				if a.format == FormatJSON {
					return writeRecords(a.stdout, []cinch.Record{rec}, false)
				}
				_, err = fmt.Fprintf(a.stdout, "Updated row %s in %s (tenant %s)\n", id, table, tenant)
				return err
			}}),
	}
	tenantFlag(c, &tenant, "tenant to write to")
	c.Flags().StringVarP(&data, "data", "d", "", "JSON object of the columns to change (- reads stdin)")
	w.add(c, "update")
	return c
}

func (a *app) dataDeleteCommand() *cobra.Command {
	var tenant string
	var w whereFlags
	c := &cobra.Command{
		Use:   "delete TABLE (ID... | --where COND... | --all)",
		Short: "Delete rows by id or by --where (prints how many existed)",
		Example: `  cinch data delete users 0190a1b2-... --tenant acme_corp
  cinch data delete users --where 'created_at<2024-01-01' --tenant acme_corp`,
		Args: minArgs(1),
		RunE: a.runE(call{names: names(cinch.KindTable, ""), tenant: &tenant,
			check: func(args []string) error {
				if err := w.check(len(args)-1, "delete"); err != nil {
					return err
				}
				return cinch.ValidateTenantName(tenant)
			},
			run: func(ctx context.Context, db cinch.DB, args []string) error {
				if len(args) == 1 {
					return a.deleteWhere(ctx, db, args[0], tenant, &w)
				}
				table := args[0]
				n, err := db.Delete(ctx, table, args[1:]...)
				if err != nil {
					return err
				}
				return a.done(map[string]int64{"rows_affected": n}, "Deleted %d %s from %s (tenant %s)", n, plural(n, "row", "rows"), table, tenant)
			}}),
	}
	tenantFlag(c, &tenant, "tenant to write to")
	w.add(c, "delete")
	return c
}
