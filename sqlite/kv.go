package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/cinchdb/cinch"
	"github.com/ncruces/go-sqlite3"
)

// The key-value store of a tenant (cinch.KVService) is one table of the
// tenant's own file, so it is copied, archived and encrypted with it. Its
// name starts with __, so user SQL may read it but never write it (the
// guard refuses), no name rule lets a user table take it, and the fleet's
// table and row counts skip it; the schema model (changes.json) never
// names it, so schema changes, table lists, drift checks and merges do not
// see it. It is created by the first write that stores a key.
//
// Each value is stored as SQLite stores it natively (text, integer, real,
// blob, NULL) beside the cinch.KVType it was set with, so a bool, a JSON
// document or an empty blob reads back as what it was. Expiry times are
// Unix milliseconds of the caller's clock; a key is live while expires_at
// is NULL or later than the caller's "now", so an expired key is invisible
// at once, before DeleteExpired removes it.
//
// The statements are cinch's own: they are kept apart from the cache of
// user statements (a user statement of the same text must never reuse one
// the guard let write __kv) and run with the guard's kv flag set, which
// allows writes to __kv and nothing else.

// KVTable is the table that holds a tenant's key-value store.
const KVTable = "__kv"

const kvSchema = `CREATE TABLE IF NOT EXISTS __kv (
  key        TEXT PRIMARY KEY NOT NULL,
  value,                    -- no declared type: stored as given
  type       TEXT NOT NULL, -- the cinch.KVType it was set with
  expires_at INTEGER        -- Unix milliseconds; NULL: never
);
CREATE INDEX IF NOT EXISTS __kv_expires_at ON __kv (expires_at) WHERE expires_at IS NOT NULL;`

// live is the condition of a key that has not expired at ?2 (Unix ms).
const live = `(expires_at IS NULL OR expires_at > ?2)`

const (
	kvGetSQL    = `SELECT value, type FROM __kv WHERE key = ?1 AND ` + live
	kvExistsSQL = `SELECT 1 FROM __kv WHERE key = ?1 AND ` + live
	kvSetSQL    = `INSERT INTO __kv (key, value, type, expires_at) VALUES (?1, ?2, ?3, ?4)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value, type = excluded.type, expires_at = excluded.expires_at`
	// kvSetNXSQL replaces only an expired row: changes() is 1 when the
	// key was missing or expired, 0 when a live value was kept.
	kvSetNXSQL = `INSERT INTO __kv (key, value, type, expires_at) VALUES (?1, ?2, ?3, ?4)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value, type = excluded.type, expires_at = excluded.expires_at
  WHERE __kv.expires_at IS NOT NULL AND __kv.expires_at <= ?5`
	kvDeleteSQL        = `DELETE FROM __kv WHERE key = ?1 RETURNING expires_at`
	kvKeysSQL          = `SELECT key FROM __kv WHERE key GLOB ?1 AND ` + live + ` ORDER BY key`
	kvCountSQL         = `SELECT count(*) FROM __kv WHERE key GLOB ?1 AND ` + live
	kvExpirySQL        = `SELECT expires_at FROM __kv WHERE key = ?1 AND ` + live
	kvSetExpirySQL     = `UPDATE __kv SET expires_at = ?3 WHERE key = ?1 AND ` + live
	kvIncrReadSQL      = `SELECT value, type, expires_at FROM __kv WHERE key = ?1`
	kvDeleteExpiredSQL = `DELETE FROM __kv WHERE expires_at IS NOT NULL AND expires_at <= ?1`
	kvSizeExpr         = `CASE WHEN type IN ('int', 'float', 'bool') THEN 8 WHEN value IS NULL THEN 0 ELSE length(CAST(value AS BLOB)) END`
	kvSizeSQL          = `SELECT ` + kvSizeExpr + ` FROM __kv WHERE key = ?1 AND ` + live
	kvSizeAllSQL       = `SELECT coalesce(sum(` + kvSizeExpr + `), 0) FROM __kv WHERE ` + live
)

// KVItem is one key and its value, normalized by cinch.NormalizeKVValue.
type KVItem struct {
	Key   string
	Value any
	Type  cinch.KVType
}

// errNoKVTable is a statement on __kv before the first write made it.
var errNoKVTable = fmt.Errorf("%w: no KV table", cinch.ErrInternal)

