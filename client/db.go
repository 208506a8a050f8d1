package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/cinchdb/cinch"
)

// DB is a handle on one tenant of one branch through a server; it
// satisfies cinch.DB like a local handle. Handles are values: SwitchTenant
// and SwitchBranch return new ones and do no I/O.
type DB struct {
	c      *Client
	target cinch.Target
}

var _ cinch.DB = (*DB)(nil)

// Target names the database, branch and tenant of the handle.
func (d *DB) Target() cinch.Target { return d.target }

// IsLocal is false: this handle works through a server.
func (d *DB) IsLocal() bool { return false }

// WithKey returns a handle that sends key with every request, for
// encrypted tenants (the server opens them with it, then forgets it). Use
// TLS: the key travels with the request.
func (d *DB) WithKey(key string) *DB {
	c := *d.c
	c.tenantKey = key
	return &DB{c: &c, target: d.target}
}

// Connect returns a handle on another tenant, keeping the concrete type.
func (d *DB) Connect(tenant string) *DB {
	t := d.target
	t.Tenant = tenant
	return &DB{c: d.c, target: t}
}

// SwitchTenant returns a handle on another tenant of the same branch.
func (d *DB) SwitchTenant(name string) cinch.DB {
	t := d.target
	t.Tenant = name
	return &DB{c: d.c, target: t}
}

// SwitchBranch returns a handle on the same tenant of another branch.
func (d *DB) SwitchBranch(name string) cinch.DB {
	t := d.target
	t.Branch = name
	return &DB{c: d.c, target: t}
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

func (d *DB) dbPath() (string, error) {
	if err := cinch.ValidateDatabaseName(d.target.Database); err != nil {
		return "", err
	}
	return "/v1/databases/" + esc(d.target.Database), nil
}

func (d *DB) branchPath() (string, error) {
	p, err := d.dbPath()
	if err != nil {
		return "", err
	}
	if err := cinch.ValidateBranchName(d.target.Branch); err != nil {
		return "", err
	}
	return p + "/branches/" + esc(d.target.Branch), nil
}

func (d *DB) tenantPath() (string, error) {
	p, err := d.branchPath()
	if err != nil {
		return "", err
	}
	if err := cinch.ValidateTenantName(d.target.Tenant); err != nil {
		return "", err
	}
	return p + "/tenants/" + esc(d.target.Tenant), nil
}

// Changes returns the branch's change records, oldest first.
func (d *DB) Changes(ctx context.Context) ([]cinch.Change, error) {
	p, err := d.branchPath()
	if err != nil {
		return nil, err
	}
	var out []cinch.Change
	err = d.c.do(ctx, http.MethodGet, p+"/changes", nil, &out)
	return out, err
}

// Query runs one statement on the tenant.
func (d *DB) Query(ctx context.Context, sql string, params ...any) (*cinch.Result, error) {
	return d.QueryWith(ctx, cinch.QueryOptions{}, sql, params...)
}

type queryRequest struct {
	SQL      string `json:"sql"`
	Params   []any  `json:"params,omitempty"`
	Limit    int    `json:"limit,omitempty"`
	ReadOnly bool   `json:"read_only,omitempty"`
}

// QueryWith runs one statement with options and returns every row. The
// server caps the rows and bytes at its own limits too; Result.Truncated
// says when a limit cut.
func (d *DB) QueryWith(ctx context.Context, opts cinch.QueryOptions, sql string, params ...any) (*cinch.Result, error) {
	return cinch.CollectRows(func(w cinch.RowWriter) (*cinch.Result, error) {
		return d.QueryTo(ctx, opts, w, sql, params...)
	})
}

// QueryTo runs one statement and streams the rows to w as the response
// arrives, so memory does not grow with the result.
func (d *DB) QueryTo(ctx context.Context, opts cinch.QueryOptions, w cinch.RowWriter, sql string, params ...any) (*cinch.Result, error) {
	p, err := d.tenantPath()
	if err != nil {
		return nil, err
	}
	req := queryRequest{SQL: sql, Limit: max(opts.Limit, 0), ReadOnly: opts.ReadOnly}
	for _, v := range params {
		w, err := wireValue(v)
		if err != nil {
			return nil, err
		}
		req.Params = append(req.Params, w)
	}
	resp, err := d.c.request(ctx, http.MethodPost, p+"/query", req, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	res, err := decodeQueryStream(resp.Body, opts, w)
	if err != nil {
		var ce *cinch.Error
		var we writerError
		switch {
		case errors.As(err, &we):
			err = we.error
		case !errors.As(err, &ce):
			err = fmt.Errorf("%w: cinch client: POST %s/query: reading the response: %v", cinch.ErrInternal, p, err)
			if ctx.Err() != nil {
				err = &cinch.Error{Op: "POST " + p + "/query", Err: cinch.ErrCanceled, Message: "request canceled: " + ctx.Err().Error()}
			}
		}
		return nil, err
	}
	return res, nil
}

func (d *DB) rowsPath(table string) (string, error) {
	p, err := d.tenantPath()
	if err != nil {
		return "", err
	}
	return p + "/tables/" + esc(table) + "/rows", nil
}

// Insert stores one record and returns it as stored.
func (d *DB) Insert(ctx context.Context, table string, rec cinch.Record) (cinch.Record, error) {
	p, err := d.rowsPath(table)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		rec = cinch.Record{}
	}
	w, err := wireRecord(rec)
	if err != nil {
		return nil, err
	}
	var out cinch.Record
	if err := d.c.do(ctx, http.MethodPost, p, w, &out); err != nil {
		return nil, err
	}
	fixRecord(out)
	return out, nil
}

// InsertMany stores records in one transaction: all or none.
func (d *DB) InsertMany(ctx context.Context, table string, recs []cinch.Record) ([]cinch.Record, error) {
	if len(recs) == 0 {
		return []cinch.Record{}, nil
	}
	p, err := d.rowsPath(table)
	if err != nil {
		return nil, err
	}
	ws := make([]cinch.Record, len(recs))
	for i, r := range recs {
		if r == nil {
			r = cinch.Record{}
		}
		if ws[i], err = wireRecord(r); err != nil {
			return nil, err
		}
	}
	var out []cinch.Record
	if err := d.c.do(ctx, http.MethodPost, p, ws, &out); err != nil {
		return nil, err
	}
	fixRecords(out)
	return out, nil
}

// Update changes the given columns of the row with id.
func (d *DB) Update(ctx context.Context, table, id string, rec cinch.Record) (cinch.Record, error) {
	p, err := d.rowsPath(table)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		rec = cinch.Record{}
	}
	w, err := wireRecord(rec)
	if err != nil {
		return nil, err
	}
	var out cinch.Record
	if err := d.c.do(ctx, http.MethodPatch, p+"/"+esc(id), w, &out); err != nil {
		return nil, err
	}
	fixRecord(out)
	return out, nil
}

