package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/internal/wire"
)

func (a *app) kvCommand() *cobra.Command {
	return group("kv", "A tenant's key-value store: typed values with an optional expiry",
		`  cinch kv set session:42 '{"user": "alice"}' --ttl 30m --tenant acme_corp
  cinch kv get session:42 --tenant acme_corp
  cinch kv incr hits --tenant acme_corp
  cinch kv keys 'session:*' --tenant acme_corp`,
		a.kvSetCommand(), a.kvGetCommand(), a.kvDelCommand(), a.kvKeysCommand(),
		a.kvTTLCommand(), a.kvExpireCommand(), a.kvPersistCommand(), a.kvIncrCommand())
}

// kvValueHelp says how VALUE becomes a typed value; set's help shows it.
const kvValueHelp = `VALUE is typed the way --param of cinch query is: an integer (42) is an
int, another number (1.5, 1e3) a float, true and false a bool, null null,
a JSON string ("\"42\"") text; a JSON object or array is json; anything
else (alice, 007, 555-0100) is text as given. --type decides instead:
text (VALUE as given), int, float, bool, bytes (VALUE in standard base64),
json (VALUE must be JSON) or null (VALUE must be null or left out).`

// parseKVValue turns VALUE (and --type, "" to infer) into a value of the
// KV store.
func parseKVValue(s, typ string) (any, error) {
	bad := func(format string, args ...any) error {
		return &cinch.Error{Err: cinch.ErrInvalidInput, Message: "invalid VALUE " + strconv.Quote(s) + ": " + fmt.Sprintf(format, args...)}
	}
	switch typ {
	case "":
		if t := strings.TrimSpace(s); t == s && (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Valid([]byte(t)) {
			return json.RawMessage(t), nil
		}
		return parseParam(s), nil
	case string(cinch.KVText):
		return s, nil
	case string(cinch.KVInt):
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, bad("not a 64-bit integer")
		}
		return n, nil
	case string(cinch.KVFloat):
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) {
			return nil, bad("not a number")
		}
		return f, nil
	case string(cinch.KVBool):
		switch s {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, bad("write true or false")
	case string(cinch.KVBytes):
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, bad("not standard base64: %v", err)
		}
		return b, nil
	case string(cinch.KVJSON):
		if !json.Valid([]byte(s)) {
			return nil, bad("not valid JSON")
		}
		return json.RawMessage(s), nil
	case string(cinch.KVNull):
		if s != "" && s != "null" {
			return nil, bad("a null value is null or left out")
		}
		return nil, nil
	}
	_, err := cinch.ParseKVType(typ)
	return nil, &cinch.Error{Err: cinch.ErrInvalidInput, Message: "invalid --type: " + err.Error()}
}

