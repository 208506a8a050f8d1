package local

import (
	"context"
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

// Progress is called after each tenant of a fleet operation with the
// number done and the total; the CLI draws a bar from it. It may be nil.
type Progress func(done, total int)

// fleet resolves the tenants a fleet operation covers: the named ones (all
// must exist), or every served (not archived) tenant, narrowed to a group.
func (d *DB) fleet(ctx context.Context, names []string, group string) (*branch, []tenantRow, error) {
	b, err := d.branch(ctx)
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
// of results, reporting progress.
func eachTenant[T any](ctx context.Context, rows []tenantRow, concurrency int, progress Progress, fn func(r tenantRow) T) []T {
	if concurrency <= 0 {
		concurrency = 2 * runtime.GOMAXPROCS(0)
	}
	out := make([]T, len(rows))
	var done atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, concurrency)
	for i, r := range rows {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i] = fn(r)
			if progress != nil {
				progress(int(done.Add(1)), len(rows))
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
func (d *DB) checkTenant(ctx context.Context, b *branch, row tenantRow) TenantCheck {
	tc := TenantCheck{Tenant: row.Name, BranchVersion: b.version(), State: string(cinch.TenantLazy)}
	path := b.tenantPath(row.Name)
	if !exists(path) {
		tc.SchemaVersion, tc.Integrity, tc.OK = tc.BranchVersion, []string{"ok"}, true
		return tc
	}
	tc.State = string(cinch.TenantMaterialized)
	read := false
	what := fmt.Sprintf("tenant %q", row.Name)
	err := b.p.pool.withWriter(ctx, b, row.Name, d.key, func(c *sqlite.Conn) error {
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

// QueryAll runs one read-only statement on many tenants in parallel and
// returns each tenant's rows, in tenant order. A failure on one tenant is
// reported in its TenantResult without hiding the others; the error
// return is only for problems that stop the whole fan-out (unknown
// branch, group or tenant). Lazy tenants answer from the schema template
// and stay lazy; archived tenants are skipped. Writes are refused
// (ErrReadOnly) by SQLite's read-only statement check.
func (d *DB) QueryAll(ctx context.Context, opts cinch.FanOutOptions, progress Progress, sql string, params ...any) ([]cinch.TenantResult, error) {
	b, rows, err := d.fleet(ctx, opts.Tenants, opts.Group)
	if err != nil {
		return nil, err
	}
	qo := cinch.QueryOptions{ReadOnly: true, Limit: opts.Limit}
	return eachTenant(ctx, rows, opts.Concurrency, progress, func(r tenantRow) cinch.TenantResult {
		res, err := d.readTenant(ctx, b, r, qo, sql, params)
		return cinch.TenantResult{Tenant: r.Name, Result: res, Err: err}
	}), nil
}

// readTenant answers a read on one tenant for a fan-out: through the pool
// when the tenant is open here, from the template when it is lazy, else on
// a short-lived connection, so a pass over 10,000 tenants does not churn
// the pool. A file that is behind the branch goes through the pool, which
// catches it up first.
func (d *DB) readTenant(ctx context.Context, b *branch, r tenantRow, opts cinch.QueryOptions, sql string, params []any) (*cinch.Result, error) {
	tenant := r.Name
	one := d.WithTenant(tenant)
	path := b.tenantPath(tenant)
	if d.p.pool.isOpen(b, tenant) || !exists(path) || r.Encrypted {
		return one.QueryWith(ctx, opts, sql, params...)
	}
	c, err := sqlite.Open(ctx, path, d.p.connOptions())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if v, err := c.UserVersion(); err != nil || v != b.version() {
		c.Close()
		return one.QueryWith(ctx, opts, sql, params...)
	}
	var res *cinch.Result
	err = d.p.do(c, tenant, func() error {
		res, err = c.Query(ctx, opts, sql, params...)
		return err
	})
	return res, err
}

// Stats returns the metrics of the named tenants (every served tenant when
// none is named). Row counts come from COUNT(*) on each table.
func (d *DB) Stats(ctx context.Context, progress Progress, names ...string) ([]cinch.TenantStats, error) {
	b, rows, err := d.fleet(ctx, names, "")
	if err != nil {
		return nil, err
	}
	version := b.version()
	out := eachTenant(ctx, rows, 0, progress, func(r tenantRow) cinch.TenantStats {
		var err error
		st := cinch.TenantStats{TenantInfo: b.info(r, version)}
		path := b.tenantPath(r.Name)
		for _, p := range []string{path, path + "-wal"} {
			if fi, err := os.Stat(p); err == nil && fi.ModTime().After(st.LastWrite) {
				st.LastWrite = fi.ModTime().UTC()
			}
		}
		if fi, err := os.Stat(path + "-wal"); err == nil {
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
		st.Pending = st.SchemaVersion < version
		st.Tables, st.Rows = countRows(ctx, c)
		return st
	})
	return out, nil
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

// Vacuum runs VACUUM (then truncates the WAL) on the named tenants, or
// every served materialized tenant, and reports the bytes before and after.
func (d *DB) Vacuum(ctx context.Context, progress Progress, names ...string) ([]cinch.MaintenanceResult, error) {
	return d.maintain(ctx, progress, names, func(c *sqlite.Conn, mr *cinch.MaintenanceResult) error {
		if err := c.Exec("VACUUM"); err != nil {
			return err
		}
		return c.Checkpoint()
	})
}

// Analyze runs ANALYZE on the named tenants, or every served one.
func (d *DB) Analyze(ctx context.Context, progress Progress, names ...string) ([]cinch.MaintenanceResult, error) {
	return d.maintain(ctx, progress, names, func(c *sqlite.Conn, mr *cinch.MaintenanceResult) error {
		return c.Exec("ANALYZE")
	})
}

func (d *DB) maintain(ctx context.Context, progress Progress, names []string, fn func(*sqlite.Conn, *cinch.MaintenanceResult) error) ([]cinch.MaintenanceResult, error) {
	b, rows, err := d.fleet(ctx, names, "")
	if err != nil {
		return nil, err
	}
	return eachTenant(ctx, rows, runtime.GOMAXPROCS(0), progress, func(r tenantRow) cinch.MaintenanceResult {
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

// diskSize is the size of a tenant's db and wal files.
func diskSize(path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// InactiveSince returns the served tenants whose files were last written
// before cutoff (lazy tenants count from their creation time).
func (d *DB) InactiveSince(ctx context.Context, cutoff time.Time) ([]cinch.TenantInfo, error) {
	b, rows, err := d.fleet(ctx, nil, "")
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
			if wal, err := os.Stat(path + "-wal"); err == nil && wal.ModTime().After(last) {
				last = wal.ModTime()
			}
		}
		if last.Before(cutoff) {
			out = append(out, b.info(r, v))
		}
	}
	return out, nil
}
