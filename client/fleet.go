package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/cinchdb/cinch"
)

// Fleet works on many tenants of the handle's branch at once, through the
// server's fleet routes. The server bounds a fan-out's answer by its row
// and byte limits, as it bounds a query's; progress callbacks are called
// once, when the answer arrives.
func (d *DB) Fleet() cinch.FleetService { return fleet{d} }

// Groups manages the tenant groups of the handle's branch.
func (d *DB) Groups() cinch.GroupService { return groups{d} }

type fleet struct{ d *DB }

var _ cinch.FleetService = fleet{}

func (s fleet) base() (string, error) {
	p, err := s.d.branchPath()
	return p + "/fleet", err
}

// tenantPath is the path of one tenant of the handle's branch.
func (s fleet) tenantPath(name string) (string, error) { return tenants(s).one(name) }

// fanOutRequest mirrors server.FanOutRequest.
type fanOutRequest struct {
	SQL        string   `json:"sql"`
	Params     []any    `json:"params,omitempty"`
	Tenants    []string `json:"tenants,omitempty"`
	Group      string   `json:"group,omitempty"`
	Limit      int      `json:"limit,omitempty"`
	TotalRows  int      `json:"total_rows,omitempty"`
	TotalBytes int64    `json:"total_bytes,omitempty"`
}