// kvEntry is a key and its value as --format json shows it (and the
// server sends it): {"key", "type", "value"}.
type kvEntry struct {
	Key   string          `json:"key"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

func newKVEntry(key string, v any) (kvEntry, error) {
	n, _, err := cinch.NormalizeKVValue(v)
	if err != nil {
		return kvEntry{}, err
	}
	typ, raw, err := wire.EncodeKV(n)
	return kvEntry{Key: key, Type: typ, Value: raw}, err
}

// kvText shows a value in a table or CSV cell: text as it is, JSON as
// JSON, bytes in base64, null as NULL (empty in CSV).
func kvText(v any, forCSV bool) string {
	if raw, ok := v.(json.RawMessage); ok {
		return string(raw)
	}
	return formatValue(v, forCSV)
}

// emitKV writes key and its value: {"key", "type", "value"} in JSON, a
// key/type/value row otherwise.
func (a *app) emitKV(key string, v any) error {
	e, err := newKVEntry(key, v)
	if err != nil {
		return err
	}
	return a.emit(e, []string{"key", "type", "value"}, [][]string{{key, e.Type, kvText(v, a.format == FormatCSV)}})
}

// kvCall is the call of a kv subcommand: the keys among args are checked
// (from the first; all when rest), then run gets the tenant's store.
func (a *app) kvCall(tenant *string, rest bool, check func(args []string) error, run func(ctx context.Context, kv cinch.KVService, args []string) error) func(*cobra.Command, []string) error {
	return a.runE(call{tenant: tenant,
		check: func(args []string) error {
			if err := cinch.ValidateTenantName(*tenant); err != nil {
				return err
			}
			for i, k := range args {
				if i > 0 && !rest {
					break
				}
				if err := cinch.ValidateKVKey(k); err != nil {
					return err
				}
			}
			if check != nil {
				return check(args)
			}
			return nil
		},
		run: func(ctx context.Context, db cinch.DB, args []string) error { return run(ctx, db.KV(), args) }})
}

func (a *app) kvSetCommand() *cobra.Command {
	var tenant, ttl, typ string
	var nx bool
	var value any
	var d time.Duration
	c := &cobra.Command{
		Use:   "set KEY VALUE",
		Short: "Set a key (with --ttl, it expires; with --nx, only if it is not set)",
		Long: `set stores VALUE under KEY in the tenant's key-value store, replacing any
value and expiry the key had. Keys are 1-255 bytes of printable text, not
starting with __, and case-sensitive.

` + kvValueHelp + `

--ttl makes the key expire (30s, 15m, 2h, 7d, 1d12h); without it the key
stays until deleted. The first set on a lazy tenant creates its file. A
VALUE that starts with - (a negative number) goes after --, or it reads as
a flag: cinch kv set balance --tenant acme_corp -- -20.`,
		Example: `  cinch kv set plan pro --tenant acme_corp
  cinch kv set session:42 '{"user": "alice"}' --ttl 30m --tenant acme_corp
  cinch kv set zip 02134 --tenant acme_corp                 # text: a leading zero is kept
  cinch kv set limit 100 --type text --tenant acme_corp     # the text "100"
  cinch kv set lock:job7 worker-3 --nx --ttl 1m --tenant acme_corp`,
		Args: rangeArgs(1, 2),
		RunE: a.kvCall(&tenant, false, func(args []string) (err error) {
			if len(args) == 1 && typ != string(cinch.KVNull) {
				return usageErrorf("set needs a VALUE (or --type null)")
			}
			if len(args) == 2 {
				value, err = parseKVValue(args[1], typ)
			} else {
				value, err = parseKVValue("", typ)
			}
			if err != nil {
				return err
			}
			if ttl != "" {
				if d, err = parseAge(ttl); err != nil {
					return fmt.Errorf("--ttl: %w", err)
				}
			}
			return nil
		}, func(ctx context.Context, kv cinch.KVService, args []string) error {
			key := args[0]
			set := true
			var err error
			if nx {
				set, err = kv.SetNX(ctx, key, value, d)
			} else {
				err = kv.Set(ctx, key, value, d)
			}
			if err != nil {
				return err
			}
			out := map[string]any{"key": key, "set": set}
			switch {
			case !set:
				return a.done(out, "%s is already set; nothing changed (tenant %s)", key, tenant)
			case d > 0:
				out["ttl_ms"] = d.Milliseconds()
				return a.done(out, "Set %s, expiring in %v (tenant %s)", key, d, tenant)
			}
			return a.done(out, "Set %s (tenant %s)", key, tenant)
		}),
	}
	tenantFlag(c, &tenant, "tenant whose store to write")
	c.Flags().StringVar(&ttl, "ttl", "", "expire the key after this long (30s, 15m, 2h, 7d)")
	c.Flags().StringVar(&typ, "type", "", "the value's type: text, int, float, bool, bytes (base64), json or null (default: from VALUE)")
	c.Flags().BoolVar(&nx, "nx", false, "only set the key if it is not set")
	return c
}

func (a *app) kvGetCommand() *cobra.Command {
	var tenant string
	c := &cobra.Command{
		Use:   "get KEY",
		Short: "Show a key's value and its type",
		Long: `get shows KEY's value and its type. With --format json it prints
{"key", "type", "value"}, the value as JSON (bytes in base64), as the HTTP
API sends it. A key that is not set (or expired) is an error.`,
		Example: `  cinch kv get session:42 --tenant acme_corp
  cinch kv get session:42 --tenant acme_corp --format json | jq .value`,
		Args: exactArgs(1),
		RunE: a.kvCall(&tenant, false, nil, func(ctx context.Context, kv cinch.KVService, args []string) error {
			v, err := kv.Get(ctx, args[0])
			if err != nil {
				return err
			}
			return a.emitKV(args[0], v)
		}),
	}
	tenantFlag(c, &tenant, "tenant whose store to read")
	return c
}

func (a *app) kvDelCommand() *cobra.Command {
	var tenant string
	c := &cobra.Command{
		Use:     "del KEY...",
		Short:   "Delete keys (prints how many were set)",
		Example: "  cinch kv del session:42 session:43 --tenant acme_corp",
		Args:    minArgs(1),
		RunE: a.kvCall(&tenant, true, nil, func(ctx context.Context, kv cinch.KVService, args []string) error {
			n, err := kv.Delete(ctx, args...)
			if err != nil {
				return err
			}
			return a.done(map[string]int64{"deleted": n}, "Deleted %d %s (tenant %s)", n, plural(n, "key", "keys"), tenant)
		}),
	}
	tenantFlag(c, &tenant, "tenant whose store to write")
	return c
}

func (a *app) kvKeysCommand() *cobra.Command {
	var tenant string
	c := &cobra.Command{
		Use:   "keys [PATTERN]",
		Short: "List the keys, or those matching PATTERN, sorted",
		Long: `keys lists the keys that are set, sorted. In PATTERN * matches any run of
characters, ? exactly one, and \ makes the next character literal (\*);
everything else matches itself, case included. Quote it for the shell.`,
		Example: `  cinch kv keys --tenant acme_corp
  cinch kv keys 'session:*' --tenant acme_corp --format json`,
		Args: rangeArgs(0, 1),
	}
	// PATTERN is not a key: kvCall's check does not apply.
	c.RunE = a.runE(call{tenant: &tenant,
		check: func(args []string) error {
			if err := cinch.ValidateTenantName(tenant); err != nil {
				return err
			}
			if len(args) == 1 {
				return cinch.ValidateKVPattern(args[0])
			}
			return nil
		},
		run: func(ctx context.Context, db cinch.DB, args []string) error {
			pattern := ""
			if len(args) == 1 {
				pattern = args[0]
			}
			keys, err := db.KV().Keys(ctx, pattern)
			if err != nil {
				return err
			}
			return emitList(a, keys, []string{"key"}, func(k string) []string { return []string{k} })
		}})
	tenantFlag(c, &tenant, "tenant whose store to read")
	return c
}

func (a *app) kvTTLCommand() *cobra.Command {
	var tenant string
	c := &cobra.Command{
		Use:   "ttl KEY",
		Short: "Show how long a key has left (none: it does not expire)",
		Example: `  cinch kv ttl session:42 --tenant acme_corp
  cinch kv ttl session:42 --tenant acme_corp --format json   # {"key", "expires", "ttl_ms"}`,
		Args: exactArgs(1),
		RunE: a.kvCall(&tenant, false, nil, func(ctx context.Context, kv cinch.KVService, args []string) error {
			d, err := kv.TTL(ctx, args[0])
			if err != nil {
				return err
			}
			out := map[string]any{"key": args[0], "expires": d != cinch.KVNoTTL}
			text := "none"
			if d != cinch.KVNoTTL {
				out["ttl_ms"] = d.Milliseconds()
				text = d.String()
			}
			return a.emit(out, []string{"key", "ttl"}, [][]string{{args[0], text}})
		}),
	}
	tenantFlag(c, &tenant, "tenant whose store to read")
	return c
}

