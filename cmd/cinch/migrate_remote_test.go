package main

// cinch tenant migrate in remote mode: the real binary asks a real `cinch
// serve` (POST .../tenants:migrate) to bring behind tenants up to date,
// encrypted ones with their key.

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestTenantMigrateRemote(t *testing.T) {
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	c.ok("init")
	c.ok("table", "create", "users", "name:TEXT")
	c.ok("tenant", "create", "acme")
	c.ok("tenant", "create", "globex")
	c.ok("tenant", "create", "vault", "--encrypt", "--key", "s3cret")
	key := lastLine(c.ok("key", "create").stdout)
	tenantKey := lastLine(c.ok("key", "create", "--tenant", "acme").stdout)
	// No background converger: what the server does not migrate on
	// request stays behind.
	srv := startServe(t, dir, "--no-converge")
	remote := newRemote(t, srv.base, key, false)

	// The change comes from the CLI on the folder: the server has nothing
	// open, so every materialized tenant is behind.
	c.ok("column", "add", "users", "phone:TEXT")
	migrate := func(args ...string) map[string]int {
		t.Helper()
		var res map[string]int
		out := remote.ok(append([]string{"tenant", "migrate", "--format", "json"}, args...)...).stdout
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("tenant migrate %v: %v: %s", args, err, out)
		}
		return res
	}
	if got := migrate("acme"); got["behind"] != 1 || got["migrated"] != 1 || got["remaining"] != 0 {
		t.Errorf("remote tenant migrate acme = %v, want 1 behind, 1 migrated", got)
	}
	// globex and main; vault is encrypted and not named: it remains.
	out := remote.ok("tenant", "migrate", "--all").stdout
	if !strings.Contains(out, "Migrated 2 tenants") || !strings.Contains(out, "1 encrypted tenant left: name it with --key") {
		t.Errorf("remote tenant migrate --all: %q", out)
	}
	remote.fail([]string{"tenant", "migrate", "vault", "--key", "wrong"}, "vault")
	if got := migrate("vault", "--key", "s3cret"); got["behind"] != 1 || got["migrated"] != 1 {
		t.Errorf("remote tenant migrate vault --key = %v, want 1 of 1", got)
	}
	if out := remote.ok("tenant", "migrate").stdout; !strings.Contains(out, "No tenant is behind") {
		t.Errorf("remote migrate after all: %q", out)
	}
	var info map[string]any
	c.json(&info, "branch", "info")
	if info["behind"] != float64(0) {
		t.Errorf("branch info behind after remote migrate = %v", info["behind"])
	}

	remote.fail([]string{"tenant", "migrate", "nope"}, "nope")
	remote.fail([]string{"tenant", "migrate", "acme", "--all"}, "not both")
	newRemote(t, srv.base, tenantKey, false).fail([]string{"tenant", "migrate", "acme"}, "may not")
}
