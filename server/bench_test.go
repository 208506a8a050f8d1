package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/apikey"
	"github.com/cinchdb/cinch/client"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/server"
)

// BenchmarkPointReads: 64 concurrent clients spread over 1,000 tenants
// (100 with -short) each read one row by id, through the library in
// process ("local") and through the client against the server on loopback
// ("http"). Both report queries/s; see docs/benchmarks.md.
func BenchmarkPointReads(b *testing.B) {
	const clients = 64
	tenants := 1000
	if testing.Short() {
		tenants = 100
	}
	ctx := context.Background()
	dir := b.TempDir()
	if err := local.Init(ctx, dir, ""); err != nil {
		b.Fatal(err)
	}
	// Enough handles for every tenant, so both sides measure reads, not
	// opening files.
	p, err := local.Open(ctx, local.Config{Dir: dir, MaxOpenTenants: tenants + 16,
		MaxOpenMemory: int64(tenants+16) * (1 + local.DefaultReadersPerTenant) * local.ConnMemory})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		b.Fatal(err)
	}
	name, _ := cinch.ParseColumnSpec("name:TEXT")
	if _, err := db.Tables().Create(ctx, "items", []cinch.Column{name}); err != nil {
		b.Fatal(err)
	}
	names := make([]string, tenants)
	for i := range names {
		names[i] = fmt.Sprintf("t%04d", i)
		if _, err := db.Tenants().Create(ctx, names[i], cinch.TenantCreateOptions{}); err != nil {
			b.Fatal(err)
		}
		if _, err := db.WithTenant(names[i]).Insert(ctx, "items", cinch.Record{"id": "r1", "name": names[i]}); err != nil {
			b.Fatal(err)
		}
	}
	_, key, err := apikey.ForProject(p).Create(ctx, apikey.Spec{})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := server.New(p, apikey.ForProject(p), server.Config{RatePerKey: -1})
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	defer func() { stop(); <-done }()
	c, err := client.New("http://"+ln.Addr().String(), key)
	if err != nil {
		b.Fatal(err)
	}

	run := func(b *testing.B, handle func(tenant string) cinch.DB) {
		handles := make([]cinch.DB, tenants)
		for i, n := range names {
			handles[i] = handle(n)
		}
		// Warm: every tenant open once.
		for _, h := range handles {
			if _, err := h.Query(ctx, "SELECT name FROM items WHERE id = ?", "r1"); err != nil {
				b.Fatal(err)
			}
		}
		var next atomic.Int64
		var failed atomic.Value
		b.ResetTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for w := range clients {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= int64(b.N) {
						return
					}
					t := int(i*7919+int64(w)) % tenants // spread clients over the tenants
					res, err := handles[t].Query(ctx, "SELECT name FROM items WHERE id = ?", "r1")
					if err != nil || len(res.Rows) != 1 || res.Value(0, "name") != names[t] {
						failed.Store(fmt.Sprintf("tenant %s: %v %v", names[t], res, err))
						return
					}
				}
			}(w)
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		if f := failed.Load(); f != nil {
			b.Fatal(f)
		}
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "queries/s")
	}
	b.Run("local", func(b *testing.B) {
		run(b, func(t string) cinch.DB { return db.WithTenant(t) })
	})
	b.Run("http", func(b *testing.B) {
		run(b, func(t string) cinch.DB { return c.Connect(cinch.Target{Tenant: t}) })
	})
}

// BenchmarkQueryHandler is the server's own work on one point read,
// without sockets: the request goes straight into Server.Handler (request
// id, logging, metrics, key check, rate limiter, routing, scope, body
// decoding, the tenant handle, the query, the JSON answer) from parallel
// goroutines spread over 100 tenants. Profile it with -cpuprofile to see
// cinch's overhead on the HTTP path (issue 14).
func BenchmarkQueryHandler(b *testing.B) {
	const tenants = 100
	ctx := context.Background()
	dir := b.TempDir()
	if err := local.Init(ctx, dir, ""); err != nil {
		b.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir, MaxOpenTenants: tenants + 16,
		MaxOpenMemory: int64(tenants+16) * (1 + local.DefaultReadersPerTenant) * local.ConnMemory})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		b.Fatal(err)
	}
	name, _ := cinch.ParseColumnSpec("name:TEXT")
	if _, err := db.Tables().Create(ctx, "items", []cinch.Column{name}); err != nil {
		b.Fatal(err)
	}
	names := make([]string, tenants)
	for i := range names {
		names[i] = fmt.Sprintf("t%04d", i)
		if _, err := db.Tenants().Create(ctx, names[i], cinch.TenantCreateOptions{}); err != nil {
			b.Fatal(err)
		}
		if _, err := db.WithTenant(names[i]).Insert(ctx, "items", cinch.Record{"id": "r1", "name": names[i]}); err != nil {
			b.Fatal(err)
		}
	}
	_, key, err := apikey.ForProject(p).Create(ctx, apikey.Spec{})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"sql":"SELECT name FROM items WHERE id = ?","params":["r1"]}`)
	for _, bc := range []struct {
		name string
		log  *slog.Logger
	}{
		{"log=off", nil}, // server.Config's default, and cinch-bench's
		// cinch serve's: one text line per request (to stderr there).
		{"log=text", slog.New(slog.NewTextHandler(io.Discard, nil))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := server.New(p, apikey.ForProject(p), server.Config{RatePerKey: -1, Logger: bc.log})
			h := srv.Handler()
			do := func(t int) error {
				req := httptest.NewRequest("POST", "/v1/databases/main/branches/main/tenants/"+names[t]+"/query", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != 200 || !bytes.Contains(w.Body.Bytes(), []byte(`[["`+names[t]+`"]]`)) {
					return fmt.Errorf("tenant %s: %d %s", names[t], w.Code, w.Body)
				}
				return nil
			}
			for t := range names { // warm: every tenant open
				if err := do(t); err != nil {
					b.Fatal(err)
				}
			}
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := do(int(next.Add(1) % tenants)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
