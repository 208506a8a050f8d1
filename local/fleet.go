package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/cinchdb/cinch/sqlite"
)

// fleet is the handle's cinch.FleetService: operations on many tenants of
// its branch at once.
type fleet struct{ d *DB }

var _ cinch.FleetService = fleet{}

// Query runs one read-only statement on many tenants in parallel and
// returns each tenant's rows, in tenant order. A failure on one tenant is
// reported in its TenantResult without hiding the others; the error
// return is only for problems that stop the whole fan-out (unknown
// branch, group or tenant). Lazy tenants answer from the schema template
// and stay lazy; archived tenants are skipped. Writes are refused
// (ErrReadOnly) by SQLite's read-only statement check.
func (f fleet) Query(ctx context.Context, opts cinch.FanOutOptions, sql string, params ...any) ([]cinch.TenantResult, error) {
	b, rows, err := f.fleetTenants(ctx, opts.Tenants, opts.Group)
	if err != nil {
		return nil, err
	}
	qo := cinch.QueryOptions{ReadOnly: true, Limit: opts.Limit}
	total := &budget{maxRows: int64(opts.TotalRows), maxBytes: opts.TotalBytes}
	rs := &readers{opts: f.d.p.connOptions()}
	defer rs.close()
	return eachTenant(ctx, rows, opts.Concurrency, opts.Progress, func(r tenantRow) cinch.TenantResult {
		res, err := f.readTenant(ctx, b, r, rs, qo, total, sql, params)
		return cinch.TenantResult{Tenant: r.Name, Result: res, Err: err}
	}), nil
}

// Stats returns the metrics of the named tenants (every served tenant when
// none is named). Row counts come from COUNT(*) on each table.
func (f fleet) Stats(ctx context.Context, opts cinch.FleetOptions) ([]cinch.TenantStats, error) {
	d := f.d
	b, rows, err := f.fleetTenants(ctx, opts.Tenants, "")
	if err != nil {
		return nil, err
	}
	version := b.version()
	out := eachTenant(ctx, rows, 0, opts.Progress, func(r tenantRow) cinch.TenantStats {
		var err error
		st := cinch.TenantStats{TenantInfo: b.info(r, version)}
		path := b.tenantPath(r.Name)
		for _, p := range []string{path, walFile(path)} {
			if fi, err := os.Stat(p); err == nil && fi.ModTime().After(st.LastWrite) {
				st.LastWrite = fi.ModTime().UTC()
			}
		}
		if fi, err := os.Stat(walFile(path)); err == nil {
			st.WALBytes = fi.Size()
		}
		st.Pending = st.State == cinch.TenantMaterialized && st.SchemaVersion < version
		if st.State != cinch.TenantMaterialized {
			return st
		}
		opts := d.p.connOptions()
		if opts.Key, err = d.p.tenantKey(r, d.key); err != nil {
			return st // encrypted, no key: sizes and the version last seen only
		}
		c, err := sqlite.Open(ctx, path, opts)
		if err != nil {
			return st
		}
		defer c.Close()
		st.SchemaVersion, _ = c.UserVersion()
		if st.SchemaVersion < version {
			// A read of a behind tenant catches it up first, stats too.
			if b.catchUp(ctx, c) == nil {
				st.SchemaVersion, _ = c.UserVersion()
				_ = c.Checkpoint()
				st.SizeBytes = b.info(r, version).SizeBytes
			}
		}
		st.Pending = st.SchemaVersion < version
		st.Tables, st.Rows = countRows(ctx, c)
		return st
	})
	return out, nil
}

// Vacuum runs VACUUM (then truncates the WAL) on the named tenants, or
// every served materialized tenant, and reports the bytes before and after.
func (f fleet) Vacuum(ctx context.Context, opts cinch.FleetOptions) ([]cinch.MaintenanceResult, error) {
	return f.maintain(ctx, opts, func(c *sqlite.Conn, mr *cinch.MaintenanceResult) error {
		if err := c.Exec("VACUUM"); err != nil {
			return err
		}
		return c.Checkpoint()
	})
}

// Analyze runs ANALYZE on the named tenants, or every served one.
func (f fleet) Analyze(ctx context.Context, opts cinch.FleetOptions) ([]cinch.MaintenanceResult, error) {
	return f.maintain(ctx, opts, func(c *sqlite.Conn, mr *cinch.MaintenanceResult) error {
		return c.Exec("ANALYZE")
	})
}

