package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/apikey"
	"github.com/cinchdb/cinch/server"
)

// maxControlBody bounds a control request's body (a schema change, a
// tenant batch): it is stored in the control log.
const maxControlBody = 4 << 20

// Handler wraps the node's API handler (inner) for the cluster and starts
// applying the control log through it:
//
//   - POST /v1/cluster/init creates the admin key, once per cluster;
//     GET /v1/cluster/status lists the nodes;
//   - requests on a tenant's data go to the tenant's owner (forwarded over
//     NATS), or make this node the owner when nobody is;
//   - requests that change shared state (schema, tenant registry, groups)
//     go through the control log, which every node applies in order;
//   - other reads are served here once this node applied the control log
//     up to the moment the request arrived.
func (r *Runtime) Handler(e Engine, inner http.Handler) (http.Handler, error) {
	r.engineMu.Lock()
	r.engine = e
	r.engineMu.Unlock()
	if err := r.ctl.start(context.Background(), inner); err != nil {
		return nil, err
	}
	h := &router{r: r, inner: inner, engine: e}
	if r.forwards.Swap(h) == nil {
		close(r.routerReady) // forwarded requests waiting since Start go on (awaitRouter)
	}
	return h, nil
}

func forwardSubject(node string) string { return "cinch.node." + node + ".http" }

type router struct {
	r      *Runtime
	inner  http.Handler
	engine Engine
}

// route is what a request is to the cluster.
type routeKind int

const (
	routeLocal   routeKind = iota // served here after the control barrier
	routeTenant                   // a tenant's data: its owner serves it
	routeControl                  // shared state: through the control log
	routeRefused                  // not available in cluster mode yet
	routeFleet                    // a fleet operation: one request per tenant (fleet.go)
)

