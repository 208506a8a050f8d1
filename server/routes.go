package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/cinchdb/cinch"
)

// access says what a key must be allowed to reach for a route.
type access int

const (
	// public routes need no key.
	public access = iota
	// project routes need a key without any scope (metrics).
	project
	// database routes need a key for the database that is not limited to
	// a branch or tenant (branch create, delete, list).
	database
	// branchAdmin routes need a key for the branch that is not limited to
	// a tenant (tenants list/create/delete, schema changes, merge).
	branchAdmin
	// branchRead routes only read the branch's shared schema and history;
	// tenant keys of the branch may use them.
	branchRead
	// tenant routes need a key for the tenant (query, rows, tenant info).
	tenant
	// anyKey routes need a valid key, whatever its scope (whoami).
	anyKey
)

func (a access) String() string {
	return [...]string{"public", "project", "database", "branch", "branch (read)", "tenant", "any key"}[a]
}

// route is one row of the route table: it drives both the mux and the
// OpenAPI document, so the two cannot disagree.
type route struct {
	method  string
	path    string // ServeMux pattern path, with {wildcards}
	op      string // OpenAPI operationId
	summary string
	access  access
	write   bool // refused for read-only keys
	body    any  // request body type, nil for none
	resp    any  // response body type, nil for none (204)
	status  int  // success status
	query   []param
	handle  func(c *call) (any, error)
}

// param is a query parameter of a route.
type param struct {
	name, desc string
	required   bool
	list       bool // may be repeated: ?tenant=a&tenant=b
	count      bool // a whole number, 0 or more
}

const (
	dbPath     = "/v1/databases/{db}"
	branchPath = dbPath + "/branches/{branch}"
	tenantPath = branchPath + "/tenants/{tenant}"
)

