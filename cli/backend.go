package cli

import (
	"context"
	"fmt"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/client"
	"github.com/cinchdb/cinch/local"
)

// Environment variables of remote mode (SPEC §6).
const (
	EnvServer = "CINCH_SERVER"
	EnvAPIKey = "CINCH_API_KEY"
)

// backend is where the commands run: a project folder (localBackend) or a
// cinch server (remoteBackend). The app picks one per run, in
// app.backend, and every command programmed against cinch.DB runs on
// either. Commands that only exist on a folder (init, config, db, the
// switches, keys, serve) ask for the project, which a server refuses with
// a clear error.
type backend interface {
	// defaults returns the database and branch used when neither a flag
	// nor the environment names them: the active ones of config.toml
	// locally, main on a server.
	defaults() (database, branch string, err error)
	// connect returns a handle on target (names already checked) that
	// opens encrypted tenants with key.
	connect(ctx context.Context, target cinch.Target, key string) (cinch.DB, error)
	// strictTenant reports whether data commands need --tenant.
	strictTenant() (bool, error)
	// location names what the commands run on: the project folder or the
	// server URL.
	location() string
	// project returns the local project; on a server, an error saying
	// that command (named by cmdPath) works on a local project only.
	project(cmdPath string) (*local.Project, error)
	// close releases what the backend holds.
	close(ctx context.Context) error
}

// backend returns the backend of this run, choosing it on first use:
// a server when --server or CINCH_SERVER names one, else the project folder.
func (a *app) backend(ctx context.Context) (backend, error) {
	if a.be != nil {
		return a.be, nil
	}
	if url := a.flagOrEnv(a.server, EnvServer); url != "" {
		if a.projectDir != "" {
			return nil, usageErrorf("give --project or --server, not both: --project works on a folder, --server on a cinch server")
		}
		key := a.flagOrEnv(a.apiKey, EnvAPIKey)
		if key == "" {
			return nil, &cinch.Error{Err: cinch.ErrUnauthorized, Message: "no API key for " + url,
				Hint: "pass --api-key KEY or set " + EnvAPIKey + " (make one on the server's project with: cinch key create)"}
		}
		c, err := client.New(url, key, client.WithUserAgent("cinch-cli"))
		if err != nil {
			return nil, err
		}
		a.be = &remoteBackend{url: url, c: c}
		return a.be, nil
	}
	dir, err := a.projectRoot()
	if err != nil {
		return nil, err
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		return nil, err
	}
	a.be = &localBackend{p: p}
	return a.be, nil
}

// remote reports whether this run drives a server (without opening anything).
func (a *app) remote() bool { return a.flagOrEnv(a.server, EnvServer) != "" }

// localOnly is the error of a command that works on a project folder only,
// run with --server.
func localOnly(cmdPath string) error {
	if cmdPath == "" {
		cmdPath = "this command"
	}
	return &cinch.Error{Err: cinch.ErrInvalidInput,
		Message: fmt.Sprintf("%s works on a local project only", cmdPath),
		Hint:    "drop --server and unset " + EnvServer + " to run it on a project folder"}
}

// localBackend runs commands on a project folder.
type localBackend struct{ p *local.Project }

func (b *localBackend) defaults() (database, branch string, err error) {
	s, err := b.p.Settings()
	if err != nil {
		return "", "", err
	}
	return s.ActiveDatabase, s.ActiveBranch, nil
}

func (b *localBackend) connect(_ context.Context, t cinch.Target, key string) (cinch.DB, error) {
	db, err := b.p.Connect(t)
	if err != nil {
		return nil, err
	}
	return db.WithKey(key), nil
}

func (b *localBackend) strictTenant() (bool, error) {
	s, err := b.p.Settings()
	return s.StrictTenant, err
}

func (b *localBackend) location() string                       { return b.p.Dir() }
func (b *localBackend) project(string) (*local.Project, error) { return b.p, nil }
func (b *localBackend) close(ctx context.Context) error        { return b.p.Close(ctx) }

// remoteBackend runs commands on a cinch server through package client.
type remoteBackend struct {
	url string
	c   *client.Client
}

func (b *remoteBackend) defaults() (database, branch string, err error) {
	return cinch.DefaultDatabase, cinch.DefaultBranch, nil
}

func (b *remoteBackend) connect(_ context.Context, t cinch.Target, key string) (cinch.DB, error) {
	return b.c.Connect(t).WithKey(key), nil
}

// strictTenant is off: strict_tenant is a setting of a project folder's
// config.toml, which a server's clients do not read.
func (b *remoteBackend) strictTenant() (bool, error) { return false, nil }

func (b *remoteBackend) location() string { return b.url }

func (b *remoteBackend) project(cmdPath string) (*local.Project, error) {
	return nil, localOnly(cmdPath)
}

func (b *remoteBackend) close(context.Context) error { return nil }
