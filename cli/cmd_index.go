package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
)

func (a *app) indexCommand() *cobra.Command {
	return withWait(group("index", "Manage indexes of the active branch (changes reach every tenant)",
		"  cinch index create users email --unique\n  cinch index list users",
		a.indexListCommand(), a.indexCreateCommand(), a.indexDeleteCommand()))
}

var indexHeaders = []string{"index", "table", "columns", "unique"}

func indexRow(x cinch.IndexInfo) []string {
	return []string{x.Name, x.Table, strings.Join(x.Columns, ", "), yesNo(x.Unique)}
}

func (a *app) indexListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list [TABLE]",
		Short:   "List the indexes (of one table, or of all)",
		Example: "  cinch index list\n  cinch index list users --format json",
		Args:    rangeArgs(0, 1),
		RunE: a.runE(call{names: names(cinch.KindTable), run: func(ctx context.Context, db cinch.DB, args []string) error {
			table := ""
			if len(args) == 1 {
				table = args[0]
			}
			list, err := db.Indexes().List(ctx, table)
			if err != nil {
				return err
			}
			return emitList(a, list, append([]string{"name"}, indexHeaders[1:]...), indexRow)
		}}),
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
		RunE: a.runE(call{names: names(cinch.KindTable, cinch.KindColumn),
			check: func(args []string) error {
				if name != "" {
					return checkName(cinch.KindIndex, name)
				}
				return nil
			},
			run: func(ctx context.Context, db cinch.DB, args []string) error {
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
				return a.changed(ctx, db, ch, nil, "Created "+kind+" "+idx+" on "+args[0]+"("+strings.Join(args[1:], ", ")+")")
			}}),
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
		RunE: a.runE(call{names: names(cinch.KindIndex), run: func(ctx context.Context, db cinch.DB, args []string) error {
			ch, err := db.Indexes().Drop(ctx, args[0])
			return a.changed(ctx, db, ch, err, "Deleted index "+args[0])
		}}),
	}
}
