package cluster

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/server"
)

// fleetWorkers bounds the per-tenant requests a fleet operation has in
// flight at once.
const fleetWorkers = 8

// serveFleet runs a fleet operation (fan-out query, stats, check, vacuum,
// analyze, tenants:migrate) across the cluster: it is split into one request per tenant,
// each routed like any tenant request (to the tenant's owner, which runs it
// on its current file, or here after taking the tenant over when nobody
// owns it), and the answers are joined in the order of the tenant list
// (the request's, or the branch's tenants by name). A fan-out's per-tenant
// error stays in that tenant's entry, as on one node; for the other
// operations a request error (a bad body, a missing tenant, a key that may
// not) is the whole answer's. The fan-out's total_rows cap applies to the
// joined rows.
func (h *router) serveFleet(w http.ResponseWriter, req *http.Request, db, branch string) {
	ctx := req.Context()
	if _, err := h.r.keys.Authenticate(ctx, bearer(req)); err != nil {
		writeCinchError(w, err)
		return
	}
	if err := h.r.ctl.barrier(ctx); err != nil {
		writeCinchError(w, err)
		return
	}
	var body map[string]json.RawMessage
	var tenants []string
	query := req.URL.Query()
	if req.Method == http.MethodGet {
		tenants = query["tenant"]
	} else {
		raw, err := io.ReadAll(io.LimitReader(req.Body, maxControlBody+1))
		if err != nil || len(raw) > maxControlBody {
			writeCinchError(w, cinch.Errorf(cinch.ErrInvalidInput, "reading the request body: at most %d bytes", maxControlBody))
			return
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			raw = []byte("{}")
		}
		if err := json.Unmarshal(raw, &body); err != nil || body == nil {
			writeCinchError(w, cinch.Errorf(cinch.ErrInvalidInput, "the body must be a JSON object"))
			return
		}
		if t, ok := body["tenants"]; ok {
			if err := json.Unmarshal(t, &tenants); err != nil {
				writeCinchError(w, cinch.Errorf(cinch.ErrInvalidInput, "tenants must be a list of tenant names"))
				return
			}
		}
	}
	for _, name := range tenants {
		if err := cinch.ValidateTenantName(name); err != nil {
			writeCinchError(w, err)
			return
		}
	}
	isQuery := req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/fleet/query")
	isCheck := strings.HasSuffix(req.URL.Path, "/fleet/check")
	if len(tenants) == 0 {
		var err error
		if tenants, err = h.engine.TenantNames(ctx, db, branch, isCheck); err != nil {
			writeCinchError(w, err)
			return
		}
	}
	// One request per tenant, for that tenant only.
	sub := func(name string) *http.Request {
		var r *http.Request
		if req.Method == http.MethodGet {
			q := url.Values{}
			for k, v := range query {
				q[k] = v
			}
			q["tenant"] = []string{name}
			r = httptest.NewRequestWithContext(ctx, req.Method, req.URL.Path+"?"+q.Encode(), nil)
		} else {
			one := make(map[string]json.RawMessage, len(body)+1)
			for k, v := range body {
				one[k] = v
			}
			one["tenants"], _ = json.Marshal([]string{name})
			b, _ := json.Marshal(one)
			r = httptest.NewRequestWithContext(ctx, req.Method, req.URL.Path, bytes.NewReader(b))
		}
		for _, k := range []string{"Authorization", "Content-Type", "Accept", "X-Request-Id"} {
			if v := req.Header.Values(k); len(v) > 0 {
				r.Header[k] = v
			}
		}
		return r
	}
	answers := make([]*httptest.ResponseRecorder, len(tenants))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(fleetWorkers, len(tenants)) {
		wg.Go(func() {
			for i := range next {
				rec := httptest.NewRecorder()
				t := h.r.resolve(Tenant{Database: db, Branch: branch, Name: tenants[i]})
				h.routeTenant(rec, sub(tenants[i]), t)
				answers[i] = rec
			}
		})
	}
	for i := range tenants {
		select {
		case next <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil {
		writeCinchError(w, cinch.Errorf(cinch.ErrCanceled, "the fleet operation was canceled: %v", ctx.Err()))
		return
	}
	if strings.HasSuffix(req.URL.Path, "/tenants:migrate") {
		// One object per tenant: the counts are summed.
		var sum cinch.MigrateResult
		for _, rec := range answers {
			if rec.Code/100 != 2 {
				writeApplied(w, applied{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()})
				return
			}
			var one cinch.MigrateResult
			if err := json.Unmarshal(rec.Body.Bytes(), &one); err != nil {
				writeCinchError(w, cinch.Errorf(cinch.ErrInternal, "a migrate answer is not a result: %v", err))
				return
			}
			sum.Behind, sum.Migrated, sum.Remaining = sum.Behind+one.Behind, sum.Migrated+one.Migrated, sum.Remaining+one.Remaining
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(sum)
		return
	}
	out := make([]json.RawMessage, 0, len(tenants))
	for i, rec := range answers {
		if rec.Code/100 != 2 {
			if !isQuery || rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden || rec.Code == http.StatusBadRequest {
				// The whole request's error (the same for every tenant).
				writeApplied(w, applied{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()})
				return
			}
			var e struct {
				Error *server.ErrorDetail `json:"error"`
			}
			json.Unmarshal(rec.Body.Bytes(), &e)
			entry, _ := json.Marshal(server.TenantQueryResult{Tenant: tenants[i], Error: e.Error})
			out = append(out, entry)
			continue
		}
		var items []json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &items); err != nil {
			writeCinchError(w, cinch.Errorf(cinch.ErrInternal, "a fleet answer for tenant %s is not a list: %v", tenants[i], err))
			return
		}
		out = append(out, items...)
	}
	if isQuery {
		out = capTotalRows(out, body)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// capTotalRows applies a fan-out's total_rows to the joined answers: rows
// past the cap are cut and their tenant's entry is marked truncated.
func capTotalRows(out []json.RawMessage, body map[string]json.RawMessage) []json.RawMessage {
	var total int
	if v, ok := body["total_rows"]; !ok || json.Unmarshal(v, &total) != nil || total <= 0 {
		return out
	}
	seen := 0
	for i, raw := range out {
		// Kept as raw JSON: values are passed on exactly as the owners sent them.
		var r map[string]json.RawMessage
		var rows []json.RawMessage
		if json.Unmarshal(raw, &r) != nil || json.Unmarshal(r["rows"], &rows) != nil || len(rows) == 0 {
			continue
		}
		if seen+len(rows) > total {
			rows = rows[:max(0, total-seen)]
			r["rows"], _ = json.Marshal(rows)
			r["truncated"] = json.RawMessage("true")
			out[i], _ = json.Marshal(r)
		}
		seen += len(rows)
	}
	return out
}