// routeTable is every route the server has, SPEC §7 first, then the
// routes that complete cinch.DB for the client (views, indexes, column
// changes, copies, renames, branch info and delete, fleet and groups), the
// KV store's (kv.go), and the cluster's (cluster.go, SPEC §8).
func routeTable() []route {
	return append([]route{
		{method: "GET", path: "/v1/health", op: "health", summary: "Liveness check (no key needed)",
			access: public, resp: Health{}, status: 200, handle: health},
		{method: "GET", path: "/v1/openapi.json", op: "openapi", summary: "This OpenAPI 3 document (no key needed)",
			access: public, resp: openAPIDoc{}, status: 200},
		{method: "GET", path: "/v1/whoami", op: "whoami", summary: "What the request's API key may reach: its database, branch, tenant and whether it is read-only",
			access: anyKey, resp: KeyScope{}, status: 200, handle: whoami},
		{method: "GET", path: "/metrics", op: "metrics", summary: "Prometheus metrics (text format); needs a key without scope",
			access: project, resp: "", status: 200},

		{method: "GET", path: dbPath + "/branches", op: "listBranches", summary: "List the branches of a database",
			access: database, resp: []cinch.BranchInfo{}, status: 200, handle: listBranches},
		{method: "POST", path: dbPath + "/branches", op: "createBranch", summary: "Create a branch from another (default main)",
			access: database, write: true, body: BranchCreateRequest{}, resp: cinch.BranchInfo{}, status: 201, handle: createBranch},
		{method: "GET", path: branchPath, op: "getBranch", summary: "Describe a branch",
			access: branchRead, resp: cinch.BranchInfo{}, status: 200, handle: getBranch},
		{method: "DELETE", path: branchPath, op: "deleteBranch", summary: "Delete a branch and its tenants (not main)",
			access: database, write: true, status: 204, handle: deleteBranch},
		{method: "GET", path: branchPath + "/changes", op: "listChanges", summary: "The branch's change records, oldest first",
			access: branchRead, resp: []cinch.Change{}, status: 200, handle: listChanges},
		{method: "GET", path: branchPath + "/codegen", op: "generateModels", summary: "Typed models of the branch's tables and views: Go, TypeScript or Python source",
			access: branchRead, resp: GeneratedModels{}, status: 200, handle: generateModels,
			query: []param{{name: "lang", desc: "go, typescript or python", required: true}, {name: "package", desc: "the Go package name (default models)"}}},
		{method: "POST", path: dbPath + "/branches/{source}/merge", op: "mergeBranch", summary: "Merge a branch's schema changes into target (dry_run only plans)",
			access: branchAdmin, write: true, body: MergeRequest{}, resp: cinch.MergeResult{}, status: 200, handle: mergeBranch},

		{method: "GET", path: branchPath + "/tenants", op: "listTenants", summary: "List the tenants of a branch (filtered, sorted and paged with the query parameters)",
			access: branchAdmin, resp: []cinch.TenantInfo{}, status: 200, query: tenantListParams, handle: listTenants},
		{method: "POST", path: branchPath + "/tenants", op: "createTenant", summary: "Create a tenant (lazy, or from a template tenant)",
			access: branchAdmin, write: true, body: TenantCreateRequest{}, resp: cinch.TenantInfo{}, status: 201, handle: createTenant},
		{method: "POST", path: branchPath + "/tenants:batch", op: "createTenants", summary: "Create several tenants at once (lazy or with their files); all are new, or none is created",
			access: branchAdmin, write: true, body: TenantBatchRequest{}, resp: []cinch.TenantInfo{}, status: 201, handle: createTenants},
		{method: "POST", path: branchPath + "/tenants:migrate", op: "migrateTenants", summary: "Bring tenants that are behind the branch's schema up to date now: the named ones, or every one (encrypted tenants only when named, with their key)",
			access: branchAdmin, write: true, body: TenantSelection{}, resp: cinch.MigrateResult{}, status: 200, handle: migrateTenants},
		{method: "GET", path: tenantPath, op: "getTenant", summary: "Describe a tenant",
			access: tenant, resp: cinch.TenantInfo{}, status: 200, handle: getTenant},
		{method: "PATCH", path: tenantPath, op: "renameTenant", summary: "Rename a tenant (not main)",
			access: branchAdmin, write: true, body: RenameRequest{}, resp: cinch.TenantInfo{}, status: 200, handle: renameTenant},
		{method: "DELETE", path: tenantPath, op: "deleteTenant", summary: "Delete a tenant and its file (not main)",
			access: branchAdmin, write: true, status: 204, handle: deleteTenant},
		{method: "POST", path: tenantPath + "/copy", op: "copyTenant", summary: "Copy a tenant (data and schema, or schema only)",
			access: branchAdmin, write: true, body: CopyRequest{}, resp: cinch.TenantInfo{}, status: 201, handle: copyTenant},

		{method: "POST", path: tenantPath + "/query", op: "query", summary: "Run one SQL statement on the tenant (SPEC §5)",
			access: tenant, body: QueryRequest{}, resp: QueryResult{}, status: 200, handle: query},
		{method: "POST", path: tenantPath + "/tables/{table}/rows", op: "insertRows", summary: "Insert a row (object) or rows (array, all or none)",
			access: tenant, write: true, body: rowsBody{}, resp: rowsBody{}, status: 201, handle: insertRows},
		{method: "POST", path: tenantPath + "/tables/{table}/rows/delete", op: "deleteRows", summary: "Delete rows by id",
			access: tenant, write: true, body: RowsDeleteRequest{}, resp: DeleteResult{}, status: 200, handle: deleteRows},
		{method: "PATCH", path: tenantPath + "/tables/{table}/rows/{id}", op: "updateRow", summary: "Update the given columns of a row",
			access: tenant, write: true, body: cinch.Record{}, resp: cinch.Record{}, status: 200, handle: updateRow},
		{method: "DELETE", path: tenantPath + "/tables/{table}/rows/{id}", op: "deleteRow", summary: "Delete a row (deleted: 0 when there was none)",
			access: tenant, write: true, resp: DeleteResult{}, status: 200, handle: deleteRow},
		{method: "GET", path: tenantPath + "/tables/{table}/rows", op: "selectRows", summary: "Read the rows matching filters, sorted and paged",
			access: tenant, resp: QueryResult{}, status: 200, query: selectParams, handle: selectRows},
		{method: "PATCH", path: tenantPath + "/tables/{table}/rows", op: "updateRowsWhere", summary: "Update the given columns of the rows matching filters",
			access: tenant, write: true, body: cinch.Record{}, resp: UpdateResult{}, status: 200, query: writeWhereParams, handle: updateRowsWhere},
		{method: "DELETE", path: tenantPath + "/tables/{table}/rows", op: "deleteRowsWhere", summary: "Delete the rows matching filters",
			access: tenant, write: true, resp: DeleteResult{}, status: 200, query: writeWhereParams, handle: deleteRowsWhere},

		{method: "GET", path: branchPath + "/tables", op: "listTables", summary: "List the tables of the branch schema",
			access: branchRead, resp: []cinch.TableInfo{}, status: 200, handle: listTables},
		{method: "POST", path: branchPath + "/tables", op: "createTable", summary: "Create a table on every tenant of the branch",
			access: branchAdmin, write: true, body: TableCreateRequest{}, resp: cinch.Change{}, status: 201, handle: createTable},
		{method: "GET", path: branchPath + "/tables/{table}", op: "getTable", summary: "Describe a table",
			access: branchRead, resp: cinch.TableInfo{}, status: 200, handle: getTable},
		{method: "DELETE", path: branchPath + "/tables/{table}", op: "dropTable", summary: "Drop a table on every tenant",
			access: branchAdmin, write: true, resp: cinch.Change{}, status: 200, handle: dropTable},
		{method: "POST", path: branchPath + "/tables/{table}/copy", op: "copyTable", summary: "Copy a table (with or without data)",
			access: branchAdmin, write: true, body: CopyRequest{}, resp: cinch.Change{}, status: 201, handle: copyTable},
		{method: "GET", path: branchPath + "/tables/{table}/columns", op: "listColumns", summary: "List a table's columns",
			access: branchRead, resp: []cinch.ColumnInfo{}, status: 200, handle: listColumns},
		{method: "POST", path: branchPath + "/tables/{table}/columns", op: "addColumn", summary: "Add a column (nullable unless nullable is false)",
			access: branchAdmin, write: true, body: ColumnSpec{}, resp: cinch.Change{}, status: 201, handle: addColumn},
		{method: "PATCH", path: branchPath + "/tables/{table}/columns/{column}", op: "alterColumn", summary: "Rename a column, or change its nullability",
			access: branchAdmin, write: true, body: ColumnPatchRequest{}, resp: cinch.Change{}, status: 200, handle: alterColumn},
		{method: "DELETE", path: branchPath + "/tables/{table}/columns/{column}", op: "dropColumn", summary: "Drop a column",
			access: branchAdmin, write: true, resp: cinch.Change{}, status: 200, handle: dropColumn},

		{method: "GET", path: branchPath + "/views", op: "listViews", summary: "List the views",
			access: branchRead, resp: []cinch.ViewInfo{}, status: 200, handle: listViews},
		{method: "POST", path: branchPath + "/views", op: "createView", summary: "Create a view",
			access: branchAdmin, write: true, body: ViewRequest{}, resp: cinch.Change{}, status: 201, handle: createView},
		{method: "GET", path: branchPath + "/views/{view}", op: "getView", summary: "Describe a view",
			access: branchRead, resp: cinch.ViewInfo{}, status: 200, handle: getView},
		{method: "PUT", path: branchPath + "/views/{view}", op: "updateView", summary: "Replace a view's SELECT",
			access: branchAdmin, write: true, body: ViewRequest{}, resp: cinch.Change{}, status: 200, handle: updateView},
		{method: "DELETE", path: branchPath + "/views/{view}", op: "dropView", summary: "Drop a view",
			access: branchAdmin, write: true, resp: cinch.Change{}, status: 200, handle: dropView},

		{method: "GET", path: branchPath + "/indexes", op: "listIndexes", summary: "List indexes (of one table with ?table=)",
			access: branchRead, resp: []cinch.IndexInfo{}, status: 200, query: []param{{name: "table", desc: "table name (SPEC §3)"}}, handle: listIndexes},
		{method: "POST", path: branchPath + "/indexes", op: "createIndex", summary: "Create an index",
			access: branchAdmin, write: true, body: IndexCreateRequest{}, resp: cinch.Change{}, status: 201, handle: createIndex},
		{method: "DELETE", path: branchPath + "/indexes/{index}", op: "dropIndex", summary: "Drop an index",
			access: branchAdmin, write: true, resp: cinch.Change{}, status: 200, handle: dropIndex},

		{method: "POST", path: branchPath + "/fleet/query", op: "fanOutQuery", summary: "Run one read-only statement on many tenants at once",
			access: branchAdmin, body: FanOutRequest{}, resp: []TenantQueryResult{}, status: 200, handle: fanOutQuery},
		{method: "GET", path: branchPath + "/fleet/stats", op: "listTenantStats", summary: "Tenant metrics: size, tables, rows, last write, schema version",
			access: branchAdmin, resp: []cinch.TenantStats{}, status: 200, handle: tenantStats,
			query: []param{{name: "tenant", desc: "only these tenants (repeat it); none: every served tenant", list: true}}},
		{method: "POST", path: branchPath + "/fleet/check", op: "checkTenants", summary: "Bring tenants to the branch's schema and check their integrity",
			access: branchAdmin, body: TenantSelection{}, resp: []cinch.TenantCheck{}, status: 200, handle: checkTenants},
		{method: "POST", path: branchPath + "/fleet/vacuum", op: "vacuumTenants", summary: "Rebuild tenant files to reclaim free space (VACUUM)",
			access: branchAdmin, write: true, body: TenantSelection{}, resp: []cinch.MaintenanceResult{}, status: 200, handle: maintenance(cinch.FleetService.Vacuum)},
		{method: "POST", path: branchPath + "/fleet/analyze", op: "analyzeTenants", summary: "Refresh tenants' query planner statistics (ANALYZE)",
			access: branchAdmin, write: true, body: TenantSelection{}, resp: []cinch.MaintenanceResult{}, status: 200, handle: maintenance(cinch.FleetService.Analyze)},
		{method: "GET", path: branchPath + "/fleet/inactive", op: "inactiveTenants", summary: "Served tenants last written before a time",
			access: branchAdmin, resp: []cinch.TenantInfo{}, status: 200, handle: inactiveTenants,
			query: []param{{name: "since", desc: "an RFC 3339 time, e.g. 2025-01-31T00:00:00Z", required: true}}},
		{method: "POST", path: tenantPath + "/archive", op: "archiveTenant", summary: "Move a tenant out of the serving set into a compressed archive (not main)",
			access: branchAdmin, write: true, status: 204, handle: archiveTenant},
		{method: "POST", path: tenantPath + "/restore", op: "restoreTenant", summary: "Bring an archived tenant back, with the schema changes made meanwhile",
			access: branchAdmin, write: true, status: 204, handle: restoreTenant},

		{method: "GET", path: branchPath + "/groups", op: "listGroups", summary: "List the tenant groups and their limits",
			access: branchAdmin, resp: []cinch.Group{}, status: 200, handle: listGroups},
		{method: "POST", path: branchPath + "/groups", op: "createGroup", summary: "Create a tenant group with limits",
			access: branchAdmin, write: true, body: GroupCreateRequest{}, resp: cinch.Group{}, status: 201, handle: createGroup},
		{method: "GET", path: branchPath + "/groups/{group}", op: "getGroup", summary: "Describe a tenant group",
			access: branchAdmin, resp: cinch.Group{}, status: 200, handle: getGroup},
		{method: "PUT", path: branchPath + "/groups/{group}", op: "setGroupLimits", summary: "Replace a group's limits (open tenants pick them up at once)",
			access: branchAdmin, write: true, body: GroupLimits{}, resp: cinch.Group{}, status: 200, handle: setGroupLimits},
		{method: "PUT", path: tenantPath + "/group", op: "setTenantGroup", summary: "Put a tenant in a group, or in none with \"\"",
			access: branchAdmin, write: true, body: TenantGroupRequest{}, status: 204, handle: setTenantGroup},
	}, append(kvRoutes(), clusterRoutes()...)...)
}

