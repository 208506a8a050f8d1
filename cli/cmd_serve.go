package cli

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/apikey"
	"github.com/cinchdb/cinch/console"
	"github.com/cinchdb/cinch/server"
)

// DefaultServeAddr is where `cinch serve` listens without --addr: loopback
// only, so nothing is exposed by accident.
const DefaultServeAddr = "127.0.0.1:8080"

// serveFlags are the limits of cinch serve, one flag each (server.Config).
type serveFlags struct {
	maxBody, maxResult string // sizes: 4MiB, 64MiB, bytes
	queryTimeout       time.Duration
	shutdownTimeout    time.Duration
	maxRows            int
	rate               float64
	burst              int
	corsOrigins        []string
	kvSweep            time.Duration
	noUI               bool
	noConverge         bool
}

func (f *serveFlags) add(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.maxBody, "max-body", formatSize(server.DefaultMaxBodyBytes), "largest request body (413 beyond): 4MiB, 512KiB, 1048576")
	fl.DurationVar(&f.queryTimeout, "query-timeout", server.DefaultQueryTimeout, "time one request may run before SQLite is interrupted (408)")
	fl.IntVar(&f.maxRows, "max-rows", server.DefaultMaxRows, "most rows one query returns (the rest is cut, with truncated: true)")
	fl.StringVar(&f.maxResult, "max-result-bytes", formatSize(server.DefaultMaxResultBytes), "most data one query returns (the rest is cut, with truncated: true): 64MiB, 1GB")
	fl.Float64Var(&f.rate, "rate", server.DefaultRatePerKey, "requests per second allowed per API key (429 beyond); 0 turns rate limiting off")
	fl.IntVar(&f.burst, "burst", server.DefaultRateBurst, "requests an API key may make at once above --rate")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", server.DefaultShutdownTimeout, "on SIGINT/SIGTERM, how long in-flight requests may take to finish")
	fl.DurationVar(&f.kvSweep, "kv-sweep", DefaultKVSweep, "how often expired KV keys are removed from the tenants' files (0: never; expired keys are invisible either way)")
	fl.BoolVar(&f.noUI, "no-ui", false, "do not serve the web console at /ui")
	fl.BoolVar(&f.noConverge, "no-converge", false, "do not migrate tenants behind the branch's schema in the background (they still catch up on their next request)")
	fl.StringSliceVar(&f.corsOrigins, "cors-origin", nil, "browser origin allowed to call the API (repeatable or comma-separated: https://app.example.com, http://localhost:3000, * for any); CORS is off without it")
}

// config checks the flags and turns them into the server's Config.
func (f *serveFlags) config() (server.Config, error) {
	bad := func(flag, format string, args ...any) error {
		return &cinch.Error{Err: cinch.ErrInvalidInput, Message: fmt.Sprintf("invalid --%s: %s", flag, fmt.Sprintf(format, args...))}
	}
	size := func(flag, v string) (int64, error) {
		n, err := parseSize(v)
		if err != nil {
			return 0, fmt.Errorf("--%s: %w", flag, err)
		}
		if n <= 0 {
			return 0, bad(flag, "%s: it must be more than 0", v)
		}
		return n, nil
	}
	var cfg server.Config
	var err error
	if cfg.MaxBodyBytes, err = size("max-body", f.maxBody); err != nil {
		return cfg, err
	}
	if cfg.MaxResultBytes, err = size("max-result-bytes", f.maxResult); err != nil {
		return cfg, err
	}
	switch {
	case f.queryTimeout <= 0:
		return cfg, bad("query-timeout", "%v: it must be more than 0 (e.g. 30s, 2m)", f.queryTimeout)
	case f.shutdownTimeout <= 0:
		return cfg, bad("shutdown-timeout", "%v: it must be more than 0 (e.g. 30s)", f.shutdownTimeout)
	case f.maxRows <= 0:
		return cfg, bad("max-rows", "%d: it must be at least 1", f.maxRows)
	case f.rate < 0 || math.IsNaN(f.rate) || math.IsInf(f.rate, 0):
		return cfg, bad("rate", "%g: give requests per second, or 0 to turn rate limiting off", f.rate)
	case f.burst <= 0:
		return cfg, bad("burst", "%d: it must be at least 1", f.burst)
	case f.kvSweep < 0:
		return cfg, bad("kv-sweep", "%v: give how often (10m, 1h), or 0 to never sweep", f.kvSweep)
	}
	cfg.QueryTimeout, cfg.ShutdownTimeout, cfg.MaxRows = f.queryTimeout, f.shutdownTimeout, f.maxRows
	cfg.RatePerKey, cfg.RateBurst = f.rate, f.burst
	if f.rate == 0 {
		cfg.RatePerKey = -1 // server.Config: negative is off, 0 is the default
	}
	if !f.noUI {
		cfg.UI = console.Handler()
	}
	for _, o := range f.corsOrigins {
		o = strings.TrimSpace(o)
		if err := server.ValidateCORSOrigin(o); err != nil {
			return cfg, &cinch.Error{Err: cinch.ErrInvalidInput, Message: "--cors-origin: " + err.Error()}
		}
		cfg.CORSOrigins = append(cfg.CORSOrigins, o)
	}
	cfg.NoConverge = f.noConverge
	return cfg, nil
}