// kvStmt returns the cached statement for one of the KV store's SQL texts,
// prepared with the guard's kv flag set (see kvRun). errNoKVTable when the
// table does not exist yet.
func (c *Conn) kvStmt(sql string) (*sqlite3.Stmt, error) {
	if c.raw == nil {
		return nil, errClosed()
	}
	if s := c.kv[sql]; s != nil {
		return s, nil
	}
	s, _, err := c.raw.Prepare(sql)
	if err != nil {
		if strings.Contains(err.Error(), "no such table: "+KVTable) {
			return nil, errNoKVTable
		}
		return nil, c.translate(err)
	}
	if c.kv == nil {
		c.kv = map[string]*sqlite3.Stmt{}
	}
	c.kv[sql] = s
	return s, nil
}

// kvRun runs fn with the guard's kv flag set, for the statements fn
// prepares and steps (a step may prepare again after a schema change),
// and interruptible by ctx.
func (c *Conn) kvRun(ctx context.Context, fn func() error) error {
	if c.raw == nil {
		return errClosed()
	}
	if ctx.Done() != nil {
		old := c.raw.SetInterrupt(ctx)
		defer c.raw.SetInterrupt(old)
	}
	c.guard.kv = true
	defer func() { c.guard.kv = false }()
	return fn()
}

// kvRead runs a read: without the table there is nothing to read, so
// fn's errNoKVTable is no error (and the zero answer stands).
func (c *Conn) kvRead(ctx context.Context, fn func() error) error {
	err := c.kvRun(ctx, fn)
	if err == errNoKVTable {
		return nil
	}
	return err
}

// kvStore runs a write that stores keys, creating the table first when
// it does not exist yet.
func (c *Conn) kvStore(ctx context.Context, fn func() error) error {
	err := c.kvRun(ctx, fn)
	if err != errNoKVTable {
		return err
	}
	if err := c.Exec(kvSchema); err != nil {
		return c.translate(err)
	}
	return c.kvRun(ctx, fn)
}

// kvExec runs one statement of the KV store to its end.
func (c *Conn) kvExec(sql string, args ...any) error {
	s, err := c.kvStmt(sql)
	if err != nil {
		return err
	}
	if err := bindAll(s, args); err != nil {
		return err
	}
	return c.translate(s.Exec())
}

// kvTx runs fn in a transaction (IMMEDIATE, i.e. holding the write lock
// from the start, when write is set) and commits it when fn returns nil.
func (c *Conn) kvTx(write bool, fn func() error) error {
	begin := "BEGIN"
	if write {
		begin = "BEGIN IMMEDIATE"
	}
	if err := c.kvExec(begin); err != nil {
		return err
	}
	if err := fn(); err != nil {
		c.Rollback()
		return err
	}
	if err := c.kvExec("COMMIT"); err != nil {
		c.Rollback()
		return err
	}
	return nil
}

// bindAll binds cinch's own arguments: strings, int64, float64, []byte
// and nil.
func bindAll(s *sqlite3.Stmt, args []any) error {
	for i, a := range args {
		var err error
		switch v := a.(type) {
		case nil:
			err = s.BindNull(i + 1)
		case string:
			err = s.BindText(i+1, v)
		case int64:
			err = s.BindInt64(i+1, v)
		default:
			return fmt.Errorf("%w: KV argument of type %T", cinch.ErrInternal, a)
		}
		if err != nil {
			return translate(err)
		}
	}
	return nil
}

// bindKey binds a key to ?1 and a time to ?2 (the hot paths: no boxing).
func bindKey(s *sqlite3.Stmt, key string, now int64) error {
	if err := s.BindText(1, key); err != nil {
		return translate(err)
	}
	return translate(s.BindInt64(2, now))
}

// bindKVValue binds a normalized KV value.
func bindKVValue(s *sqlite3.Stmt, i int, v any) error {
	var err error
	switch x := v.(type) {
	case nil:
		err = s.BindNull(i)
	case bool:
		err = s.BindBool(i, x)
	case int64:
		err = s.BindInt64(i, x)
	case float64:
		err = s.BindFloat(i, x)
	case string:
		err = s.BindText(i, x)
	case json.RawMessage:
		err = s.BindText(i, string(x))
	case []byte:
		err = s.BindBlob(i, x) // an empty one as a zero-length blob, not NULL
	default:
		return fmt.Errorf("%w: KV value of type %T was not normalized", cinch.ErrInternal, v)
	}
	return translate(err)
}