// call is one authenticated, validated request to a route.
type call struct {
	s     *Server
	r     *http.Request
	w     http.ResponseWriter
	ctx   context.Context
	key   cinch.APIKey
	body  []byte
	db    string
	br    string
	tn    string
	limit int
}

func (c *call) val(name string) string { return c.r.PathValue(name) }

// conn returns a handle on the call's tenant (main for branch routes),
// with an encrypted tenant's key for this request only.
func (c *call) conn() (cinch.DB, error) {
	return c.s.e.Handle(cinch.Target{Database: c.db, Branch: c.br, Tenant: c.tn}, c.r.Header.Get(cinch.TenantKeyHeader))
}

func (c *call) decode(v any) error { return decodeStrict(c.body, v) }

// header is the response's header, for a handler to add to.
func (c *call) header() http.Header { return c.w.Header() }

// wildcards returns the {names} of a pattern path, in order.
func wildcards(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, strings.TrimSuffix(seg[1:], "}"))
		}
	}
	return out
}

// validatePathValue checks one path segment with the SPEC §3 rule of its
// kind, before anything touches a file.
func validatePathValue(name, v string) error {
	switch name {
	case "db":
		return cinch.ValidateDatabaseName(v)
	case "branch", "source":
		return cinch.ValidateBranchName(v)
	case "tenant":
		return cinch.ValidateTenantName(v)
	case "table":
		return cinch.ValidateIdentifier(cinch.KindTable, v)
	case "column":
		return cinch.ValidateIdentifier(cinch.KindColumn, v)
	case "view":
		return cinch.ValidateIdentifier(cinch.KindView, v)
	case "index":
		return cinch.ValidateIdentifier(cinch.KindIndex, v)
	case "group":
		return cinch.ValidateGroupName(v)
	case "id":
		if v == "" || len(v) > 255 || strings.ContainsFunc(v, unicode.IsControl) {
			return invalid("invalid row id %q: must be 1-255 characters without control characters", v)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown path wildcard %q", cinch.ErrInternal, name)
}

func forbidden(k cinch.APIKey, what string) error {
	return &cinch.Error{Err: cinch.ErrForbidden, Message: fmt.Sprintf("API key %s may not %s", k.ID, what),
		Hint: "use a key whose scope covers it (cinch key create)"}
}

// scopeText describes a key's limits for error messages.
func scopeText(k cinch.APIKey) string {
	var parts []string
	if k.Database != "" {
		parts = append(parts, "database "+k.Database)
	}
	if k.Branch != "" {
		parts = append(parts, "branch "+k.Branch)
	}
	if k.Tenant != "" {
		parts = append(parts, "tenant "+k.Tenant)
	}
	return strings.Join(parts, ", ")
}

// checkScope decides 403: whether key k may reach db/branch/tenant at the
// access level of a route. It compares names only, so a key never learns
// whether something outside its scope exists.
func checkScope(k cinch.APIKey, a access, db, branch, tenantName string) error {
	switch a {
	case public, anyKey:
		return nil
	case project:
		if k.Database != "" || k.Branch != "" || k.Tenant != "" {
			return forbidden(k, "read server-wide data: it is limited to "+scopeText(k))
		}
		return nil
	}
	if k.Database != "" && k.Database != db {
		return forbidden(k, fmt.Sprintf("reach database %q: it is limited to %s", db, scopeText(k)))
	}
	if a == database {
		if k.Branch != "" || k.Tenant != "" {
			return forbidden(k, "manage branches: it is limited to "+scopeText(k))
		}
		return nil
	}
	if k.Branch != "" && k.Branch != branch {
		return forbidden(k, fmt.Sprintf("reach branch %q: it is limited to %s", branch, scopeText(k)))
	}
	switch a {
	case branchAdmin:
		if k.Tenant != "" {
			return forbidden(k, "manage tenants or change the schema: it is limited to "+scopeText(k))
		}
	case tenant:
		if k.Tenant != "" && k.Tenant != tenantName {
			return forbidden(k, fmt.Sprintf("reach tenant %q: it is limited to %s", tenantName, scopeText(k)))
		}
	}
	return nil
}

// errDetails carries details for the error body (a refused merge's plan).
type errDetails struct {
	error
	details any
}

func (e errDetails) Unwrap() error { return e.error }

// wrap turns a route into a handler: key (401), rate (429), path names
// (400), scope (403), read-only (403), body (413/400), then the handler
// under the query timeout.
func (s *Server) wrap(rt route) http.Handler {
	names := wildcards(rt.path)
	if rt.op == "openapi" {
		doc := s.openAPI()
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, doc) })
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		c := &call{s: s, r: r, w: w, ctx: r.Context(), limit: s.cfg.MaxRows}
		if rt.access != public {
			k, err := s.authenticate(r)
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="cinch"`)
				s.fail(w, r, err, nil)
				return
			}
			c.key = k
			if info, ok := r.Context().Value(ctxKey{}).(*requestInfo); ok {
				info.keyID = k.ID
			}
			if !s.allow(k.ID) {
				w.Header().Set("Retry-After", s.retryAfter())
				s.fail(w, r, &cinch.Error{Err: cinch.ErrRateLimited,
					Message: fmt.Sprintf("API key %s is over the server's rate limit of %g requests per second (bursts of %d)", k.ID, s.cfg.RatePerKey, s.cfg.RateBurst),
					Hint:    "slow down and retry, or raise the limit: cinch serve --rate, --burst"}, nil)
				return
			}
		}
		for _, n := range names {
			if err := validatePathValue(n, r.PathValue(n)); err != nil {
				s.fail(w, r, err, nil)
				return
			}
		}
		c.db, c.br, c.tn = r.PathValue("db"), r.PathValue("branch"), r.PathValue("tenant")
		if c.br == "" {
			c.br = r.PathValue("source")
		}
		if c.br == "" {
			c.br = cinch.DefaultBranch
		}
		if c.tn == "" {
			c.tn = cinch.DefaultTenant
		}
		if err := checkScope(c.key, rt.access, c.db, c.br, r.PathValue("tenant")); err != nil {
			s.fail(w, r, err, nil)
			return
		}
		if rt.write && c.key.ReadOnly {
			s.fail(w, r, &cinch.Error{Err: cinch.ErrReadOnly, Message: fmt.Sprintf("API key %s is read-only", c.key.ID),
				Hint: "use a key created without --read-only"}, nil)
			return
		}
		if rt.body != nil {
			if msg, ok := checkBodyType(r); !ok {
				writeErrorCode(w, CodeUnsupportedMediaType, msg, nil)
				return
			}
			body, err := readBody(r)
			if err != nil {
				s.fail(w, r, err, nil)
				return
			}
			c.body = body
		}
		if rt.op == "metrics" {
			s.metrics.handler.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.QueryTimeout)
		defer cancel()
		c.ctx = ctx
		v, err := rt.handle(c)
		if err != nil {
			var d errDetails
			var details any
			if errors.As(err, &d) {
				details = d.details
			}
			s.fail(w, r, s.timedOut(ctx, r, err), details)
			return
		}
		if stream, ok := v.(streamFunc); ok {
			stream(w, func(err error) error { return s.timedOut(ctx, r, err) }, func() *slog.Logger { return s.requestLog(r) })
			return
		}
		if rt.status == http.StatusNoContent {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, rt.status, v)
	})
}

// retryAfter is the Retry-After of a 429: the seconds one request's token
// takes to come back, at least 1.
func (s *Server) retryAfter() string {
	secs := 1.0
	if s.cfg.RatePerKey > 0 {
		secs = max(1, math.Ceil(1/s.cfg.RatePerKey))
	}
	return strconv.FormatFloat(min(secs, 86400), 'f', 0, 64)
}

// fail writes err for request r, logging internal errors with its id.
// timedOut names the server's time limit in err when the request's own
// deadline (Config.QueryTimeout) is what interrupted it.
func (s *Server) timedOut(ctx context.Context, r *http.Request, err error) error {
	if ctx.Err() == context.DeadlineExceeded && r.Context().Err() == nil &&
		(errors.Is(err, cinch.ErrCanceled) || errors.Is(err, context.DeadlineExceeded)) {
		return &cinch.Error{Err: cinch.ErrCanceled,
			Message: fmt.Sprintf("the request ran past the server's time limit of %v and was interrupted", s.cfg.QueryTimeout),
			Hint:    "make the query cheaper or ask for fewer rows, or raise the limit: cinch serve --query-timeout"}
	}
	return err
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error, details any) {
	writeError(w, s.requestLog(r), err, details)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ---- handlers ----

func health(c *call) (any, error) { return Health{Status: "ok"}, nil }

func listBranches(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	list, err := d.Branches().List(c.ctx)
	return nonNil(list), err
}

func createBranch(c *call) (any, error) {
	var req BranchCreateRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := cinch.ValidateBranchName(req.Name); err != nil {
		return nil, err
	}
	if req.From == "" {
		req.From = cinch.DefaultBranch
	}
	if err := cinch.ValidateBranchName(req.From); err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Branches().Create(c.ctx, req.Name, req.From)
}

// tenantScopedBranch is a branch as a key limited to one tenant sees it:
// without the number of tenants, which is none of that tenant's business.
type tenantScopedBranch struct {
	cinch.BranchInfo
	Tenants *int `json:"tenants,omitempty"` // shadows BranchInfo.Tenants: always left out
	Behind  *int `json:"behind,omitempty"`  // shadows BranchInfo.Behind: always left out
}

func getBranch(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	info, err := d.Branches().Info(c.ctx, c.br)
	if err != nil {
		return nil, err
	}
	if c.key.Tenant != "" {
		return tenantScopedBranch{BranchInfo: info}, nil
	}
	return info, nil
}

func deleteBranch(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return nil, d.Branches().Delete(c.ctx, c.br)
}

func listChanges(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	list, err := d.Changes(c.ctx)
	return nonNil(list), err
}

func mergeBranch(c *call) (any, error) {
	var req MergeRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.Target == "" {
		req.Target = cinch.DefaultBranch
	}
	if err := cinch.ValidateBranchName(req.Target); err != nil {
		return nil, err
	}
	if err := checkScope(c.key, branchAdmin, c.db, req.Target, ""); err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	res, err := d.Branches().Merge(c.ctx, c.br, req.Target, req.DryRun)
	if err != nil {
		if len(res.Conflicts) > 0 {
			return nil, errDetails{err, res}
		}
		return nil, err
	}
	return res, nil
}

func createTenant(c *call) (any, error) {
	var req TenantCreateRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := cinch.ValidateTenantName(req.Name); err != nil {
		return nil, err
	}
	if req.From != "" {
		if err := cinch.ValidateTenantName(req.From); err != nil {
			return nil, err
		}
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Tenants().Create(c.ctx, req.Name, cinch.TenantCreateOptions{Lazy: req.Lazy, From: req.From,
		Encrypt: req.Encrypt, Key: c.r.Header.Get(cinch.TenantKeyHeader)})
}

func createTenants(c *call) (any, error) {
	var req TenantBatchRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	for _, n := range req.Names {
		if err := cinch.ValidateTenantName(n); err != nil {
			return nil, err
		}
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	list, err := d.Tenants().CreateMany(c.ctx, req.Names, cinch.TenantCreateOptions{Lazy: req.Lazy})
	if err != nil {
		return nil, err
	}
	return nonNil(list), nil
}

func getTenant(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Tenants().Info(c.ctx, c.tn)
}

func renameTenant(c *call) (any, error) {
	var req RenameRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := cinch.ValidateTenantName(req.Name); err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	if err := d.Tenants().Rename(c.ctx, c.tn, req.Name); err != nil {
		return nil, err
	}
	return d.Tenants().Info(c.ctx, req.Name)
}

func deleteTenant(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return nil, d.Tenants().Delete(c.ctx, c.tn)
}

func copyTenant(c *call) (any, error) {
	var req CopyRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := cinch.ValidateTenantName(req.Target); err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Tenants().Copy(c.ctx, c.tn, req.Target, req.NoData)
}

func query(c *call) (any, error) {
	req, err := DecodeQueryRequest(c.body)
	if err != nil {
		return nil, err
	}
	opts := cinch.QueryOptions{Limit: c.limit, MaxBytes: c.s.cfg.MaxResultBytes, ReadOnly: req.ReadOnly || c.key.ReadOnly}
	if req.Limit > 0 && req.Limit < c.limit {
		opts.Limit = req.Limit
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return streamFunc(func(w http.ResponseWriter, explain func(error) error, log func() *slog.Logger) {
		st := newQueryStream(c.ctx, w, log)
		res, err := d.QueryTo(c.ctx, opts, st, req.SQL, req.Params...)
		if err != nil {
			err = explain(err)
		}
		st.finish(res, err)
	}), nil
}

// streamFunc is a handler's answer that writes the response itself (the
// query route streams its rows); explain turns an error into the one the
// client sees (see Server.timedOut), log returns the request's logger
// (built only when something is logged).
type streamFunc func(w http.ResponseWriter, explain func(error) error, log func() *slog.Logger)

func insertRows(c *call) (any, error) {
	recs, many, err := DecodeRows(c.body)
	if err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	out, err := d.InsertMany(c.ctx, c.val("table"), recs)
	if err != nil {
		return nil, err
	}
	encodeRecords(out)
	if many {
		return out, nil
	}
	return out[0], nil
}

func updateRow(c *call) (any, error) {
	rec, err := DecodeRow(c.body)
	if err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	out, err := d.Update(c.ctx, c.val("table"), c.val("id"), rec)
	if err != nil {
		return nil, err
	}
	encodeRecords([]cinch.Record{out})
	return out, nil
}

func deleteRow(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	n, err := d.Delete(c.ctx, c.val("table"), c.val("id"))
	return DeleteResult{Deleted: n}, err
}

func deleteRows(c *call) (any, error) {
	var req RowsDeleteRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	for _, id := range req.IDs {
		if err := validatePathValue("id", id); err != nil {
			return nil, err
		}
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	n, err := d.Delete(c.ctx, c.val("table"), req.IDs...)
	return DeleteResult{Deleted: n}, err
}

func listTables(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	list, err := d.Tables().List(c.ctx)
	return nonNil(list), err
}

// column turns a request column into the engine's, checking it.
func (spec ColumnSpec) column() (cinch.Column, error) {
	typ, err := cinch.ParseColumnType(spec.Type)
	if err != nil {
		return cinch.Column{}, err
	}
	col := cinch.Column{Name: spec.Name, Type: typ, Nullable: spec.Nullable == nil || *spec.Nullable,
		Unique: spec.Unique, Default: spec.Default, ForeignKey: spec.ForeignKey}
	if col.ForeignKey != nil && col.ForeignKey.Column == "" {
		col.ForeignKey.Column = "id"
	}
	return col, col.Validate()
}

func createTable(c *call) (any, error) {
	var req TableCreateRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := cinch.ValidateIdentifier(cinch.KindTable, req.Name); err != nil {
		return nil, err
	}
	cols := make([]cinch.Column, len(req.Columns))
	for i, spec := range req.Columns {
		col, err := spec.column()
		if err != nil {
			return nil, err
		}
		cols[i] = col
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Tables().Create(c.ctx, req.Name, cols)
}

func getTable(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Tables().Info(c.ctx, c.val("table"))
}

func dropTable(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Tables().Drop(c.ctx, c.val("table"))
}

func copyTable(c *call) (any, error) {
	var req CopyRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := cinch.ValidateIdentifier(cinch.KindTable, req.Target); err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Tables().Copy(c.ctx, c.val("table"), req.Target, req.NoData)
}

func listColumns(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	list, err := d.Columns().List(c.ctx, c.val("table"))
	return nonNil(list), err
}

func addColumn(c *call) (any, error) {
	var spec ColumnSpec
	if err := c.decode(&spec); err != nil {
		return nil, err
	}
	col, err := spec.column()
	if err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Columns().Add(c.ctx, c.val("table"), col)
}

func alterColumn(c *call) (any, error) {
	var req ColumnPatchRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	switch {
	case req.Name != nil && req.Nullable == nil && req.FillValue == nil:
		if err := cinch.ValidateColumnName(*req.Name); err != nil {
			return nil, err
		}
		return d.Columns().Rename(c.ctx, c.val("table"), c.val("column"), *req.Name)
	case req.Name == nil && req.Nullable != nil:
		return d.Columns().AlterNullable(c.ctx, c.val("table"), c.val("column"), *req.Nullable, req.FillValue)
	}
	return nil, invalid("give either name (rename) or nullable with an optional fill_value, not both")
}

func dropColumn(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Columns().Drop(c.ctx, c.val("table"), c.val("column"))
}

func listViews(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	list, err := d.Views().List(c.ctx)
	return nonNil(list), err
}

func createView(c *call) (any, error) {
	var req ViewRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := cinch.ValidateIdentifier(cinch.KindView, req.Name); err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Views().Create(c.ctx, req.Name, req.SQL)
}

func getView(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Views().Info(c.ctx, c.val("view"))
}

func updateView(c *call) (any, error) {
	var req ViewRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.Name != "" && req.Name != c.val("view") {
		return nil, invalid("name %q in the body differs from the view %q in the path", req.Name, c.val("view"))
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Views().Update(c.ctx, c.val("view"), req.SQL)
}

func dropView(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Views().Drop(c.ctx, c.val("view"))
}

func listIndexes(c *call) (any, error) {
	table := c.r.URL.Query().Get("table")
	if table != "" {
		if err := cinch.ValidateIdentifier(cinch.KindTable, table); err != nil {
			return nil, err
		}
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	list, err := d.Indexes().List(c.ctx, table)
	return nonNil(list), err
}

func createIndex(c *call) (any, error) {
	var req IndexCreateRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.Name != "" {
		if err := cinch.ValidateIdentifier(cinch.KindIndex, req.Name); err != nil {
			return nil, err
		}
	}
	if err := cinch.ValidateIdentifier(cinch.KindTable, req.Table); err != nil {
		return nil, err
	}
	for _, col := range req.Columns {
		if err := cinch.ValidateIdentifier(cinch.KindColumn, col); err != nil {
			return nil, err
		}
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Indexes().Create(c.ctx, cinch.IndexInfo{Name: req.Name, Table: req.Table, Columns: req.Columns, Unique: req.Unique})
}

func dropIndex(c *call) (any, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Indexes().Drop(c.ctx, c.val("index"))
}
