package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/cli"
)

func TestParseKVValue(t *testing.T) {
	for _, tc := range []struct {
		in, typ string
		want    any
		err     string
	}{
		{"42", "", int64(42), ""},
		{"1.5", "", 1.5, ""},
		{"true", "", true, ""},
		{"null", "", nil, ""},
		{`"42"`, "", "42", ""},
		{"02134", "", "02134", ""},
		{"alice", "", "alice", ""},
		{`{"a": 1}`, "", json.RawMessage(`{"a": 1}`), ""},
		{`[1, 2]`, "", json.RawMessage(`[1, 2]`), ""},
		{`{oops`, "", "{oops", ""},
		{" [1]", "", " [1]", ""},
		{"42", "text", "42", ""},
		{"42", "float", 42.0, ""},
		{"-7", "int", int64(-7), ""},
		{"false", "bool", false, ""},
		{"AP8=", "bytes", []byte{0, 255}, ""},
		{`"s"`, "json", json.RawMessage(`"s"`), ""},
		{"", "null", nil, ""},
		{"null", "null", nil, ""},
		{"x", "int", nil, "not a 64-bit integer"},
		{"NaN", "float", nil, "not a number"},
		{"yes", "bool", nil, "true or false"},
		{"%%", "bytes", nil, "base64"},
		{"{", "json", nil, "not valid JSON"},
		{"0", "null", nil, "null"},
		{"x", "str", nil, "--type"},
	} {
		got, err := cli.ParseKVValue(tc.in, tc.typ)
		if tc.err != "" {
			if !errors.Is(err, cinch.ErrInvalidInput) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q --type %q: %v, want %q", tc.in, tc.typ, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q --type %q = %#v, %v; want %#v", tc.in, tc.typ, got, err, tc.want)
		}
	}
}

// FuzzParseKVValue: whatever VALUE and --type hold, parsing fails with
// invalid_input or gives a value the store takes, of the type asked for.
func FuzzParseKVValue(f *testing.F) {
	for _, s := range [][2]string{{"42", ""}, {"{}", ""}, {"x", "bytes"}, {"1e999", "float"}, {"null", "null"}, {"[", "json"}, {"007", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, s, typ string) {
		v, err := cli.ParseKVValue(s, typ)
		if err != nil {
			if !errors.Is(err, cinch.ErrInvalidInput) {
				t.Fatalf("%q %q: %v", s, typ, err)
			}
			return
		}
		_, got, err := cinch.NormalizeKVValue(v)
		if err != nil && !strings.Contains(err.Error(), "UTF-8") {
			t.Fatalf("%q %q: %#v refused by the store: %v", s, typ, v, err)
		}
		if err == nil && typ != "" && string(got) != typ {
			t.Fatalf("%q --type %q: stored as %s", s, typ, got)
		}
	})
}

// kvProject is a project with tenants acme and lazy (no file).
func kvProject(t *testing.T) (map[string]string, func(args ...string) string, func(want string, args ...string)) {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{cli.EnvProjectDir: dir}
	ok := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := run(t, env, args...)
		if code != 0 || stderr != "" {
			t.Fatalf("cinch %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
		return stdout
	}
	fail := func(want string, args ...string) {
		t.Helper()
		code, stdout, stderr := run(t, env, args...)
		if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "Error: ") || !strings.Contains(stderr, want) {
			t.Errorf("cinch %s: exit %d, stdout %q, stderr %q; want exit 1 and %q", strings.Join(args, " "), code, stdout, stderr, want)
		}
	}
	ok("init")
	ok("tenant", "create", "acme")
	ok("tenant", "create", "lazy", "--lazy")
	return env, ok, fail
}

