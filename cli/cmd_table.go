package cli

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
)

func (a *app) tableCommand() *cobra.Command {
	return withWait(group("table", "Manage tables of the active branch (changes reach every tenant)",
		`  cinch table create users name:TEXT email:TEXT:not_null:unique
  cinch table list
  cinch table info users`,
		a.tableListCommand(), a.tableCreateCommand(), a.tableInfoCommand(), a.tableCopyCommand(), a.tableDeleteCommand()))
}

func (a *app) tableListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the tables",
		Example: "  cinch table list\n  cinch table list --format json",
		Args:    noArgs(),
		RunE: a.runE(call{run: func(ctx context.Context, db cinch.DB, args []string) error {
			list, err := db.Tables().List(ctx)
			if err != nil {
				return err
			}
			return emitList(a, list, []string{"name", "column_count", "columns"}, func(t cinch.TableInfo) []string {
				names := make([]string, len(t.Columns))
				for j, c := range t.Columns {
					names[j] = c.Name
				}
				return []string{t.Name, strconv.Itoa(len(t.Columns)), strings.Join(names, ", ")}
			})
		}}),
	}
}

func (a *app) tableCreateCommand() *cobra.Command {
	var cols []cinch.Column
	return &cobra.Command{
		Use:   "create NAME [COLSPEC...]",
		Short: "Create a table (id, created_at, updated_at are added automatically)",
		Long: `create makes a table on every tenant of the branch. Each COLSPEC is
name:TYPE[?][:modifier...] with TYPE one of TEXT, INTEGER, REAL, BLOB, NUMERIC,
BOOLEAN and modifiers not_null, unique, default=VALUE and
fk=table[.column][.cascade|.set_null|.restrict]. Columns are nullable unless
not_null is given. Every table also gets id, created_at and updated_at first.`,
		Example: `  cinch table create users name:TEXT email:TEXT
  cinch table create orders user_id:TEXT:not_null:fk=users.cascade total:REAL:default=0 paid:BOOLEAN`,
		Args: minArgs(1),
		RunE: a.runE(call{names: names(cinch.KindTable, ""),
			check: func(args []string) error {
				cols = make([]cinch.Column, 0, len(args)-1)
				for _, spec := range args[1:] {
					c, err := cinch.ParseColumnSpec(spec)
					if err != nil {
						return err
					}
					cols = append(cols, c)
				}
				return nil
			},
			run: func(ctx context.Context, db cinch.DB, args []string) error {
				ch, err := db.Tables().Create(ctx, args[0], cols)
				return a.changed(ctx, db, ch, err, "Created table "+args[0])
			}}),
	}
}

func (a *app) tableInfoCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "info NAME",
		Short:   "Show a table's columns and indexes",
		Example: "  cinch table info users\n  cinch table info users --format json",
		Args:    exactArgs(1),
		RunE: a.runE(call{names: names(cinch.KindTable), run: func(ctx context.Context, db cinch.DB, args []string) error {
			info, err := db.Tables().Info(ctx, args[0])
			if err != nil {
				return err
			}
			info.Columns = orEmpty(info.Columns)
			if err := a.emit(info, columnHeaders, rowsOf(info.Columns, columnRow)); err != nil {
				return err
			}
			if a.format == FormatTable && len(info.Indexes) > 0 {
				return writeTable(a.stdout, indexHeaders, rowsOf(info.Indexes, indexRow))
			}
			return nil
		}}),
	}
}

func (a *app) tableCopyCommand() *cobra.Command {
	var noData bool
	c := &cobra.Command{
		Use:     "copy SOURCE TARGET",
		Short:   "Copy a table's structure (and rows, unless --no-data) to a new table",
		Example: "  cinch table copy users users_backup\n  cinch table copy users users_archive --no-data",
		Args:    exactArgs(2),
		RunE: a.runE(call{names: names(cinch.KindTable), run: func(ctx context.Context, db cinch.DB, args []string) error {
			ch, err := db.Tables().Copy(ctx, args[0], args[1], noData)
			return a.changed(ctx, db, ch, err, "Copied table "+args[0]+" to "+args[1])
		}}),
	}
	c.Flags().BoolVar(&noData, "no-data", false, "copy only the structure, not the rows")
	return c
}

func (a *app) tableDeleteCommand() *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:     "delete NAME",
		Aliases: []string{"drop"},
		Short:   "Delete a table and its rows on every tenant",
		Example: "  cinch table delete users_backup --force\n  cinch table drop users_backup --force",
		Args:    exactArgs(1),
		RunE: a.runE(call{names: names(cinch.KindTable), run: func(ctx context.Context, db cinch.DB, args []string) error {
			name := args[0]
			if _, err := db.Tables().Info(ctx, name); err != nil {
				return err
			}
			if err := a.confirm(force, "table "+name+" and its rows on every tenant"); err != nil {
				return err
			}
			ch, err := db.Tables().Drop(ctx, name)
			return a.changed(ctx, db, ch, err, "Deleted table "+name)
		}}),
	}
	forceFlag(c, &force, "delete without asking")
	return c
}
