package server

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/cinchdb/cinch"
)

// Row filters over HTTP (cinch.FilterQuerier): GET, PATCH and DELETE on
// .../tables/{table}/rows, narrowed by where parameters in the text form
// of cinch.ParseFilter (repeat it: every filter must match).

// UpdateResult says how many rows an update by filter changed.
type UpdateResult struct {
	Updated int64 `json:"updated"`
}

// The query parameters of the filtered rows routes.
var (
	whereParam = param{name: "where", list: true,
		desc: "a filter, repeatable (all must match): name=Alice, age>30, age<=65, name!=Bob, name like A%, id in (a, b), phone is null, phone is not null; quote values with spaces or commas: name='Ada Lovelace'"}
	allParam     = param{name: "all", desc: "true: with no where, every row is meant (without it an empty filter is refused)"}
	selectParams = []param{whereParam,
		{name: "order_by", list: true, desc: "sort by a column, COLUMN or COLUMN:desc, repeatable (then by insertion order)"},
		{name: "limit", count: true, desc: "at most this many rows (the server's --max-rows caps it too)"},
		{name: "offset", count: true, desc: "skip this many rows first"}}
	writeWhereParams = []param{whereParam, allParam}
)

// checkQueryNames refuses query parameters a route does not take, so a
// misspelt filter is an error, not a write to every row.
func checkQueryNames(q url.Values, params []param) error {
	for name := range q {
		if !slices.ContainsFunc(params, func(p param) bool { return p.name == name }) {
			return invalid("unknown query parameter %q", name)
		}
	}
	for _, p := range params {
		if !p.list && len(q[p.name]) > 1 {
			return invalid("query parameter %q is given %d times; give it once", p.name, len(q[p.name]))
		}
	}
	return nil
}

// filtersOf reads the where parameters, and all=true as cinch.AllRows.
func filtersOf(q url.Values) ([]cinch.Filter, error) {
	var out []cinch.Filter
	for _, w := range q["where"] {
		f, err := cinch.ParseFilter(w)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	switch all := q.Get("all"); all {
	case "", "false":
	case "true":
		out = append(out, cinch.AllRows())
	default:
		return nil, invalid("all must be true or false, got %q", all)
	}
	return out, nil
}

// count reads a non-negative integer query parameter (0 when absent).
func count(q url.Values, name string) (int, error) {
	s := q.Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, invalid("%s must be a whole number, 0 or more, got %q", name, s)
	}
	return n, nil
}

// DecodeSelection reads the query string of GET .../rows: where and
// order_by (repeatable), limit and offset; anything else is refused.
func DecodeSelection(q url.Values) (sel cinch.Selection, err error) {
	if err := checkQueryNames(q, selectParams); err != nil {
		return sel, err
	}
	if sel.Where, err = filtersOf(q); err != nil {
		return sel, err
	}
	for _, s := range q["order_by"] {
		o, err := cinch.ParseOrder(s)
		if err != nil {
			return sel, err
		}
		sel.OrderBy = append(sel.OrderBy, o)
	}
	if sel.Limit, err = count(q, "limit"); err != nil {
		return sel, err
	}
	if sel.Offset, err = count(q, "offset"); err != nil {
		return sel, err
	}
	return sel, sel.Validate()
}

// DecodeWriteFilters reads the query string of PATCH or DELETE .../rows:
// where (repeatable) and all; anything else is refused, and so is no
// filter without all=true.
func DecodeWriteFilters(q url.Values) ([]cinch.Filter, error) {
	if err := checkQueryNames(q, writeWhereParams); err != nil {
		return nil, err
	}
	where, err := filtersOf(q)
	if err == nil && len(where) == 0 {
		return nil, invalid("refusing to change every row: no where given (add all=true to mean every row)")
	}
	return where, err
}

func selectRows(c *call) (any, error) {
	sel, err := DecodeSelection(c.r.URL.Query())
	if err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	opts := cinch.QueryOptions{Limit: c.limit, MaxBytes: c.s.cfg.MaxResultBytes, ReadOnly: true}
	return streamFunc(func(w http.ResponseWriter, explain func(error) error, log func() *slog.Logger) {
		st := newQueryStream(c.ctx, w, log)
		res, err := d.SelectTo(c.ctx, opts, st, c.val("table"), sel)
		if err != nil {
			err = explain(err)
		}
		st.finish(res, err)
	}), nil
}

func updateRowsWhere(c *call) (any, error) {
	where, err := DecodeWriteFilters(c.r.URL.Query())
	if err != nil {
		return nil, err
	}
	rec, err := DecodeRow(c.body)
	if err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	n, err := d.UpdateWhere(c.ctx, c.val("table"), where, rec)
	return UpdateResult{Updated: n}, err
}

func deleteRowsWhere(c *call) (any, error) {
	where, err := DecodeWriteFilters(c.r.URL.Query())
	if err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	n, err := d.DeleteWhere(c.ctx, c.val("table"), where)
	return DeleteResult{Deleted: n}, err
}
