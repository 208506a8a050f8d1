package cluster

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/apikey"
)

// keysBucket holds the cluster's API keys (their hashes and scopes), so
// every node accepts the same keys. Secrets are never stored.
const keysBucket = "cinch_keys"

// storedKey is a key's KV entry.
type storedKey struct {
	Hash     []byte     `json:"hash"`
	Key      apikey.Key `json:"key"`
	Disabled bool       `json:"disabled,omitempty"`
}

// Keys is the cluster's key store (server.KeyStore): API keys in JetStream
// KV, with the apikey package's format (cinch_<id>_<secret>), plus this
// process's system identity, with which a node applies another node's
// control request under the scope of the key that sent it.
type Keys struct {
	kv     jetstream.KeyValue
	nc     *nats.Conn
	system string // "cinch_system_<random>": never leaves the process

	mu    sync.Mutex
	cache map[string]cachedKey
}

type cachedKey struct {
	sk storedKey
	at time.Time
}

// keyCacheAge bounds how long a revoked key may still pass on a node.
const keyCacheAge = 5 * time.Second

func newKeys(ctx context.Context, js jetstream.JetStream, replicas int) (*Keys, error) {
	var kv jetstream.KeyValue
	err := retry(ctx, func(ctx context.Context) (err error) {
		kv, err = ensureKV(ctx, js, jetstream.KeyValueConfig{Bucket: keysBucket, Replicas: replicas, Storage: jetstream.FileStorage, History: 1})
		if err != nil {
			return unavailable("create the key bucket", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	return &Keys{kv: kv, nc: js.Conn(), system: "cinch_system_" + hex.EncodeToString(b[:]), cache: map[string]cachedKey{}}, nil
}

// Create stores a new key for spec and returns its id and secret (shown
// once). The admin key of `cinch cluster init` is one with an empty spec.
func (k *Keys) Create(ctx context.Context, spec apikey.Spec) (id, secret string, err error) {
	if err := spec.Validate(); err != nil {
		return "", "", err
	}
	id, secret, err = apikey.NewSecret()
	if err != nil {
		return "", "", err
	}
	h := apikey.HashSecret(secret)
	key := apikey.Key{ID: id, Database: spec.Database, Branch: spec.Branch, Tenant: spec.Tenant, ReadOnly: spec.ReadOnly, CreatedAt: time.Now().UTC()}
	if !spec.Expires.IsZero() {
		e := spec.Expires.UTC()
		key.ExpiresAt = &e
	}
	b, _ := json.Marshal(storedKey{Hash: h, Key: key})
	if _, err := k.kv.Create(ctx, "k."+id, b); err != nil {
		return "", "", unavailable("store the API key", err)
	}
	return id, secret, nil
}

// List returns every key (never a secret).
func (k *Keys) List(ctx context.Context) ([]apikey.Key, error) {
	names, err := k.kv.ListKeys(ctx)
	if err != nil {
		return nil, unavailable("list the API keys", err)
	}
	var out []apikey.Key
	for name := range names.Keys() {
		if sk, err := k.get(ctx, strings.TrimPrefix(name, "k.")); err == nil {
			out = append(out, sk.Key)
		}
	}
	return out, nil
}

func (k *Keys) get(ctx context.Context, id string) (storedKey, error) {
	k.mu.Lock()
	c, ok := k.cache[id]
	k.mu.Unlock()
	if ok && time.Since(c.at) < keyCacheAge {
		return c.sk, nil
	}
	var value []byte
	e, err := replicaGet(ctx, k.kv, "k."+id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		// KV reads may be answered by any replica, and one that has not
		// caught up yet misses a key created a moment ago (cluster init, then
		// the first request): ask the stream's leader before saying no.
		value, err = k.getFromLeader(ctx, "k."+id)
	} else if err == nil {
		value = e.Value()
	}
	if err != nil {
		return storedKey{}, err
	}
	var sk storedKey
	if err := json.Unmarshal(value, &sk); err != nil {
		return storedKey{}, err
	}
	k.mu.Lock()
	k.cache[id] = cachedKey{sk: sk, at: time.Now()}
	k.mu.Unlock()
	return sk, nil
}

func badKey(msg string) error {
	return &cinch.Error{Err: cinch.ErrUnauthorized, Message: msg, Hint: "send Authorization: Bearer <key> with a key from cinch cluster init"}
}

// Authenticate implements server.KeyStore.
func (k *Keys) Authenticate(ctx context.Context, secret string) (cinch.APIKey, error) {
	if rest, ok := strings.CutPrefix(secret, k.system+":"); ok {
		// A control request applied for another node: the scope of the key
		// that sent it (checked there too).
		sk, err := k.get(ctx, rest)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return cinch.APIKey{}, badKey("the key of a control request is gone")
		} else if err != nil {
			// Not read right now: the entry is applied again (control.apply),
			// not refused on this node only.
			return cinch.APIKey{}, unavailable("read the key of a control request", err)
		}
		return apiKey(sk.Key), nil
	}
	id, ok := apikey.SecretID(secret)
	if !ok {
		return cinch.APIKey{}, badKey("invalid API key")
	}
	sk, err := k.get(ctx, id)
	h := apikey.HashSecret(secret)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		subtle.ConstantTimeCompare(h, make([]byte, len(h)))
		return cinch.APIKey{}, badKey("invalid API key")
	} else if err != nil {
		return cinch.APIKey{}, unavailable("read the API key", err)
	}
	if subtle.ConstantTimeCompare(h, sk.Hash) != 1 || sk.Disabled {
		return cinch.APIKey{}, badKey("invalid API key")
	}
	if sk.Key.ExpiresAt != nil && time.Now().After(*sk.Key.ExpiresAt) {
		return cinch.APIKey{}, badKey("API key expired")
	}
	return apiKey(sk.Key), nil
}

func apiKey(k apikey.Key) cinch.APIKey {
	return cinch.APIKey{ID: k.ID, Database: k.Database, Branch: k.Branch, Tenant: k.Tenant, ReadOnly: k.ReadOnly}
}

// systemSecret is the bearer with which this node applies a control
// request sent with key id.
func (k *Keys) systemSecret(id string) string { return k.system + ":" + id }

// Close implements server.KeyStore (the connection is the runtime's).
func (k *Keys) Close() error { return nil }

// getFromLeader reads a key's value through the key stream's leader,
// jetstream.ErrKeyNotFound when it has none or it was deleted.
func (k *Keys) getFromLeader(ctx context.Context, key string) ([]byte, error) {
	v, _, found, err := kvGetLeader(ctx, k.nc, k.kv.Bucket(), key)
	if err == nil && !found {
		err = jetstream.ErrKeyNotFound
	}
	return v, err
}