type deleteResponse struct {
	Deleted int64 `json:"deleted"`
}

// Delete removes rows by id (in one statement) and returns how many existed.
func (d *DB) Delete(ctx context.Context, table string, ids ...string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	p, err := d.rowsPath(table)
	if err != nil {
		return 0, err
	}
	var out deleteResponse
	if len(ids) == 1 {
		err = d.c.do(ctx, http.MethodDelete, p+"/"+esc(ids[0]), nil, &out)
	} else {
		err = d.c.do(ctx, http.MethodPost, p+"/delete", map[string]any{"ids": ids}, &out)
	}
	return out.Deleted, err
}

// ---- services ----

type tenants struct{ d *DB }

var _ cinch.TenantService = tenants{}

func (s tenants) base() (string, error) {
	p, err := s.d.branchPath()
	return p + "/tenants", err
}

func (s tenants) one(name string) (string, error) {
	p, err := s.base()
	if err != nil {
		return "", err
	}
	if err := cinch.ValidateTenantName(name); err != nil {
		return "", err
	}
	return p + "/" + esc(name), nil
}

func (s tenants) List(ctx context.Context) ([]cinch.TenantInfo, error) {
	p, err := s.base()
	return send[[]cinch.TenantInfo](ctx, s.d.c, http.MethodGet, p, err, nil)
}

func (s tenants) Create(ctx context.Context, name string, opts cinch.TenantCreateOptions) (cinch.TenantInfo, error) {
	var out cinch.TenantInfo
	p, err := s.base()
	if err != nil {
		return out, err
	}
	in := map[string]any{"name": name, "lazy": opts.Lazy}
	if opts.From != "" {
		in["from"] = opts.From
	}
	d := s.d
	if opts.Encrypt {
		in["encrypt"] = true
		d = d.WithKey(opts.Key)
	}
	return out, d.c.do(ctx, http.MethodPost, p, in, &out)
}

// CreateMany creates several tenants in one request (POST .../tenants:batch).
func (s tenants) CreateMany(ctx context.Context, names []string, opts cinch.TenantCreateOptions) ([]cinch.TenantInfo, error) {
	p, err := s.base()
	if err != nil {
		return nil, err
	}
	if opts.From != "" || opts.Encrypt {
		return nil, cinch.Errorf(cinch.ErrInvalidInput, "a batch of tenants cannot be copied from a template or encrypted").
			WithHint("create those tenants one at a time")
	}
	for _, n := range names {
		if err := cinch.ValidateTenantName(n); err != nil {
			return nil, err
		}
	}
	var out []cinch.TenantInfo
	return out, s.d.c.do(ctx, http.MethodPost, p+":batch", map[string]any{"names": names, "lazy": opts.Lazy}, &out)
}

