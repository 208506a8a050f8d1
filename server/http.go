package server

// HTTP conventions every response follows, whatever the route: a request
// id, gzip for JSON when the client asks for it, CORS for the configured
// origins only, and JSON request bodies.

import (
	"compress/gzip"
	"crypto/rand"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cinchdb/cinch"
)

// RequestIDHeader carries a request's id. A client may send one (1 to 128
// letters, digits or -_.:/+=@); otherwise the server makes a UUID v7. Either
// way the response has it and the request's log line shows it.
const RequestIDHeader = "X-Request-Id"

const maxRequestIDLen = 128

// validRequestID says whether a client's request id is safe to echo and
// log: short, printable ASCII from a small set.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-_.:/+=@", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// requestID is the client's id when it is sane, else a new UUID v7.
func requestID(r *http.Request) string {
	if id := r.Header.Get(RequestIDHeader); validRequestID(id) {
		return id
	}
	return newUUIDv7(time.Now())
}

const hexLower = "0123456789abcdef"

// newUUIDv7 makes a UUID v7 (RFC 9562): the Unix time in milliseconds,
// then random bits, in its text form. Request ids need no ordering within
// a millisecond, so unlike uuid.NewV7 this takes no lock and allocates
// only the string.
func newUUIDv7(now time.Time) string {
	var u [16]byte
	ms := uint64(now.UnixMilli())
	for i := range 6 {
		u[i] = byte(ms >> (40 - 8*i))
	}
	rand.Read(u[6:])        // crypto/rand: never fails
	u[6] = u[6]&0x0f | 0x70 // version 7
	u[8] = u[8]&0x3f | 0x80 // variant 10
	var b [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexLower[c>>4], hexLower[c&0xf]
		j += 2
	}
	return string(b[:])
}

// ---- gzip ----

// gzipMinBytes is the smallest complete body worth compressing; a response
// that is flushed is compressed from its first byte whatever its size.
const gzipMinBytes = 1024

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return w
}}

// acceptsGzip reads an Accept-Encoding header: gzip (or x-gzip) or * with a
// q-value above 0, and gzip not refused by name.
func acceptsGzip(header string) bool {
	switch header { // what clients send most, without parsing
	case "":
		return false
	case "gzip", "gzip, deflate", "gzip, deflate, br", "gzip, deflate, br, zstd":
		return true
	}
	gzipQ, starQ := -1.0, -1.0
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					f = 0
				}
				q = f
			}
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "gzip", "x-gzip":
			gzipQ = max(gzipQ, q)
		case "*":
			starQ = max(starQ, q)
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

// addVary adds a token to the Vary header unless it is there already.
func addVary(h http.Header, token string) {
	for _, v := range h.Values("Vary") {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return
			}
		}
	}
	h.Add("Vary", token)
}

// encoder sits between the handlers and the connection. It holds back the
// status and the first gzipMinBytes of the body to decide whether to
// compress: JSON bodies are gzipped when the client accepts gzip and the
// body is large or flushed early (streaming); everything else passes
// through untouched. It implements http.Flusher (and FlushError, for
// http.ResponseController), flushing the gzip stream first, so a handler
// that writes its JSON incrementally reaches the client chunk by chunk.
type encoder struct {
	http.ResponseWriter
	method  string
	accept  bool // the client accepts gzip
	status  int  // the handler's status, 0 until it gives one
	started bool // the status has gone downstream
	buf     []byte
	gz      *gzip.Writer
}

func newEncoder(w http.ResponseWriter, r *http.Request) *encoder {
	return &encoder{ResponseWriter: w, method: r.Method, accept: acceptsGzip(r.Header.Get("Accept-Encoding"))}
}

func bodyAllowed(method string, status int) bool {
	return method != http.MethodHead && status != http.StatusNoContent && status != http.StatusNotModified
}

// json says whether the response is a JSON body this encoder may encode.
func (e *encoder) json() bool {
	h := e.Header()
	ct := h.Get("Content-Type")
	if ct != "application/json" { // what cinch writes; anything else is parsed
		mt, _, _ := mime.ParseMediaType(ct)
		if mt != "application/json" {
			return false
		}
	}
	return h.Get("Content-Encoding") == "" && bodyAllowed(e.method, e.status)
}

