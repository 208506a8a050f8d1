// Package server is cinch's HTTP API (SPEC §7) on top of an Engine (the
// local engine, *local.Project): JSON under /v1, API keys from a KeyStore
// (Authorization: Bearer), scoped to a database, branch or tenant and
// optionally read-only,
// errors as {"error": {"code", "message"}} with the status from one table
// (Status), limits on body size, query time, rows and request rate, slog
// request logs, Prometheus metrics on /metrics and an OpenAPI 3 document on
// /v1/openapi.json generated from the same route table the mux serves.
//
// Package client is the other side: a cinch.DB that talks to this server.
package server

import (
	"context"
	"errors"
	"github.com/prometheus/client_golang/prometheus"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/cinchdb/cinch"
)

// Defaults for Config.
const (
	DefaultMaxBodyBytes    = 4 << 20 // 4 MiB
	DefaultQueryTimeout    = 30 * time.Second
	DefaultMaxRows         = 10_000
	DefaultMaxResultBytes  = 64 << 20 // 64 MiB
	DefaultRatePerKey      = 1000     // requests per second, per key
	DefaultRateBurst       = 2000
	DefaultShutdownTimeout = 30 * time.Second
)

// Config tunes a Server. The zero value uses the defaults.
type Config struct {
	// MaxBodyBytes caps a request body; larger ones get 413 too_large.
	MaxBodyBytes int64
	// QueryTimeout bounds each request's work; SQLite is interrupted when
	// it passes (408 canceled).
	QueryTimeout time.Duration
	// MaxRows caps the rows of one query response; a cut result has
	// "truncated": true.
	MaxRows int
	// MaxResultBytes caps the values of one query response (strings and
	// blobs by length, other values by 8 bytes); a cut result has
	// "truncated": true.
	MaxResultBytes int64
	// RatePerKey is the sustained requests per second allowed per key, and
	// RateBurst the bucket size (429 rate_limited beyond). A negative
	// RatePerKey turns rate limiting off.
	RatePerKey float64
	RateBurst  int
	// ShutdownTimeout bounds how long Serve waits for in-flight requests
	// after its context is canceled.
	ShutdownTimeout time.Duration
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
	// CORSOrigins lists the browser origins (scheme://host[:port], or "*"
	// for any) allowed to call the API from another site. Empty, the
	// default, turns CORS off: no Access-Control-* headers and preflight
	// requests are refused. See ValidateCORSOrigin.
	CORSOrigins []string
	// UI, when set, serves GET /ui and everything under /ui/ without a
	// key: the web console (package console), static files that call this
	// API with the user's key like any other client. Nil: no /ui.
	UI http.Handler
	// Converge, when set, is the background converger Serve runs instead
	// of the engine's (BackgroundConverger): it must return when its ctx is
	// done. NoConverge runs none.
	Converge   func(ctx context.Context)
	NoConverge bool
	// Collectors are more Prometheus metrics for GET /metrics (cluster
	// mode: ownership, log and lease metrics).
	Collectors []prometheus.Collector
	// Wrap, when set, wraps the server's whole handler (cluster mode: the
	// cluster routes each request, and serves it here through inner).
	Wrap func(inner http.Handler) http.Handler
}

