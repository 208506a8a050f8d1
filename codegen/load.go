package codegen

import (
	"context"
	"fmt"

	"github.com/cinchdb/cinch"
)

// viewColumnsSQL reads a view's columns. PRAGMA table_info is one of the
// read-only pragmas the query guard allows (SPEC §5), so this works on any
// cinch.DB, local or remote, with nothing but Query.
const viewColumnsSQL = "SELECT name, type FROM pragma_table_info(?) ORDER BY cid"

// Load reads the schema of db's branch: its tables (Tables().List), and its
// views (Views().List) with the columns SQLite reports for each, read with
// PRAGMA table_info through a read-only query on db's tenant (every tenant
// of a branch has the same schema; a lazy tenant answers from the branch's
// template). The schema has db's database and branch names.
func Load(ctx context.Context, db cinch.DB) (*Schema, error) {
	t := db.Target()
	s := &Schema{Database: t.Database, Branch: t.Branch}
	tables, err := db.Tables().List(ctx)
	if err != nil {
		return nil, err
	}
	s.Tables = tables
	views, err := db.Views().List(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range views {
		res, err := db.QueryWith(ctx, cinch.QueryOptions{ReadOnly: true}, viewColumnsSQL, v.Name)
		if err != nil {
			return nil, fmt.Errorf("reading the columns of view %s: %w", v.Name, err)
		}
		view := View{ViewInfo: v}
		for _, row := range res.Rows {
			name, _ := row[0].(string)
			typ, _ := row[1].(string)
			view.Columns = append(view.Columns, ViewColumn{Name: name, Type: typ})
		}
		s.Views = append(s.Views, view)
	}
	return s, nil
}