// kvValue reads the value in column i, whose cinch.KVType is in column t.
// A type cinch does not write (a row written by another tool) reads as
// SQLite's own value.
func kvValue(s *sqlite3.Stmt, i, t int) any {
	switch string(s.ColumnRawText(t)) {
	case string(cinch.KVText):
		return s.ColumnText(i)
	case string(cinch.KVInt):
		return s.ColumnInt64(i)
	case string(cinch.KVFloat):
		return s.ColumnFloat(i)
	case string(cinch.KVBool):
		return s.ColumnInt64(i) != 0
	case string(cinch.KVBytes):
		if b := s.ColumnBlob(i, nil); b != nil {
			return b
		}
		return []byte{}
	case string(cinch.KVJSON):
		return json.RawMessage(s.ColumnBlob(i, nil))
	case string(cinch.KVNull):
		return nil
	}
	return columnValue(s, i, false)
}

// kvRow steps s once: found reports a row, and read (when not nil) reads
// it before s is reset.
func (c *Conn) kvRow(s *sqlite3.Stmt, read func()) (found bool, err error) {
	defer s.Reset()
	if s.Step() {
		if read != nil {
			read()
		}
		return true, nil
	}
	return false, c.translate(s.Err())
}

// KVGet returns the value of a key live at now (Unix ms).
func (c *Conn) KVGet(ctx context.Context, key string, now int64) (v any, found bool, err error) {
	err = c.kvRead(ctx, func() error {
		s, err := c.kvStmt(kvGetSQL)
		if err != nil {
			return err
		}
		if err := bindKey(s, key, now); err != nil {
			return err
		}
		found, err = c.kvRow(s, func() { v = kvValue(s, 0, 1) })
		return err
	})
	return v, found, err
}

// KVExists reports whether a key is live at now.
func (c *Conn) KVExists(ctx context.Context, key string, now int64) (found bool, err error) {
	err = c.kvRead(ctx, func() error {
		s, err := c.kvStmt(kvExistsSQL)
		if err != nil {
			return err
		}
		if err := bindKey(s, key, now); err != nil {
			return err
		}
		found, err = c.kvRow(s, nil)
		return err
	})
	return found, err
}

// KVMGet returns the values of the keys live at now, read in one
// transaction.
func (c *Conn) KVMGet(ctx context.Context, keys []string, now int64) (map[string]any, error) {
	out := make(map[string]any, len(keys))
	err := c.kvRead(ctx, func() error {
		s, err := c.kvStmt(kvGetSQL)
		if err != nil {
			return err
		}
		return c.kvTx(false, func() error {
			for _, k := range keys {
				if err := bindKey(s, k, now); err != nil {
					return err
				}
				if _, err := c.kvRow(s, func() { out[k] = kvValue(s, 0, 1) }); err != nil {
					return err
				}
			}
			return nil
		})
	})
	return out, err
}

// KVSet stores items with one expiry (Unix ms, 0: none): one statement
// for one item, one transaction for several.
func (c *Conn) KVSet(ctx context.Context, items []KVItem, expires int64) error {
	return c.kvStore(ctx, func() error {
		s, err := c.kvStmt(kvSetSQL)
		if err != nil {
			return err
		}
		set := func() error {
			for _, it := range items {
				if err := c.kvBindItem(s, it, expires); err != nil {
					return err
				}
				if err := c.translate(s.Exec()); err != nil {
					return err
				}
			}
			return nil
		}
		if len(items) == 1 {
			return set()
		}
		return c.kvTx(true, set)
	})
}

// kvBindItem binds key, value, type and expiry (?1 to ?4).
func (c *Conn) kvBindItem(s *sqlite3.Stmt, it KVItem, expires int64) error {
	if err := s.BindText(1, it.Key); err != nil {
		return translate(err)
	}
	if err := bindKVValue(s, 2, it.Value); err != nil {
		return err
	}
	if err := s.BindText(3, string(it.Type)); err != nil {
		return translate(err)
	}
	if expires == 0 {
		return translate(s.BindNull(4))
	}
	return translate(s.BindInt64(4, expires))
}

// KVSetNX stores item unless its key is live at now, and reports whether
// it did.
func (c *Conn) KVSetNX(ctx context.Context, it KVItem, expires, now int64) (set bool, err error) {
	err = c.kvStore(ctx, func() error {
		s, err := c.kvStmt(kvSetNXSQL)
		if err != nil {
			return err
		}
		if err := c.kvBindItem(s, it, expires); err != nil {
			return err
		}
		if err := translate(s.BindInt64(5, now)); err != nil {
			return err
		}
		if err := c.translate(s.Exec()); err != nil {
			return err
		}
		set = c.raw.Changes() > 0
		return nil
	})
	return set, err
}

