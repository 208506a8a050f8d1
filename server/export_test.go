package server

import "net/http"

// Observe exposes the middleware every response goes through (request id,
// CORS, gzip, logs) so tests can put their own handler behind it.
func (s *Server) Observe(h http.Handler) http.Handler { return s.observe(h) }
