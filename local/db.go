package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/cinchdb/cinch/sqlite"
	"github.com/google/uuid"
)

// DB is a cheap handle on one tenant; it implements cinch.DB. Handles are
// values: SwitchTenant and SwitchBranch return new ones and do no I/O.
type DB struct {
	p      *Project
	target cinch.Target
	key    string // encryption key for encrypted tenants (WithKey); never stored
	strict string // not "": no tenant was named and one is required (strict.go); why
}

var _ cinch.DB = (*DB)(nil)

// Target names the database, branch and tenant of the handle.
func (d *DB) Target() cinch.Target { return d.target }

// IsLocal is true: this handle works on files in this process.
func (d *DB) IsLocal() bool { return true }

// SwitchTenant returns a handle on another tenant of the same branch.
func (d *DB) SwitchTenant(name string) cinch.DB { return d.WithTenant(name) }

// SwitchBranch returns a handle on the same tenant of another branch.
func (d *DB) SwitchBranch(name string) cinch.DB {
	t := d.target
	t.Branch = name
	return &DB{p: d.p, target: t, key: d.key, strict: d.strict}
}

// WithTenant is SwitchTenant returning the concrete type.
func (d *DB) WithTenant(name string) *DB {
	t := d.target
	t.Tenant = name
	return &DB{p: d.p, target: t, key: d.key}
}

// WithKey returns a handle that opens encrypted tenants with key.
func (d *DB) WithKey(key string) *DB {
	c := *d
	c.key = key
	return &c
}

// Tenants manages the tenants of the handle's branch.
func (d *DB) Tenants() cinch.TenantService { return tenants{d} }

// Tables changes the tables of the handle's branch.
func (d *DB) Tables() cinch.TableService { return tables{d} }

// Columns changes the columns of the handle's branch.
func (d *DB) Columns() cinch.ColumnService { return columns{d} }

// Views changes the views of the handle's branch.
func (d *DB) Views() cinch.ViewService { return views{d} }

// Indexes changes the indexes of the handle's branch.
func (d *DB) Indexes() cinch.IndexService { return indexes{d} }

// Branches manages the branches of the handle's database.
func (d *DB) Branches() cinch.BranchService { return branches{d} }

// Groups manages the tenant groups of the handle's branch.
func (d *DB) Groups() cinch.GroupService { return groups{d} }

// Fleet works on many tenants of the handle's branch at once.
func (d *DB) Fleet() cinch.FleetService { return fleet{d} }

// KV is the tenant's key-value store (kv.go).
func (d *DB) KV() cinch.KVService { return kvStore{d} }

// Changes returns the branch's change records, oldest first.
func (d *DB) Changes(ctx context.Context) ([]cinch.Change, error) {
	b, err := d.branch(ctx)
	if err != nil {
		return nil, err
	}
	changes, _, err := b.state(ctx)
	return append([]cinch.Change{}, changes...), err
}

// MigrateTenants brings tenants of the branch that are behind its schema up
// to date now instead of on their next query (cinch tenant migrate): the
// named ones (they must exist), or with none named every behind tenant of
// the branch. An encrypted tenant is migrated only when named, with the
// handle's key (WithKey). The result counts what was found behind and what
// was migrated; the error names a tenant that could not be.
func (d *DB) MigrateTenants(ctx context.Context, opts cinch.FleetOptions) (ConvergeResult, error) {
	b, err := d.branch(ctx)
	if err != nil {
		return ConvergeResult{}, err
	}
	var pick func(string) bool
	res := ConvergeResult{Failed: map[string]error{}}
	if len(opts.Tenants) > 0 {
		want := map[string]bool{}
		for _, n := range opts.Tenants {
			if err := cinch.ValidateTenantName(n); err != nil {
				return res, err
			}
			row, found, err := b.reg.get(ctx, n)
			if err != nil {
				return res, err
			} else if !found {
				return res, notFoundTenant(n)
			}
			if row.Encrypted && !row.Archived && exists(b.tenantPath(n)) {
				// Opening it with its key catches it up (the converger cannot).
				if row.Version < b.version() {
					res.Behind++
					if err := d.WithTenant(n).use(ctx, func(*handle) error { return nil }); err != nil {
						res.Failed[n] = err
					} else {
						res.Migrated++
					}
				}
				continue
			}
			want[n] = true
		}
		pick = func(n string) bool { return want[n] }
	}
	r, errs, err := convergeBranch(ctx, b, pick, opts.Progress)
	res.Behind += r.Behind
	res.Migrated += r.Migrated
	for n, e := range errs {
		res.Failed[n] = e
	}
	if err != nil {
		return res, err
	}
	return res, firstTenantError(res.Failed, "migrate")
}

