// Package client is cinch over HTTP: a cinch.DB that talks to `cinch
// serve` (package server), so an application moves from the local library
// to a remote server by changing how it connects, nothing else:
//
//	c, err := client.New("http://127.0.0.1:8080", os.Getenv("CINCH_KEY"))
//	db := c.Connect(cinch.Target{Tenant: "acme_corp"})
//	res, err := db.Query(ctx, "SELECT * FROM users WHERE id = ?", id)
//
// Errors come back as *cinch.Error wrapping the same sentinels the local
// engine uses, so errors.Is(err, cinch.ErrTenantNotFound) works remotely,
// on the per-tenant errors of a fan-out (db.Fleet().Query) too.
//
// Differences from a local handle, all from JSON: BLOB values cannot be
// sent (ErrInvalidInput) and come back as base64 text; a query returns at
// most the server's row limit (Result.Truncated says when it cut).
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cinchdb/cinch"
)

// Client talks to one cinch server with one API key. It is safe for
// concurrent use; handles from Connect share it.
type Client struct {
	base      string
	key       string
	hc        *http.Client
	ua        string
	tenantKey string // encryption key of encrypted tenants (DB.WithKey), sent as cinch.TenantKeyHeader
}

// Option configures New.
type Option func(*Client)

// WithHTTPClient uses hc for requests (timeouts, TLS, proxies).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.ua = ua } }

// New returns a client for the server at baseURL (http or https, e.g.
// "http://127.0.0.1:8080") authenticating with key.
func New(baseURL, key string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, cinch.Errorf(cinch.ErrInvalidInput, "invalid server URL %q", baseURL).WithHint("use http://HOST:PORT or https://HOST:PORT")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	c := &Client{base: strings.TrimRight(u.String(), "/"), key: key, hc: &http.Client{Transport: tr}, ua: "cinch-go-client"}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Connect returns a handle on target; empty names mean main. It does no
// I/O: an unknown tenant fails on first use, as locally.
func (c *Client) Connect(target cinch.Target) *DB {
	if target.Database == "" {
		target.Database = cinch.DefaultDatabase
	}
	if target.Branch == "" {
		target.Branch = cinch.DefaultBranch
	}
	if target.Tenant == "" {
		target.Tenant = cinch.DefaultTenant
	}
	return &DB{c: c, target: target}
}

// Health checks that the server answers GET /v1/health.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/v1/health", nil, nil)
}

// errorBody mirrors server.ErrorBody (the client does not import the server).
type errorBody struct {
	Error struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Details json.RawMessage `json:"details"`
	} `json:"error"`
}

// codeForStatus is used only when an error response has no JSON body
// (a proxy in between, say).
func codeForStatus(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusBadRequest:
		return "invalid_input"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	return "internal"
}

// do sends one request and decodes the response into out. Error responses
// become *cinch.Error with the sentinel of their code (cinch.FromCode) and
// the server's message; an error's details (a refused merge's plan) are
// decoded into out too.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	resp, err := c.request(ctx, method, path, in, out)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%w: cinch client: %s %s: decoding the response: %v", cinch.ErrInternal, method, path, err)
	}
	return nil
}

// request sends one request and returns the response of a success, whose
// body the caller reads and closes. An error response becomes the error
// (see do), with its details decoded into details when not nil.
func (c *Client) request(ctx context.Context, method, path string, in, details any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return nil, cinch.Errorf(cinch.ErrInvalidInput, "encoding the request: %v", err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, cinch.Errorf(cinch.ErrInvalidInput, "building the request: %v", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if c.tenantKey != "" {
		req.Header.Set(cinch.TenantKeyHeader, c.tenantKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, &cinch.Error{Op: method + " " + path, Err: cinch.ErrCanceled, Message: "request canceled: " + ctx.Err().Error()}
		}
		return nil, fmt.Errorf("cinch client: %s %s: %w", method, path, err)
	}
	if resp.StatusCode < 400 {
		return resp, nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("cinch client: %s %s: reading the response: %w", method, path, err)
	}
	var eb errorBody
	if json.Unmarshal(data, &eb) != nil || eb.Error.Code == "" {
		eb.Error.Code = codeForStatus(resp.StatusCode)
		eb.Error.Message = fmt.Sprintf("server answered %s", resp.Status)
	}
	if details != nil && len(eb.Error.Details) > 0 {
		json.Unmarshal(eb.Error.Details, details)
	}
	return nil, &cinch.Error{Op: method + " " + path, Err: cinch.FromCode(eb.Error.Code), Message: eb.Error.Message}
}

// fixValue turns a json.Number into int64 (integers) or float64 (numbers
// written with a fraction or exponent; the server always writes floats
// that way, and infinities as ±9e999), matching what a local handle
// returns. Other values are returned as they are.
func fixValue(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
	}
	f, _ := strconv.ParseFloat(s, 64) // ±Inf for ±9e999, with a range error
	return f
}

// fixRecord applies fixValue to every value of r.
func fixRecord(r cinch.Record) {
	for k, v := range r {
		r[k] = fixValue(v)
	}
}

func fixRecords(rs []cinch.Record) {
	for _, r := range rs {
		fixRecord(r)
	}
}

// wireValue prepares a parameter or record value for JSON, refusing what
// JSON cannot carry faithfully.
func wireValue(v any) (any, error) {
	switch v := v.(type) {
	case []byte:
		return nil, cinch.Errorf(cinch.ErrInvalidInput, "BLOB values cannot be sent over HTTP").
			WithHint("encode binary data as text (base64) in a TEXT column, or use a local handle")
	case time.Time:
		return v.UTC().Format(cinch.TimeFormat), nil
	case json.Number:
		return v, nil
	case float64:
		// JSON has no infinity; the server reads ±9e999 as ±Inf (and
		// writes infinities that way).
		if math.IsInf(v, 1) {
			return json.Number("9e999"), nil
		}
		if math.IsInf(v, -1) {
			return json.Number("-9e999"), nil
		}
		if math.IsNaN(v) {
			return nil, cinch.Errorf(cinch.ErrInvalidInput, "NaN cannot be stored (SQLite turns it into NULL)").
				WithHint("send nil for NULL")
		}
	}
	return v, nil
}

func wireRecord(rec cinch.Record) (cinch.Record, error) {
	out := make(cinch.Record, len(rec))
	for k, v := range rec {
		w, err := wireValue(v)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", k, err)
		}
		out[k] = w
	}
	return out, nil
}

func esc(s string) string { return url.PathEscape(s) }