// tenantQueryResult mirrors server.TenantQueryResult.
type tenantQueryResult struct {
	Tenant    string   `json:"tenant"`
	Columns   []string `json:"columns"`
	Rows      [][]any  `json:"rows"`
	Truncated bool     `json:"truncated"`
	Error     *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Query runs one read-only statement on many tenants; a tenant's error
// wraps the sentinel of the code the server sent. opts.Concurrency is the
// server's to choose.
func (s fleet) Query(ctx context.Context, opts cinch.FanOutOptions, sql string, params ...any) ([]cinch.TenantResult, error) {
	p, err := s.base()
	if err != nil {
		return nil, err
	}
	req := fanOutRequest{SQL: sql, Tenants: opts.Tenants, Group: opts.Group,
		Limit: max(opts.Limit, 0), TotalRows: max(opts.TotalRows, 0), TotalBytes: max(opts.TotalBytes, 0)}
	for _, v := range params {
		w, err := wireValue(v)
		if err != nil {
			return nil, err
		}
		req.Params = append(req.Params, w)
	}
	var answers []tenantQueryResult
	if err := s.d.c.do(ctx, http.MethodPost, p+"/query", req, &answers); err != nil {
		return nil, err
	}
	out := make([]cinch.TenantResult, len(answers))
	for i, a := range answers {
		out[i].Tenant = a.Tenant
		if a.Error != nil {
			out[i].Err = &cinch.Error{Op: "fan-out query", Err: cinch.FromCode(a.Error.Code), Message: a.Error.Message}
			continue
		}
		res := &cinch.Result{Columns: a.Columns, Rows: a.Rows, Truncated: a.Truncated}
		if res.Columns == nil {
			res.Columns = []string{}
		}
		if res.Rows == nil {
			res.Rows = [][]any{}
		}
		for _, row := range res.Rows {
			for j, v := range row {
				row[j] = fixValue(v)
			}
		}
		out[i].Result = res
	}
	progress(opts.Progress, len(out))
	return out, nil
}

// progress reports a remote fleet operation done, once.
func progress(fn func(done, total int), n int) {
	if fn != nil {
		fn(n, n)
	}
}

// selection is the body of check, vacuum, analyze and migrate.
func selection(opts cinch.FleetOptions) map[string]any {
	if len(opts.Tenants) == 0 {
		return map[string]any{}
	}
	return map[string]any{"tenants": opts.Tenants}
}

func (s fleet) Stats(ctx context.Context, opts cinch.FleetOptions) ([]cinch.TenantStats, error) {
	p, err := s.base()
	p += "/stats"
	if len(opts.Tenants) > 0 {
		p += "?" + url.Values{"tenant": opts.Tenants}.Encode()
	}
	out, err := send[[]cinch.TenantStats](ctx, s.d.c, http.MethodGet, p, err, nil)
	if err == nil {
		progress(opts.Progress, len(out))
	}
	return out, err
}

func (s fleet) Vacuum(ctx context.Context, opts cinch.FleetOptions) ([]cinch.MaintenanceResult, error) {
	return s.maintain(ctx, "/vacuum", opts)
}

func (s fleet) Analyze(ctx context.Context, opts cinch.FleetOptions) ([]cinch.MaintenanceResult, error) {
	return s.maintain(ctx, "/analyze", opts)
}

func (s fleet) maintain(ctx context.Context, op string, opts cinch.FleetOptions) ([]cinch.MaintenanceResult, error) {
	p, err := s.base()
	out, err := send[[]cinch.MaintenanceResult](ctx, s.d.c, http.MethodPost, p+op, err, selection(opts))
	if err == nil {
		progress(opts.Progress, len(out))
	}
	return out, err
}

func (s fleet) Check(ctx context.Context, opts cinch.FleetOptions) ([]cinch.TenantCheck, error) {
	p, err := s.base()
	out, err := send[[]cinch.TenantCheck](ctx, s.d.c, http.MethodPost, p+"/check", err, selection(opts))
	if err == nil {
		progress(opts.Progress, len(out))
	}
	return out, err
}

// Migrate brings tenants behind the branch's schema up to date now
// (POST .../tenants:migrate). Encrypted tenants are migrated only when
// named, on a handle with their key (DB.WithKey).
func (s fleet) Migrate(ctx context.Context, opts cinch.FleetOptions) (cinch.MigrateResult, error) {
	p, err := tenants(s).base()
	out, err := send[cinch.MigrateResult](ctx, s.d.c, http.MethodPost, p+":migrate", err, selection(opts))
	if err == nil {
		progress(opts.Progress, out.Behind)
	}
	return out, err
}

func (s fleet) Archive(ctx context.Context, tenant string) error {
	p, err := s.tenantPath(tenant)
	if err != nil {
		return err
	}
	return s.d.c.do(ctx, http.MethodPost, p+"/archive", nil, nil)
}

func (s fleet) Restore(ctx context.Context, tenant string) error {
	p, err := s.tenantPath(tenant)
	if err != nil {
		return err
	}
	return s.d.c.do(ctx, http.MethodPost, p+"/restore", nil, nil)
}

func (s fleet) InactiveSince(ctx context.Context, cutoff time.Time) ([]cinch.TenantInfo, error) {
	p, err := s.base()
	q := url.Values{"since": {cutoff.UTC().Format(time.RFC3339Nano)}}
	return send[[]cinch.TenantInfo](ctx, s.d.c, http.MethodGet, p+"/inactive?"+q.Encode(), err, nil)
}

type groups struct{ d *DB }

var _ cinch.GroupService = groups{}

func (s groups) base() (string, error) {
	p, err := s.d.branchPath()
	return p + "/groups", err
}

func (s groups) one(name string) (string, error) {
	p, err := s.base()
	if err != nil {
		return "", err
	}
	if err := cinch.ValidateGroupName(name); err != nil {
		return "", err
	}
	return p + "/" + esc(name), nil
}

func (s groups) List(ctx context.Context) ([]cinch.Group, error) {
	p, err := s.base()
	return send[[]cinch.Group](ctx, s.d.c, http.MethodGet, p, err, nil)
}

func (s groups) Info(ctx context.Context, name string) (cinch.Group, error) {
	p, err := s.one(name)
	return send[cinch.Group](ctx, s.d.c, http.MethodGet, p, err, nil)
}

func (s groups) Create(ctx context.Context, g cinch.Group) (cinch.Group, error) {
	p, err := s.base()
	return send[cinch.Group](ctx, s.d.c, http.MethodPost, p, err,
		map[string]any{"name": g.Name, "max_db_bytes": g.MaxDBBytes, "max_concurrent": g.MaxConcurrent})
}

func (s groups) SetLimits(ctx context.Context, g cinch.Group) (cinch.Group, error) {
	p, err := s.one(g.Name)
	return send[cinch.Group](ctx, s.d.c, http.MethodPut, p, err,
		map[string]any{"max_db_bytes": g.MaxDBBytes, "max_concurrent": g.MaxConcurrent})
}

func (s groups) SetTenant(ctx context.Context, tenant, group string) error {
	p, err := tenants(s).one(tenant)
	if err != nil {
		return err
	}
	return s.d.c.do(ctx, http.MethodPut, p+"/group", map[string]any{"group": group}, nil)
}
