package server

// The KV routes: cinch.KVService over HTTP, under the tenant's path
// (.../tenants/{tenant}/kv). They are tenant routes: a key limited to one
// tenant reaches that tenant's store only, and read-only keys may read
// but not write. Keys go in query parameters and bodies, never in the
// path, so no key can be cleaned or redirected by the router (a key may
// be "../x" or hold "//"). Values travel typed (internal/wire/kv.go).

import (
	"encoding/json"
	"math"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/internal/wire"
)

// Request and response bodies of the KV routes.
type (
	// KVEntry is one key with its value and the value's type.
	KVEntry struct {
		Key   string          `json:"key"`
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	// KVItem is one key and its value to store; without a type, the JSON
	// value decides it.
	KVItem struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
		Type  string          `json:"type,omitempty"`
	}
	// KVSetRequest is the body of PUT .../kv.
	KVSetRequest struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
		Type  string          `json:"type,omitempty"`
		TTLMs int64           `json:"ttl_ms,omitempty"`
		NX    bool            `json:"nx,omitempty"`
	}
	// KVSetResult says whether a set stored its value (always, unless nx
	// found the key set).
	KVSetResult struct {
		Set bool `json:"set"`
	}
	// KVKeys is a list of keys: the body of POST .../kv/delete and
	// .../kv/mget, and the answer of GET .../kv/keys.
	KVKeys struct {
		Keys []string `json:"keys"`
	}
	// KVCount is the answer of GET .../kv/count.
	KVCount struct {
		Count int64 `json:"count"`
	}
	// KVExists is the answer of GET .../kv/exists.
	KVExists struct {
		Exists bool `json:"exists"`
	}
	// KVTTL is a key's time to live: expires false for a key without
	// one, else ttl_ms left.
	KVTTL struct {
		Key     string `json:"key"`
		Expires bool   `json:"expires"`
		TTLMs   int64  `json:"ttl_ms,omitempty"`
	}
	// KVExpireRequest is the body of POST .../kv/expire.
	KVExpireRequest struct {
		Key   string `json:"key"`
		TTLMs int64  `json:"ttl_ms"`
	}
	// KVKeyRequest names one key (POST .../kv/persist).
	KVKeyRequest struct {
		Key string `json:"key"`
	}
	// KVIncrRequest is the body of POST .../kv/incr: an integer by adds to
	// an integer (Incr), a number with a fraction or exponent makes the
	// value a float (IncrFloat). Without by, 1.
	KVIncrRequest struct {
		Key string          `json:"key"`
		By  json.RawMessage `json:"by,omitempty"`
	}
	// KVMSetRequest is the body of POST .../kv/mset: every item in one
	// transaction, with one ttl.
	KVMSetRequest struct {
		Items []KVItem `json:"items"`
		TTLMs int64    `json:"ttl_ms,omitempty"`
	}
	// KVSize is the answer of GET .../kv/size.
	KVSize struct {
		Bytes int64 `json:"bytes"`
	}
)

// kvRoutes are the rows of the route table for cinch.KVService.
func kvRoutes() []route {
	const kv = tenantPath + "/kv"
	key := []param{{name: "key", desc: "the key (printable UTF-8, 1-255 bytes, case-sensitive)", required: true}}
	pattern := []param{{name: "pattern", desc: `glob: * any run, ? one character, \ quotes; absent: every key`}}
	return []route{
		{method: "GET", path: kv, op: "getKV", summary: "Get a key's value and its type",
			access: tenant, resp: KVEntry{}, status: 200, query: key, handle: getKV},
		{method: "PUT", path: kv, op: "setKV", summary: "Set a key, with an expiry when ttl_ms is given (nx: only if the key is not set)",
			access: tenant, write: true, body: KVSetRequest{}, resp: KVSetResult{}, status: 200, handle: setKV},
		{method: "POST", path: kv + "/delete", op: "deleteKV", summary: "Delete keys (deleted: how many were set)",
			access: tenant, write: true, body: KVKeys{}, resp: DeleteResult{}, status: 200, handle: deleteKV},
		{method: "GET", path: kv + "/keys", op: "listKVKeys", summary: "The keys matching a pattern, sorted",
			access: tenant, resp: KVKeys{}, status: 200, query: pattern, handle: listKVKeys},
		{method: "GET", path: kv + "/count", op: "countKVKeys", summary: "How many keys match a pattern",
			access: tenant, resp: KVCount{}, status: 200, query: pattern, handle: countKVKeys},
		{method: "GET", path: kv + "/exists", op: "existsKV", summary: "Whether a key is set",
			access: tenant, resp: KVExists{}, status: 200, query: key, handle: existsKV},
		{method: "GET", path: kv + "/ttl", op: "getKVTTL", summary: "A key's time to live",
			access: tenant, resp: KVTTL{}, status: 200, query: key, handle: getKVTTL},
		{method: "POST", path: kv + "/expire", op: "expireKV", summary: "Make a key expire ttl_ms from now",
			access: tenant, write: true, body: KVExpireRequest{}, status: 204, handle: expireKV},
		{method: "POST", path: kv + "/persist", op: "persistKV", summary: "Remove a key's expiry",
			access: tenant, write: true, body: KVKeyRequest{}, status: 204, handle: persistKV},
		{method: "POST", path: kv + "/incr", op: "incrKV", summary: "Add to the number under a key, atomically (a missing or expired key counts as 0)",
			access: tenant, write: true, body: KVIncrRequest{}, resp: KVEntry{}, status: 200, handle: incrKV},
		{method: "POST", path: kv + "/mget", op: "mgetKV", summary: "Get several keys in one read (keys not set are left out)",
			access: tenant, body: KVKeys{}, resp: []KVEntry{}, status: 200, handle: mgetKV},
		{method: "POST", path: kv + "/mset", op: "msetKV", summary: "Set several keys in one transaction",
			access: tenant, write: true, body: KVMSetRequest{}, status: 204, handle: msetKV},
		{method: "POST", path: kv + "/expired/delete", op: "deleteExpiredKV", summary: "Remove the expired keys from the tenant's file",
			access: tenant, write: true, resp: DeleteResult{}, status: 200, handle: deleteExpiredKV},
		{method: "GET", path: kv + "/size", op: "sizeKV", summary: "Bytes the values of keys take (of every key without key)",
			access: tenant, resp: KVSize{}, status: 200, query: []param{{name: "key", desc: "a key (repeat it); none: every key", list: true}}, handle: sizeKV},
	}
}

