package cli

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
)

// schemaDB connects to the active branch for a schema command.
func (a *app) schemaDB(ctx context.Context) (cinch.DB, error) {
	db, err := a.connect(ctx, "", "")
	if err != nil {
		return nil, err
	}
	return db, nil
}

// changed reports a schema change: the change record in JSON, else
// "<msg> (change N)".
func (a *app) changed(ctx context.Context, db cinch.DB, ch cinch.Change, msg string) error {
	return a.done(ch, "%s (%s)", msg, changeLabel(ctx, db, ch))
}

func validateIdents(kind string, names ...string) error {
	for _, n := range names {
		if err := cinch.ValidateIdentifier(kind, n); err != nil {
			return err
		}
	}
	return nil
}

// ---- tables ----

func (a *app) tableCommand() *cobra.Command {
	return group("table", "Manage tables of the active branch (changes reach every tenant)",
		`  cinch table create users name:TEXT email:TEXT:not_null:unique
  cinch table list
  cinch table info users`,
		a.tableListCommand(), a.tableCreateCommand(), a.tableInfoCommand(), a.tableCopyCommand(), a.tableDeleteCommand())
}

func columnRows(cols []cinch.ColumnInfo) [][]string {
	rows := make([][]string, len(cols))
	for i, c := range cols {
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
		rows[i] = []string{c.Name, c.Type, yesNo(c.Nullable), def, fk, strings.Join(flags, ", ")}
	}
	return rows
}

var columnHeaders = []string{"name", "type", "nullable", "default", "references", "flags"}

func (a *app) tableListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the tables",
		Example: "  cinch table list\n  cinch table list --format json",
		Args:    noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := a.schemaDB(ctx)
			if err != nil {
				return err
			}
			list, err := db.Tables().List(ctx)
			if err != nil {
				return err
			}
			rows := make([][]string, len(list))
			for i, t := range list {
				names := make([]string, len(t.Columns))
				for j, c := range t.Columns {
					names[j] = c.Name
				}
				rows[i] = []string{t.Name, strconv.Itoa(len(t.Columns)), strings.Join(names, ", ")}
			}
			return a.emit(orEmpty(list), []string{"name", "column_count", "columns"}, rows)
		},
	}
}

func (a *app) tableCreateCommand() *cobra.Command {
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
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name := args[0]
			if err := validateIdents(cinch.KindTable, name); err != nil {
				return err
			}
			cols := make([]cinch.Column, 0, len(args)-1)
			for _, spec := range args[1:] {
				c, err := cinch.ParseColumnSpec(spec)
				if err != nil {
					return err
				}
				cols = append(cols, c)
			}
			db, err := a.schemaDB(ctx)
			if err != nil {
				return err
			}
			ch, err := db.Tables().Create(ctx, name, cols)
			if err != nil {
				return err
			}
			return a.changed(ctx, db, ch, "Created table "+name)
		},
	}
}

func (a *app) tableInfoCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "info NAME",
		Short:   "Show a table's columns and indexes",
		Example: "  cinch table info users\n  cinch table info users --format json",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := validateIdents(cinch.KindTable, args[0]); err != nil {
				return err
			}
			db, err := a.schemaDB(ctx)
			if err != nil {
				return err
			}
			info, err := db.Tables().Info(ctx, args[0])
			if err != nil {
				return err
			}
			info.Columns = orEmpty(info.Columns)
			if err := a.emit(info, columnHeaders, columnRows(info.Columns)); err != nil {
				return err
			}
			if a.format == FormatTable && len(info.Indexes) > 0 {
				return writeTable(a.stdout, indexHeaders, indexRows(info.Indexes))
			}
			return nil
		},
	}
}

