package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/cinchdb/cinch"
)

// Row filters over HTTP: each filter travels in its text form as a where
// query parameter (cinch.Filter.MarshalText), so a value reaches the
// server as text and is compared with the column's type there, as the
// CLI's --where is; cinch.AllRows() travels as all=true.

var _ cinch.FilterQuerier = (*DB)(nil)

// filterQuery encodes filters into q.
func filterQuery(q url.Values, where []cinch.Filter) error {
	for _, f := range where {
		if f.Op == cinch.OpAll {
			if err := f.Validate(); err != nil {
				return err
			}
			q.Set("all", "true")
			continue
		}
		text, err := f.MarshalText()
		if err != nil {
			return err
		}
		q.Add("where", string(text))
	}
	return nil
}

// rowsQuery is the rows path of table with q as its query string.
func (d *DB) rowsQuery(table string, q url.Values) (string, error) {
	p, err := d.rowsPath(table)
	if err != nil {
		return "", err
	}
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p, nil
}

// Select returns the rows of table matching every filter (GET .../rows).
func (d *DB) Select(ctx context.Context, table string, opts ...cinch.SelectOption) (*cinch.Result, error) {
	sel := cinch.NewSelection(opts...)
	return cinch.CollectRows(func(w cinch.RowWriter) (*cinch.Result, error) {
		return d.SelectTo(ctx, cinch.QueryOptions{}, w, table, sel)
	})
}

// SelectTo streams the rows of table matching sel to w as the response
// arrives. opts.Limit and opts.MaxBytes apply here as well as the
// server's own limits (Result.Truncated says when one cut).
func (d *DB) SelectTo(ctx context.Context, opts cinch.QueryOptions, w cinch.RowWriter, table string, sel cinch.Selection) (*cinch.Result, error) {
	if err := sel.Validate(); err != nil {
		return nil, err
	}
	q := url.Values{}
	if err := filterQuery(q, sel.Where); err != nil {
		return nil, err
	}
	q.Del("all") // every row is what a select without filters reads anyway
	for _, o := range sel.OrderBy {
		q.Add("order_by", o.String())
	}
	if sel.Limit > 0 {
		q.Set("limit", strconv.Itoa(sel.Limit))
	}
	if sel.Offset > 0 {
		q.Set("offset", strconv.Itoa(sel.Offset))
	}
	p, err := d.rowsQuery(table, q)
	if err != nil {
		return nil, err
	}
	resp, err := d.c.request(ctx, http.MethodGet, p, nil, nil)
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
			err = fmt.Errorf("%w: cinch client: GET %s: reading the response: %v", cinch.ErrInternal, p, err)
			if ctx.Err() != nil {
				err = &cinch.Error{Op: "GET " + p, Err: cinch.ErrCanceled, Message: "request canceled: " + ctx.Err().Error()}
			}
		}
		return nil, err
	}
	return res, nil
}

type updateResponse struct {
	Updated int64 `json:"updated"`
}

// UpdateWhere sets the columns of rec on every row of table matching all
// filters (PATCH .../rows?where=...) and returns how many.
func (d *DB) UpdateWhere(ctx context.Context, table string, where []cinch.Filter, rec cinch.Record) (int64, error) {
	q := url.Values{}
	if err := filterQuery(q, where); err != nil {
		return 0, err
	}
	p, err := d.rowsQuery(table, q)
	if err != nil {
		return 0, err
	}
	if rec == nil {
		rec = cinch.Record{}
	}
	body, err := wireRecord(rec)
	if err != nil {
		return 0, err
	}
	var out updateResponse
	err = d.c.do(ctx, http.MethodPatch, p, body, &out)
	return out.Updated, err
}

// DeleteWhere removes every row of table matching all filters (DELETE
// .../rows?where=...) and returns how many.
func (d *DB) DeleteWhere(ctx context.Context, table string, where []cinch.Filter) (int64, error) {
	q := url.Values{}
	if err := filterQuery(q, where); err != nil {
		return 0, err
	}
	p, err := d.rowsQuery(table, q)
	if err != nil {
		return 0, err
	}
	var out deleteResponse
	err = d.c.do(ctx, http.MethodDelete, p, nil, &out)
	return out.Deleted, err
}
