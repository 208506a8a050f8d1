package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

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

// Changes returns the branch's change records, oldest first.
func (d *DB) Changes(ctx context.Context) ([]cinch.Change, error) {
	b, err := d.branch(ctx)
	if err != nil {
		return nil, err
	}
	changes, _, err := b.state(ctx)
	return append([]cinch.Change{}, changes...), err
}

// branch validates the target and returns its branch state.
func (d *DB) branch(ctx context.Context) (*branch, error) {
	if err := d.target.Validate(); err != nil {
		return nil, err
	}
	return d.p.branch(ctx, d.target.Database, d.target.Branch)
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

// errMaterialize asks use to create the lazy tenant's file and retry.
var errMaterialize = fmt.Errorf("materialize")

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
	defer func() { err = diskFull(err, b.tenantPath(d.target.Tenant), fmt.Sprintf("tenant %q", d.target.Tenant)) }()
	for range 3 {
		h, err := d.p.pool.acquire(ctx, b, d.target.Tenant, d.key)
		if err != nil {
			return err
		}
		err = func() error {
			defer d.p.pool.release(h)
			return h.run(d.target.Tenant, func() error { return fn(h) })
		}()
		if err != errMaterialize {
			return err
		}
		if err := d.materialize(ctx, b, h); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: tenant %q could not be materialized", cinch.ErrInternal, d.target.Tenant)
}

// materialize creates a lazy tenant's file under the branch lock, so a
// concurrent schema change either sees the file or finished before it.
func (d *DB) materialize(ctx context.Context, b *branch, h *handle) error {
	unlock, err := b.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if _, found, err := b.reg.get(ctx, d.target.Tenant); err != nil {
		return err
	} else if !found {
		return cinch.NotFound(cinch.ErrTenantNotFound, "tenant", d.target.Tenant, "it was deleted meanwhile")
	}
	if !exists(h.path) {
		if err := b.createTenantFile(ctx, h.path); err != nil {
			return err
		}
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

// tableFor checks that table exists and returns it.
func tableFor(model *schema.Schema, table string) (*schema.Table, error) {
	if err := cinch.ValidateIdentifier(cinch.KindTable, table); err != nil {
		return nil, err
	}
	t, ok := model.Tables[table]
	if !ok {
		return nil, cinch.NotFound(cinch.ErrTableNotFound, "table", table, "")
	}
	return t, nil
}

// recordArgs checks a record's columns against the table and returns the
// column names (sorted, unquoted) and values to bind.
func recordArgs(t *schema.Table, rec cinch.Record, allowID bool) ([]string, []any, error) {
	cols := make([]string, 0, len(rec))
	for k := range rec {
		cols = append(cols, k)
	}
	sortStrings(cols)
	names := make([]string, 0, len(cols))
	vals := make([]any, 0, len(cols))
	for _, k := range cols {
		switch {
		case k == "id" && allowID:
			if s, ok := rec[k].(string); !ok || s == "" {
				return nil, nil, cinch.Errorf(cinch.ErrInvalidInput, "id must be a non-empty string").WithHint("leave id out to have one generated")
			}
		case k == "created_at" || k == "updated_at" || k == "id":
			return nil, nil, cinch.Errorf(cinch.ErrInvalidInput, "column %q is set automatically", k).WithHint("leave it out of the data")
		case t.Column(k) == nil:
			return nil, nil, cinch.NotFound(cinch.ErrColumnNotFound, "column", t.Name+"."+k, "")
		}
		v, err := normalizeValue(k, rec[k])
		if err != nil {
			return nil, nil, err
		}
		names = append(names, k)
		vals = append(vals, v)
	}
	return names, vals, nil
}

// storedRecord returns the row SQLite stores for rec, when it can be known
// without reading it back: every given value already has its column's
// storage type (so no type affinity conversion applies) and every omitted
// column has no default or a literal one of its type. It reports false
// otherwise (NUMERIC columns, numbers bound to TEXT columns, times, ...).
// A test compares it with the row read back for many inputs.
func storedRecord(t *schema.Table, rec cinch.Record, id, now string) (cinch.Record, bool) {
	out := make(cinch.Record, len(t.Columns)+3)
	out["id"], out["created_at"], out["updated_at"] = id, now, now
	for _, c := range t.Columns {
		v, given := rec[c.Name]
		var ok bool
		if given {
			v, ok = storedValue(c.Type, v)
		} else if c.Default == nil {
			v, ok = nil, true
		} else {
			v, ok = defaultValue(c.Type, *c.Default)
		}
		if !ok {
			return nil, false
		}
		out[c.Name] = v
	}
	return out, true
}

// storedValue is v as stored in (and read back from) a column of type t,
// when that needs no conversion SQLite would do differently.
func storedValue(t cinch.ColumnType, v any) (any, bool) {
	if v == nil {
		return nil, true
	}
	switch t {
	case cinch.TypeText:
		s, ok := v.(string)
		return s, ok
	case cinch.TypeInteger:
		switch n := v.(type) {
		case int64:
			return n, true
		case int:
			return int64(n), true
		case json.Number:
			i, err := n.Int64()
			return i, err == nil
		}
	case cinch.TypeReal:
		var f float64
		switch n := v.(type) {
		case float64:
			f = n
		case json.Number:
			var err error
			if f, err = n.Float64(); err != nil {
				return nil, false
			}
		default:
			return nil, false
		}
		return f, !math.IsInf(f, 0) && !math.IsNaN(f) // SQLite stores NaN as NULL
	case cinch.TypeBoolean:
		b, ok := v.(bool)
		return b, ok
	case cinch.TypeBlob:
		b, ok := v.([]byte)
		return slices.Clone(b), ok && len(b) > 0 // an empty blob may read back as nil
	}
	return nil, false
}

// defaultValue is a literal column default as stored, for the types whose
// literal form is unambiguous.
func defaultValue(t cinch.ColumnType, lit string) (any, bool) {
	switch t {
	case cinch.TypeText:
		return lit, true
	case cinch.TypeInteger:
		i, err := strconv.ParseInt(lit, 10, 64)
		return i, err == nil
	case cinch.TypeReal:
		f, err := strconv.ParseFloat(lit, 64)
		return f, err == nil && !strings.ContainsAny(lit, "xXpP_") && !math.IsInf(f, 0) && !math.IsNaN(f)
	case cinch.TypeBoolean:
		switch strings.ToLower(lit) {
		case "true", "1":
			return true, true
		case "false", "0":
			return false, true
		}
	}
	return nil, false
}

// normalizeValue accepts the scalar values a record may hold.
func normalizeValue(col string, v any) (any, error) {
	switch v.(type) {
	case map[string]any, []any:
		return nil, cinch.Errorf(cinch.ErrInvalidInput, "value of column %q is an object or array", col).WithHint("store nested data as a JSON string in a TEXT column")
	}
	return v, nil
}

// fixBools turns 0/1 of BOOLEAN columns into bools in rows from RETURNING.
func fixBools(t *schema.Table, rows []cinch.Record) {
	for _, c := range t.Columns {
		if c.Type != cinch.TypeBoolean {
			continue
		}
		for _, r := range rows {
			if v, ok := r[c.Name].(int64); ok {
				r[c.Name] = v != 0
			}
		}
	}
}

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
		selectByRowID := "SELECT * FROM " + schema.Quote(table) + " WHERE rowid = ?"
		insert := func() error {
			// The SQL is built once per set of columns (usually once per
			// call) and the statement stays in the connection's cache.
			var lastNames []string
			var q string
			for i, rec := range recs {
				names, vals, err := recordArgs(t, rec, true)
				if err != nil {
					if len(recs) > 1 {
						return fmt.Errorf("record %d: %w", i+1, err)
					}
					return err
				}
				now := d.now()
				id, _ := rec["id"].(string)
				if id == "" {
					u, err := uuid.NewV7()
					if err != nil {
						return err
					}
					id = u.String()
					names = append(names, "id")
					vals = append(vals, id)
				}
				names = append(names, "created_at", "updated_at")
				vals = append(vals, now, now)
				if !slices.Equal(names, lastNames) {
					quoted := make([]string, len(names))
					for i, n := range names {
						quoted[i] = schema.Quote(n)
					}
					q = "INSERT INTO " + schema.Quote(table) + " (" + strings.Join(quoted, ", ") + ") VALUES (" +
						strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ") + ")"
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
				row, known := storedRecord(t, rec, id, now)
				if !known {
					if row, err = w.QueryRow(ctx, selectByRowID, w.LastInsertRowID()); err != nil {
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