func (a *app) kvExpireCommand() *cobra.Command {
	var tenant string
	var d time.Duration
	c := &cobra.Command{
		Use:     "expire KEY DURATION",
		Short:   "Make a key expire after DURATION (30s, 15m, 2h, 7d)",
		Example: "  cinch kv expire session:42 15m --tenant acme_corp",
		Args:    exactArgs(2),
		RunE: a.kvCall(&tenant, false, func(args []string) (err error) {
			d, err = parseAge(args[1]) // more than zero
			return err
		}, func(ctx context.Context, kv cinch.KVService, args []string) error {
			if err := kv.Expire(ctx, args[0], d); err != nil {
				return err
			}
			return a.done(map[string]any{"key": args[0], "ttl_ms": d.Milliseconds()}, "%s expires in %v (tenant %s)", args[0], d, tenant)
		}),
	}
	tenantFlag(c, &tenant, "tenant whose store to write")
	return c
}

func (a *app) kvPersistCommand() *cobra.Command {
	var tenant string
	c := &cobra.Command{
		Use:     "persist KEY",
		Short:   "Remove a key's expiry",
		Example: "  cinch kv persist session:42 --tenant acme_corp",
		Args:    exactArgs(1),
		RunE: a.kvCall(&tenant, false, nil, func(ctx context.Context, kv cinch.KVService, args []string) error {
			if err := kv.Persist(ctx, args[0]); err != nil {
				return err
			}
			return a.done(map[string]any{"key": args[0], "expires": false}, "%s no longer expires (tenant %s)", args[0], tenant)
		}),
	}
	tenantFlag(c, &tenant, "tenant whose store to write")
	return c
}