func (e *encoder) WriteHeader(status int) {
	if e.started || e.status != 0 {
		return
	}
	if status < 200 { // informational: passes through, the real status follows
		e.ResponseWriter.WriteHeader(status)
		return
	}
	e.status = status
	if !bodyAllowed(e.method, status) {
		e.start(false)
	}
}

func (e *encoder) Write(b []byte) (int, error) {
	if e.status == 0 {
		e.WriteHeader(http.StatusOK)
	}
	if e.started {
		if e.gz != nil {
			return e.gz.Write(b)
		}
		return e.ResponseWriter.Write(b)
	}
	e.buf = append(e.buf, b...)
	if len(e.buf) >= gzipMinBytes {
		if err := e.start(true); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// start sends the status, compressing from here on when big is set and the
// response is JSON for a client that accepts gzip, then the held-back body.
func (e *encoder) start(big bool) error {
	e.started = true
	h := e.Header()
	if e.json() {
		addVary(h, "Accept-Encoding")
		if big && e.accept {
			h.Del("Content-Length")
			h.Set("Content-Encoding", "gzip")
			e.gz = gzipPool.Get().(*gzip.Writer)
			e.gz.Reset(e.ResponseWriter)
		}
	}
	e.ResponseWriter.WriteHeader(e.status)
	buf := e.buf
	e.buf = nil
	if len(buf) == 0 {
		return nil
	}
	var err error
	if e.gz != nil {
		_, err = e.gz.Write(buf)
	} else {
		_, err = e.ResponseWriter.Write(buf)
	}
	return err
}

// FlushError sends what was written so far, through the gzip stream when
// there is one.
func (e *encoder) FlushError() error {
	if e.status == 0 {
		e.WriteHeader(http.StatusOK)
	}
	if !e.started {
		if err := e.start(true); err != nil {
			return err
		}
	}
	if e.gz != nil {
		if err := e.gz.Flush(); err != nil {
			return err
		}
	}
	return http.NewResponseController(e.ResponseWriter).Flush()
}

// Flush implements http.Flusher.
func (e *encoder) Flush() { _ = e.FlushError() }

// Unwrap gives http.ResponseController the connection's writer.
func (e *encoder) Unwrap() http.ResponseWriter { return e.ResponseWriter }

// discard drops a response not yet started (to replace it with an error).
func (e *encoder) discard() bool {
	if e.started {
		return false
	}
	e.status, e.buf = 0, nil
	return true
}

// close ends the response: whatever is held back goes out, and the gzip
// stream is finished.
func (e *encoder) close() error {
	if !e.started {
		if e.status == 0 && len(e.buf) == 0 {
			return nil // nothing written: net/http sends its empty 200
		}
		if err := e.start(false); err != nil {
			return err
		}
	}
	if e.gz == nil {
		return nil
	}
	err := e.gz.Close()
	e.gz.Reset(io.Discard)
	gzipPool.Put(e.gz)
	e.gz = nil
	return err
}

// ---- CORS ----

// corsAllowedHeaders are the request headers a browser may send.
const corsAllowedHeaders = "Authorization, Content-Type, " + cinch.TenantKeyHeader + ", " + RequestIDHeader

const corsAllowedMethods = "GET, POST, PUT, PATCH, DELETE"

// ValidateCORSOrigin checks one entry of Config.CORSOrigins: "*" (any
// origin) or scheme://host[:port] with scheme http or https and nothing
// after the host.
func ValidateCORSOrigin(origin string) error {
	if origin == "*" {
		return nil
	}
	u, err := url.Parse(origin)
	bad := func(why string) error {
		return fmt.Errorf("invalid CORS origin %q: %s (write it as a browser sends it: https://app.example.com or http://localhost:3000, or * for any origin)", origin, why)
	}
	switch {
	case err != nil:
		return bad("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("the scheme must be http or https")
	case u.Host == "" || u.Hostname() == "":
		return bad("no host")
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return bad("an origin has no user, path, query or fragment")
	}
	return nil
}

// corsPolicy is Config.CORSOrigins, ready to match Origin headers.
type corsPolicy struct {
	any     bool
	origins map[string]bool
}

func newCORSPolicy(list []string) corsPolicy {
	p := corsPolicy{origins: map[string]bool{}}
	for _, o := range list {
		o = strings.TrimSpace(o)
		if o == "*" {
			p.any = true
		} else if o != "" {
			p.origins[normalizeOrigin(o)] = true
		}
	}
	return p
}

func normalizeOrigin(o string) string { return strings.ToLower(strings.TrimSuffix(o, "/")) }

func (p corsPolicy) enabled() bool { return p.any || len(p.origins) > 0 }

// allowOrigin is the Access-Control-Allow-Origin value for origin, "" when
// it is not allowed.
func (p corsPolicy) allowOrigin(origin string) string {
	switch {
	case origin == "" || !p.enabled():
		return ""
	case p.any:
		return "*"
	case p.origins[normalizeOrigin(origin)]:
		return origin
	}
	return ""
}

// handleCORS adds CORS headers for allowed origins and answers preflight
// requests (OPTIONS with Origin and Access-Control-Request-Method): 204
// with the allowed methods and headers for a listed origin, 403 otherwise.
// It reports whether it answered the request.
func (s *Server) handleCORS(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	preflight := r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != ""
	h := w.Header()
	if s.cors.enabled() {
		addVary(h, "Origin")
	}
	allow := s.cors.allowOrigin(origin)
	if preflight {
		addVary(h, "Access-Control-Request-Method")
		addVary(h, "Access-Control-Request-Headers")
		if allow == "" {
			msg := "cross-origin requests are not enabled on this server (start it with: cinch serve --cors-origin " + origin + ")"
			if s.cors.enabled() {
				msg = "origin " + origin + " is not allowed to call this server (allowed origins are set with: cinch serve --cors-origin)"
			}
			writeErrorCode(w, "forbidden", msg, nil)
			return true
		}
		h.Set("Access-Control-Allow-Origin", allow)
		h.Set("Access-Control-Allow-Methods", corsAllowedMethods)
		h.Set("Access-Control-Allow-Headers", corsAllowedHeaders)
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	if allow != "" {
		h.Set("Access-Control-Allow-Origin", allow)
		h.Set("Access-Control-Expose-Headers", RequestIDHeader+", "+TotalCountHeader)
	}
	return false
}

// ---- request bodies ----

// CodeUnsupportedMediaType is the code of a request body that is not
// JSON (415).
const CodeUnsupportedMediaType = "unsupported_media_type"

// checkBodyType refuses a request body that says it is not JSON: a
// Content-Type other than application/json (parameters allowed, charset
// only utf-8), or a Content-Encoding. A missing Content-Type is taken as
// JSON, so plain clients need not set it; curl -d sends
// application/x-www-form-urlencoded and is refused with a hint.
func checkBodyType(r *http.Request) (string, bool) {
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return "request bodies cannot be compressed (Content-Encoding: " + ce + "): send plain JSON", false
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" || ct == "application/json" { // no parameters: nothing to parse
		return "", true
	}
	const hint = " (set Content-Type: application/json; with curl use --json, or -H 'Content-Type: application/json' with -d)"
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Sprintf("Content-Type %q cannot be read: the body must be JSON", ct) + hint, false
	}
	if mt != "application/json" {
		return fmt.Sprintf("Content-Type %s is not supported: the body must be JSON", mt) + hint, false
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return fmt.Sprintf("charset %s is not supported: JSON bodies are UTF-8", cs), false
	}
	return "", true
}

// readBody reads a request body (already behind http.MaxBytesReader). A
// body that says its length is read into a buffer of that size; others
// (chunked, or over the limit, which the reader refuses) as io.ReadAll
// does.
func readBody(r *http.Request) ([]byte, error) {
	if n := r.ContentLength; n > 0 && n <= 1<<20 {
		buf := make([]byte, n)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			return nil, err
		}
		// net/http ends a body at its Content-Length: the next read says
		// EOF. Anything else (a reader in between) is read the slow way.
		var one [1]byte
		k, err := r.Body.Read(one[:])
		switch {
		case k > 0:
			rest, err := io.ReadAll(r.Body)
			return append(append(buf, one[0]), rest...), err
		case err != nil && err != io.EOF:
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(r.Body)
}