func TestKV_Commands(t *testing.T) {
	env, ok, fail := kvProject(t)
	acme := []string{"--tenant", "acme"}
	set := func(args ...string) string { return ok(append(append([]string{"kv", "set"}, args...), acme...)...) }
	getJSON := func(key string) string {
		return strings.TrimSpace(ok(append([]string{"kv", "get", key, "--format", "json"}, acme...)...))
	}
	// Typed values, as --param types them or as --type says.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"n", "42"}, `"type": "int",` + "\n" + `  "value": 42`},
		{[]string{"zip", "02134"}, `"type": "text",` + "\n" + `  "value": "02134"`},
		{[]string{"s", `"42"`}, `"type": "text",` + "\n" + `  "value": "42"`},
		{[]string{"f", "2.0"}, `"type": "float",` + "\n" + `  "value": 2.0`},
		{[]string{"b", "true"}, `"type": "bool",` + "\n" + `  "value": true`},
		{[]string{"j", `{"theme": "dark"}`}, `"type": "json",` + "\n" + `  "value": {` + "\n" + `    "theme": "dark"` + "\n" + `  }`},
		{[]string{"bin", "AP8=", "--type", "bytes"}, `"type": "bytes",` + "\n" + `  "value": "AP8="`},
		{[]string{"t", "100", "--type", "text"}, `"type": "text",` + "\n" + `  "value": "100"`},
		{[]string{"nothing", "--type", "null"}, `"type": "null",` + "\n" + `  "value": null`},
	} {
		if out := set(tc.args...); !strings.HasPrefix(out, "Set "+tc.args[0]+" (tenant acme)") {
			t.Errorf("set %v: %q", tc.args, out)
		}
		if got := getJSON(tc.args[0]); !strings.Contains(got, tc.want) {
			t.Errorf("get %s = %s, want %s", tc.args[0], got, tc.want)
		}
	}
	if out := ok("kv", "get", "zip", "--tenant", "acme"); !strings.Contains(out, "zip") || !strings.Contains(out, "text") || !strings.Contains(out, "02134") {
		t.Errorf("get as a table: %q", out)
	}
	if out := ok("kv", "get", "j", "--tenant", "acme", "--format", "csv"); out != "key,type,value\nj,json,\"{\"\"theme\"\":\"\"dark\"\"}\"\n" {
		t.Errorf("get as CSV: %q", out)
	}

	// Keys, sorted, by pattern; case-sensitive.
	set("User:1", "x")
	set("user:2", "y")
	var keys []string
	json.Unmarshal([]byte(ok("kv", "keys", "user:*", "--tenant", "acme", "--format", "json")), &keys)
	if !reflect.DeepEqual(keys, []string{"user:2"}) {
		t.Errorf("keys user:* = %v", keys)
	}
	json.Unmarshal([]byte(ok("kv", "keys", "--tenant", "acme", "--format", "json")), &keys)
	if len(keys) != 11 || keys[0] != "User:1" {
		t.Errorf("keys = %v", keys)
	}

	// Expiry.
	if out := ok("kv", "ttl", "n", "--tenant", "acme", "--format", "json"); !strings.Contains(out, `"expires": false`) {
		t.Errorf("ttl of a key without expiry: %s", out)
	}
	if out := set("sess", "abc", "--ttl", "1d"); !strings.Contains(out, "expiring in 24h0m0s") {
		t.Errorf("set --ttl: %q", out)
	}
	var ttl struct {
		Expires bool  `json:"expires"`
		TTLMs   int64 `json:"ttl_ms"`
	}
	json.Unmarshal([]byte(ok("kv", "ttl", "sess", "--tenant", "acme", "--format", "json")), &ttl)
	if !ttl.Expires || ttl.TTLMs <= 23*3600*1000 || ttl.TTLMs > 24*3600*1000 {
		t.Errorf("ttl = %+v", ttl)
	}
	ok("kv", "persist", "sess", "--tenant", "acme")
	if out := ok("kv", "ttl", "sess", "--tenant", "acme"); !strings.Contains(out, "none") {
		t.Errorf("ttl after persist: %q", out)
	}
	if out := ok("kv", "expire", "sess", "90m", "--tenant", "acme"); out != "sess expires in 1h30m0s (tenant acme)\n" {
		t.Errorf("expire: %q", out)
	}
	fail("more than zero", "kv", "expire", "sess", "0s", "--tenant", "acme")

	// Counters.
	if out := ok("kv", "incr", "hits", "--tenant", "acme", "--format", "json"); !strings.Contains(out, `"value": 1`) {
		t.Errorf("incr: %s", out)
	}
	if out := ok("kv", "incr", "hits", "41", "--tenant", "acme", "--format", "json"); !strings.Contains(out, `"value": 42`) {
		t.Errorf("incr 41: %s", out)
	}
	if out := ok("kv", "incr", "hits", "0.5", "--tenant", "acme", "--format", "json"); !strings.Contains(out, `"type": "float"`) || !strings.Contains(out, "42.5") {
		t.Errorf("incr 0.5: %s", out)
	}
	if out := ok("kv", "incr", "hits", "--tenant", "acme", "--format", "json", "--", "-2.5"); !strings.Contains(out, `"value": 40.0`) {
		t.Errorf("incr -- -2.5: %s", out)
	}
	if out := ok("kv", "set", "neg", "--tenant", "acme", "--", "-20"); !strings.HasPrefix(out, "Set neg") || !strings.Contains(getJSON("neg"), `"value": -20`) {
		t.Errorf("set -- -20: %s %s", out, getJSON("neg"))
	}
	ok("kv", "del", "neg", "--tenant", "acme")
	fail("holds text, not an integer", "kv", "incr", "zip", "--tenant", "acme")
	fail("invalid BY", "kv", "incr", "hits", "many", "--tenant", "acme")

	// SetNX, delete, errors.
	if out := set("n", "1", "--nx"); out != "n is already set; nothing changed (tenant acme)\n" {
		t.Errorf("set --nx on a set key: %q", out)
	}
	if out := ok("kv", "del", "n", "zip", "missing", "--tenant", "acme"); out != "Deleted 2 keys (tenant acme)\n" {
		t.Errorf("del: %q", out)
	}
	fail(`key "n" not found (see the keys with: cinch kv keys --tenant TENANT)`, "kv", "get", "n", "--tenant", "acme")
	fail("invalid KV key", "kv", "set", "__x", "1", "--tenant", "acme")
	fail("invalid KV key", "kv", "del", "ok", "a\nb", "--tenant", "acme")
	fail("set needs a VALUE", "kv", "set", "k", "--tenant", "acme")
	fail("--ttl", "kv", "set", "k", "1", "--ttl", "-5s", "--tenant", "acme")
	fail("invalid KV key pattern", "kv", "keys", "a\x01", "--tenant", "acme")

	// A tenant that does not exist gets no file; a lazy one keeps none
	// until the first set.
	fail("tenant \"ghost\" not found", "kv", "set", "k", "1", "--tenant", "ghost")
	dir := env[cli.EnvProjectDir]
	tenantFile := func(name string) string {
		return filepath.Join(dir, ".cinchdb", "databases", "main", "branches", "main", "tenants", name+".db")
	}
	if _, err := os.Stat(tenantFile("ghost")); err == nil {
		t.Error("a KV command created a file for tenant ghost")
	}
	fail("not found", "kv", "get", "k", "--tenant", "lazy")
	ok("kv", "keys", "--tenant", "lazy")
	if _, err := os.Stat(tenantFile("lazy")); err == nil {
		t.Error("a KV read created the lazy tenant's file")
	}
	ok("kv", "set", "k", "v", "--tenant", "lazy")
	if _, err := os.Stat(tenantFile("lazy")); err != nil {
		t.Error("kv set did not create the lazy tenant's file")
	}
	// The default tenant is main.
	ok("kv", "set", "m", "1")
	if out := ok("kv", "keys"); !strings.Contains(out, "m") {
		t.Errorf("keys of main: %q", out)
	}
}

// runKVSweeps sweeps once per tick and stops with its context; a sweep in
// progress is canceled by stop, which waits for it.
func TestKVSweeps(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ticks := make(chan time.Time)
	swept := make(chan struct{})
	var n atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		cli.RunKVSweeps(ctx, ticks, func(context.Context) (int64, error) {
			n.Add(1)
			swept <- struct{}{}
			if n.Load() == 2 {
				return 0, errors.New("one tenant failed") // logged; the loop goes on
			}
			return 3, nil
		}, log)
	}()
	for range 3 {
		ticks <- time.Time{}
		<-swept
	}
	cancel()
	<-done
	if n.Load() != 3 {
		t.Errorf("%d sweeps, want 3", n.Load())
	}

	// stop cancels a sweep in progress and waits for it.
	started := make(chan struct{}, 1) // buffered: the first sweep may start before the test waits
	stop := cli.StartKVSweeps(context.Background(), time.Nanosecond, func(ctx context.Context) (int64, error) {
		select {
		case started <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return 0, ctx.Err()
	}, log)
	<-started
	stop()
	cli.StartKVSweeps(context.Background(), 0, nil, log)() // 0: never, and stop returns at once
}