func (a *app) tableCopyCommand() *cobra.Command {
	var noData bool
	c := &cobra.Command{
		Use:     "copy SOURCE TARGET",
		Short:   "Copy a table's structure (and rows, unless --no-data) to a new table",
		Example: "  cinch table copy users users_backup\n  cinch table copy users users_archive --no-data",
		Args:    exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := validateIdents(cinch.KindTable, args...); err != nil {
				return err
			}
			db, err := a.schemaDB(ctx)
			if err != nil {
				return err
			}
			ch, err := db.Tables().Copy(ctx, args[0], args[1], noData)
			if err != nil {
				return err
			}
			return a.changed(ctx, db, ch, "Copied table "+args[0]+" to "+args[1])
		},
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
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name := args[0]
			if err := validateIdents(cinch.KindTable, name); err != nil {
				return err
			}
			db, err := a.schemaDB(ctx)
			if err != nil {
				return err
			}
			if _, err := db.Tables().Info(ctx, name); err != nil {
				return err
			}
			if err := a.confirm(force, "table "+name+" and its rows on every tenant"); err != nil {
				return err
			}
			ch, err := db.Tables().Drop(ctx, name)
			if err != nil {
				return err
			}
			return a.changed(ctx, db, ch, "Deleted table "+name)
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "delete without asking")
	return c
}

// ---- columns ----

func (a *app) columnCommand() *cobra.Command {
	return group("column", "Manage the columns of a table (changes reach every tenant)",
		`  cinch column add users phone:TEXT
  cinch column add users phone TEXT
  cinch column list users`,
		a.columnListCommand(), a.columnAddCommand(), a.columnDropCommand(), a.columnRenameCommand(), a.columnAlterNullableCommand())
}

func (a *app) columnListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list TABLE",
		Short:   "List a table's columns (automatic ones included)",
		Example: "  cinch column list users\n  cinch column list users --format json",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := validateIdents(cinch.KindTable, args[0]); err != nil {
				return err
			}
			db, err := a.schemaDB(ctx)
			if err != nil {
				return err
			}
			cols, err := db.Columns().List(ctx, args[0])
			if err != nil {
				return err
			}
			return a.emit(orEmpty(cols), columnHeaders, columnRows(cols))
		},
	}
}

func (a *app) columnAddCommand() *cobra.Command {
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
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			table := args[0]
			if err := validateIdents(cinch.KindTable, table); err != nil {
				return err
			}
			col, err := cinch.ParseColumnArgs(args[1:])
			if err != nil {
				return err
			}
			db, err := a.schemaDB(ctx)
			if err != nil {
				return err
			}
			ch, err := db.Columns().Add(ctx, table, col)
			if err != nil {
				return err
			}
			return a.changed(ctx, db, ch, "Added column "+table+"."+col.Name)
		},
	}
}

func (a *app) columnDropCommand() *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:     "drop TABLE NAME",
		Short:   "Drop a column and its values on every tenant",
		Example: "  cinch column drop users phone --force",
		Args:    exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			table, col := args[0], args[1]
			if err := validateIdents(cinch.KindTable, table); err != nil {
				return err
			}
			if err := validateIdents(cinch.KindColumn, col); err != nil {
				return err
			}
			db, err := a.schemaDB(ctx)
			if err != nil {
				return err
			}
			if err := columnExists(ctx, db, table, col); err != nil {
				return err
			}
			if err := a.confirm(force, "column "+table+"."+col+" and its values on every tenant"); err != nil {
				return err
			}
			ch, err := db.Columns().Drop(ctx, table, col)
			if err != nil {
				return err
			}
			return a.changed(ctx, db, ch, "Dropped column "+table+"."+col)
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "drop without asking")
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
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			table, old, new := args[0], args[1], args[2]
			if err := validateIdents(cinch.KindTable, table); err != nil {
				return err
			}
			if err := validateIdents(cinch.KindColumn, old); err != nil {
				return err
			}
			if err := cinch.ValidateColumnName(new); err != nil {
				return err
			}
			db, err := a.schemaDB(ctx)
			if err != nil {
				return err
			}
			ch, err := db.Columns().Rename(ctx, table, old, new)
			if err != nil {
				return err
			}
			return a.changed(ctx, db, ch, "Renamed column "+table+"."+old+" to "+new)
		},
	}
}