// formatSize writes a default size the way --max-body takes it.
// listen opens the API's listener, with TLS when a certificate is given.
func listen(addr, certFile, keyFile string) (net.Listener, string, error) {
	var tlsConfig *tls.Config
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, "", cinch.Errorf(cinch.ErrInvalidInput, "loading the TLS certificate: %v", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", cinch.Errorf(cinch.ErrInvalidInput, "cannot listen on %s: %v", addr, err).WithHint("choose another --addr")
	}
	if tlsConfig != nil {
		return tls.NewListener(ln, tlsConfig), "https", nil
	}
	return ln, "http", nil
}

func formatSize(n int64) string {
	switch {
	case n > 0 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n > 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n > 0 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10)
}

// serveCommand is `cinch serve`: the HTTP API of SPEC §7 on this project.
func (a *app) serveCommand() *cobra.Command {
	var addr, certFile, keyFile string
	var limits serveFlags
	var cl clusterFlags
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the project over HTTP (SPEC §7 API, keys from cinch key create)",
		Long: `serve runs the HTTP API on this project until interrupted (SIGINT or
SIGTERM), then stops accepting requests, lets in-flight ones finish and closes
the files. It runs beside CLI use of the same project safely.

It prints the address it listens on to stderr ("listening on http://..."),
so --addr 127.0.0.1:0 picks a free port. Every request but GET /v1/health,
GET /v1/openapi.json and the web console's files (/ui, off with --no-ui)
needs Authorization: Bearer <key> with a key from cinch key create. Requests are logged to stderr, each with its X-Request-Id.

Request bodies are JSON: a Content-Type other than application/json is
refused (415), a missing one is accepted. JSON responses are gzipped for
clients that send Accept-Encoding: gzip. Browsers on other sites may call the
API only from the origins given with --cors-origin.

Every limit has a flag; an error caused by one names it. Sizes take units:
512KiB, 4MiB, 1GB, or bytes.`,
		Example: `  cinch key create
  cinch serve
  cinch serve --addr 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem
  cinch serve --max-body 16MiB --query-timeout 10s --max-rows 50000 --rate 200 --burst 400
  cinch serve --cors-origin https://app.example.com,http://localhost:3000`,
		Args: noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if (certFile == "") != (keyFile == "") {
				return usageErrorf("--tls-cert and --tls-key go together")
			}
			cfg, err := limits.config()
			if err != nil {
				return err
			}
			if cl.enabled {
				return a.serveCluster(ctx, addr, certFile, keyFile, cfg, &cl)
			}
			p, err := a.open(ctx)
			if err != nil {
				return err
			}
			ln, scheme, err := listen(addr, certFile, keyFile)
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(a.stderr, nil))
			cfg.Logger = log
			srv := server.New(p, apikey.ForProject(p), cfg)
			if cfg.UI != nil { // before the listening line, which scripts wait for
				fmt.Fprintf(a.stderr, "cinch serve: web console on %s://%s%s\n", scheme, ln.Addr(), console.Prefix)
			}
			fmt.Fprintf(a.stderr, "cinch serve: listening on %s://%s (project %s)\n", scheme, ln.Addr(), p.Dir())
			stopSweeps := startKVSweeps(ctx, limits.kvSweep, p.DeleteExpiredKV, log)
			err = srv.Serve(ctx, ln)
			stopSweeps()
			fmt.Fprintln(a.stderr, "cinch serve: stopped")
			return err
		},
	}
	c.Flags().StringVar(&addr, "addr", DefaultServeAddr, "HOST:PORT to listen on (port 0 picks a free one)")
	c.Flags().StringVar(&certFile, "tls-cert", "", "serve HTTPS with this certificate (PEM; needs --tls-key)")
	c.Flags().StringVar(&keyFile, "tls-key", "", "the private key of --tls-cert (PEM)")
	limits.add(c)
	cl.add(c)
	return c
}
