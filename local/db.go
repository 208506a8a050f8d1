package local

import (
	"context"
	"database/sql"

	"github.com/cinchdb/cinch"
)

func (d *DB) Query(ctx context.Context, sql string, params ...any) (*cinch.Result, error) {
	panic("unimplemented")
}
func (d *DB) QueryWith(ctx context.Context, opts cinch.QueryOptions, sql string, params ...any) (*cinch.Result, error) {
	panic("unimplemented")
}
func (d *DB) Insert(ctx context.Context, table string, rec cinch.Record) (cinch.Record, error) {
	panic("unimplemented")
}
func (d *DB) InsertMany(ctx context.Context, table string, recs []cinch.Record) ([]cinch.Record, error) {
	panic("unimplemented")
}
func (d *DB) Update(ctx context.Context, table, id string, rec cinch.Record) (cinch.Record, error) {
	panic("unimplemented")
}
func (d *DB) Delete(ctx context.Context, table string, ids ...string) (int64, error) {
	panic("unimplemented")
}
func (d *DB) Target() cinch.Target                                { panic("unimplemented") }
func (d *DB) IsLocal() bool                                       { return true }
func (d *DB) SwitchTenant(name string) cinch.DB                   { panic("unimplemented") }
func (d *DB) SwitchBranch(name string) cinch.DB                   { panic("unimplemented") }
func (d *DB) Tenants() cinch.TenantService                        { panic("unimplemented") }
func (d *DB) Tables() cinch.TableService                          { panic("unimplemented") }
func (d *DB) Columns() cinch.ColumnService                        { panic("unimplemented") }
func (d *DB) Views() cinch.ViewService                            { panic("unimplemented") }
func (d *DB) Indexes() cinch.IndexService                         { panic("unimplemented") }
func (d *DB) Changes(ctx context.Context) ([]cinch.Change, error) { panic("unimplemented") }

// SQLDB returns a database/sql handle on this tenant with the query guard
// installed on every connection, for sqlc/sqlx users. Close it when done.
func (d *DB) SQLDB(ctx context.Context) (*sql.DB, error) { panic("unimplemented") }