func (a *app) columnAlterNullableCommand() *cobra.Command {
	var nullable, notNull bool
	var fill string
	c := &cobra.Command{
		Use:   "alter-nullable TABLE NAME (--nullable|--not-null)",
		Short: "Make a column nullable or NOT NULL on every tenant",
		Long: `alter-nullable changes whether a column accepts NULL. Making it NOT NULL
fails while rows hold NULL in it, unless --fill-value gives the value to put
there first.`,
		Example: `  cinch column alter-nullable users phone --nullable
  cinch column alter-nullable users email --not-null --fill-value unknown@example.com`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if nullable == notNull {
				return usageErrorf("give exactly one of --nullable and --not-null")
			}
			var fillPtr *string
			if cmd.Flags().Changed("fill-value") {
				if nullable {
					return usageErrorf("--fill-value only goes with --not-null")
				}
				fillPtr = &fill
			}
			table, col := args[0], args[1]
			if err := validateIdents(cinch.KindTable, table); err != nil {
				return err
			}
			if err := validateIdents(cinch.KindColumn, col); err != nil {
				return err
			}
			db, err := a.schemaDB(ctx)
			if err != nil {
				return err
			}
			ch, err := db.Columns().AlterNullable(ctx, table, col, nullable, fillPtr)
			if err != nil {
				return err
			}
			what := "NOT NULL"
			if nullable {
				what = "nullable"
			}
			return a.changed(ctx, db, ch, "Made column "+table+"."+col+" "+what)
		},
	}
	c.Flags().BoolVar(&nullable, "nullable", false, "allow NULL")
	c.Flags().BoolVar(&notNull, "not-null", false, "forbid NULL")
	c.Flags().StringVar(&fill, "fill-value", "", "with --not-null: value that replaces existing NULLs")
	return c
}

// ---- views ----

func (a *app) viewCommand() *cobra.Command {
	return group("view", "Manage views of the active branch (changes reach every tenant)",
		`  cinch view create active_users "SELECT * FROM users WHERE phone IS NOT NULL"
  cinch view list`,
		a.viewListCommand(), a.viewCreateCommand(), a.viewUpdateCommand(), a.viewInfoCommand(), a.viewDeleteCommand())
}

func (a *app) viewListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the views",
		Example: "  cinch view list\n  cinch view list --format json",
		Args:    noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := a.schemaDB(ctx)
			if err != nil {
				return err
			}
			list, err := db.Views().List(ctx)
			if err != nil {
				return err
			}
			rows := make([][]string, len(list))
			for i, v := range list {
				rows[i] = []string{v.Name, v.SQL}
			}
			return a.emit(orEmpty(list), []string{"name", "sql"}, rows)
		},
	}
}

func (a *app) viewSaveCommand(use, short, example string, update bool) *cobra.Command {
	return &cobra.Command{
		Use:     use,
		Short:   short,
		Long:    short + ". SQL is the SELECT the view runs; quote it as one argument (words after NAME are joined with spaces).",
		Example: example,
		Args:    minArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name, sql := args[0], strings.Join(args[1:], " ")
			if err := validateIdents(cinch.KindView, name); err != nil {
				return err
			}
			db, err := a.schemaDB(ctx)
			if err != nil {
				return err
			}
			var ch cinch.Change
			verb := "Created"
			if update {
				verb = "Updated"
				ch, err = db.Views().Update(ctx, name, sql)
			} else {
				ch, err = db.Views().Create(ctx, name, sql)
			}
			if err != nil {
				return err
			}
			return a.changed(ctx, db, ch, verb+" view "+name)
		},
	}
}

func (a *app) viewCreateCommand() *cobra.Command {
	return a.viewSaveCommand("create NAME SQL", "Create a view",
		`  cinch view create active_users "SELECT id, name, email FROM users WHERE phone IS NOT NULL"`, false)
}

func (a *app) viewUpdateCommand() *cobra.Command {
	return a.viewSaveCommand("update NAME SQL", "Replace a view's SQL",
		`  cinch view update active_users "SELECT id, name FROM users"`, true)
}

func (a *app) viewInfoCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "info NAME",
		Short:   "Show a view's SQL",
		Example: "  cinch view info active_users",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := validateIdents(cinch.KindView, args[0]); err != nil {
				return err
			}
			db, err := a.schemaDB(ctx)
			if err != nil {
				return err
			}
			v, err := db.Views().Info(ctx, args[0])
			if err != nil {
				return err
			}
			return a.emitFields(v, [][2]string{{"name", v.Name}, {"sql", v.SQL}})
		},
	}
}