// Query runs one statement on the tenant (SPEC §5).
func (d *DB) Query(ctx context.Context, sql string, params ...any) (*cinch.Result, error) {
	return d.QueryWith(ctx, cinch.QueryOptions{}, sql, params...)
}

// QueryWith runs one statement with options and returns every row (see
// QueryTo).
func (d *DB) QueryWith(ctx context.Context, opts cinch.QueryOptions, sql string, params ...any) (*cinch.Result, error) {
	return cinch.CollectRows(func(w cinch.RowWriter) (*cinch.Result, error) {
		return d.QueryTo(ctx, opts, w, sql, params...)
	})
}

// QueryTo runs one statement with options and streams its rows to w.
// Reads go to a reader connection, writes to the tenant's single writer; a
// write to a lazy tenant creates its file first.
func (d *DB) QueryTo(ctx context.Context, opts cinch.QueryOptions, w cinch.RowWriter, sql string, params ...any) (*cinch.Result, error) {
	var res *cinch.Result
	err := d.use(ctx, func(h *handle) error {
		if h.lazy {
			// The template answers for a lazy tenant: bring it up to date
			// first, another process may have changed the schema.
			if err := h.b.refresh(ctx); err != nil {
				return err
			}
			var ro bool
			err := h.b.useTemplate(func(c *sqlite.Conn) error {
				var err error
				if ro, err = c.IsReadOnly(sql); err != nil || !ro {
					return err
				}
				res, err = c.QueryTo(ctx, opts, w, sql, params...)
				return err
			})
			if err != nil || ro {
				return err
			}
			if opts.ReadOnly {
				return errWritesRefused
			}
			return errMaterialize
		}
		var ro bool
		err := h.withReader(ctx, d.p.cfg.ReadersPerTenant, func(r *sqlite.Conn) error {
			var err error
			if ro, err = r.IsReadOnly(sql); err != nil || !ro {
				return err
			}
			res, err = r.QueryTo(ctx, opts, w, sql, params...)
			return err
		})
		if err != nil || ro {
			return err
		}
		if opts.ReadOnly {
			return errWritesRefused
		}
		return h.useWriter(func(wc *sqlite.Conn) error {
			var err error
			res, err = wc.QueryTo(ctx, opts, w, sql, params...)
			return err
		})
	})
	return res, err
}

// errWritesRefused answers a writing statement under QueryOptions.ReadOnly.
var errWritesRefused = &cinch.Error{Err: cinch.ErrReadOnly, Message: "query rejected: this statement writes, and only reads are allowed here"}

