package cinch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// KVService is a tenant's key-value store (DB.KV): typed values under
// string keys, with an optional time to live, kept in the tenant's own
// file, so they are isolated, copied, archived and encrypted with the
// tenant. It lives in an internal table that the schema commands, table
// lists, drift checks and merges never see.
//
// Keys are case-sensitive (ValidateKVKey says what a key may be). Values
// keep their type: nil, bool, int64, float64, string, []byte or
// json.RawMessage (see NormalizeKVValue). An expired key is gone at once
// for every method; DeleteExpired (and cinch serve, periodically) removes
// it from the file.
//
// Reads never create anything: on a lazy tenant (no file yet) they find no
// keys. The first write to a lazy tenant creates its file. A tenant that
// does not exist is ErrTenantNotFound, for reads and writes alike.
type KVService interface {
	// Get returns the value of key as it was set; ErrKeyNotFound when the
	// key is missing or expired.
	Get(ctx context.Context, key string) (any, error)
	// Set stores value under key, replacing any value and expiry. A ttl
	// of 0 keeps it until deleted; a positive one expires it then.
	Set(ctx context.Context, key string, value any, ttl time.Duration) error
	// SetNX stores value only if key is missing (or expired) and reports
	// whether it did.
	SetNX(ctx context.Context, key string, value any, ttl time.Duration) (bool, error)
	// Delete removes keys and returns how many of them existed.
	Delete(ctx context.Context, keys ...string) (int64, error)
	// Exists reports whether key is set (and not expired).
	Exists(ctx context.Context, key string) (bool, error)
	// Keys returns the keys matching pattern, sorted (byte order). In a
	// pattern * matches any run of characters, ? exactly one, and \ makes
	// the next character literal; anything else matches itself, case
	// included. "" is "*".
	Keys(ctx context.Context, pattern string) ([]string, error)
	// Count returns how many keys match pattern (as Keys).
	Count(ctx context.Context, pattern string) (int64, error)
	// TTL returns the time key has left, or KVNoTTL when it does not
	// expire; ErrKeyNotFound when it is missing or expired.
	TTL(ctx context.Context, key string) (time.Duration, error)
	// Expire makes key expire after ttl (more than 0) from now;
	// ErrKeyNotFound when it is missing or expired.
	Expire(ctx context.Context, key string, ttl time.Duration) error
	// Persist removes key's expiry; ErrKeyNotFound when it is missing or
	// expired.
	Persist(ctx context.Context, key string) error
	// Incr adds by to the integer under key, atomically, and returns the
	// result. A missing or expired key counts as 0 (and gets no expiry);
	// a live key keeps its expiry. Any value but an integer is
	// ErrInvalidInput, and so is a result past 64 bits.
	Incr(ctx context.Context, key string, by int64) (int64, error)
	// IncrFloat is Incr for floats: the value under key must be a number
	// (an integer becomes a float) and the result is a float.
	IncrFloat(ctx context.Context, key string, by float64) (float64, error)
	// MGet returns the values of the keys that are set, in one read
	// transaction; missing and expired keys are not in the map.
	MGet(ctx context.Context, keys ...string) (map[string]any, error)
	// MSet stores every item in one transaction (all or none), with the
	// same ttl (see Set).
	MSet(ctx context.Context, items map[string]any, ttl time.Duration) error
	// DeleteExpired removes the expired keys from the tenant's file and
	// returns how many there were.
	DeleteExpired(ctx context.Context) (int64, error)
	// Size returns the bytes the values of keys take (every key's when
	// none is given): text, JSON and bytes by length, other values 8
	// bytes, null 0. Missing keys count 0.
	Size(ctx context.Context, keys ...string) (int64, error)
}

// KVNoTTL is what KVService.TTL returns for a key that does not expire.
const KVNoTTL time.Duration = -1

// MaxKVKeyBytes is the longest key of a KV store, in bytes.
const MaxKVKeyBytes = 255

