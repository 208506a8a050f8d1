package local

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// kvStore is cinch.KVService on one tenant (DB.KV). The keys live in the
// tenant's own file (sqlite/kv.go has the table and its statements); this
// file checks keys and values, reads the project's clock (Config.Now) for
// expiry, and picks the connection: reads go to a reader and never create
// anything (a lazy tenant has no keys), writes go to the tenant's writer,
// and a write that stores a key creates a lazy tenant's file first. A
// tenant that was never created is ErrTenantNotFound either way.
type kvStore struct{ d *DB }

var _ cinch.KVService = kvStore{}

// nowMs is the project clock in Unix milliseconds, the unit of expiry.
func (s kvStore) nowMs() int64 { return s.d.p.now().UnixMilli() }

// expiry is when a value set now with ttl expires (Unix ms; 0: never). A
// ttl is rounded up to whole milliseconds, so a positive one never means
// "never".
func (s kvStore) expiry(now int64, ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	ms := int64((ttl + time.Millisecond - 1) / time.Millisecond)
	if now > math.MaxInt64-ms {
		return math.MaxInt64
	}
	return now + ms
}

// read runs fn on a reader connection of the tenant; on a lazy tenant it
// does nothing (there are no keys) and creates nothing.
func (s kvStore) read(ctx context.Context, fn func(c *sqlite.Conn) error) error {
	return s.d.use(ctx, func(h *handle) error {
		if h.lazy {
			return nil
		}
		return h.withReader(ctx, s.d.p.cfg.ReadersPerTenant, fn)
	})
}

// write runs fn on the tenant's writer. When store is set (the write adds
// keys) a lazy tenant's file is created first; otherwise a lazy tenant
// has nothing to change and fn does not run.
func (s kvStore) write(ctx context.Context, store bool, fn func(c *sqlite.Conn) error) error {
	return s.d.use(ctx, func(h *handle) error {
		if h.lazy {
			if store {
				return errMaterialize
			}
			return nil
		}
		return h.useWriter(fn)
	})
}

func notFoundKey(key string) error {
	return cinch.NotFound(cinch.ErrKeyNotFound, "key", key, "")
}

func checkKeys(keys []string) error {
	for _, k := range keys {
		if err := cinch.ValidateKVKey(k); err != nil {
			return err
		}
	}
	return nil
}

// item checks a key and normalizes its value.
func kvItem(key string, value any) (sqlite.KVItem, error) {
	if err := cinch.ValidateKVKey(key); err != nil {
		return sqlite.KVItem{}, err
	}
	v, t, err := cinch.NormalizeKVValue(value)
	if err != nil {
		return sqlite.KVItem{}, err
	}
	return sqlite.KVItem{Key: key, Value: v, Type: t}, nil
}

// Get returns the value of key as it was set.
func (s kvStore) Get(ctx context.Context, key string) (any, error) {
	if err := cinch.ValidateKVKey(key); err != nil {
		return nil, err
	}
	var v any
	var found bool
	err := s.read(ctx, func(c *sqlite.Conn) (err error) {
		v, found, err = c.KVGet(ctx, key, s.nowMs())
		return err
	})
	if err == nil && !found {
		err = notFoundKey(key)
	}
	return v, err
}

// Set stores value under key, with an expiry when ttl > 0.
func (s kvStore) Set(ctx context.Context, key string, value any, ttl time.Duration) error {
	it, err := kvItem(key, value)
	if err != nil {
		return err
	}
	if err := cinch.CheckKVTTL(ttl); err != nil {
		return err
	}
	return s.write(ctx, true, func(c *sqlite.Conn) error {
		return c.KVSet(ctx, []sqlite.KVItem{it}, s.expiry(s.nowMs(), ttl))
	})
}

// SetNX stores value unless key is set, and reports whether it did.
func (s kvStore) SetNX(ctx context.Context, key string, value any, ttl time.Duration) (bool, error) {
	it, err := kvItem(key, value)
	if err != nil {
		return false, err
	}
	if err := cinch.CheckKVTTL(ttl); err != nil {
		return false, err
	}
	var set bool
	err = s.write(ctx, true, func(c *sqlite.Conn) (err error) {
		now := s.nowMs()
		set, err = c.KVSetNX(ctx, it, s.expiry(now, ttl), now)
		return err
	})
	return set, err
}