func (s tenants) Info(ctx context.Context, name string) (cinch.TenantInfo, error) {
	p, err := s.one(name)
	return send[cinch.TenantInfo](ctx, s.d.c, http.MethodGet, p, err, nil)
}

func (s tenants) Copy(ctx context.Context, source, target string, noData bool) (cinch.TenantInfo, error) {
	var out cinch.TenantInfo
	p, err := s.one(source)
	if err != nil {
		return out, err
	}
	return out, s.d.c.do(ctx, http.MethodPost, p+"/copy", map[string]any{"target": target, "no_data": noData}, &out)
}

func (s tenants) Rename(ctx context.Context, oldName, newName string) error {
	p, err := s.one(oldName)
	if err != nil {
		return err
	}
	return s.d.c.do(ctx, http.MethodPatch, p, map[string]any{"name": newName}, nil)
}

func (s tenants) Delete(ctx context.Context, name string) error {
	p, err := s.one(name)
	if err != nil {
		return err
	}
	return s.d.c.do(ctx, http.MethodDelete, p, nil, nil)
}

type tables struct{ d *DB }

var _ cinch.TableService = tables{}

func (s tables) base() (string, error) {
	p, err := s.d.branchPath()
	return p + "/tables", err
}

func (s tables) List(ctx context.Context) ([]cinch.TableInfo, error) {
	p, err := s.base()
	return send[[]cinch.TableInfo](ctx, s.d.c, http.MethodGet, p, err, nil)
}

func (s tables) Info(ctx context.Context, name string) (cinch.TableInfo, error) {
	p, err := s.base()
	return send[cinch.TableInfo](ctx, s.d.c, http.MethodGet, p+"/"+esc(name), err, nil)
}

func (s tables) Create(ctx context.Context, name string, columns []cinch.Column) (cinch.Change, error) {
	var out cinch.Change
	p, err := s.base()
	if err != nil {
		return out, err
	}
	if columns == nil {
		columns = []cinch.Column{}
	}
	return out, s.d.c.do(ctx, http.MethodPost, p, map[string]any{"name": name, "columns": columns}, &out)
}

func (s tables) Copy(ctx context.Context, source, target string, noData bool) (cinch.Change, error) {
	var out cinch.Change
	p, err := s.base()
	if err != nil {
		return out, err
	}
	return out, s.d.c.do(ctx, http.MethodPost, p+"/"+esc(source)+"/copy", map[string]any{"target": target, "no_data": noData}, &out)
}

func (s tables) Drop(ctx context.Context, name string) (cinch.Change, error) {
	p, err := s.base()
	return send[cinch.Change](ctx, s.d.c, http.MethodDelete, p+"/"+esc(name), err, nil)
}

type columns struct{ d *DB }

var _ cinch.ColumnService = columns{}

func (s columns) base(table string) (string, error) {
	p, err := s.d.branchPath()
	return p + "/tables/" + esc(table) + "/columns", err
}

func (s columns) List(ctx context.Context, table string) ([]cinch.ColumnInfo, error) {
	p, err := s.base(table)
	return send[[]cinch.ColumnInfo](ctx, s.d.c, http.MethodGet, p, err, nil)
}

func (s columns) Add(ctx context.Context, table string, column cinch.Column) (cinch.Change, error) {
	p, err := s.base(table)
	return send[cinch.Change](ctx, s.d.c, http.MethodPost, p, err, column)
}

func (s columns) Drop(ctx context.Context, table, column string) (cinch.Change, error) {
	p, err := s.base(table)
	return send[cinch.Change](ctx, s.d.c, http.MethodDelete, p+"/"+esc(column), err, nil)
}

func (s columns) Rename(ctx context.Context, table, oldName, newName string) (cinch.Change, error) {
	p, err := s.base(table)
	return send[cinch.Change](ctx, s.d.c, http.MethodPatch, p+"/"+esc(oldName), err, map[string]any{"name": newName})
}

func (s columns) AlterNullable(ctx context.Context, table, column string, nullable bool, fill *string) (cinch.Change, error) {
	var out cinch.Change
	p, err := s.base(table)
	if err != nil {
		return out, err
	}
	in := map[string]any{"nullable": nullable}
	if fill != nil {
		in["fill_value"] = *fill
	}
	return out, s.d.c.do(ctx, http.MethodPatch, p+"/"+esc(column), in, &out)
}

type views struct{ d *DB }

var _ cinch.ViewService = views{}

func (s views) base() (string, error) {
	p, err := s.d.branchPath()
	return p + "/views", err
}

func (s views) List(ctx context.Context) ([]cinch.ViewInfo, error) {
	p, err := s.base()
	return send[[]cinch.ViewInfo](ctx, s.d.c, http.MethodGet, p, err, nil)
}