// Insert stores one record and returns it as stored.
func (d *DB) Insert(ctx context.Context, table string, rec cinch.Record) (cinch.Record, error) {
	out, err := d.InsertMany(ctx, table, []cinch.Record{rec})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// InsertMany stores records in one transaction: all or none.
func (d *DB) InsertMany(ctx context.Context, table string, recs []cinch.Record) ([]cinch.Record, error) {
	if len(recs) == 0 {
		return []cinch.Record{}, nil
	}
	out := make([]cinch.Record, 0, len(recs))
	err := d.write(ctx, func(w *sqlite.Conn, model *schema.Schema) error {
		t, err := tableFor(model, table)
		if err != nil {
			return err
		}
		insert := func() error {
			// The SQL is built once per set of columns (usually once per
			// call) and the statement stays in the connection's cache.
			var lastNames []string
			var q string
			var clock msClock
			for i, rec := range recs {
				names, vals, err := recordArgs(t, rec, true)
				if err != nil {
					if len(recs) > 1 {
						return fmt.Errorf("record %d: %w", i+1, err)
					}
					return err
				}
				nowArg := clock.now(d.p.now())
				idArg := rec["id"] // a non-empty string if given (recordArgs)
				if idArg == nil {
					u, err := uuid.NewV7()
					if err != nil {
						return err
					}
					idArg = u.String()
					names = append(names, "id")
					vals = append(vals, idArg)
				}
				names = append(names, "created_at", "updated_at")
				vals = append(vals, nowArg, nowArg)
				if !slices.Equal(names, lastNames) {
					q = insertSQL(table, names)
					lastNames = names
				}
				if _, err := w.Run(ctx, q, vals...); err != nil {
					return err
				}
				// The stored row: known exactly from the values when their
				// types match the columns' (no affinity conversion can
				// happen); otherwise read back by rowid, which is still
				// cheaper than RETURNING (a statement journal and a temporary
				// table per row).
				row, known := storedRecord(t, rec, idArg, nowArg)
				if !known {
					if row, err = w.QueryRow(ctx, "SELECT * FROM "+schema.Quote(table)+" WHERE rowid = ?", w.LastInsertRowID()); err != nil {
						return err
					}
					fixBools(t, []cinch.Record{row})
				}
				out = append(out, row)
			}
			return nil
		}
		if len(recs) == 1 {
			return insert()
		}
		return w.Update(ctx, insert)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update changes the given columns of the row with id.
func (d *DB) Update(ctx context.Context, table, id string, rec cinch.Record) (cinch.Record, error) {
	var out cinch.Record
	err := d.write(ctx, func(w *sqlite.Conn, model *schema.Schema) error {
		t, err := tableFor(model, table)
		if err != nil {
			return err
		}
		names, vals, err := recordArgs(t, rec, false)
		if err != nil {
			return err
		}
		sets := make([]string, 0, len(names)+1)
		for _, n := range names {
			sets = append(sets, schema.Quote(n)+" = ?")
		}
		sets = append(sets, `"updated_at" = ?`)
		vals = append(vals, d.now(), id)
		q := "UPDATE " + schema.Quote(table) + " SET " + strings.Join(sets, ", ") + ` WHERE "id" = ? RETURNING *`
		res, err := w.Query(ctx, cinch.QueryOptions{}, q, vals...)
		if err != nil {
			return err
		}
		if len(res.Rows) == 0 {
			return cinch.NotFound(cinch.ErrRowNotFound, "row", table+"/"+id, "")
		}
		out = res.Record(0) // a table's columns: names are unique
		fixBools(t, []cinch.Record{out})
		return nil
	})
	return out, err
}

// Delete removes rows by id and returns how many existed.
func (d *DB) Delete(ctx context.Context, table string, ids ...string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var n int64
	err := d.use(ctx, func(h *handle) error {
		_, model, err := h.b.state(ctx)
		if err != nil {
			return err
		}
		if _, err := tableFor(model, table); err != nil {
			return err
		}
		if h.lazy { // no file, no rows
			return nil
		}
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		q := "DELETE FROM " + schema.Quote(table) + ` WHERE "id" IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")"
		return h.useWriter(func(w *sqlite.Conn) error {
			res, err := w.Query(ctx, cinch.QueryOptions{}, q, args...)
			if err != nil {
				return err
			}
			n = res.RowsAffected
			return nil
		})
	})
	return n, err
}

// Select returns the rows of table matching every filter (filter.go).
func (d *DB) Select(ctx context.Context, table string, opts ...cinch.SelectOption) (*cinch.Result, error) {
	return filters{d}.Select(ctx, table, opts...)
}

// SelectTo streams the rows of table matching sel to w (filter.go).
func (d *DB) SelectTo(ctx context.Context, opts cinch.QueryOptions, w cinch.RowWriter, table string, sel cinch.Selection) (*cinch.Result, error) {
	return filters{d}.SelectTo(ctx, opts, w, table, sel)
}

// UpdateWhere sets columns on the rows of table matching all filters (filter.go).
func (d *DB) UpdateWhere(ctx context.Context, table string, where []cinch.Filter, rec cinch.Record) (int64, error) {
	return filters{d}.UpdateWhere(ctx, table, where, rec)
}

// DeleteWhere removes the rows of table matching all filters (filter.go).
func (d *DB) DeleteWhere(ctx context.Context, table string, where []cinch.Filter) (int64, error) {
	return filters{d}.DeleteWhere(ctx, table, where)
}

// SQLDB returns a database/sql handle on this tenant for sqlc/sqlx users,
// with the query guard installed on every connection: DDL, ATTACH and the
// rest of SPEC §5's refusals apply, with the errors Query gives, and
// transactions (BEGIN/COMMIT, read-only ones too) work. Its connections are
// opened like the engine's (an encrypted tenant with the handle's key; see
// sqlite.OpenDB). The tenant's file is created first if it is lazy. Close
// the *sql.DB when done; it does not count against the handle pool.
func (d *DB) SQLDB(ctx context.Context) (*sql.DB, error) {
	var (
		path string
		opts sqlite.Options
	)
	err := d.use(ctx, func(h *handle) error {
		if h.lazy {
			return errMaterialize
		}
		path, opts = h.path, h.connOptions()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sqlite.OpenDB(path, opts)
}

// IsQueryRejected reports whether err is the guard refusing a statement
// (from Query or from the *sql.DB of SQLDB).
func IsQueryRejected(err error) bool {
	return sqlite.IsQueryRejected(err)
}

// RotateKey re-encrypts an encrypted tenant under newKey; d's key (WithKey)
// must be the current one. The new file is written beside the old one
// through the backup API and checked; then journal "rotate" (the new salt)
// is written, the file renamed over the old one (the commit point) and the
// registry takes the new salt. The next command finishes or discards an
// interrupted rotation, so exactly one of the two keys opens the tenant.
func (d *DB) RotateKey(ctx context.Context, name, newKey string) error {
	if newKey == "" {
		return cinch.Errorf(cinch.ErrEncryptionKey, "the new key is empty").WithHint("give the key to re-encrypt the tenant with")
	}
	b, row, unlock, err := d.lockedTenant(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	if !row.Encrypted {
		return cinch.Errorf(cinch.ErrInvalidInput, "tenant %q is not encrypted", name).WithHint("only encrypted tenants have a key to rotate")
	}
	oldKey, err := d.p.tenantKey(row, d.key)
	if err != nil {
		return err
	}
	path := b.tenantPath(name)
	if !exists(path) {
		return cinch.Errorf(cinch.ErrInvalidInput, "tenant %q has no file to re-encrypt", name)
	}
	d.p.pool.forget(b, name, true)
	opts := d.p.connOptions()
	opts.Key = oldKey
	src, err := sqlite.Open(ctx, path, opts)
	if err != nil {
		return err // a wrong current key stops here
	}
	defer src.Close()
	salt, err := newSalt()
	if err != nil {
		return err
	}
	newDK := d.p.keys.derive(salt, newKey)
	tmp := rotateFile(path)
	if err := src.BackupToTemp(ctx, tmp, newDK); err != nil {
		sqlite.RemoveDB(tmp)
		return err
	}
	if err := b.checkFile(ctx, tmp, newDK, nil); err != nil {
		sqlite.RemoveDB(tmp)
		return err
	}
	// Only now, with the new file complete, the journal: from here on the
	// presence of the .rotate file says whether the rename happened.
	if err := b.writeJournal(journal{Op: "rotate", Tenant: name, Salt: salt}); err != nil {
		sqlite.RemoveDB(tmp)
		return err
	}
	src.Close()
	if err := sqlite.Publish(tmp, path); err != nil {
		return err // journal stays: the next command decides from the files
	}
	if _, err := b.reg.exec(ctx, "UPDATE tenants SET salt = ? WHERE name = ?", salt, name); err != nil {
		return err
	}
	return b.clearJournal()
}

// branch validates the target and returns its branch state.
func (d *DB) branch(ctx context.Context) (*branch, error) {
	if err := d.target.Validate(); err != nil {
		return nil, err
	}
	return d.p.branch(ctx, d.target.Database, d.target.Branch)
}

func (d *DB) schema(ctx context.Context) (*branch, *schema.Schema, error) {
	b, err := d.branch(ctx)
	if err != nil {
		return nil, nil, err
	}
	_, s, err := b.state(ctx)
	return b, s, err
}

// change plans and rolls out one change on the handle's branch.
func (d *DB) change(ctx context.Context, plan func(*schema.Schema) (schema.Plan, error)) (cinch.Change, error) {
	b, err := d.branch(ctx)
	if err != nil {
		return cinch.Change{}, err
	}
	return b.change(ctx, plan)
}

// lockedTenant validates name, takes the branch lock and reads the
// tenant's registry row: the common start of every structural operation
// on one tenant. Call unlock when done (it is nil on error).
func (d *DB) lockedTenant(ctx context.Context, name string) (b *branch, row tenantRow, unlock func(), err error) {
	if err := cinch.ValidateTenantName(name); err != nil {
		return nil, row, nil, err
	}
	if b, err = d.branch(ctx); err != nil {
		return nil, row, nil, err
	}
	if unlock, err = b.lock(ctx); err != nil {
		return nil, row, nil, err
	}
	row, found, err := b.reg.get(ctx, name)
	if err == nil && !found {
		err = notFoundTenant(name)
	}
	if err != nil {
		unlock()
		return nil, row, nil, err
	}
	return b, row, unlock, nil
}

// use runs fn on the tenant's handle, creating a lazy tenant's file when
// fn asks for it.
//
// A write that fails for want of space (also a lazy tenant's file that
// cannot be created) is the one disk-full error naming the tenant.
func (d *DB) use(ctx context.Context, fn func(h *handle) error) (err error) {
	if d.strict != "" {
		return d.errTenantRequired()
	}
	b, err := d.branch(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil { // the path and name are built only for an error: this is the hot path
			err = diskFull(err, b.tenantPath(d.target.Tenant), fmt.Sprintf("tenant %q", d.target.Tenant))
		}
	}()
	for range 3 {
		h, err := d.p.pool.acquire(ctx, b, d.target.Tenant, d.key)
		if err != nil {
			return err
		}
		err = d.runOn(h, fn)
		if errors.Is(err, cinch.ErrNotOwner) && d.p.cfg.Owner != nil {
			// The process lost the tenant while this handle was open (its
			// commits are refused): retire the handle, so the next request
			// opens a new one, which asks the Owner again.
			d.p.pool.forget(b, d.target.Tenant, false)
		}
		if err != errMaterialize {
			return err
		}
		if err := d.materialize(ctx, b, h); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: tenant %q could not be materialized", cinch.ErrInternal, d.target.Tenant)
}

// runOn runs fn on an acquired handle (within its group's concurrency
// limit) and releases it, whatever fn does.
func (d *DB) runOn(h *handle, fn func(*handle) error) error {
	defer d.p.pool.release(h)
	return h.run(d.target.Tenant, fn)
}

// errMaterialize asks use to create the lazy tenant's file and retry.
var errMaterialize = fmt.Errorf("materialize")

// materialize creates a lazy tenant's file under the branch lock, so a
// concurrent schema change either sees the file or finished before it.
func (d *DB) materialize(ctx context.Context, b *branch, h *handle) error {
	unlock, err := b.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	row, found, err := b.reg.get(ctx, d.target.Tenant)
	if err != nil {
		return err
	} else if !found {
		return cinch.NotFound(cinch.ErrTenantNotFound, "tenant", d.target.Tenant, "it was deleted meanwhile")
	}
	if !exists(h.path) {
		if err := b.createTenantFile(ctx, h.path); err != nil {
			return err
		}
		h.markFresh(row)
	}
	return nil
}

// write runs fn on the writer connection of a materialized tenant.
//
// The schema model used to check table and column names is the cached one
// (no stat of changes.json on the hot path); if a name is unknown to it, the
// history is reloaded from disk and fn runs once more, so a table or column
// another process just added is found.
func (d *DB) write(ctx context.Context, fn func(w *sqlite.Conn, model *schema.Schema) error) error {
	return d.use(ctx, func(h *handle) error {
		if h.lazy {
			return errMaterialize
		}
		run := func(model *schema.Schema) error {
			return h.useWriter(func(w *sqlite.Conn) error { return fn(w, model) })
		}
		err := run(h.b.cachedSchema())
		if errors.Is(err, cinch.ErrTableNotFound) || errors.Is(err, cinch.ErrColumnNotFound) {
			_, model, rerr := h.b.state(ctx)
			if rerr != nil {
				return rerr
			}
			err = run(model)
		}
		return err
	})
}

func (d *DB) now() string { return d.p.now().UTC().Format(cinch.TimeFormat) }

// msClock formats times in cinch.TimeFormat for a run of inserts, once per
// millisecond (the format's resolution) instead of once per row.
type msClock struct {
	ms  int64
	arg any // the formatted time, boxed once
}

// now returns t formatted, boxed once per millisecond (a string in an any).
func (c *msClock) now(t time.Time) any {
	t = t.UTC()
	if ms := t.UnixMilli(); ms != c.ms || c.arg == nil {
		c.ms, c.arg = ms, t.Format(cinch.TimeFormat)
	}
	return c.arg
}

// errTenantRequired is what a data operation of a handle without a tenant
// returns on a strict project.
func (d *DB) errTenantRequired() error {
	return &cinch.Error{Err: cinch.ErrTenantRequired, Entity: fmt.Sprintf("branch %q", d.target.Branch),
		Message: fmt.Sprintf("no tenant given: this project requires one for every data operation (%s)", d.strict),
		Hint:    "name the tenant (cinch.Target.Tenant, or DB.WithTenant)"}
}

// insertSQL is the INSERT of one row with these columns, built in one
// allocation (it runs for every single-row insert).
func insertSQL(table string, names []string) string {
	b := make([]byte, 0, 32+len(table)+len(names)*16)
	b = append(b, "INSERT INTO "...)
	b = schema.AppendQuoted(b, table)
	b = append(b, " ("...)
	for i, n := range names {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = schema.AppendQuoted(b, n)
	}
	b = append(b, ") VALUES ("...)
	for i := range names {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(append(b, ')'))
}