// Check converges and checks tenants: each named tenant (every tenant of
// the branch when none is named) is brought to the branch's schema
// version, then PRAGMA integrity_check runs on it. A tenant that stays
// behind or ahead of the branch is reported as drift.
func (f fleet) Check(ctx context.Context, opts cinch.FleetOptions) ([]cinch.TenantCheck, error) {
	d, names := f.d, opts.Tenants
	b, err := d.branch(ctx)
	if err != nil {
		return nil, err
	}
	// Taking the branch lock finishes (or undoes) an operation a crashed
	// process left in the journal, as the rollout error hints promise, and
	// sweeps leftovers of killed processes that no journal names.
	if err := b.converge(ctx); err != nil {
		return nil, err
	}
	if len(names) == 0 {
		rows, err := b.reg.list(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			names = append(names, r.Name)
		}
	}
	out := make([]cinch.TenantCheck, 0, len(names))
	for _, name := range names {
		if err := cinch.ValidateTenantName(name); err != nil {
			return nil, err
		}
		row, found, err := b.reg.get(ctx, name)
		if err != nil {
			return nil, err
		} else if !found {
			return nil, notFoundTenant(name)
		}
		out = append(out, f.checkTenant(ctx, b, row))
		if opts.Progress != nil {
			opts.Progress(len(out), len(names))
		}
	}
	return out, nil
}

