package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
)

func (a *app) columnCommand() *cobra.Command {
	return withWait(group("column", "Manage the columns of a table (changes reach every tenant)",
		`  cinch column add users phone:TEXT
  cinch column add users phone TEXT
  cinch column list users`,
		a.columnListCommand(), a.columnAddCommand(), a.columnDropCommand(), a.columnRenameCommand(), a.columnAlterNullableCommand()))
}

var columnHeaders = []string{"name", "type", "nullable", "default", "references", "flags"}

func columnRow(c cinch.ColumnInfo) []string {
	def := ""
	if c.Default != nil {
		def = *c.Default
	}
	fk := ""
	if c.ForeignKey != nil {
		fk = c.ForeignKey.Table + "." + c.ForeignKey.Column
		if c.ForeignKey.OnDelete != "" {
			fk += " ON DELETE " + c.ForeignKey.OnDelete
		}
	}
	var flags []string
	if c.PrimaryKey {
		flags = append(flags, "primary key")
	}
	if c.Unique {
		flags = append(flags, "unique")
	}
	if c.Automatic {
		flags = append(flags, "automatic")
	}
	return []string{c.Name, c.Type, yesNo(c.Nullable), def, fk, strings.Join(flags, ", ")}
}

func (a *app) columnListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list TABLE",
		Short:   "List a table's columns (automatic ones included)",
		Example: "  cinch column list users\n  cinch column list users --format json",
		Args:    exactArgs(1),
		RunE: a.runE(call{names: names(cinch.KindTable), run: func(ctx context.Context, db cinch.DB, args []string) error {
			cols, err := db.Columns().List(ctx, args[0])
			if err != nil {
				return err
			}
			return emitList(a, cols, columnHeaders, columnRow)
		}}),
	}
}

func (a *app) columnAddCommand() *cobra.Command {
	var col cinch.Column
	return &cobra.Command{
		Use:   "add TABLE SPEC...",
		Short: "Add a column to a table on every tenant",
		Long: `add adds one column. SPEC is name:TYPE[?][:modifier...] (see
cinch table create --help), or the same split into words: NAME TYPE [MODIFIER...].`,
		Example: `  cinch column add users phone:TEXT
  cinch column add users phone TEXT
  cinch column add users age:INTEGER:default=0
  cinch column add users active BOOLEAN default=true`,
		Args: minArgs(2),
		RunE: a.runE(call{names: names(cinch.KindTable, ""),
			check: func(args []string) (err error) {
				col, err = cinch.ParseColumnArgs(args[1:])
				return err
			},
			run: func(ctx context.Context, db cinch.DB, args []string) error {
				ch, err := db.Columns().Add(ctx, args[0], col)
				return a.changed(ctx, db, ch, err, "Added column "+args[0]+"."+col.Name)
			}}),
	}
}

func (a *app) columnDropCommand() *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:     "drop TABLE NAME",
		Short:   "Drop a column and its values on every tenant",
		Example: "  cinch column drop users phone --force",
		Args:    exactArgs(2),
		RunE: a.runE(call{names: names(cinch.KindTable, cinch.KindColumn), run: func(ctx context.Context, db cinch.DB, args []string) error {
			table, col := args[0], args[1]
			if err := columnExists(ctx, db, table, col); err != nil {
				return err
			}
			if err := a.confirm(force, "column "+table+"."+col+" and its values on every tenant"); err != nil {
				return err
			}
			ch, err := db.Columns().Drop(ctx, table, col)
			return a.changed(ctx, db, ch, err, "Dropped column "+table+"."+col)
		}}),
	}
	forceFlag(c, &force, "drop without asking")
	return c
}

// columnExists checks before asking for confirmation, so nobody confirms a
// command that cannot work.
func columnExists(ctx context.Context, db cinch.DB, table, col string) error {
	cols, err := db.Columns().List(ctx, table)
	if err != nil {
		return err
	}
	for _, c := range cols {
		if c.Name == col {
			return nil
		}
	}
	return cinch.NotFound(cinch.ErrColumnNotFound, "column", table+"."+col, "run `cinch column list "+table+"` to see the columns")
}

func (a *app) columnRenameCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "rename TABLE OLD NEW",
		Short:   "Rename a column on every tenant",
		Example: "  cinch column rename users phone phone_number",
		Args:    exactArgs(3),
		RunE: a.runE(call{names: names(cinch.KindTable, cinch.KindColumn, kindNewColumn), run: func(ctx context.Context, db cinch.DB, args []string) error {
			table, old, new := args[0], args[1], args[2]
			ch, err := db.Columns().Rename(ctx, table, old, new)
			return a.changed(ctx, db, ch, err, "Renamed column "+table+"."+old+" to "+new)
		}}),
	}
}

func (a *app) columnAlterNullableCommand() *cobra.Command {
	var nullable, notNull bool
	var fill string
	var fillPtr *string
	c := &cobra.Command{
		Use:   "alter-nullable TABLE NAME (--nullable|--not-null)",
		Short: "Make a column nullable or NOT NULL on every tenant",
		Long: `alter-nullable changes whether a column accepts NULL. Making it NOT NULL
fails while rows hold NULL in it, unless --fill-value gives the value to put
there first.`,
		Example: `  cinch column alter-nullable users phone --nullable
  cinch column alter-nullable users email --not-null --fill-value unknown@example.com`,
		Args: exactArgs(2),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if nullable == notNull {
				return usageErrorf("give exactly one of --nullable and --not-null")
			}
			if cmd.Flags().Changed("fill-value") {
				if nullable {
					return usageErrorf("--fill-value only goes with --not-null")
				}
				fillPtr = &fill
			}
			return nil
		},
		RunE: a.runE(call{names: names(cinch.KindTable, cinch.KindColumn), run: func(ctx context.Context, db cinch.DB, args []string) error {
			table, col := args[0], args[1]
			what := "NOT NULL"
			if nullable {
				what = "nullable"
			}
			ch, err := db.Columns().AlterNullable(ctx, table, col, nullable, fillPtr)
			return a.changed(ctx, db, ch, err, "Made column "+table+"."+col+" "+what)
		}}),
	}
	c.Flags().BoolVar(&nullable, "nullable", false, "allow NULL")
	c.Flags().BoolVar(&notNull, "not-null", false, "forbid NULL")
	c.Flags().StringVar(&fill, "fill-value", "", "with --not-null: value that replaces existing NULLs")
	return c
}
