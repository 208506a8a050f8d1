package server

// The fleet and group routes: cinch.FleetService and cinch.GroupService
// over HTTP. Every one is branch-level (a key limited to one tenant gets
// 403); reads (fan-out query, stats, check, inactive, group list and info)
// are open to read-only keys, the rest is not.

import (
	"context"
	"strings"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/internal/wire"
)

// Request and response bodies of the fleet and group routes.
type (
	// FanOutRequest is the body of POST .../fleet/query: one read-only
	// statement for many tenants. The answer is bounded like a query
	// response: limit caps each tenant's rows (at most --max-rows), and
	// the answer as a whole holds at most --max-rows rows and
	// --max-result-bytes of values (total_rows and total_bytes lower
	// these).
	FanOutRequest struct {
		SQL        string   `json:"sql"`
		Params     []any    `json:"params,omitempty"`
		Tenants    []string `json:"tenants,omitempty"`
		Group      string   `json:"group,omitempty"`
		Limit      int      `json:"limit,omitempty"`
		TotalRows  int      `json:"total_rows,omitempty"`
		TotalBytes int64    `json:"total_bytes,omitempty"`
	}
	// TenantSelection is the body of the fleet operations that take a
	// list of tenants (check, vacuum, analyze, migrate): none means every
	// served tenant of the branch (every tenant, for check; every
	// materialized tenant that is behind, for migrate).
	TenantSelection struct {
		Tenants []string `json:"tenants,omitempty"`
	}
	// TenantQueryResult is one tenant's answer to a fan-out query: its
	// columns, rows and whether a limit cut them, or its error (the same
	// object as an error response's). Rows are arrays of values in column
	// order, as in QueryResult.
	TenantQueryResult struct {
		Tenant    string       `json:"tenant"`
		Columns   []string     `json:"columns,omitempty"`
		Rows      [][]any      `json:"rows,omitempty"`
		Truncated bool         `json:"truncated,omitempty"`
		Error     *ErrorDetail `json:"error,omitempty"`
	}
	// GroupCreateRequest is the body of POST .../groups; a limit left out
	// is 0, no limit.
	GroupCreateRequest struct {
		Name          string `json:"name"`
		MaxDBBytes    int64  `json:"max_db_bytes,omitempty"`
		MaxConcurrent int    `json:"max_concurrent,omitempty"`
	}
	// GroupLimits is the body of PUT .../groups/{group}: the group's new
	// limits, replacing both; a limit left out is 0, no limit.
	GroupLimits struct {
		MaxDBBytes    int64 `json:"max_db_bytes,omitempty"`
		MaxConcurrent int   `json:"max_concurrent,omitempty"`
	}
	// TenantGroupRequest is the body of PUT .../tenants/{tenant}/group:
	// the tenant's group, or "" for none.
	TenantGroupRequest struct {
		Group string `json:"group"`
	}
)

// MarshalJSON writes the two shapes a tenant's answer has, values as
// QueryResult writes them (floats stay floats, infinities are ±9e999):
//
//	{"tenant":"acme","columns":["n"],"rows":[[3]],"truncated":false}
//	{"tenant":"x","error":{"code":"tenant_archived","message":"..."}}
func (r TenantQueryResult) MarshalJSON() ([]byte, error) {
	b := append(make([]byte, 0, 64), `{"tenant":`...)
	b = wire.AppendString(b, r.Tenant)
	if r.Error != nil {
		b = append(b, `,"error":{"code":`...)
		b = wire.AppendString(b, r.Error.Code)
		b = append(b, `,"message":`...)
		b = wire.AppendString(b, r.Error.Message)
		return append(b, "}}"...), nil
	}
	b = append(b, `,"columns":[`...)
	for i, c := range r.Columns {
		if i > 0 {
			b = append(b, ',')
		}
		b = wire.AppendString(b, c)
	}
	b = append(b, `],"rows":[`...)
	for i, row := range r.Rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, v := range row {
			if j > 0 {
				b = append(b, ',')
			}
			b = wire.AppendValue(b, v)
		}
		b = append(b, ']')
	}
	b = append(b, `],"truncated":`...)
	if r.Truncated {
		return append(b, "true}"...), nil
	}
	return append(b, "false}"...), nil
}

// tenantList checks the names of a tenant selection.
func tenantList(names []string) error {
	for _, n := range names {
		if err := cinch.ValidateTenantName(n); err != nil {
			return err
		}
	}
	return nil
}

// capped is v, or most when v is 0 or above most.
func capped[T int | int64](v, most T) T {
	if v <= 0 || v > most {
		return most
	}
	return v
}