func (a *app) kvIncrCommand() *cobra.Command {
	var tenant string
	var by any = int64(1)
	c := &cobra.Command{
		Use:   "incr KEY [BY]",
		Short: "Add BY (default 1) to the number under a key, atomically, and print the result",
		Long: `incr adds BY to the number under KEY in one transaction and prints the
result. A key that is not set (or expired) counts as 0 and gets no expiry; a
set key keeps its expiry. An integer BY adds to an integer; a BY with a
fraction or exponent (0.5, 1e3) makes the value a float. Text, bytes, JSON
and the rest are refused.`,
		Example: `  cinch kv incr hits --tenant acme_corp
  cinch kv incr credits --tenant acme_corp -- -5           # a negative BY goes after --
  cinch kv incr ratio 0.25 --tenant acme_corp`,
		Args: rangeArgs(1, 2),
		RunE: a.kvCall(&tenant, false, func(args []string) error {
			if len(args) < 2 {
				return nil
			}
			switch v := parseParam(args[1]).(type) {
			case int64, float64:
				by = v
				if f, ok := v.(float64); ok && math.IsInf(f, 0) {
					return &cinch.Error{Err: cinch.ErrInvalidInput, Message: fmt.Sprintf("invalid BY %q: it must be a finite number", args[1])}
				}
				return nil
			}
			return &cinch.Error{Err: cinch.ErrInvalidInput, Message: fmt.Sprintf("invalid BY %q: it must be a number (5, -2, 0.5)", args[1])}
		}, func(ctx context.Context, kv cinch.KVService, args []string) error {
			var v any
			var err error
			if n, ok := by.(int64); ok {
				v, err = kv.Incr(ctx, args[0], n)
			} else {
				v, err = kv.IncrFloat(ctx, args[0], by.(float64))
			}
			if err != nil {
				return err
			}
			return a.emitKV(args[0], v)
		}),
	}
	tenantFlag(c, &tenant, "tenant whose store to write")
	return c
}

// DefaultKVSweep is how often cinch serve removes expired KV keys from the
// tenants' files (--kv-sweep).
const DefaultKVSweep = 10 * time.Minute

// startKVSweeps runs sweep every interval (never when interval is 0)
// until the returned stop is called; stop waits for a sweep in progress,
// which it cancels.
func startKVSweeps(ctx context.Context, interval time.Duration, sweep func(context.Context) (int64, error), log *slog.Logger) (stop func()) {
	if interval <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	ticker := time.NewTicker(interval)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runKVSweeps(ctx, ticker.C, sweep, log)
	}()
	return func() {
		cancel()
		ticker.Stop()
		<-done
	}
}

// runKVSweeps sweeps on every tick until ctx ends, logging what each sweep
// removed and what failed.
func runKVSweeps(ctx context.Context, ticks <-chan time.Time, sweep func(context.Context) (int64, error), log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			n, err := sweep(ctx)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				log.Warn("removing expired KV keys", "removed", n, "err", err)
			case n > 0:
				log.Info("removed expired KV keys", "removed", n)
			}
		}
	}
}