// Archive moves a tenant out of the serving set: its file is checkpointed,
// compressed into archive/<tenant>.db.zst (temporary file, fsync, rename),
// marked archived in the registry, and only then removed. An archived
// tenant is not served and fan-out skips it. main cannot be archived.
func (f fleet) Archive(ctx context.Context, name string) error {
	d := f.d
	if name == cinch.DefaultTenant {
		return &cinch.Error{Err: cinch.ErrProtected, Message: "tenant \"main\" cannot be archived", Hint: "archive customer tenants only"}
	}
	b, row, unlock, err := d.lockedTenant(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	if row.Archived {
		return &cinch.Error{Err: cinch.ErrTenantArchived, Entity: fmt.Sprintf("tenant %q", name), Message: fmt.Sprintf("tenant %q is already archived", name)}
	}
	d.p.pool.forget(b, name, true)
	path := b.tenantPath(name)
	if err := os.MkdirAll(archiveDir(b.dir), 0o755); err != nil {
		return err
	}
	if exists(path) {
		// Checkpoint into the main file; nothing else writes meanwhile in
		// this process, and other processes dropped the handle (generation).
		opts := d.p.connOptions()
		if opts.Key, err = d.p.tenantKey(row, d.key); err != nil {
			return err
		}
		c, err := sqlite.Open(ctx, path, opts)
		if err != nil {
			return err
		}
		err = c.Checkpoint()
		c.Close()
		if err != nil {
			return fmt.Errorf("%w: checkpoint before archive: %v", cinch.ErrBusy, err)
		}
		if err := compressFile(path, b.archivePath(name)); err != nil {
			return err
		}
	}
	if _, err := b.reg.exec(ctx, "UPDATE tenants SET archived = 1 WHERE name = ?", name); err != nil {
		return err
	}
	return sqlite.RemoveDB(path)
}

// Restore brings an archived tenant back: decompress to a temporary file,
// check its integrity, apply the schema changes made meanwhile, publish it,
// and mark it served. A corrupt archive is an error and changes nothing.
func (f fleet) Restore(ctx context.Context, name string) error {
	d := f.d
	b, row, unlock, err := d.lockedTenant(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	if !row.Archived {
		return cinch.Errorf(cinch.ErrInvalidInput, "tenant %q is not archived", name).WithHint("nothing to restore")
	}
	path, arc := b.tenantPath(name), b.archivePath(name)
	if exists(arc) {
		tmp := tempFile(path)
		sqlite.RemoveDB(tmp)
		if err := decompressFile(arc, tmp); err != nil {
			sqlite.RemoveDB(tmp)
			return &cinch.Error{Err: cinch.ErrInvalidInput, Message: fmt.Sprintf("archive of tenant %q is corrupt: %v", name, err),
				Hint: "the tenant stays archived; restore " + arc + " from a backup"}
		}
		dk, err := d.p.tenantKey(row, d.key)
		if err != nil {
			sqlite.RemoveDB(tmp)
			return err
		}
		if err := b.checkFile(ctx, tmp, dk, func(c *sqlite.Conn) error { return b.catchUp(ctx, c) }); err != nil {
			sqlite.RemoveDB(tmp)
			return &cinch.Error{Err: cinch.ErrInvalidInput, Message: fmt.Sprintf("archive of tenant %q is corrupt: %v", name, err),
				Hint: "the tenant stays archived; restore " + arc + " from a backup"}
		}
		if err := sqlite.Publish(tmp, path); err != nil {
			return err
		}
	}
	if _, err := b.reg.exec(ctx, "UPDATE tenants SET archived = 0 WHERE name = ?", name); err != nil {
		return err
	}
	d.p.pool.forget(b, name, true)
	// A lazy tenant was archived without a file, so it has no archive.
	if err := os.Remove(arc); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// InactiveSince returns the served tenants whose files were last written
// before cutoff (lazy tenants count from their creation time).
func (f fleet) InactiveSince(ctx context.Context, cutoff time.Time) ([]cinch.TenantInfo, error) {
	b, rows, err := f.fleetTenants(ctx, nil, "")
	if err != nil {
		return nil, err
	}
	var out []cinch.TenantInfo
	v := b.version()
	for _, r := range rows {
		last := r.CreatedAt // lazy tenants: never written
		path := b.tenantPath(r.Name)
		if fi, err := os.Stat(path); err == nil {
			last = fi.ModTime()
			if wal, err := os.Stat(walFile(path)); err == nil && wal.ModTime().After(last) {
				last = wal.ModTime()
			}
		}
		if last.Before(cutoff) {
			out = append(out, b.info(r, v))
		}
	}
	return out, nil
}

// Migrate brings tenants behind the branch's schema up to date now (see
// DB.MigrateTenants).
func (f fleet) Migrate(ctx context.Context, opts cinch.FleetOptions) (cinch.MigrateResult, error) {
	res, err := f.d.MigrateTenants(ctx, opts)
	return cinch.MigrateResult{Behind: res.Behind, Migrated: res.Migrated, Remaining: res.Behind - res.Migrated}, err
}

// fleetTenants resolves the tenants a fleet operation covers: the named
// ones (all must exist), or every served (not archived) tenant, narrowed
// to a group.
func (f fleet) fleetTenants(ctx context.Context, names []string, group string) (*branch, []tenantRow, error) {
	b, err := f.d.branch(ctx)
	if err != nil {
		return nil, nil, err
	}
	rows, err := b.reg.list(ctx)
	if err != nil {
		return nil, nil, err
	}
	if group != "" {
		if _, err := b.group(ctx, group); err != nil {
			return nil, nil, err
		}
	}
	byName := make(map[string]tenantRow, len(rows))
	for _, r := range rows {
		byName[r.Name] = r
	}
	var out []tenantRow
	if len(names) > 0 {
		for _, n := range names {
			if err := cinch.ValidateTenantName(n); err != nil {
				return nil, nil, err
			}
			r, ok := byName[n]
			if !ok {
				return nil, nil, notFoundTenant(n)
			}
			out = append(out, r)
		}
	} else {
		for _, r := range rows {
			if !r.Archived {
				out = append(out, r)
			}
		}
	}
	if group != "" {
		kept := out[:0]
		for _, r := range out {
			if r.Group == group {
				kept = append(kept, r)
			}
		}
		out = kept
	}
	return b, out, nil
}

// eachTenant runs fn on every row with bounded concurrency, in input order
// of results, reporting progress: one call at a time, done counting up.
func eachTenant[T any](ctx context.Context, rows []tenantRow, concurrency int, progress func(done, total int), fn func(r tenantRow) T) []T {
	if concurrency <= 0 {
		concurrency = 2 * runtime.GOMAXPROCS(0)
	}
	out := make([]T, len(rows))
	var (
		mu   sync.Mutex // serializes progress calls
		done int
	)
	var wg sync.WaitGroup
	sem := make(chan struct{}, concurrency)
	for i, r := range rows {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i] = fn(r)
			if progress != nil {
				mu.Lock()
				done++
				progress(done, len(rows))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

// checkTenant converges and checks one registered tenant (Check): catch it
// up to the branch's schema, read its version, run PRAGMA integrity_check.
//
// A tenant that cannot be opened or read (a full disk, a missing key, a
// damaged file) is reported as "could not read: <reason>", with the
// version its file header shows (the registry's for an encrypted one),
// and not as drift: nothing is known about its schema.
func (f fleet) checkTenant(ctx context.Context, b *branch, row tenantRow) cinch.TenantCheck {
	tc := cinch.TenantCheck{Tenant: row.Name, BranchVersion: b.version(), State: string(cinch.TenantLazy)}
	path := b.tenantPath(row.Name)
	if !exists(path) {
		tc.SchemaVersion, tc.Integrity, tc.OK = tc.BranchVersion, []string{"ok"}, true
		return tc
	}
	tc.State = string(cinch.TenantMaterialized)
	read := false
	what := fmt.Sprintf("tenant %q", row.Name)
	err := b.p.pool.withWriter(ctx, b, row.Name, f.d.key, func(c *sqlite.Conn) error {
		if err := b.catchUp(ctx, c); err != nil {
			tc.Integrity = append(tc.Integrity, "schema: "+diskFull(err, path, what).Error())
		}
		v, err := c.UserVersion()
		if err != nil {
			return err
		}
		tc.SchemaVersion, read = v, true
		msgs, err := c.IntegrityCheck(ctx)
		tc.Integrity = append(tc.Integrity, msgs...)
		return err
	})
	if err != nil {
		reason := err.Error()
		if sqlite.DiskFull(err, path) {
			reason = "disk full (free disk space and check again)"
		}
		tc.Integrity = append(tc.Integrity, "could not read: "+reason)
	}
	if !read {
		tc.SchemaVersion = fileVersion(path)
		if row.Encrypted { // the header is encrypted: the version last seen
			tc.SchemaVersion = row.Version
		}
		return tc // not OK, and no drift claimed
	}
	tc.Drift = tc.SchemaVersion != tc.BranchVersion
	tc.OK = err == nil && !tc.Drift && len(tc.Integrity) == 1 && tc.Integrity[0] == "ok"
	return tc
}

// readTenant answers a read on one tenant for a fan-out: through the pool
// when the tenant is open here, from the template when it is lazy, else on
// a short-lived connection, so a pass over 10,000 tenants does not churn
// the pool. A file that is behind the branch goes through the pool, which
// catches it up first.
//
// A file nobody has open is read quietly (as immutable, readQuiet),
// attached to one of the fan-out's Readers when the statement reads only
// that file (sqlite.Reader), else on a connection of its own.
//
// The rows are kept while they fit in the fan-out's budget; the first that
// does not stops the query, and the result says Truncated.
func (f fleet) readTenant(ctx context.Context, b *branch, r tenantRow, rs *readers, opts cinch.QueryOptions, total *budget, sql string, params []any) (*cinch.Result, error) {
	d := f.d
	tenant := r.Name
	res := &cinch.Result{Rows: [][]any{}}
	w := budgetWriter{res: res, b: total}
	finish := func(sum *cinch.Result, err error) (*cinch.Result, error) {
		switch {
		case errors.Is(err, errBudgetSpent):
			res.Truncated = true
		case err != nil:
			return nil, err
		default:
			res.RowsAffected, res.Truncated = sum.RowsAffected, sum.Truncated
		}
		return res, nil
	}
	one := d.WithTenant(tenant)
	path := b.tenantPath(tenant)
	if d.p.pool.isOpen(b, tenant) || !exists(path) || r.Encrypted {
		return finish(one.QueryTo(ctx, opts, w, sql, params...))
	}
	// A file nobody has open is read as immutable (readQuiet); the rows
	// it gave are dropped if the read turns out not to have been quiet.
	var sum *cinch.Result
	var behind bool
	cw := &countingWriter{w: w}
	if rd := rs.get(ctx); rd != nil {
		ok, err := quietly(path, func() error {
			var foreign bool
			var err error
			sum, behind, foreign, err = rd.QueryTo(ctx, path, b.version(), opts, cw, sql, params...)
			if foreign {
				return errNotQuiet
			}
			return err
		})
		rs.put(rd)
		if ok {
			if behind {
				return finish(one.QueryTo(ctx, opts, w, sql, params...))
			}
			readerReads.Add(1)
			return finish(sum, err)
		}
		cw.undo(res)
		sum, behind = nil, false
	}
	ok, err := readQuiet(ctx, path, d.p.connOptions(), func(c *sqlite.Conn) error {
		if v, err := c.UserVersion(); err != nil || v != b.version() {
			behind = true
			return nil
		}
		return d.p.do(c, tenant, func() error {
			var err error
			sum, err = c.QueryTo(ctx, opts, cw, sql, params...)
			return err
		})
	})
	if ok {
		if behind {
			return finish(one.QueryTo(ctx, opts, w, sql, params...))
		}
		return finish(sum, err)
	}
	cw.undo(res)
	c, err := sqlite.Open(ctx, path, d.p.connOptions())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if v, err := c.UserVersion(); err != nil || v != b.version() {
		c.Close()
		return finish(one.QueryTo(ctx, opts, w, sql, params...))
	}
	err = d.p.do(c, tenant, func() error {
		sum, err = c.QueryTo(ctx, opts, w, sql, params...)
		return err
	})
	return finish(sum, err)
}

// countingWriter is a budgetWriter that remembers what it took from the
// budget, so that a read whose rows are dropped can give it back.
type countingWriter struct {
	w           budgetWriter
	rows, bytes int64
}

func (cw *countingWriter) WriteColumns(names []string) error { return cw.w.WriteColumns(names) }

func (cw *countingWriter) WriteRow(values []any) error {
	if err := cw.w.WriteRow(values); err != nil {
		return err
	}
	cw.rows++
	if cw.w.b.maxBytes > 0 {
		cw.bytes += rowSize(values)
	}
	return nil
}

// undo drops the rows written to res and gives their share of the budget
// back.
func (cw *countingWriter) undo(res *cinch.Result) {
	if cw.w.b.maxRows > 0 {
		cw.w.b.rows.Add(-cw.rows)
	}
	cw.w.b.bytes.Add(-cw.bytes)
	res.Columns, res.Rows = nil, res.Rows[:0]
	cw.rows, cw.bytes = 0, 0
}

// budget is what a fan-out may still return in all (FanOutOptions
// TotalRows, TotalBytes), shared by the tenants' queries. Once a row does
// not fit, none does: the counters only grow.
type budget struct {
	maxRows, maxBytes int64
	rows, bytes       atomic.Int64
}

// take counts one row of size bytes, reporting whether it fits.
func (b *budget) take(size int64) bool {
	if b.maxRows > 0 && b.rows.Add(1) > b.maxRows {
		return false
	}
	return b.maxBytes <= 0 || b.bytes.Add(size) <= b.maxBytes
}

// errBudgetSpent stops a tenant's query of a fan-out whose budget is spent.
var errBudgetSpent = errors.New("fan-out budget spent")

// budgetWriter collects one tenant's rows while they fit in the budget.
type budgetWriter struct {
	res *cinch.Result
	b   *budget
}

func (w budgetWriter) WriteColumns(names []string) error { w.res.Columns = names; return nil }

func (w budgetWriter) WriteRow(values []any) error {
	if (w.b.maxRows > 0 || w.b.maxBytes > 0) && !w.b.take(rowSize(values)) {
		return errBudgetSpent
	}
	w.res.Rows = append(w.res.Rows, values)
	return nil
}

// rowSize is a row's size as QueryOptions.MaxBytes counts it: strings and
// blobs by length, anything else by 8 bytes.
func rowSize(values []any) int64 {
	var size int64
	for _, v := range values {
		size += cinch.ValueSize(v)
	}
	return size
}

// countRows counts the user tables of a tenant file and their rows.
func countRows(ctx context.Context, c *sqlite.Conn) (tables int, rows int64) {
	res, err := c.Query(ctx, cinch.QueryOptions{}, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_\\_%' ESCAPE '\\' ORDER BY name")
	if err != nil {
		return 0, 0
	}
	for _, r := range res.Rows {
		name, _ := r[0].(string)
		n, err := c.Query(ctx, cinch.QueryOptions{}, "SELECT count(*) AS n FROM "+schema.Quote(name))
		if err != nil || len(n.Rows) == 0 {
			continue
		}
		tables++
		rows += n.Value(0, "n").(int64)
	}
	return tables, rows
}

func (f fleet) maintain(ctx context.Context, opts cinch.FleetOptions, fn func(*sqlite.Conn, *cinch.MaintenanceResult) error) ([]cinch.MaintenanceResult, error) {
	d := f.d
	b, rows, err := f.fleetTenants(ctx, opts.Tenants, "")
	if err != nil {
		return nil, err
	}
	return eachTenant(ctx, rows, runtime.GOMAXPROCS(0), opts.Progress, func(r tenantRow) cinch.MaintenanceResult {
		mr := cinch.MaintenanceResult{Tenant: r.Name}
		path := b.tenantPath(r.Name)
		if !exists(path) {
			return mr // lazy: nothing on disk
		}
		mr.BytesBefore = diskSize(path)
		err := d.p.pool.withWriter(ctx, b, r.Name, d.key, func(c *sqlite.Conn) error { return fn(c, &mr) })
		if err != nil {
			mr.Error = err.Error()
		}
		mr.BytesAfter = diskSize(path)
		return mr
	}), nil
}
