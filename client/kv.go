package client

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/internal/wire"
)

// KV is the tenant's key-value store, through the server's KV routes.
// Values travel with their type, so they come back as they were set (see
// cinch.NormalizeKVValue); keys, values and ttls are checked here first,
// with the errors a local handle gives.
func (d *DB) KV() cinch.KVService { return kv{d} }

type kv struct{ d *DB }

var _ cinch.KVService = kv{}

// Mirrors of the server's KV bodies (server/kv.go).
type (
	kvEntry struct {
		Key   string          `json:"key"`
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	kvItem struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
		Type  string          `json:"type"`
	}
	kvSetRequest struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
		Type  string          `json:"type"`
		TTLMs int64           `json:"ttl_ms,omitempty"`
		NX    bool            `json:"nx,omitempty"`
	}
	kvKeys struct {
		Keys []string `json:"keys"`
	}
	kvTTL struct {
		Expires bool  `json:"expires"`
		TTLMs   int64 `json:"ttl_ms"`
	}
)

// path is the KV route under the handle's tenant, plus sub and query.
func (s kv) path(sub string, q url.Values) (string, error) {
	p, err := s.d.tenantPath()
	if err != nil {
		return "", err
	}
	p += "/kv" + sub
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p, nil
}

// millis turns a ttl into the milliseconds the server takes, rounding up
// as a local handle does (a positive ttl never means "never").
func millis(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return int64((ttl + time.Millisecond - 1) / time.Millisecond)
}

// encode checks and normalizes a value, and writes it for the wire.
func encode(v any) (json.RawMessage, string, error) {
	n, _, err := cinch.NormalizeKVValue(v)
	if err != nil {
		return nil, "", err
	}
	typ, raw, err := wire.EncodeKV(n)
	return raw, typ, err
}

func checkKeys(keys []string) error {
	for _, k := range keys {
		if err := cinch.ValidateKVKey(k); err != nil {
			return err
		}
	}
	return nil
}

// Get returns the value of key as it was set.
func (s kv) Get(ctx context.Context, key string) (any, error) {
	if err := cinch.ValidateKVKey(key); err != nil {
		return nil, err
	}
	p, err := s.path("", url.Values{"key": {key}})
	if err != nil {
		return nil, err
	}
	var e kvEntry
	if err := s.d.c.do(ctx, http.MethodGet, p, nil, &e); err != nil {
		return nil, err
	}
	return wire.DecodeKV(e.Type, e.Value)
}

// Set stores value under key.
func (s kv) Set(ctx context.Context, key string, value any, ttl time.Duration) error {
	_, err := s.set(ctx, key, value, ttl, false)
	return err
}

// SetNX stores value unless key is set, and reports whether it did.
func (s kv) SetNX(ctx context.Context, key string, value any, ttl time.Duration) (bool, error) {
	return s.set(ctx, key, value, ttl, true)
}

func (s kv) set(ctx context.Context, key string, value any, ttl time.Duration, nx bool) (bool, error) {
	if err := cinch.ValidateKVKey(key); err != nil {
		return false, err
	}
	raw, typ, err := encode(value)
	if err != nil {
		return false, err
	}
	if err := cinch.CheckKVTTL(ttl); err != nil {
		return false, err
	}
	p, err := s.path("", nil)
	if err != nil {
		return false, err
	}
	var out struct {
		Set bool `json:"set"`
	}
	err = s.d.c.do(ctx, http.MethodPut, p, kvSetRequest{Key: key, Value: raw, Type: typ, TTLMs: millis(ttl), NX: nx}, &out)
	return out.Set, err
}

// Delete removes keys and returns how many were set.
func (s kv) Delete(ctx context.Context, keys ...string) (int64, error) {
	if err := checkKeys(keys); err != nil || len(keys) == 0 {
		return 0, err
	}
	p, err := s.path("/delete", nil)
	if err != nil {
		return 0, err
	}
	var out struct {
		Deleted int64 `json:"deleted"`
	}
	err = s.d.c.do(ctx, http.MethodPost, p, kvKeys{Keys: keys}, &out)
	return out.Deleted, err
}

// Exists reports whether key is set.
func (s kv) Exists(ctx context.Context, key string) (bool, error) {
	if err := cinch.ValidateKVKey(key); err != nil {
		return false, err
	}
	p, err := s.path("/exists", url.Values{"key": {key}})
	if err != nil {
		return false, err
	}
	var out struct {
		Exists bool `json:"exists"`
	}
	err = s.d.c.do(ctx, http.MethodGet, p, nil, &out)
	return out.Exists, err
}

func patternQuery(pattern string) url.Values {
	if pattern == "" {
		return nil
	}
	return url.Values{"pattern": {pattern}}
}

// Keys returns the keys matching pattern, sorted.
func (s kv) Keys(ctx context.Context, pattern string) ([]string, error) {
	if err := cinch.ValidateKVPattern(pattern); err != nil {
		return nil, err
	}
	p, err := s.path("/keys", patternQuery(pattern))
	if err != nil {
		return nil, err
	}
	var out kvKeys
	if err := s.d.c.do(ctx, http.MethodGet, p, nil, &out); err != nil {
		return nil, err
	}
	if out.Keys == nil {
		out.Keys = []string{}
	}
	return out.Keys, nil
}

// Count returns how many keys match pattern.
func (s kv) Count(ctx context.Context, pattern string) (int64, error) {
	if err := cinch.ValidateKVPattern(pattern); err != nil {
		return 0, err
	}
	p, err := s.path("/count", patternQuery(pattern))
	if err != nil {
		return 0, err
	}
	var out struct {
		Count int64 `json:"count"`
	}
	err = s.d.c.do(ctx, http.MethodGet, p, nil, &out)
	return out.Count, err
}

