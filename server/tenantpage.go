package server

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/cinchdb/cinch"
)

// Paging, sorting and filtering of GET .../tenants, and GET /v1/whoami:
// what a client that shows tenants to a person (the web console) needs
// without loading every tenant or guessing what its key may do.

// TotalCountHeader carries, on a paged list, how many items matched the
// filters in all (the page holds at most limit of them).
const TotalCountHeader = "X-Total-Count"

// tenantListParams are the query parameters of GET .../tenants. Without
// any, the route answers every tenant in name order, as it always did.
var tenantListParams = []param{
	{name: "limit", count: true, desc: "at most this many tenants (none: all; 0: none, only the " + TotalCountHeader + " header)"},
	{name: "offset", count: true, desc: "skip this many matching tenants first"},
	{name: "prefix", desc: "only tenants whose name starts with this"},
	{name: "sort", desc: "name (the default), size, created or schema_version; add :desc for the largest or newest first (ties by name)"},
	{name: "state", desc: "only tenants in this state: lazy, materialized or archived"},
	{name: "behind", desc: "true: only tenants whose file is behind the branch's schema (a rollout is still converging on them)"},
}

// tenantPage is a checked tenant list request.
type tenantPage struct {
	limit   int // -1: all
	offset  int
	prefix  string
	sortBy  string
	desc    bool
	state   cinch.TenantState
	behind  bool
	paged   bool // any parameter given: the answer has TotalCountHeader
	version int  // the branch's schema version, for behind
}

// parseTenantPage reads the query parameters of GET .../tenants.
func parseTenantPage(q url.Values) (tenantPage, error) {
	p := tenantPage{limit: -1, sortBy: "name", paged: len(q) > 0}
	if err := checkQueryNames(q, tenantListParams); err != nil {
		return p, err
	}
	var err error
	if q.Has("limit") {
		if p.limit, err = count(q, "limit"); err != nil {
			return p, err
		}
	}
	if p.offset, err = count(q, "offset"); err != nil {
		return p, err
	}
	p.prefix = q.Get("prefix")
	if s := q.Get("sort"); s != "" {
		by, dir, hasDir := strings.Cut(s, ":")
		switch by {
		case "name", "size", "created", "schema_version":
		default:
			return p, invalid("sort %q: sort by name, size, created or schema_version (add :desc for descending)", s)
		}
		if hasDir && dir != "asc" && dir != "desc" {
			return p, invalid("sort %q: the direction after : is asc or desc", s)
		}
		p.sortBy, p.desc = by, dir == "desc"
	}
	switch st := cinch.TenantState(q.Get("state")); st {
	case "", cinch.TenantLazy, cinch.TenantMaterialized, cinch.TenantArchived:
		p.state = st
	default:
		return p, invalid("state %q: give lazy, materialized or archived", st)
	}
	switch b := q.Get("behind"); b {
	case "", "false":
	case "true":
		p.behind = true
	default:
		return p, invalid("behind must be true or false, got %q", b)
	}
	return p, nil
}

// apply filters, sorts and cuts list, returning the page and how many
// tenants matched in all.
func (p tenantPage) apply(list []cinch.TenantInfo) ([]cinch.TenantInfo, int) {
	out := list[:0:0]
	for _, t := range list {
		if p.prefix != "" && !strings.HasPrefix(t.Name, p.prefix) {
			continue
		}
		if p.state != "" && t.State != p.state {
			continue
		}
		if p.behind && !(t.State == cinch.TenantMaterialized && t.SchemaVersion < p.version) {
			continue
		}
		out = append(out, t)
	}
	slices.SortStableFunc(out, p.compare)
	total := len(out)
	out = out[min(p.offset, total):]
	if p.limit >= 0 && p.limit < len(out) {
		out = out[:p.limit]
	}
	return out, total
}

// compare orders two tenants by the page's sort, then by name.
func (p tenantPage) compare(a, b cinch.TenantInfo) int {
	var c int
	switch p.sortBy {
	case "name":
		c = strings.Compare(a.Name, b.Name)
	case "size":
		c = cmp.Compare(a.SizeBytes, b.SizeBytes)
	case "created":
		c = a.CreatedAt.Compare(b.CreatedAt)
	case "schema_version":
		c = cmp.Compare(a.SchemaVersion, b.SchemaVersion)
	}
	if p.desc {
		c = -c
	}
	if c == 0 {
		c = strings.Compare(a.Name, b.Name)
	}
	return c
}

// less says whether a sorts before b.
func (p tenantPage) less(a, b cinch.TenantInfo) bool { return p.compare(a, b) < 0 }

func listTenants(c *call) (any, error) {
	page, err := parseTenantPage(c.r.URL.Query())
	if err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	list, err := d.Tenants().List(c.ctx)
	if err != nil {
		return nil, err
	}
	if !page.paged {
		return nonNil(list), nil
	}
	if page.behind {
		info, err := d.Branches().Info(c.ctx, c.br)
		if err != nil {
			return nil, err
		}
		page.version = info.Changes
	}
	out, total := page.apply(list)
	c.header().Set(TotalCountHeader, strconv.Itoa(total))
	return nonNil(out), nil
}

// KeyScope is the body of GET /v1/whoami: what the request's API key may
// reach. An empty database, branch or tenant means any; read_only keys
// may not write. It tells a key nothing about anything outside its scope.
type KeyScope struct {
	ID       string `json:"id"`
	Database string `json:"database,omitempty"`
	Branch   string `json:"branch,omitempty"`
	Tenant   string `json:"tenant,omitempty"`
	ReadOnly bool   `json:"read_only"`
}

func whoami(c *call) (any, error) {
	k := c.key
	return KeyScope{ID: k.ID, Database: k.Database, Branch: k.Branch, Tenant: k.Tenant, ReadOnly: k.ReadOnly}, nil
}