// kvStore returns the call's tenant's KV store.
func (c *call) kvStore() (cinch.KVService, error) {
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.KV(), nil
}

// queryKey returns the key query parameter, checked.
func (c *call) queryKey() (string, error) {
	q := c.r.URL.Query()
	if !q.Has("key") {
		return "", invalid("query parameter key is required")
	}
	key := q.Get("key")
	return key, cinch.ValidateKVKey(key)
}

// ttl turns a request's ttl_ms into a duration.
func ttl(ms int64) (time.Duration, error) {
	if ms < 0 || ms > math.MaxInt64/int64(time.Millisecond) {
		return 0, invalid("ttl_ms %d: give milliseconds, 0 or more", ms)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// kvEntry encodes one value for a response.
func kvEntry(key string, v any) (KVEntry, error) {
	typ, raw, err := wire.EncodeKV(v)
	return KVEntry{Key: key, Type: typ, Value: raw}, err
}

func getKV(c *call) (any, error) {
	key, err := c.queryKey()
	if err != nil {
		return nil, err
	}
	kv, err := c.kvStore()
	if err != nil {
		return nil, err
	}
	v, err := kv.Get(c.ctx, key)
	if err != nil {
		return nil, err
	}
	return kvEntry(key, v)
}

func setKV(c *call) (any, error) {
	var req KVSetRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := cinch.ValidateKVKey(req.Key); err != nil {
		return nil, err
	}
	v, err := wire.DecodeKV(req.Type, req.Value)
	if err != nil {
		return nil, err
	}
	d, err := ttl(req.TTLMs)
	if err != nil {
		return nil, err
	}
	kv, err := c.kvStore()
	if err != nil {
		return nil, err
	}
	if req.NX {
		set, err := kv.SetNX(c.ctx, req.Key, v, d)
		return KVSetResult{Set: set}, err
	}
	return KVSetResult{Set: true}, kv.Set(c.ctx, req.Key, v, d)
}

// keys decodes a KVKeys body and checks its keys.
func (c *call) keys() ([]string, error) {
	var req KVKeys
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	for _, k := range req.Keys {
		if err := cinch.ValidateKVKey(k); err != nil {
			return nil, err
		}
	}
	return req.Keys, nil
}

func deleteKV(c *call) (any, error) {
	return withKV(c, c.keys, func(kv cinch.KVService, keys []string) (any, error) {
		n, err := kv.Delete(c.ctx, keys...)
		return DeleteResult{Deleted: n}, err
	})
}

// pattern returns the pattern query parameter, checked.
func (c *call) pattern() (string, error) {
	p := c.r.URL.Query().Get("pattern")
	return p, cinch.ValidateKVPattern(p)
}

func listKVKeys(c *call) (any, error) {
	return withKV(c, c.pattern, func(kv cinch.KVService, p string) (any, error) {
		keys, err := kv.Keys(c.ctx, p)
		return KVKeys{Keys: nonNil(keys)}, err
	})
}

func countKVKeys(c *call) (any, error) {
	return withKV(c, c.pattern, func(kv cinch.KVService, p string) (any, error) {
		n, err := kv.Count(c.ctx, p)
		return KVCount{Count: n}, err
	})
}

func existsKV(c *call) (any, error) {
	return withKV(c, c.queryKey, func(kv cinch.KVService, key string) (any, error) {
		found, err := kv.Exists(c.ctx, key)
		return KVExists{Exists: found}, err
	})
}

func getKVTTL(c *call) (any, error) {
	return withKV(c, c.queryKey, func(kv cinch.KVService, key string) (any, error) {
		d, err := kv.TTL(c.ctx, key)
		if err != nil {
			return nil, err
		}
		if d == cinch.KVNoTTL {
			return KVTTL{Key: key}, nil
		}
		return KVTTL{Key: key, Expires: true, TTLMs: d.Milliseconds()}, nil
	})
}

func expireKV(c *call) (any, error) {
	var req KVExpireRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := cinch.ValidateKVKey(req.Key); err != nil {
		return nil, err
	}
	d, err := ttl(req.TTLMs)
	if err != nil {
		return nil, err
	}
	kv, err := c.kvStore()
	if err != nil {
		return nil, err
	}
	return nil, kv.Expire(c.ctx, req.Key, d)
}

func persistKV(c *call) (any, error) {
	var req KVKeyRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := cinch.ValidateKVKey(req.Key); err != nil {
		return nil, err
	}
	kv, err := c.kvStore()
	if err != nil {
		return nil, err
	}
	return nil, kv.Persist(c.ctx, req.Key)
}

func incrKV(c *call) (any, error) {
	var req KVIncrRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := cinch.ValidateKVKey(req.Key); err != nil {
		return nil, err
	}
	by := any(int64(1))
	if req.By != nil {
		v, err := wire.DecodeKV("", req.By)
		if err != nil {
			return nil, err
		}
		switch v.(type) {
		case int64, float64:
			by = v
		default:
			return nil, invalid("by must be a number")
		}
	}
	kv, err := c.kvStore()
	if err != nil {
		return nil, err
	}
	var v any
	if n, ok := by.(int64); ok {
		v, err = kv.Incr(c.ctx, req.Key, n)
	} else {
		v, err = kv.IncrFloat(c.ctx, req.Key, by.(float64))
	}
	if err != nil {
		return nil, err
	}
	return kvEntry(req.Key, v)
}

func mgetKV(c *call) (any, error) {
	keys, err := c.keys()
	if err != nil {
		return nil, err
	}
	kv, err := c.kvStore()
	if err != nil {
		return nil, err
	}
	m, err := kv.MGet(c.ctx, keys...)
	if err != nil {
		return nil, err
	}
	out := []KVEntry{}
	for _, k := range keys {
		v, ok := m[k]
		if !ok {
			continue
		}
		delete(m, k) // a key asked for twice is answered once
		e, err := kvEntry(k, v)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func msetKV(c *call) (any, error) {
	var req KVMSetRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	items := make(map[string]any, len(req.Items))
	for i, it := range req.Items {
		if err := cinch.ValidateKVKey(it.Key); err != nil {
			return nil, err
		}
		if _, dup := items[it.Key]; dup {
			return nil, invalid("items[%d]: key %q is given twice", i, it.Key)
		}
		v, err := wire.DecodeKV(it.Type, it.Value)
		if err != nil {
			return nil, invalid("items[%d] (key %q): %v", i, it.Key, err)
		}
		items[it.Key] = v
	}
	d, err := ttl(req.TTLMs)
	if err != nil {
		return nil, err
	}
	kv, err := c.kvStore()
	if err != nil {
		return nil, err
	}
	return nil, kv.MSet(c.ctx, items, d)
}

func deleteExpiredKV(c *call) (any, error) {
	kv, err := c.kvStore()
	if err != nil {
		return nil, err
	}
	n, err := kv.DeleteExpired(c.ctx)
	return DeleteResult{Deleted: n}, err
}

func sizeKV(c *call) (any, error) {
	keys := c.r.URL.Query()["key"]
	for _, k := range keys {
		if err := cinch.ValidateKVKey(k); err != nil {
			return nil, err
		}
	}
	kv, err := c.kvStore()
	if err != nil {
		return nil, err
	}
	n, err := kv.Size(c.ctx, keys...)
	return KVSize{Bytes: n}, err
}

// withKV reads a request's argument (keys, a pattern, a key), opens the
// tenant's key-value store, and runs fn: the shape of most KV routes.
func withKV[A any](c *call, arg func() (A, error), fn func(kv cinch.KVService, a A) (any, error)) (any, error) {
	a, err := arg()
	if err != nil {
		return nil, err
	}
	kv, err := c.kvStore()
	if err != nil {
		return nil, err
	}
	return fn(kv, a)
}