// TTL returns the time key has left, or cinch.KVNoTTL.
func (s kv) TTL(ctx context.Context, key string) (time.Duration, error) {
	if err := cinch.ValidateKVKey(key); err != nil {
		return 0, err
	}
	p, err := s.path("/ttl", url.Values{"key": {key}})
	if err != nil {
		return 0, err
	}
	var out kvTTL
	if err := s.d.c.do(ctx, http.MethodGet, p, nil, &out); err != nil {
		return 0, err
	}
	if !out.Expires {
		return cinch.KVNoTTL, nil
	}
	return time.Duration(out.TTLMs) * time.Millisecond, nil
}

// Expire makes key expire ttl from now.
func (s kv) Expire(ctx context.Context, key string, ttl time.Duration) error {
	if err := cinch.ValidateKVKey(key); err != nil {
		return err
	}
	if ttl <= 0 {
		return cinch.Errorf(cinch.ErrInvalidInput, "invalid KV ttl %v: Expire needs more than 0", ttl).
			WithHint("delete the key to remove it now, or persist it to keep it")
	}
	p, err := s.path("/expire", nil)
	if err != nil {
		return err
	}
	return s.d.c.do(ctx, http.MethodPost, p, map[string]any{"key": key, "ttl_ms": millis(ttl)}, nil)
}

// Persist removes key's expiry.
func (s kv) Persist(ctx context.Context, key string) error {
	if err := cinch.ValidateKVKey(key); err != nil {
		return err
	}
	p, err := s.path("/persist", nil)
	if err != nil {
		return err
	}
	return s.d.c.do(ctx, http.MethodPost, p, map[string]string{"key": key}, nil)
}

// Incr adds by to the integer under key.
func (s kv) Incr(ctx context.Context, key string, by int64) (int64, error) {
	v, err := s.incr(ctx, key, wire.AppendValue(nil, by))
	n, _ := v.(int64)
	return n, err
}

// IncrFloat adds by to the number under key; the result is a float.
func (s kv) IncrFloat(ctx context.Context, key string, by float64) (float64, error) {
	if math.IsNaN(by) || math.IsInf(by, 0) {
		return 0, cinch.Errorf(cinch.ErrInvalidInput, "invalid KV increment %v: it must be a finite number", by)
	}
	v, err := s.incr(ctx, key, wire.AppendFloat(nil, by)) // with a fraction: the server adds a float
	f, _ := v.(float64)
	return f, err
}

func (s kv) incr(ctx context.Context, key string, by json.RawMessage) (any, error) {
	if err := cinch.ValidateKVKey(key); err != nil {
		return nil, err
	}
	p, err := s.path("/incr", nil)
	if err != nil {
		return nil, err
	}
	var e kvEntry
	if err := s.d.c.do(ctx, http.MethodPost, p, map[string]any{"key": key, "by": by}, &e); err != nil {
		return nil, err
	}
	return wire.DecodeKV(e.Type, e.Value)
}

// MGet returns the values of the keys that are set.
func (s kv) MGet(ctx context.Context, keys ...string) (map[string]any, error) {
	if err := checkKeys(keys); err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(keys) == 0 {
		return out, nil
	}
	p, err := s.path("/mget", nil)
	if err != nil {
		return nil, err
	}
	var entries []kvEntry
	if err := s.d.c.do(ctx, http.MethodPost, p, kvKeys{Keys: keys}, &entries); err != nil {
		return nil, err
	}
	for _, e := range entries {
		v, err := wire.DecodeKV(e.Type, e.Value)
		if err != nil {
			return nil, err
		}
		out[e.Key] = v
	}
	return out, nil
}

// MSet stores every item in one transaction.
func (s kv) MSet(ctx context.Context, items map[string]any, ttl time.Duration) error {
	if err := cinch.CheckKVTTL(ttl); err != nil {
		return err
	}
	list := make([]kvItem, 0, len(items))
	for k, v := range items {
		if err := cinch.ValidateKVKey(k); err != nil {
			return err
		}
		raw, typ, err := encode(v)
		if err != nil {
			return err
		}
		list = append(list, kvItem{Key: k, Value: raw, Type: typ})
	}
	if len(list) == 0 {
		return nil
	}
	p, err := s.path("/mset", nil)
	if err != nil {
		return err
	}
	return s.d.c.do(ctx, http.MethodPost, p, map[string]any{"items": list, "ttl_ms": millis(ttl)}, nil)
}

// DeleteExpired removes the expired keys from the tenant's file.
func (s kv) DeleteExpired(ctx context.Context) (int64, error) {
	p, err := s.path("/expired/delete", nil)
	if err != nil {
		return 0, err
	}
	var out struct {
		Deleted int64 `json:"deleted"`
	}
	err = s.d.c.do(ctx, http.MethodPost, p, nil, &out)
	return out.Deleted, err
}

// Size returns the bytes the values of keys (of every key when none is
// given) take.
func (s kv) Size(ctx context.Context, keys ...string) (int64, error) {
	if err := checkKeys(keys); err != nil {
		return 0, err
	}
	var q url.Values
	if len(keys) > 0 {
		q = url.Values{"key": keys}
	}
	p, err := s.path("/size", q)
	if err != nil {
		return 0, err
	}
	var out struct {
		Bytes int64 `json:"bytes"`
	}
	err = s.d.c.do(ctx, http.MethodGet, p, nil, &out)
	return out.Bytes, err
}