// KVDelete removes keys and returns how many were live at now (expired
// ones are removed too, uncounted): one statement for one key, one
// transaction for several.
func (c *Conn) KVDelete(ctx context.Context, keys []string, now int64) (n int64, err error) {
	err = c.kvRead(ctx, func() error {
		s, err := c.kvStmt(kvDeleteSQL)
		if err != nil {
			return err
		}
		del := func() error {
			for _, k := range keys {
				if err := bindAll(s, []any{k}); err != nil {
					return err
				}
				for s.Step() {
					if s.ColumnType(0) == sqlite3.NULL || s.ColumnInt64(0) > now {
						n++
					}
				}
				if err := c.translate(s.Reset()); err != nil {
					return err
				}
			}
			return nil
		}
		if len(keys) == 1 {
			return del()
		}
		return c.kvTx(true, del)
	})
	if err != nil {
		n = 0
	}
	return n, err
}

// KVKeys returns the keys matching a pattern (see cinch.KVService.Keys)
// live at now, sorted.
func (c *Conn) KVKeys(ctx context.Context, pattern string, now int64) ([]string, error) {
	out := []string{}
	err := c.kvRead(ctx, func() error {
		s, err := c.kvStmt(kvKeysSQL)
		if err != nil {
			return err
		}
		if err := bindAll(s, []any{KVGlob(pattern), now}); err != nil {
			return err
		}
		defer s.Reset()
		for s.Step() {
			out = append(out, s.ColumnText(0))
		}
		return c.translate(s.Err())
	})
	return out, err
}

// KVCount returns how many keys match a pattern and are live at now.
func (c *Conn) KVCount(ctx context.Context, pattern string, now int64) (n int64, err error) {
	err = c.kvRead(ctx, func() error {
		s, err := c.kvStmt(kvCountSQL)
		if err != nil {
			return err
		}
		if err := bindAll(s, []any{KVGlob(pattern), now}); err != nil {
			return err
		}
		_, err = c.kvRow(s, func() { n = s.ColumnInt64(0) })
		return err
	})
	return n, err
}

// KVExpiry returns when a key live at now expires (Unix ms; 0: never).
func (c *Conn) KVExpiry(ctx context.Context, key string, now int64) (expires int64, found bool, err error) {
	err = c.kvRead(ctx, func() error {
		s, err := c.kvStmt(kvExpirySQL)
		if err != nil {
			return err
		}
		if err := bindKey(s, key, now); err != nil {
			return err
		}
		found, err = c.kvRow(s, func() { expires = s.ColumnInt64(0) })
		return err
	})
	return expires, found, err
}

// KVSetExpiry sets when a key live at now expires (Unix ms; 0: never)
// and reports whether there was such a key.
func (c *Conn) KVSetExpiry(ctx context.Context, key string, expires, now int64) (found bool, err error) {
	err = c.kvRead(ctx, func() error {
		var exp any
		if expires != 0 {
			exp = expires
		}
		if err := c.kvExec(kvSetExpirySQL, key, now, exp); err != nil {
			return err
		}
		found = c.raw.Changes() > 0
		return nil
	})
	return found, err
}

// KVIncr adds by (an int64 or a float64) to the number under key, in one
// transaction, and returns the result: an int64 when both are integers,
// else a float64. A key missing or expired at now starts from 0, with no
// expiry; a live key keeps its expiry.
func (c *Conn) KVIncr(ctx context.Context, key string, by any, now int64) (result any, err error) {
	err = c.kvStore(ctx, func() error {
		read, err := c.kvStmt(kvIncrReadSQL)
		if err != nil {
			return err
		}
		write, err := c.kvStmt(kvSetSQL)
		if err != nil {
			return err
		}
		return c.kvTx(true, func() error {
			if err := bindAll(read, []any{key}); err != nil {
				return err
			}
			var cur any = int64(0)
			var typ cinch.KVType = cinch.KVInt
			var expires int64
			if _, err := c.kvRow(read, func() {
				exp := read.ColumnInt64(2)
				if read.ColumnType(2) != sqlite3.NULL && exp <= now {
					return // expired: a fresh key
				}
				cur, typ, expires = kvValue(read, 0, 1), cinch.KVType(read.ColumnText(1)), exp
			}); err != nil {
				return err
			}
			if result, err = increment(key, cur, typ, by); err != nil {
				return err
			}
			it := KVItem{Key: key, Value: result, Type: cinch.KVInt}
			if _, ok := result.(float64); ok {
				it.Type = cinch.KVFloat
			}
			if err := c.kvBindItem(write, it, expires); err != nil {
				return err
			}
			return c.translate(write.Exec())
		})
	})
	return result, err
}