// MaxKVPatternBytes is the longest pattern KVService.Keys and Count take.
const MaxKVPatternBytes = 1024

// KVType names the type of a KV value; it is stored with the value, so a
// value reads back as the type it was set with.
type KVType string

// KV value types and the Go type of each.
const (
	KVText  KVType = "text"  // string
	KVInt   KVType = "int"   // int64
	KVFloat KVType = "float" // float64
	KVBool  KVType = "bool"  // bool
	KVBytes KVType = "bytes" // []byte
	KVJSON  KVType = "json"  // json.RawMessage
	KVNull  KVType = "null"  // nil
)

// KVTypes lists every KV value type.
var KVTypes = []KVType{KVText, KVInt, KVFloat, KVBool, KVBytes, KVJSON, KVNull}

// ParseKVType checks a type name.
func ParseKVType(s string) (KVType, error) {
	for _, t := range KVTypes {
		if string(t) == s {
			return t, nil
		}
	}
	return "", &Error{Err: ErrInvalidInput, Message: fmt.Sprintf("unknown KV value type %s", quoteName(s)),
		Hint: "use text, int, float, bool, bytes, json or null"}
}

// ValidateKVKey checks a KV key: 1 to MaxKVKeyBytes bytes of valid UTF-8,
// every character printable (letters, marks, numbers, punctuation,
// symbols and the ASCII space: no control characters, no other spaces),
// not starting with __ (reserved). Keys are case-sensitive.
func ValidateKVKey(key string) error {
	bad := func(format string, args ...any) error {
		return &Error{Err: ErrInvalidName, Message: "invalid KV key " + quoteName(key) + ": " + fmt.Sprintf(format, args...),
			Hint: fmt.Sprintf("a key is 1-%d bytes of printable UTF-8 text, not starting with __", MaxKVKeyBytes)}
	}
	switch {
	case key == "":
		return bad("it is empty")
	case len(key) > MaxKVKeyBytes:
		return bad("it is %d bytes, over the limit of %d", len(key), MaxKVKeyBytes)
	case strings.HasPrefix(key, "__"):
		return bad("keys starting with __ are reserved")
	}
	if i, what := unprintable(key); i >= 0 {
		return bad("%s at byte %d", what, i)
	}
	return nil
}

// ValidateKVPattern checks a pattern of KVService.Keys and Count: at most
// MaxKVPatternBytes bytes of printable UTF-8 text, like a key.
func ValidateKVPattern(pattern string) error {
	bad := func(format string, args ...any) error {
		return &Error{Err: ErrInvalidInput, Message: "invalid KV key pattern " + quoteName(pattern) + ": " + fmt.Sprintf(format, args...),
			Hint: `a pattern is printable text where * matches any run of characters, ? one character, and \ makes the next one literal`}
	}
	if len(pattern) > MaxKVPatternBytes {
		return bad("it is %d bytes, over the limit of %d", len(pattern), MaxKVPatternBytes)
	}
	if i, what := unprintable(pattern); i >= 0 {
		return bad("%s at byte %d", what, i)
	}
	return nil
}

// unprintable returns the byte offset of the first character of s that is
// not valid UTF-8 or not printable, and what it is; -1 when there is none.
func unprintable(s string) (int, string) {
	for i := 0; i < len(s); i++ { // ASCII, the usual key, without decoding
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			return unprintableRunes(s, i)
		case c < 0x20 || c == 0x7f:
			return i, fmt.Sprintf("a control or non-printable character (%U)", rune(c))
		}
	}
	return -1, ""
}

// unprintableRunes is unprintable from byte start on, rune by rune.
func unprintableRunes(s string, start int) (int, string) {
	for j, r := range s[start:] {
		i := start + j
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i, "invalid UTF-8"
			}
			return i, "a replacement character (U+FFFD)"
		case !unicode.IsPrint(r):
			return i, fmt.Sprintf("a control or non-printable character (%U)", r)
		}
	}
	return -1, ""
}