func (c Config) withDefaults() Config {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.QueryTimeout <= 0 {
		c.QueryTimeout = DefaultQueryTimeout
	}
	if c.MaxRows <= 0 {
		c.MaxRows = DefaultMaxRows
	}
	if c.MaxResultBytes <= 0 {
		c.MaxResultBytes = DefaultMaxResultBytes
	}
	if c.RatePerKey == 0 {
		c.RatePerKey = DefaultRatePerKey
	}
	if c.RateBurst <= 0 {
		c.RateBurst = DefaultRateBurst
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Engine is what a Server serves: handles on tenants, and what its metrics
// read. *local.Project is one.
type Engine interface {
	// Handle returns a handle on target that opens encrypted tenants with
	// key (the request's cinch.TenantKeyHeader, "" for none).
	Handle(target cinch.Target, key string) (cinch.DB, error)
	// Databases lists the databases (metrics: tenants per branch).
	Databases(ctx context.Context) ([]cinch.DatabaseInfo, error)
	// RolloutInProgress reports whether a branch has a multi-step
	// operation in flight (metrics).
	RolloutInProgress(database, branch string) bool
	// OpenTenantHandles is the number of tenant handles open (metrics).
	OpenTenantHandles() int
}

// KeyStore authenticates the API keys of requests. *apikey.Store is one
// (local.Project.KeyStore).
type KeyStore interface {
	// Authenticate returns the key whose secret is given: its id and what
	// it may reach. Unknown, wrong, expired and revoked keys fail with an
	// error wrapping cinch.ErrUnauthorized.
	Authenticate(ctx context.Context, secret string) (cinch.APIKey, error)
	// Close releases the store; the server calls it when it shuts down.
	Close() error
}

// Server serves one Engine over HTTP. It does not own the engine: the
// caller closes it after Serve or Shutdown returns.
type Server struct {
	e       Engine
	cfg     Config
	log     *slog.Logger
	keys    KeyStore
	mux     *http.ServeMux // the routes only: decides 404 or 405 for what front does not match
	front   *http.ServeMux // the routes and a catch-all (unmatched): one match per request
	handler http.Handler
	metrics *metrics
	cors    corsPolicy
	routes  []route
	// registered lists "METHOD /path" of every pattern given to the mux.
	registered []string

	limMu    sync.Mutex
	limiters map[string]*rate.Limiter

	srvMu sync.Mutex
	srv   *http.Server
}

// New builds a server for e that authenticates requests with keys, which it
// closes when it shuts down:
//
//	srv := server.New(project, apikey.ForProject(project), server.Config{})
//
// It does no I/O.
func New(e Engine, keys KeyStore, cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{e: e, cfg: cfg, log: cfg.Logger, keys: keys, mux: http.NewServeMux(), front: http.NewServeMux(),
		limiters: map[string]*rate.Limiter{}, cors: newCORSPolicy(cfg.CORSOrigins)}
	s.metrics = newMetrics(e, cfg.Collectors...)
	s.routes = routeTable()
	for _, rt := range s.routes {
		pattern := rt.method + " " + rt.path
		h := s.wrap(rt)
		s.mux.Handle(pattern, h)
		s.front.Handle(pattern, h)
		s.registered = append(s.registered, pattern)
	}
	s.front.HandleFunc("/", s.unmatched)
	s.handler = s.observe(http.HandlerFunc(s.dispatch))
	if cfg.Wrap != nil {
		s.handler = cfg.Wrap(s.handler)
	}
	return s
}

// Handler returns the server's HTTP handler (for httptest or your own
// http.Server).
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves on ln until ctx is canceled, then shuts down gracefully:
// in-flight requests finish (up to Config.ShutdownTimeout) and the key
// store is closed. Requests do not inherit ctx, so canceling it does not
// interrupt them.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      s.cfg.QueryTimeout + time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.srvMu.Lock()
	s.srv = srv
	s.srvMu.Unlock()
	stopConverger := s.startConverger(ctx)
	defer stopConverger()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.keys.Close()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	err := s.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// Shutdown stops accepting requests, waits for in-flight ones (until ctx
// is done) and closes the key store. A second call returns nil.
func (s *Server) Shutdown(ctx context.Context) error {
	s.srvMu.Lock()
	srv := s.srv
	s.srv = nil
	s.srvMu.Unlock()
	var err error
	if srv != nil {
		err = srv.Shutdown(ctx)
	}
	if cerr := s.keys.Close(); err == nil {
		err = cerr
	}
	return err
}

// Routes lists the registered patterns ("METHOD /path"), in table order.
func (s *Server) Routes() []string { return append([]string(nil), s.registered...) }

// dispatch rejects dot segments (path traversal) before routing, and
// answers unmatched paths with JSON errors instead of the mux's text.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.EscapedPath()
	for rest, more := raw, true; more; {
		var seg string
		seg, rest, more = strings.Cut(rest, "/")
		if dotSegment(seg) {
			writeErrorCode(w, "invalid_name", "path segment "+`"`+seg+`"`+" is not allowed: names never contain . or .. segments", nil)
			return
		}
	}
	if strings.Contains(raw, "//") {
		writeErrorCode(w, "invalid_name", "empty path segment: every name in the path must be given", nil)
		return
	}
	if s.cfg.UI != nil && (r.URL.Path == "/ui" || strings.HasPrefix(r.URL.Path, "/ui/")) {
		r.Pattern = "/ui/" // the route of its metrics and log line
		s.cfg.UI.ServeHTTP(w, r)
		return
	}
	s.front.ServeHTTP(w, r)
}

// dotSegment reports whether an escaped path segment is . or .., plainly
// or percent-encoded.
func dotSegment(seg string) bool {
	switch len(seg) {
	case 1, 2:
		return seg == "." || seg == ".."
	case 3, 4:
		return strings.EqualFold(seg, "%2e") || strings.EqualFold(seg, ".%2e") || strings.EqualFold(seg, "%2e.")
	case 6:
		return strings.EqualFold(seg, "%2e%2e")
	}
	return false
}

// unmatched answers what no route matches: 405 with Allow when the path is
// a route's with another method, 404 otherwise (as the mux decides).
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	r.Pattern = "" // not a route: "unmatched" in metrics and logs
	h, _ := s.mux.Handler(r)
	rec := &statusRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if rec.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", rec.header.Get("Allow"))
		writeErrorCode(w, CodeMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path+" (allowed: "+rec.header.Get("Allow")+")", nil)
		return
	}
	writeErrorCode(w, CodeRouteNotFound, "no route for "+r.Method+" "+r.URL.Path+"; see GET /v1/openapi.json", nil)
}