// increment adds by to cur, the value of key of type typ.
func increment(key string, cur any, typ cinch.KVType, by any) (any, error) {
	wrong := func(want string) error {
		return &cinch.Error{Err: cinch.ErrInvalidInput, Message: fmt.Sprintf("KV key %q holds %s, not %s", key, typ, want),
			Hint: "Incr adds to integers, IncrFloat to integers and floats; Set the key to a number first"}
	}
	switch b := by.(type) {
	case int64:
		n, ok := cur.(int64)
		if !ok || typ != cinch.KVInt {
			return nil, wrong("an integer")
		}
		if (b > 0 && n > math.MaxInt64-b) || (b < 0 && n < math.MinInt64-b) {
			return nil, &cinch.Error{Err: cinch.ErrInvalidInput,
				Message: fmt.Sprintf("incrementing KV key %q (%d) by %d would overflow a 64-bit integer", key, n, b)}
		}
		return n + b, nil
	case float64:
		var f float64
		switch n := cur.(type) {
		case int64:
			f = float64(n)
		case float64:
			f = n
		default:
			return nil, wrong("a number")
		}
		if typ != cinch.KVInt && typ != cinch.KVFloat {
			return nil, wrong("a number")
		}
		if r := f + b; !math.IsNaN(r) {
			return r, nil
		}
		return nil, &cinch.Error{Err: cinch.ErrInvalidInput, Message: fmt.Sprintf("incrementing KV key %q by %v gives NaN", key, b)}
	}
	return nil, fmt.Errorf("%w: KV increment of type %T", cinch.ErrInternal, by)
}

// KVDeleteExpired removes the keys expired at now and returns how many.
func (c *Conn) KVDeleteExpired(ctx context.Context, now int64) (n int64, err error) {
	err = c.kvRead(ctx, func() error {
		if err := c.kvExec(kvDeleteExpiredSQL, now); err != nil {
			return err
		}
		n = c.raw.Changes()
		return nil
	})
	return n, err
}

// KVSize returns the bytes the values of keys (every key when none is
// given) live at now take (see cinch.KVService.Size).
func (c *Conn) KVSize(ctx context.Context, keys []string, now int64) (n int64, err error) {
	err = c.kvRead(ctx, func() error {
		if len(keys) == 0 {
			s, err := c.kvStmt(kvSizeAllSQL)
			if err != nil {
				return err
			}
			if err := bindAll(s, []any{nil, now}); err != nil { // ?1 is unused
				return err
			}
			_, err = c.kvRow(s, func() { n = s.ColumnInt64(0) })
			return err
		}
		s, err := c.kvStmt(kvSizeSQL)
		if err != nil {
			return err
		}
		return c.kvTx(false, func() error {
			for _, k := range keys {
				if err := bindKey(s, k, now); err != nil {
					return err
				}
				if _, err := c.kvRow(s, func() { n += s.ColumnInt64(0) }); err != nil {
					return err
				}
			}
			return nil
		})
	})
	return n, err
}

// KVGlob turns a key pattern of cinch.KVService.Keys (* any run, ? one
// character, \ quotes the next character, everything else literal) into
// SQLite's GLOB syntax, where [ also starts a character class: a literal
// *, ? or [ becomes a one-character class. A trailing lone \ is literal.
// "" is "*".
func KVGlob(pattern string) string {
	if pattern == "" {
		return "*"
	}
	var b strings.Builder
	b.Grow(len(pattern) + 8)
	literal := func(r rune) {
		switch r {
		case '*', '?', '[':
			b.WriteByte('[')
			b.WriteRune(r)
			b.WriteByte(']')
		default:
			b.WriteRune(r)
		}
	}
	for i := 0; i < len(pattern); {
		r, size := utf8.DecodeRuneInString(pattern[i:])
		i += size
		switch r {
		case '*', '?':
			b.WriteRune(r)
		case '\\':
			if i == len(pattern) {
				b.WriteByte('\\')
				continue
			}
			q, qs := utf8.DecodeRuneInString(pattern[i:])
			i += qs
			literal(q)
		default:
			literal(r)
		}
	}
	return b.String()
}