func (a *app) viewDeleteCommand() *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a view on every tenant",
		Example: "  cinch view delete active_users --force",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name := args[0]
			if err := validateIdents(cinch.KindView, name); err != nil {
				return err
			}
			db, err := a.schemaDB(ctx)
			if err != nil {
				return err
			}
			if _, err := db.Views().Info(ctx, name); err != nil {
				return err
			}
			if err := a.confirm(force, "view "+name); err != nil {
				return err
			}
			ch, err := db.Views().Drop(ctx, name)
			if err != nil {
				return err
			}
			return a.changed(ctx, db, ch, "Deleted view "+name)
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "delete without asking")
	return c
}

// ---- indexes ----

var indexHeaders = []string{"index", "table", "columns", "unique"}

func indexRows(list []cinch.IndexInfo) [][]string {
	rows := make([][]string, len(list))
	for i, x := range list {
		rows[i] = []string{x.Name, x.Table, strings.Join(x.Columns, ", "), yesNo(x.Unique)}
	}
	return rows
}

func (a *app) indexCommand() *cobra.Command {
	return group("index", "Manage indexes of the active branch (changes reach every tenant)",
		"  cinch index create users email --unique\n  cinch index list users",
		a.indexListCommand(), a.indexCreateCommand(), a.indexDeleteCommand())
}

func (a *app) indexListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list [TABLE]",
		Short:   "List the indexes (of one table, or of all)",
		Example: "  cinch index list\n  cinch index list users --format json",
		Args:    rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			table := ""
			if len(args) == 1 {
				table = args[0]
				if err := validateIdents(cinch.KindTable, table); err != nil {
					return err
				}
			}
			db, err := a.schemaDB(ctx)
			if err != nil {
				return err
			}
			list, err := db.Indexes().List(ctx, table)
			if err != nil {
				return err
			}
			headers := append([]string{"name"}, indexHeaders[1:]...)
			return a.emit(orEmpty(list), headers, indexRows(list))
		},
	}
}

func (a *app) indexCreateCommand() *cobra.Command {
	var name string
	var unique bool
	c := &cobra.Command{
		Use:     "create TABLE COLUMN...",
		Short:   "Create an index on columns of a table (named idx_<table>_<columns> by default)",
		Example: "  cinch index create users email --unique\n  cinch index create users name email --name idx_users_name_email",
		Args:    minArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := validateIdents(cinch.KindTable, args[0]); err != nil {
				return err
			}
			if err := validateIdents(cinch.KindColumn, args[1:]...); err != nil {
				return err
			}
			if name != "" {
				if err := validateIdents(cinch.KindIndex, name); err != nil {
					return err
				}
			}
			db, err := a.schemaDB(ctx)
			if err != nil {
				return err
			}
			ch, err := db.Indexes().Create(ctx, cinch.IndexInfo{Name: name, Table: args[0], Columns: args[1:], Unique: unique})
			if err != nil {
				return err
			}
			idx := name
			if idx == "" {
				idx = ch.Entity
			}
			kind := "index"
			if unique {
				kind = "unique index"
			}
			return a.changed(ctx, db, ch, "Created "+kind+" "+idx+" on "+args[0]+"("+strings.Join(args[1:], ", ")+")")
		},
	}
	c.Flags().StringVar(&name, "name", "", "index name (default idx_<table>_<columns>)")
	c.Flags().BoolVar(&unique, "unique", false, "make it a unique index")
	return c
}

func (a *app) indexDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete an index on every tenant",
		Example: "  cinch index delete idx_users_email",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := validateIdents(cinch.KindIndex, args[0]); err != nil {
				return err
			}
			db, err := a.schemaDB(ctx)
			if err != nil {
				return err
			}
			ch, err := db.Indexes().Drop(ctx, args[0])
			if err != nil {
				return err
			}
			return a.changed(ctx, db, ch, "Deleted index "+args[0])
		},
	}
}