// NormalizeKVValue returns v as a KV store keeps it, and its type:
//
//   - nil → nil (null);
//   - bool → bool;
//   - any Go integer that fits in 64 bits → int64 (int stays int);
//   - float32, float64 → float64 (NaN is refused: SQLite stores it as NULL);
//   - string (valid UTF-8) → string (text);
//   - []byte → []byte (bytes);
//   - json.RawMessage (valid JSON) → its compact form (json);
//   - map[string]any and []any, as encoding/json decodes objects and
//     arrays → their JSON (json);
//   - json.Number → int64 when it is an integer, else float64.
//
// Anything else is ErrInvalidInput: marshal it to a json.RawMessage.
func NormalizeKVValue(v any) (any, KVType, error) {
	switch x := v.(type) {
	case nil:
		return nil, KVNull, nil
	case bool:
		return x, KVBool, nil
	case int:
		return int64(x), KVInt, nil
	case int8:
		return int64(x), KVInt, nil
	case int16:
		return int64(x), KVInt, nil
	case int32:
		return int64(x), KVInt, nil
	case int64:
		return x, KVInt, nil
	case uint8:
		return int64(x), KVInt, nil
	case uint16:
		return int64(x), KVInt, nil
	case uint32:
		return int64(x), KVInt, nil
	case uint:
		return normalizeUint(uint64(x))
	case uint64:
		return normalizeUint(x)
	case float32:
		return normalizeFloat(float64(x))
	case float64:
		return normalizeFloat(x)
	case string:
		if !utf8.ValidString(x) {
			return nil, "", &Error{Err: ErrInvalidInput, Message: "KV text value is not valid UTF-8", Hint: "store binary data as []byte"}
		}
		return x, KVText, nil
	case json.RawMessage:
		var buf bytes.Buffer
		if err := json.Compact(&buf, x); err != nil {
			return nil, "", &Error{Err: ErrInvalidInput, Message: fmt.Sprintf("KV JSON value is not valid JSON: %v", err)}
		}
		return json.RawMessage(buf.Bytes()), KVJSON, nil
	case []byte:
		return x, KVBytes, nil
	case map[string]any, []any:
		data, err := json.Marshal(x)
		if err != nil {
			return nil, "", &Error{Err: ErrInvalidInput, Message: fmt.Sprintf("KV value cannot be stored as JSON: %v", err)}
		}
		return json.RawMessage(data), KVJSON, nil
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n, KVInt, nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, "", &Error{Err: ErrInvalidInput, Message: fmt.Sprintf("KV value %s is not a number that fits in 64 bits", quoteName(string(x)))}
		}
		return normalizeFloat(f)
	}
	return nil, "", &Error{Err: ErrInvalidInput, Message: fmt.Sprintf("KV values cannot be of type %T", v),
		Hint: "use nil, a bool, an integer, a float, a string, []byte or json.RawMessage (json.Marshal other values)"}
}

func normalizeUint(n uint64) (any, KVType, error) {
	if n > math.MaxInt64 {
		return nil, "", &Error{Err: ErrInvalidInput, Message: fmt.Sprintf("KV value %d does not fit in a 64-bit signed integer", n)}
	}
	return int64(n), KVInt, nil
}

func normalizeFloat(f float64) (any, KVType, error) {
	if math.IsNaN(f) {
		return nil, "", &Error{Err: ErrInvalidInput, Message: "KV value NaN cannot be stored (SQLite turns it into NULL)", Hint: "store nil for no value"}
	}
	return f, KVFloat, nil
}

// CheckKVTTL checks the ttl of KVService.Set, SetNX and MSet: 0 (no
// expiry) or more.
func CheckKVTTL(ttl time.Duration) error {
	if ttl < 0 {
		return &Error{Err: ErrInvalidInput, Message: fmt.Sprintf("invalid KV ttl %v: it must be 0 (no expiry) or more", ttl)}
	}
	return nil
}