// statusRecorder captures what the mux's own 404/405 handlers write.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header         { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *statusRecorder) WriteHeader(status int)      { r.status = status }

// responseWriter records the status and size for logs and metrics.
type responseWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 && status >= 200 { // 1xx are not the response's status
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ctxKey carries the request's requestInfo to the handlers.
type ctxKey struct{}

// requestInfo is what the request log line needs from inside the handler.
type requestInfo struct {
	id    string // X-Request-Id
	keyID string // the authenticated key, if any
}

// requestLog returns the server's logger with the request's id, for lines
// logged while serving it.
func (s *Server) requestLog(r *http.Request) *slog.Logger {
	if info, ok := r.Context().Value(ctxKey{}).(*requestInfo); ok {
		return s.log.With("request_id", info.id)
	}
	return s.log
}

// observe gives every request an id (X-Request-Id), applies the CORS
// policy, encodes JSON responses (gzip), logs every request and records
// its metrics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: requestID(r)}
		w.Header().Set(RequestIDHeader, info.id)
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, info))
		rw := &responseWriter{ResponseWriter: w}
		enc := newEncoder(rw, r)
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "request_id", info.id, "panic", v)
				if enc.discard() {
					writeErrorCode(enc, "internal", "internal error (details are in the server log)", nil)
				}
			}
			if err := enc.close(); err != nil {
				s.log.Debug("writing response", "request_id", info.id, "err", err)
			}
			if rw.status == 0 {
				rw.status = http.StatusOK
			}
			d := time.Since(start)
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			s.metrics.observe(route, rw.status, d)
			if s.log.Enabled(r.Context(), slog.LevelInfo) {
				s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.String("route", route), slog.Int("status", rw.status), slog.Int64("bytes", rw.bytes), slog.Duration("duration", d),
					slog.String("key", info.keyID), slog.String("remote", r.RemoteAddr), slog.String("request_id", info.id))
			}
		}()
		if s.handleCORS(enc, r) {
			return
		}
		next.ServeHTTP(enc, r)
	})
}

// limiter returns the token bucket of a key.
func (s *Server) allow(keyID string) bool {
	if s.cfg.RatePerKey < 0 {
		return true
	}
	s.limMu.Lock()
	l := s.limiters[keyID]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(s.cfg.RatePerKey), s.cfg.RateBurst)
		s.limiters[keyID] = l
	}
	s.limMu.Unlock()
	return l.Allow()
}

// authenticate checks the bearer key.
func (s *Server) authenticate(r *http.Request) (cinch.APIKey, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return cinch.APIKey{}, &cinch.Error{Err: cinch.ErrUnauthorized, Message: "missing API key",
			Hint: "send Authorization: Bearer <key> with a key from: cinch key create"}
	}
	scheme, secret, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return cinch.APIKey{}, &cinch.Error{Err: cinch.ErrUnauthorized, Message: "the Authorization header must be: Bearer <key>"}
	}
	return s.keys.Authenticate(r.Context(), strings.TrimSpace(secret))
}
