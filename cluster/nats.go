package cluster

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// NATSConfig configures an embedded NATS server (cinch serve --cluster
// without --nats-url).
type NATSConfig struct {
	Name     string   // server name: the node's name
	StoreDir string   // JetStream's folder
	Listen   string   // client address HOST:PORT (port 0: any free port)
	Cluster  string   // route address HOST:PORT for peers; "" runs a single server (tests, a one-node cluster)
	Routes   []string // nats://HOST:PORT of the peers' Cluster addresses
}

// StartNATS starts an embedded NATS server with JetStream that fsyncs every
// write before acknowledging it (SyncAlways: with the default periodic
// fsync, acknowledged writes can be lost on power failure). It returns once
// the server accepts connections.
func StartNATS(cfg NATSConfig) (*server.Server, error) {
	host, port, err := splitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("--nats-listen %q: %w", cfg.Listen, err)
	}
	opts := &server.Options{
		ServerName: cfg.Name,
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		SyncAlways: true,
		// A forwarded request carries a whole request body (serve's
		// --max-body is 4 MiB by default); answers are chunked.
		MaxPayload: 8 << 20,
		NoSigs:     true,
		NoLog:      os.Getenv("CINCH_NATS_LOG") == "",
	}
	if cfg.Cluster != "" {
		chost, cport, err := splitHostPort(cfg.Cluster)
		if err != nil {
			return nil, fmt.Errorf("--nats-cluster %q: %w", cfg.Cluster, err)
		}
		opts.Cluster = server.ClusterOpts{Name: "cinch", Host: chost, Port: cport}
		if len(cfg.Routes) > 0 {
			opts.Routes = server.RoutesFromStr(strings.Join(cfg.Routes, ","))
		}
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	if !opts.NoLog { // CINCH_NATS_LOG=1: the server's own log on stderr, to debug a cluster
		s.ConfigureLogger()
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("embedded NATS %q did not start within 30s", cfg.Name)
	}
	return s, nil
}

// splitHostPort splits HOST:PORT; port 0 becomes NATS's "any free port".
func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return host, port, nil
}