func fanOutQuery(c *call) (any, error) {
	var req FanOutRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.SQL) == "" {
		return nil, invalid("sql is required: give one SQL statement")
	}
	if req.Limit < 0 || req.TotalRows < 0 || req.TotalBytes < 0 {
		return nil, invalid("limit, total_rows and total_bytes must be 0 (the server's maximum) or positive")
	}
	if err := scalarParams(req.Params); err != nil {
		return nil, err
	}
	if err := tenantList(req.Tenants); err != nil {
		return nil, err
	}
	if req.Group != "" {
		if err := cinch.ValidateGroupName(req.Group); err != nil {
			return nil, err
		}
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	opts := cinch.FanOutOptions{Tenants: req.Tenants, Group: req.Group,
		Limit:      capped(req.Limit, c.s.cfg.MaxRows),
		TotalRows:  capped(req.TotalRows, c.s.cfg.MaxRows),
		TotalBytes: capped(req.TotalBytes, c.s.cfg.MaxResultBytes)}
	results, err := d.Fleet().Query(c.ctx, opts, req.SQL, req.Params...)
	if err != nil {
		return nil, err
	}
	out := make([]TenantQueryResult, len(results))
	for i, r := range results {
		out[i].Tenant = r.Tenant
		switch {
		case r.Err != nil:
			_, detail := errorDetail(c.s.requestLog(c.r), c.s.timedOut(c.ctx, c.r, r.Err))
			out[i].Error = &detail
		case r.Result != nil:
			out[i].Columns, out[i].Rows, out[i].Truncated = r.Result.Columns, r.Result.Rows, r.Result.Truncated
		}
	}
	return out, nil
}

func tenantStats(c *call) (any, error) {
	names := c.r.URL.Query()["tenant"]
	if err := tenantList(names); err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	list, err := d.Fleet().Stats(c.ctx, cinch.FleetOptions{Tenants: names})
	return nonNil(list), err
}

// selection decodes a TenantSelection body.
func (c *call) selection() (cinch.FleetOptions, error) {
	var req TenantSelection
	if err := c.decode(&req); err != nil {
		return cinch.FleetOptions{}, err
	}
	return cinch.FleetOptions{Tenants: req.Tenants}, tenantList(req.Tenants)
}

func checkTenants(c *call) (any, error) {
	opts, err := c.selection()
	if err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	list, err := d.Fleet().Check(c.ctx, opts)
	return nonNil(list), err
}

// maintenance is the handler of vacuum and analyze.
func maintenance(run func(cinch.FleetService, context.Context, cinch.FleetOptions) ([]cinch.MaintenanceResult, error)) func(c *call) (any, error) {
	return func(c *call) (any, error) {
		opts, err := c.selection()
		if err != nil {
			return nil, err
		}
		d, err := c.conn()
		if err != nil {
			return nil, err
		}
		list, err := run(d.Fleet(), c.ctx, opts)
		return nonNil(list), err
	}
}

func inactiveTenants(c *call) (any, error) {
	since := c.r.URL.Query().Get("since")
	if since == "" {
		return nil, invalid("since is required: give a time as RFC 3339, e.g. ?since=2025-01-31T00:00:00Z")
	}
	cutoff, err := time.Parse(time.RFC3339Nano, since)
	if err != nil {
		return nil, invalid("since %q is not an RFC 3339 time, e.g. 2025-01-31T00:00:00Z", since)
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	list, err := d.Fleet().InactiveSince(c.ctx, cutoff)
	return nonNil(list), err
}

func archiveTenant(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return nil, d.Fleet().Archive(c.ctx, c.tn)
}

func restoreTenant(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return nil, d.Fleet().Restore(c.ctx, c.tn)
}

func listGroups(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	list, err := d.Groups().List(c.ctx)
	return nonNil(list), err
}

func createGroup(c *call) (any, error) {
	var req GroupCreateRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := cinch.ValidateGroupName(req.Name); err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Groups().Create(c.ctx, cinch.Group{Name: req.Name, MaxDBBytes: req.MaxDBBytes, MaxConcurrent: req.MaxConcurrent})
}

func getGroup(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Groups().Info(c.ctx, c.val("group"))
}

func setGroupLimits(c *call) (any, error) {
	var req GroupLimits
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Groups().SetLimits(c.ctx, cinch.Group{Name: c.val("group"), MaxDBBytes: req.MaxDBBytes, MaxConcurrent: req.MaxConcurrent})
}

func setTenantGroup(c *call) (any, error) {
	var req TenantGroupRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.Group != "" {
		if err := cinch.ValidateGroupName(req.Group); err != nil {
			return nil, err
		}
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return nil, d.Groups().SetTenant(c.ctx, c.tn, req.Group)
}
