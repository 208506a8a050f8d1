package cli

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/server"
)

// DefaultServeAddr is where `cinch serve` listens without --addr: loopback
// only, so nothing is exposed by accident.
const DefaultServeAddr = "127.0.0.1:8080"

// serveCommand is `cinch serve`: the HTTP API of SPEC §7 on this project.
func (a *app) serveCommand() *cobra.Command {
	var addr, certFile, keyFile string
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the project over HTTP (SPEC §7 API, keys from cinch key create)",
		Long: `serve runs the HTTP API on this project until interrupted (SIGINT or
SIGTERM), then stops accepting requests, lets in-flight ones finish and closes
the files. It runs beside CLI use of the same project safely.

It prints the address it listens on to stderr ("listening on http://..."),
so --addr 127.0.0.1:0 picks a free port. Every request but GET /v1/health and
GET /v1/openapi.json needs Authorization: Bearer <key> with a key from
cinch key create. Requests are logged to stderr.`,
		Example: `  cinch key create
  cinch serve
  cinch serve --addr 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem`,
		Args: noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if (certFile == "") != (keyFile == "") {
				return usageErrorf("--tls-cert and --tls-key go together")
			}
			p, err := a.open(ctx)
			if err != nil {
				return err
			}
			var tlsConfig *tls.Config
			if certFile != "" {
				cert, err := tls.LoadX509KeyPair(certFile, keyFile)
				if err != nil {
					return cinch.Errorf(cinch.ErrInvalidInput, "loading the TLS certificate: %v", err)
				}
				tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return cinch.Errorf(cinch.ErrInvalidInput, "cannot listen on %s: %v", addr, err).WithHint("choose another --addr")
			}
			scheme := "http"
			if tlsConfig != nil {
				ln = tls.NewListener(ln, tlsConfig)
				scheme = "https"
			}
			log := slog.New(slog.NewTextHandler(a.stderr, nil))
			srv := server.New(p, server.Config{Logger: log})
			fmt.Fprintf(a.stderr, "cinch serve: listening on %s://%s (project %s)\n", scheme, ln.Addr(), p.Dir())
			err = srv.Serve(ctx, ln)
			fmt.Fprintln(a.stderr, "cinch serve: stopped")
			return err
		},
	}
	c.Flags().StringVar(&addr, "addr", DefaultServeAddr, "HOST:PORT to listen on (port 0 picks a free one)")
	c.Flags().StringVar(&certFile, "tls-cert", "", "serve HTTPS with this certificate (PEM; needs --tls-key)")
	c.Flags().StringVar(&keyFile, "tls-key", "", "the private key of --tls-cert (PEM)")
	return c
}