func (s views) Info(ctx context.Context, name string) (cinch.ViewInfo, error) {
	p, err := s.base()
	return send[cinch.ViewInfo](ctx, s.d.c, http.MethodGet, p+"/"+esc(name), err, nil)
}

func (s views) Create(ctx context.Context, name, sql string) (cinch.Change, error) {
	var out cinch.Change
	p, err := s.base()
	if err != nil {
		return out, err
	}
	return out, s.d.c.do(ctx, http.MethodPost, p, map[string]any{"name": name, "sql": sql}, &out)
}

func (s views) Update(ctx context.Context, name, sql string) (cinch.Change, error) {
	p, err := s.base()
	return send[cinch.Change](ctx, s.d.c, http.MethodPut, p+"/"+esc(name), err, map[string]any{"sql": sql})
}

func (s views) Drop(ctx context.Context, name string) (cinch.Change, error) {
	p, err := s.base()
	return send[cinch.Change](ctx, s.d.c, http.MethodDelete, p+"/"+esc(name), err, nil)
}

type indexes struct{ d *DB }

var _ cinch.IndexService = indexes{}

func (s indexes) base() (string, error) {
	p, err := s.d.branchPath()
	return p + "/indexes", err
}

func (s indexes) List(ctx context.Context, table string) ([]cinch.IndexInfo, error) {
	p, err := s.base()
	if err != nil {
		return nil, err
	}
	if table != "" {
		p += "?table=" + url.QueryEscape(table)
	}
	var out []cinch.IndexInfo
	return out, s.d.c.do(ctx, http.MethodGet, p, nil, &out)
}

func (s indexes) Create(ctx context.Context, index cinch.IndexInfo) (cinch.Change, error) {
	var out cinch.Change
	p, err := s.base()
	if err != nil {
		return out, err
	}
	in := map[string]any{"table": index.Table, "columns": index.Columns, "unique": index.Unique}
	if index.Name != "" {
		in["name"] = index.Name
	}
	return out, s.d.c.do(ctx, http.MethodPost, p, in, &out)
}

func (s indexes) Drop(ctx context.Context, name string) (cinch.Change, error) {
	p, err := s.base()
	return send[cinch.Change](ctx, s.d.c, http.MethodDelete, p+"/"+esc(name), err, nil)
}

type branches struct{ d *DB }

var _ cinch.BranchService = branches{}

func (s branches) base() (string, error) {
	p, err := s.d.dbPath()
	return p + "/branches", err
}

func (s branches) one(name string) (string, error) {
	p, err := s.base()
	if err != nil {
		return "", err
	}
	if err := cinch.ValidateBranchName(name); err != nil {
		return "", err
	}
	return p + "/" + esc(name), nil
}

func (s branches) List(ctx context.Context) ([]cinch.BranchInfo, error) {
	p, err := s.base()
	return send[[]cinch.BranchInfo](ctx, s.d.c, http.MethodGet, p, err, nil)
}

func (s branches) Info(ctx context.Context, name string) (cinch.BranchInfo, error) {
	p, err := s.one(name)
	return send[cinch.BranchInfo](ctx, s.d.c, http.MethodGet, p, err, nil)
}

func (s branches) Create(ctx context.Context, name, from string) (cinch.BranchInfo, error) {
	var out cinch.BranchInfo
	p, err := s.base()
	if err != nil {
		return out, err
	}
	in := map[string]any{"name": name}
	if from != "" {
		in["from"] = from
	}
	return out, s.d.c.do(ctx, http.MethodPost, p, in, &out)
}

func (s branches) Delete(ctx context.Context, name string) error {
	p, err := s.one(name)
	if err != nil {
		return err
	}
	return s.d.c.do(ctx, http.MethodDelete, p, nil, nil)
}

func (s branches) Changes(ctx context.Context, name string) ([]cinch.Change, error) {
	p, err := s.one(name)
	return send[[]cinch.Change](ctx, s.d.c, http.MethodGet, p+"/changes", err, nil)
}

func (s branches) Merge(ctx context.Context, source, target string, dryRun bool) (cinch.MergeResult, error) {
	var out cinch.MergeResult
	p, err := s.one(source)
	if err != nil {
		return out, err
	}
	if target == "" {
		target = cinch.DefaultBranch
	}
	return out, s.d.c.do(ctx, http.MethodPost, p+"/merge", map[string]any{"target": target, "dry_run": dryRun}, &out)
}

// send finishes a service call: if building the path failed (an invalid
// name), that error; else one request whose answer is decoded into a T.
func send[T any](ctx context.Context, c *Client, method, path string, pathErr error, in any) (T, error) {
	var out T
	if pathErr != nil {
		return out, pathErr
	}
	return out, c.do(ctx, method, path, in, &out)
}