// Delete removes keys and returns how many existed.
func (s kvStore) Delete(ctx context.Context, keys ...string) (int64, error) {
	if err := checkKeys(keys); err != nil || len(keys) == 0 {
		return 0, err
	}
	var n int64
	err := s.write(ctx, false, func(c *sqlite.Conn) (err error) {
		n, err = c.KVDelete(ctx, keys, s.nowMs())
		return err
	})
	return n, err
}

// Exists reports whether key is set.
func (s kvStore) Exists(ctx context.Context, key string) (bool, error) {
	if err := cinch.ValidateKVKey(key); err != nil {
		return false, err
	}
	var found bool
	err := s.read(ctx, func(c *sqlite.Conn) (err error) {
		found, err = c.KVExists(ctx, key, s.nowMs())
		return err
	})
	return found, err
}

// Keys returns the keys matching pattern, sorted.
func (s kvStore) Keys(ctx context.Context, pattern string) ([]string, error) {
	if err := cinch.ValidateKVPattern(pattern); err != nil {
		return nil, err
	}
	keys := []string{}
	err := s.read(ctx, func(c *sqlite.Conn) (err error) {
		keys, err = c.KVKeys(ctx, pattern, s.nowMs())
		return err
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// Count returns how many keys match pattern.
func (s kvStore) Count(ctx context.Context, pattern string) (int64, error) {
	if err := cinch.ValidateKVPattern(pattern); err != nil {
		return 0, err
	}
	var n int64
	err := s.read(ctx, func(c *sqlite.Conn) (err error) {
		n, err = c.KVCount(ctx, pattern, s.nowMs())
		return err
	})
	return n, err
}

// TTL returns the time key has left, or cinch.KVNoTTL.
func (s kvStore) TTL(ctx context.Context, key string) (time.Duration, error) {
	if err := cinch.ValidateKVKey(key); err != nil {
		return 0, err
	}
	var exp, now int64
	var found bool
	err := s.read(ctx, func(c *sqlite.Conn) (err error) {
		now = s.nowMs()
		exp, found, err = c.KVExpiry(ctx, key, now)
		return err
	})
	switch {
	case err != nil:
		return 0, err
	case !found:
		return 0, notFoundKey(key)
	case exp == 0:
		return cinch.KVNoTTL, nil
	}
	return time.Duration(exp-now) * time.Millisecond, nil
}

// Expire makes key expire ttl from now.
func (s kvStore) Expire(ctx context.Context, key string, ttl time.Duration) error {
	if err := cinch.ValidateKVKey(key); err != nil {
		return err
	}
	if ttl <= 0 {
		return cinch.Errorf(cinch.ErrInvalidInput, "invalid KV ttl %v: Expire needs more than 0", ttl).
			WithHint("delete the key to remove it now, or persist it to keep it")
	}
	return s.setExpiry(ctx, key, ttl)
}

// Persist removes key's expiry.
func (s kvStore) Persist(ctx context.Context, key string) error {
	if err := cinch.ValidateKVKey(key); err != nil {
		return err
	}
	return s.setExpiry(ctx, key, 0)
}

func (s kvStore) setExpiry(ctx context.Context, key string, ttl time.Duration) error {
	var found bool
	err := s.write(ctx, false, func(c *sqlite.Conn) (err error) {
		now := s.nowMs()
		found, err = c.KVSetExpiry(ctx, key, s.expiry(now, ttl), now)
		return err
	})
	if err == nil && !found {
		err = notFoundKey(key)
	}
	return err
}

// Incr adds by to the integer under key.
func (s kvStore) Incr(ctx context.Context, key string, by int64) (int64, error) {
	v, err := s.incr(ctx, key, by)
	n, _ := v.(int64)
	return n, err
}

// IncrFloat adds by to the number under key.
func (s kvStore) IncrFloat(ctx context.Context, key string, by float64) (float64, error) {
	if math.IsNaN(by) || math.IsInf(by, 0) {
		return 0, cinch.Errorf(cinch.ErrInvalidInput, "invalid KV increment %v: it must be a finite number", by)
	}
	v, err := s.incr(ctx, key, by)
	f, _ := v.(float64)
	return f, err
}

func (s kvStore) incr(ctx context.Context, key string, by any) (any, error) {
	if err := cinch.ValidateKVKey(key); err != nil {
		return nil, err
	}
	var v any
	err := s.write(ctx, true, func(c *sqlite.Conn) (err error) {
		v, err = c.KVIncr(ctx, key, by, s.nowMs())
		return err
	})
	return v, err
}

// MGet returns the values of the keys that are set.
func (s kvStore) MGet(ctx context.Context, keys ...string) (map[string]any, error) {
	if err := checkKeys(keys); err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(keys) == 0 {
		return out, nil
	}
	err := s.read(ctx, func(c *sqlite.Conn) (err error) {
		out, err = c.KVMGet(ctx, keys, s.nowMs())
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MSet stores every item in one transaction.
func (s kvStore) MSet(ctx context.Context, items map[string]any, ttl time.Duration) error {
	if err := cinch.CheckKVTTL(ttl); err != nil {
		return err
	}
	keys := make([]string, 0, len(items))
	for k := range items {
		keys = append(keys, k)
	}
	slices.Sort(keys) // one order, so two MSets lock nothing in opposite orders and errors name the same key
	list := make([]sqlite.KVItem, 0, len(keys))
	for _, k := range keys {
		it, err := kvItem(k, items[k])
		if err != nil {
			return err
		}
		list = append(list, it)
	}
	if len(list) == 0 {
		return nil
	}
	return s.write(ctx, true, func(c *sqlite.Conn) error {
		return c.KVSet(ctx, list, s.expiry(s.nowMs(), ttl))
	})
}

// DeleteExpired removes the expired keys from the tenant's file.
func (s kvStore) DeleteExpired(ctx context.Context) (int64, error) {
	var n int64
	err := s.write(ctx, false, func(c *sqlite.Conn) (err error) {
		n, err = c.KVDeleteExpired(ctx, s.nowMs())
		return err
	})
	return n, err
}

// Size returns the bytes the values of keys (of every key when none is
// given) take.
func (s kvStore) Size(ctx context.Context, keys ...string) (int64, error) {
	if err := checkKeys(keys); err != nil {
		return 0, err
	}
	var n int64
	err := s.read(ctx, func(c *sqlite.Conn) (err error) {
		n, err = c.KVSize(ctx, keys, s.nowMs())
		return err
	})
	return n, err
}

// deleteExpiredKV is Project.DeleteExpiredKV: DeleteExpired on every
// served tenant of every branch that has a file and no encryption (an
// encrypted tenant needs its key, which cinch does not keep: its expired
// keys stay invisible until a handle with the key deletes them). A tenant
// open in this process is swept through its writer, any other through a
// short-lived connection, so the pass does not evict the pool's tenants.
// A tenant that fails does not stop the pass; the first error is returned
// with the keys removed.
func deleteExpiredKV(ctx context.Context, p *Project) (int64, error) {
	dbs, err := p.Databases(ctx)
	if err != nil {
		return 0, err
	}
	var total int64
	var first error
	fail := func(err error) {
		if first == nil {
			first = err
		}
	}
	for _, db := range dbs {
		for _, br := range db.Branches {
			d := &DB{p: p, target: cinch.Target{Database: db.Name, Branch: br, Tenant: cinch.DefaultTenant}}
			b, rows, err := fleet{d}.fleetTenants(ctx, nil, "")
			if err != nil {
				fail(err)
				continue
			}
			for _, r := range rows {
				if err := ctx.Err(); err != nil {
					return total, err
				}
				if r.Encrypted || !exists(b.tenantPath(r.Name)) {
					continue
				}
				now := p.now().UnixMilli()
				err := p.pool.withWriter(ctx, b, r.Name, "", func(c *sqlite.Conn) error {
					n, err := c.KVDeleteExpired(ctx, now)
					total += n
					return err
				})
				if err != nil {
					fail(err)
				}
			}
		}
	}
	return total, first
}