// classify tells a request's route from its method and path (SPEC §7).
func classify(method, path string) (routeKind, Tenant, string) {
	s := strings.Split(strings.Trim(path, "/"), "/")
	if len(s) < 4 || s[0] != "v1" || s[1] != "databases" || s[3] != "branches" {
		return routeLocal, Tenant{}, ""
	}
	write := method != http.MethodGet && method != http.MethodHead
	if len(s) == 4 { // branches: list, create (branches.go)
		if write {
			return routeControl, Tenant{}, ""
		}
		return routeLocal, Tenant{}, ""
	}
	db, branch := s[2], s[4]
	rest := s[5:]
	if len(rest) >= 3 && rest[0] == "tenants" {
		t := Tenant{Database: db, Branch: branch, Name: rest[1]}
		switch rest[2] {
		case "query", "tables", "kv":
			return routeTenant, t, ""
		case "copy":
			// Served by the source's owner, which has its data (serveCopy).
			return routeTenant, t, ""
		case "archive", "restore", "group":
			return routeControl, t, ""
		}
	}
	if len(rest) == 1 && rest[0] == "tenants:migrate" && write {
		return routeFleet, Tenant{Database: db, Branch: branch}, "" // per tenant, summed (fleet.go)
	}
	if len(rest) == 2 && rest[0] == "fleet" {
		switch {
		case rest[1] == "stats" && !write, rest[1] != "stats" && rest[1] != "inactive" && write:
			// Split into one request per tenant, each served by its owner.
			return routeFleet, Tenant{Database: db, Branch: branch}, ""
		case rest[1] == "inactive":
			return routeRefused, Tenant{}, "listing inactive tenants (use fleet stats: it has each tenant's last write)"
		}
	}
	if !write {
		return routeLocal, Tenant{}, ""
	}
	switch {
	case len(rest) == 0, rest[0] == "merge":
		return routeControl, Tenant{}, "" // branch delete, merge (branches.go)
	case rest[0] == "tables" && len(rest) >= 3 && rest[2] == "copy":
		return routeRefused, Tenant{}, "copying a table"
	}
	return routeControl, Tenant{}, ""
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// writeCinchError answers err the way the API answers every error (the
// server's code-to-status table and body); a retryable cluster error also
// says when to retry.
func writeCinchError(w http.ResponseWriter, err error) {
	if errors.Is(err, cinch.ErrUnavailable) || errors.Is(err, cinch.ErrNotOwner) {
		w.Header().Set("Retry-After", "1")
	}
	server.WriteError(w, err)
}

func bearer(req *http.Request) string {
	return strings.TrimSpace(strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer "))
}

func (h *router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	switch req.URL.Path {
	case "/v1/cluster/init":
		h.serveInit(w, req)
		return
	case "/v1/cluster/status":
		h.serveStatus(w, req)
		return
	case "/v1/cluster/move", "/v1/cluster/drain", "/v1/cluster/undrain":
		h.serveOps(w, req)
		return
	case "/v1/health", "/v1/openapi.json", "/metrics":
		h.inner.ServeHTTP(w, req)
		return
	}
	if !strings.HasPrefix(req.URL.Path, "/v1/") {
		h.inner.ServeHTTP(w, req)
		return
	}
	kind, t, what := classify(req.Method, req.URL.Path)
	switch kind {
	case routeRefused:
		writeCinchError(w, &cinch.Error{Err: cinch.ErrNotImplemented, Message: "not available in cluster mode yet: " + what,
			Hint: "see docs/cluster.md for what a cluster serves today"})
	case routeControl:
		h.serveControl(w, req)
	case routeTenant:
		h.serveTenant(w, req, t)
	case routeFleet:
		h.serveFleet(w, req, t.Database, t.Branch)
	default:
		if err := h.r.ctl.barrier(req.Context()); err != nil {
			writeCinchError(w, err)
			return
		}
		h.inner.ServeHTTP(w, req)
	}
}

// serveControl authenticates the request, appends it to the control log,
// and answers what applying it here gave.
func (h *router) serveControl(w http.ResponseWriter, req *http.Request) {
	key, err := h.r.keys.Authenticate(req.Context(), bearer(req))
	if err != nil {
		writeCinchError(w, err)
		return
	}
	if req.Header.Get(cinch.TenantKeyHeader) != "" {
		writeCinchError(w, &cinch.Error{Err: cinch.ErrNotImplemented, Message: "encrypted tenants are not available in cluster mode yet",
			Hint: "the write log would hold their pages in plaintext; see docs/cluster.md"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxControlBody+1))
	if err != nil {
		writeCinchError(w, cinch.Errorf(cinch.ErrInvalidInput, "reading the request body: %v", err))
		return
	}
	if len(body) > maxControlBody {
		writeCinchError(w, cinch.Errorf(cinch.ErrTooLarge, "a schema or registry request holds at most %d bytes in cluster mode", maxControlBody))
		return
	}
	if cp, ok := copyOf(req.Method, req.URL.Path, body); ok {
		// A create "from" a tenant: its owner makes the copy.
		req.Body = io.NopCloser(bytes.NewReader(body))
		h.serveTenant(w, req, cp.source)
		return
	}
	if bytes.Contains(body, []byte(`"encrypt"`)) && bytes.Contains(body, []byte("true")) {
		var probe struct {
			Encrypt bool `json:"encrypt"`
		}
		if json.Unmarshal(body, &probe) == nil && probe.Encrypt {
			writeCinchError(w, &cinch.Error{Err: cinch.ErrNotImplemented, Message: "encrypted tenants are not available in cluster mode yet",
				Hint: "the write log would hold their pages in plaintext; see docs/cluster.md"})
			return
		}
	}
	header := map[string]string{}
	for _, k := range []string{"Content-Type", "Accept"} {
		if v := req.Header.Get(k); v != "" {
			header[k] = v
		}
	}
	ctx, cancel := context.WithTimeout(req.Context(), 2*time.Minute)
	defer cancel()
	entry := controlEntry{KeyID: key.ID, Method: req.Method, Path: req.URL.RequestURI(), Header: header, Body: body}
	var res applied
	schemaChange := isSchemaChange(req.Method, req.URL.Path)
	if schemaChange {
		id, err := uuid.NewV7()
		if err != nil {
			writeCinchError(w, err)
			return
		}
		entry.ChangeID, entry.ChangeAt = id.String(), time.Now().UTC()
	}
	if db, ok := branchCreateOf(req.Method, req.URL.Path); ok {
		h.serveBranchCreate(w, req.WithContext(ctx), db, entry)
		return
	}
	merge := mergeOf(req.Method, req.URL.Path)
	if merge {
		var in server.MergeRequest
		if json.Unmarshal(body, &in) == nil && in.DryRun {
			// Plans only: every node's history is the same.
			if err := h.r.ctl.barrier(ctx); err != nil {
				writeCinchError(w, err)
				return
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			h.inner.ServeHTTP(w, req)
			return
		}
	}
	if merge || schemaChange && h.dataDependent(req, body) {
		res, err = h.coordinate(ctx, entry)
	} else {
		res, err = h.r.ctl.submit(ctx, entry)
	}
	if err != nil {
		writeCinchError(w, err)
		return
	}
	for k, v := range res.header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.status)
	w.Write(res.body)
}

// ownerWait bounds how long a request waits for a dead owner's lease to
// expire before it fails with 503.
func (h *router) ownerWait() time.Duration { return 3*h.r.node.cfg.LeaseTTL + 2*time.Second }

// serveTenant sends the request to the tenant's owner: here when this node
// owns it or can take it, else forwarded over NATS. When the owner is gone
// (no responders) the request waits for its lease to expire, then takes it.
func (h *router) serveTenant(w http.ResponseWriter, req *http.Request, t Tenant) {
	ctx := req.Context()
	if err := h.r.ctl.barrier(ctx); err != nil {
		writeCinchError(w, err)
		return
	}
	t = h.r.resolve(t) // after the barrier: a rename or re-create the client knows of is applied
	h.routeTenant(w, req, t)
}

// routeTenant is serveTenant once the barrier passed and t is resolved.
func (h *router) routeTenant(w http.ResponseWriter, req *http.Request, t Tenant) {
	ctx := req.Context()
	var body []byte
	unanswered := false // a forward found nobody listening at the owner shown
	deadline := time.Now().Add(h.ownerWait())
	wait := 5 * time.Millisecond // before asking again
	for {
		if err := h.r.waitGate(ctx, t); err != nil {
			writeCinchError(w, err)
			return
		}
		var owner string
		var err error
		if unanswered {
			// The owner a replica showed did not answer: a replica that lags
			// (this node's, just restarted) may show a lease long gone; ask
			// the leader.
			owner, err = h.r.node.OwnerByLeader(ctx, t)
		} else {
			owner, err = h.r.node.Owner(ctx, t)
		}
		stale := false // held here, but the lease was not renewed lately
		adopt := false // the key names this node, which does not hold the tenant
		if err == nil && owner == h.r.cfg.Node && !h.r.node.OwnsTenant(t) {
			if h.r.node.Holds(t) {
				// Woken from a pause (or renewals stalled): another node may
				// have taken the tenant and written to it, and a leader read
				// answered by this node's own server may be stale too. Serve
				// nothing from the file until the renewal loop has looked:
				// renewed, the tenant is ours; refused, it is dropped.
				stale = true
			} else {
				// A lagging replica still shows this node's lost lease: ask
				// the leader who holds it.
				owner, err = h.r.node.OwnerByLeader(ctx, t)
				if err == nil && owner == h.r.cfg.Node {
					owner, adopt = "", true // held by this node's previous life: Acquire adopts it
				}
			}
		}
		if err == nil && owner == "" && !adopt && h.r.draining.Load() {
			// Draining: another node takes the tenant. (One whose key still
			// names this node, after a failed move, is adopted here and
			// moved away by the drain loop: another node would refuse it,
			// since the key names a live node.)
			if targets := h.r.placementTargets(ctx); len(targets) > 0 {
				owner = targets[int(time.Now().UnixNano()%int64(len(targets)))]
			}
		}
		if stale {
			err = fmt.Errorf("node %s has not renewed its lease lately", h.r.cfg.Node)
		} else if err == nil && owner == h.r.cfg.Node {
			// Ours: the engine opens (or already holds) it.
			if body != nil {
				req.Body = io.NopCloser(bytes.NewReader(body))
			}
			if h.serveHeld(w, req, t) {
				return
			}
			err = fmt.Errorf("tenant %s is moving away from node %s", t, h.r.cfg.Node)
		}
		if err == nil && owner == "" {
			// Nobody's: take it here first, so losing a race to another
			// node is seen before the request runs.
			err = h.engine.WarmTenant(ctx, t.Database, t.Branch, t.Name)
			if err != nil && !retryOwner(err) {
				// An error the API reports itself (no such tenant, ...).
				if body != nil {
					req.Body = io.NopCloser(bytes.NewReader(body))
				}
				h.serveHere(w, req)
				return
			}
			if err == nil {
				// Owned now.
				if body != nil {
					req.Body = io.NopCloser(bytes.NewReader(body))
				}
				if h.serveHeld(w, req, t) {
					return
				}
				err = fmt.Errorf("tenant %s moved away from node %s as it took it", t, h.r.cfg.Node)
			}
		} else if err == nil {
			if body == nil {
				if body, err = io.ReadAll(req.Body); err != nil {
					writeCinchError(w, cinch.Errorf(cinch.ErrInvalidInput, "reading the request body: %v", err))
					return
				}
			}
			var done bool
			done, err = h.forward(w, req, t, owner, body)
			if done {
				return
			}
			unanswered = true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			writeCinchError(w, &cinch.Error{Err: cinch.ErrUnavailable, Message: fmt.Sprintf("tenant %s has no reachable owner: %v", t, err),
				Hint: "retry: another node takes the tenant over once its owner's lease expires"})
			return
		}
		// A moving owner answers "not the owner" while its gate is closed,
		// for the tens of milliseconds a move takes: ask again soon, then
		// less often (a dead owner's lease takes seconds to go).
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// serveHeld serves req here if t is still this node's once its use lock
// is held (no move closed its gate, the lease is held and fresh); false
// without writing anything otherwise: the caller asks again.
func (h *router) serveHeld(w http.ResponseWriter, req *http.Request, t Tenant) bool {
	use := h.r.tenantUse(t)
	use.RLock()
	defer use.RUnlock()
	if h.r.gate(t) != nil || !h.r.node.OwnsTenant(t) {
		return false
	}
	h.serveHere(w, req)
	return true
}

// retryOwner reports whether taking a tenant here failed in a way that
// asking again may cure: another node holds it (ErrNotOwner), or the
// lease could not be read or written right now (ErrUnavailable: a KV
// leader election, a lagging replica). Serving the request here anyway
// would only make the engine try the same acquire and hand its error to
// the client.
func retryOwner(err error) bool {
	return errors.Is(err, cinch.ErrNotOwner) || errors.Is(err, cinch.ErrUnavailable)
}

// serveHere serves a tenant request on this node, the tenant's owner: a
// copy is made here (serveCopy), anything else by the API handler.
func (h *router) serveHere(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodPost && (strings.HasSuffix(req.URL.Path, "/copy") || strings.HasSuffix(req.URL.Path, "/tenants")) {
		body, err := io.ReadAll(io.LimitReader(req.Body, maxControlBody+1))
		if err != nil {
			writeCinchError(w, cinch.Errorf(cinch.ErrInvalidInput, "reading the request body: %v", err))
			return
		}
		if cp, ok := copyOf(req.Method, req.URL.Path, body); ok {
			h.serveCopy(w, req, cp)
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	h.inner.ServeHTTP(w, req)
}

// forwarded is a request or response sent between nodes.
type forwarded struct {
	Method string      `json:"method,omitempty"`
	Path   string      `json:"path,omitempty"`
	Status int         `json:"status,omitempty"`
	Chunks int         `json:"chunks,omitempty"` // an answer's body follows in this many messages
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`
	// Tenant names the tenant when the path does not (a fleet operation
	// split into one request per tenant).
	Tenant *Tenant `json:"tenant,omitempty"`
}

// forward sends the request to owner and writes its answer. done false:
// the owner did not answer (gone); the caller retries.
func (h *router) forward(w http.ResponseWriter, req *http.Request, t Tenant, owner string, body []byte) (bool, error) {
	hdr := http.Header{}
	for _, k := range []string{"Authorization", "Content-Type", "Accept", cinch.TenantKeyHeader, "X-Request-Id"} {
		if v := req.Header.Values(k); len(v) > 0 {
			hdr[k] = v
		}
	}
	fw := forwarded{Method: req.Method, Path: req.URL.RequestURI(), Header: hdr, Body: body}
	if kind, _, _ := classify(req.Method, req.URL.Path); kind == routeFleet {
		fw.Tenant = &t
	}
	data, _ := json.Marshal(fw)
	ctx, cancel := context.WithCancel(req.Context())
	defer cancel()
	// A paused owner holds the request without answering: stop waiting once
	// its lease is gone. The request may still run there (and be fenced if it
	// writes), so it is not sent anywhere else: the client learns the outcome
	// is unknown and decides.
	moved := make(chan struct{})
	go func() {
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if o, err := h.r.node.Owner(ctx, t); err == nil && o != owner {
				// The lease moved on. A moving owner answers right after it
				// hands the lease over: give the answer a moment.
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
				}
				close(moved)
				cancel()
				return
			}
		}
	}()
	res, err := h.request(ctx, owner, data)
	var stopped <-chan struct{} = moved
	if err == nil {
		stopped = nil // answered: the answer stands
	}
	select {
	case <-stopped:
		writeCinchError(w, &cinch.Error{Err: cinch.ErrUnavailable,
			Message: fmt.Sprintf("node %s stopped answering while it served this request on tenant %s: it may or may not have been applied", owner, t),
			Hint:    "check, then retry: another node now serves the tenant"})
		return true, nil
	default:
	}
	if errors.Is(err, nats.ErrNoResponders) {
		// Nobody listens there: the request was not delivered.
		return false, fmt.Errorf("node %s does not answer", owner)
	} else if err != nil {
		writeCinchError(w, &cinch.Error{Err: cinch.ErrUnavailable,
			Message: fmt.Sprintf("forwarding to node %s, the owner of tenant %s: %v; the request may or may not have been applied", owner, t, err),
			Hint:    "check, then retry"})
		return true, nil
	}
	if res.Status == http.StatusServiceUnavailable && res.Header.Get("X-Cinch-Not-Owner") != "" {
		return false, fmt.Errorf("node %s no longer owns the tenant", owner)
	}
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.Status)
	w.Write(res.Body)
	return true, nil
}

// request sends a forwarded request to owner and collects its answer: a
// head (status, header, number of body chunks) and then the body in
// chunks, so an answer may be larger than one NATS message.
func (h *router) request(ctx context.Context, owner string, data []byte) (forwarded, error) {
	inbox := nats.NewInbox()
	sub, err := h.r.nc.SubscribeSync(inbox)
	if err != nil {
		return forwarded{}, err
	}
	defer sub.Unsubscribe()
	if err := h.r.nc.PublishRequest(forwardSubject(owner), inbox, data); err != nil {
		return forwarded{}, err
	}
	var first *nats.Msg
	for {
		if first, err = sub.NextMsgWithContext(ctx); err != nil {
			return forwarded{}, err
		}
		if first.Header.Get(claimHeader) == "" {
			break
		}
		// The owner asks whether this node still waits before it runs a
		// write: it does (it has not given up, or it would have
		// unsubscribed and the owner would find nobody here).
		first.Respond(nil)
	}
	if first.Header.Get("Status") == "503" && len(first.Data) == 0 {
		return forwarded{}, nats.ErrNoResponders
	}
	var res forwarded
	if err := json.Unmarshal(first.Data, &res); err != nil {
		return forwarded{}, fmt.Errorf("a forwarded answer from node %s: %w", owner, err)
	}
	for range res.Chunks {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return forwarded{}, err
		}
		res.Body = append(res.Body, m.Data...)
	}
	return res, nil
}

// serveForwarded serves a request another node forwarded here, if this
// node still owns its tenant.
func (h *router) serveForwarded(m *nats.Msg) {
	go func() {
		var f forwarded
		if err := json.Unmarshal(m.Data, &f); err != nil {
			return
		}
		reply := func(res forwarded) {
			// The head, then the body in chunks below the NATS message limit.
			chunk := int(h.r.nc.MaxPayload()) - 4096
			body := res.Body
			res.Body = nil
			res.Chunks = (len(body) + chunk - 1) / chunk
			b, _ := json.Marshal(res)
			if err := h.r.nc.Publish(m.Reply, b); err != nil {
				return
			}
			for len(body) > 0 {
				n := min(chunk, len(body))
				if err := h.r.nc.Publish(m.Reply, body[:n]); err != nil {
					return
				}
				body = body[n:]
			}
		}
		_, t, _ := classify(f.Method, strings.SplitN(f.Path, "?", 2)[0])
		if cp, ok := copyOf(f.Method, f.Path, f.Body); ok {
			t = cp.source
		}
		if f.Tenant != nil {
			t = *f.Tenant
		}
		ctx := context.Background()
		notOwner := forwarded{Status: http.StatusServiceUnavailable, Header: http.Header{"X-Cinch-Not-Owner": {"1"}}}
		if err := h.r.ctl.barrier(ctx); err != nil {
			reply(notOwner)
			return
		}
		t = h.r.resolve(t)
		if h.r.gate(t) != nil {
			// Moving away: the sender asks again, and finds the new owner.
			reply(notOwner)
			return
		}
		owner, err := h.r.node.Owner(ctx, t)
		var apiErr error // taking the tenant failed in a way the API answers itself
		switch {
		case err != nil:
			reply(notOwner)
			return
		case owner == h.r.cfg.Node && h.r.node.OwnsTenant(t):
			// Ours, and held: served below.
		case owner == h.r.cfg.Node && h.r.node.Holds(t):
			// Held, but the lease was not renewed lately (this node was
			// paused): the tenant may be another node's now. The sender
			// asks again, once the renewal loop has looked.
			reply(notOwner)
			return
		case owner == h.r.cfg.Node, owner == "" && !h.r.draining.Load():
			// Ours by this node's KV replica only (it may lag a move away
			// from here: the engine's open would then fail on the lease
			// and answer not_owner to the client), or nobody's (sent here
			// by a draining node): take the lease first, so a tenant that
			// is another node's now sends the sender to ask again.
			if err := h.engine.WarmTenant(ctx, t.Database, t.Branch, t.Name); err != nil && retryOwner(err) {
				reply(notOwner)
				return
			} else if err != nil {
				apiErr = err
			}
		default:
			reply(notOwner)
			return
		}
		if f.Method != http.MethodGet && f.Method != http.MethodHead && !h.senderWaits(m.Reply) {
			// The sender gave up on this request (this node was paused, or
			// slow, past the time it waits): the client was told the
			// outcome is unknown, and running it now, perhaps seconds
			// later and after another owner served the tenant, would apply
			// a write nobody expects any more. Nobody listens for an answer.
			h.r.metrics.abandoned.Inc()
			h.r.log.Warn("cluster: a forwarded write not run: its sender stopped waiting for it", "method", f.Method, "path", f.Path)
			return
		}
		req := httptest.NewRequest(f.Method, f.Path, bytes.NewReader(f.Body))
		for k, v := range f.Header {
			req.Header[k] = v
		}
		rec := httptest.NewRecorder()
		if apiErr != nil {
			h.serveHere(rec, req) // (no such tenant, ...)
		} else if !h.serveHeld(rec, req, t) {
			reply(notOwner) // moved away meanwhile: the sender asks again
			return
		}
		reply(forwarded{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()})
	}()
}

// claimHeader marks the question an owner asks a forwarded request's
// sender before it runs a write: "do you still wait for the answer?".
const claimHeader = "Cinch-Claim"

// senderWaits asks the sender of a forwarded request, at its reply inbox,
// whether it still waits for the answer. It answers at once while it does;
// once it gave up it has unsubscribed, and the question finds no responder
// (or, while that news travels between servers, no answer). One round trip
// on a forwarded write, paid so that a write runs only while its client
// can still learn its outcome.
func (h *router) senderWaits(reply string) bool {
	if reply == "" {
		return false
	}
	m := nats.NewMsg(reply)
	m.Header.Set(claimHeader, "1")
	_, err := h.r.nc.RequestMsg(m, senderWaitsTimeout)
	return err == nil
}

// senderWaitsTimeout bounds the claim's round trip: a sender that waits
// answers in a millisecond or so; no answer within this means it is gone.
const senderWaitsTimeout = 2 * time.Second

// serveInit creates the cluster's admin key, once.
func (h *router) serveInit(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "invalid_input", "use POST /v1/cluster/init")
		return
	}
	ctx := req.Context()
	if _, err := h.r.keys.kv.Create(ctx, "initialized", []byte(h.r.cfg.Node)); err != nil {
		writeCinchError(w, &cinch.Error{Err: cinch.ErrConflict, Message: "the cluster is already initialized",
			Hint: "use the admin key cluster init printed then"})
		return
	}
	id, secret, err := h.r.keys.Create(ctx, apikey.Spec{})
	if err != nil {
		writeCinchError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(cinch.ClusterAdminKey{ID: id, Key: secret})
}

// serveStatus lists the nodes (any valid key).
func (h *router) serveStatus(w http.ResponseWriter, req *http.Request) {
	if _, err := h.r.keys.Authenticate(req.Context(), bearer(req)); err != nil {
		writeCinchError(w, err)
		return
	}
	nodes, err := h.r.Nodes(req.Context())
	if err != nil {
		writeCinchError(w, err)
		return
	}
	if nodes == nil {
		nodes = []cinch.ClusterNode{}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(cinch.ClusterNodes{Nodes: nodes})
}

// serveOps: POST /v1/cluster/move {database, branch, tenant, to},
// /v1/cluster/drain and /v1/cluster/undrain {node}. They need a key that
// may write everything (the admin key of cluster init).
func (h *router) serveOps(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "invalid_input", "use POST "+req.URL.Path)
		return
	}
	key, err := h.r.keys.Authenticate(req.Context(), bearer(req))
	if err != nil {
		writeCinchError(w, err)
		return
	}
	if key.ReadOnly || key.Database != "" || key.Branch != "" || key.Tenant != "" {
		writeCinchError(w, &cinch.Error{Err: cinch.ErrForbidden, Message: "cluster operations need a key without scope limits (the admin key of cinch cluster init)"})
		return
	}
	var in struct { // the body of move, or of drain and undrain
		server.TenantMoveRequest
		server.NodeDrainRequest
	}
	if err := json.NewDecoder(io.LimitReader(req.Body, 1<<16)).Decode(&in); err != nil {
		writeCinchError(w, cinch.Errorf(cinch.ErrInvalidInput, "the body must be a JSON object: %v", err))
		return
	}
	ctx := req.Context()
	var out any
	switch req.URL.Path {
	case "/v1/cluster/move":
		if in.Database == "" {
			in.Database = cinch.DefaultDatabase
		}
		if in.Branch == "" {
			in.Branch = cinch.DefaultBranch
		}
		if err := cinch.ValidateTenantName(in.Tenant); err != nil {
			writeCinchError(w, err)
			return
		}
		if err := h.r.ctl.barrier(ctx); err != nil {
			writeCinchError(w, err)
			return
		}
		t := h.r.resolve(Tenant{Database: in.Database, Branch: in.Branch, Name: in.Tenant})
		var pause string
		pause, err = h.r.Move(ctx, t, in.To)
		out = cinch.TenantMove{Tenant: in.Tenant, To: in.To, Pause: pause}
	default:
		if in.Node == "" {
			writeCinchError(w, cinch.Errorf(cinch.ErrInvalidInput, "give the node to drain or undrain: {\"node\": NAME}"))
			return
		}
		drain := req.URL.Path == "/v1/cluster/drain"
		err = h.r.SetDrain(ctx, in.Node, drain)
		out = cinch.NodeDrain{Node: in.Node, Draining: drain}
	}
	if err != nil {
		writeCinchError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}
