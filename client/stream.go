package client

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/cinchdb/cinch"
)

// decodeQueryStream reads a query response
//
//	{"columns":[...],"rows":[[...],...],"rows_affected":N,"truncated":B}
//
// token by token, handing each row to w as it arrives. A body that ends
// with an "error" member (the server failed after it had started sending)
// is that error. opts.MaxBytes and opts.Limit are applied here too, so a
// caller's own limits hold whatever the server's are.
func decodeQueryStream(r io.Reader, opts cinch.QueryOptions, w cinch.RowWriter) (*cinch.Result, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	res := &cinch.Result{}
	var columns bool
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch t {
		case "columns":
			var names []string
			if err := dec.Decode(&names); err != nil {
				return nil, err
			}
			if names == nil {
				names = []string{}
			}
			if err := w.WriteColumns(names); err != nil {
				return nil, writerError{err}
			}
			columns = true
		case "rows":
			if !columns {
				return nil, fmt.Errorf("rows before columns")
			}
			if err := decodeRows(dec, opts, w, res); err != nil {
				return nil, err
			}
		case "rows_affected":
			if err := dec.Decode(&res.RowsAffected); err != nil {
				return nil, err
			}
		case "truncated":
			var t bool
			if err := dec.Decode(&t); err != nil {
				return nil, err
			}
			res.Truncated = res.Truncated || t
		case "error":
			var eb struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			}
			if err := dec.Decode(&eb); err != nil {
				return nil, err
			}
			return nil, &cinch.Error{Op: "query", Err: cinch.FromCode(eb.Code), Message: eb.Message}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if !columns {
		return nil, fmt.Errorf("no columns in the response")
	}
	return res, nil
}

// decodeRows reads the rows array, stopping early (and draining the rest)
// when the caller's own limits are reached.
func decodeRows(dec *json.Decoder, opts cinch.QueryOptions, w cinch.RowWriter, res *cinch.Result) error {
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	var n int
	var size int64
	for dec.More() {
		var row []any
		if err := dec.Decode(&row); err != nil {
			return err
		}
		if res.Truncated {
			continue // past a limit: read on to the summary, keep nothing
		}
		var rs int64
		for i, v := range row {
			row[i] = fixValue(v)
			rs += cinch.ValueSize(row[i])
		}
		if (opts.Limit > 0 && n >= opts.Limit) || (opts.MaxBytes > 0 && size+rs > opts.MaxBytes) {
			if n == 0 && opts.MaxBytes > 0 && rs > opts.MaxBytes {
				return cinch.Errorf(cinch.ErrTooLarge, "the first row of the result is %d bytes, over the limit of %d bytes", rs, opts.MaxBytes)
			}
			res.Truncated = true
			continue
		}
		n++
		size += rs
		if err := w.WriteRow(row); err != nil {
			return writerError{err}
		}
	}
	return expectDelim(dec, ']')
}

// writerError is an error of the caller's RowWriter, returned as it is.
type writerError struct{ error }

func expectDelim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return fmt.Errorf("unexpected %v, want %v", t, want)
	}
	return nil
}
