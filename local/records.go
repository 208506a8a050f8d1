package local

import (
	"encoding/json"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
)

// tableFor checks that table exists and returns it.
func tableFor(model *schema.Schema, table string) (*schema.Table, error) {
	if err := cinch.ValidateIdentifier(cinch.KindTable, table); err != nil {
		return nil, err
	}
	t, ok := model.Tables[table]
	if !ok {
		return nil, cinch.NotFound(cinch.ErrTableNotFound, "table", table, "")
	}
	return t, nil
}

// recordArgs checks a record's columns against the table and returns the
// column names (sorted, unquoted) and values to bind.
func recordArgs(t *schema.Table, rec cinch.Record, allowID bool) ([]string, []any, error) {
	// Room for the three columns an insert adds (id, created_at,
	// updated_at): no reallocation per row.
	names := make([]string, 0, len(rec)+3)
	for k := range rec {
		names = append(names, k)
	}
	sortStrings(names)
	vals := make([]any, 0, len(names)+3)
	for _, k := range names {
		switch {
		case k == "id" && allowID:
			if s, ok := rec[k].(string); !ok || s == "" {
				return nil, nil, cinch.Errorf(cinch.ErrInvalidInput, "id must be a non-empty string").WithHint("leave id out to have one generated")
			}
		case k == "created_at" || k == "updated_at" || k == "id":
			return nil, nil, cinch.Errorf(cinch.ErrInvalidInput, "column %q is set automatically", k).WithHint("leave it out of the data")
		case t.Column(k) == nil:
			return nil, nil, cinch.NotFound(cinch.ErrColumnNotFound, "column", t.Name+"."+k, "")
		}
		v, err := normalizeValue(k, rec[k])
		if err != nil {
			return nil, nil, err
		}
		vals = append(vals, v)
	}
	return names, vals, nil
}

// storedRecord returns the row SQLite stores for rec, when it can be known
// without reading it back: every given value already has its column's
// storage type (so no type affinity conversion applies) and every omitted
// column has no default or a literal one of its type. It reports false
// otherwise (NUMERIC columns, numbers bound to TEXT columns, times, ...).
// A test compares it with the row read back for many inputs.
func storedRecord(t *schema.Table, rec cinch.Record, id, now any) (cinch.Record, bool) {
	out := make(cinch.Record, len(t.Columns)+3)
	out["id"], out["created_at"], out["updated_at"] = id, now, now
	for _, c := range t.Columns {
		v, given := rec[c.Name]
		var ok bool
		if given {
			v, ok = storedValue(c.Type, v)
		} else if c.Default == nil {
			v, ok = nil, true
		} else {
			v, ok = defaultValue(c.Type, *c.Default)
		}
		if !ok {
			return nil, false
		}
		out[c.Name] = v
	}
	return out, true
}

// storedValue is v as stored in (and read back from) a column of type t,
// when that needs no conversion SQLite would do differently.
func storedValue(t cinch.ColumnType, v any) (any, bool) {
	if v == nil {
		return nil, true
	}
	switch t {
	case cinch.TypeText:
		_, ok := v.(string)
		return v, ok // the same interface value: no new allocation
	case cinch.TypeInteger:
		switch n := v.(type) {
		case int64:
			return v, true
		case int:
			return int64(n), true
		case json.Number:
			i, err := n.Int64()
			return i, err == nil
		}
	case cinch.TypeReal:
		var f float64
		switch n := v.(type) {
		case float64:
			f = n
		case json.Number:
			var err error
			if f, err = n.Float64(); err != nil {
				return nil, false
			}
		default:
			return nil, false
		}
		return f, !math.IsInf(f, 0) && !math.IsNaN(f) // SQLite stores NaN as NULL
	case cinch.TypeBoolean:
		_, ok := v.(bool)
		return v, ok
	case cinch.TypeBlob:
		b, ok := v.([]byte)
		return slices.Clone(b), ok && len(b) > 0 // an empty blob may read back as nil
	}
	return nil, false
}

// defaultValue is a literal column default as stored, for the types whose
// literal form is unambiguous.
func defaultValue(t cinch.ColumnType, lit string) (any, bool) {
	switch t {
	case cinch.TypeText:
		return lit, true
	case cinch.TypeInteger:
		i, err := strconv.ParseInt(lit, 10, 64)
		return i, err == nil
	case cinch.TypeReal:
		f, err := strconv.ParseFloat(lit, 64)
		return f, err == nil && !strings.ContainsAny(lit, "xXpP_") && !math.IsInf(f, 0) && !math.IsNaN(f)
	case cinch.TypeBoolean:
		switch strings.ToLower(lit) {
		case "true", "1":
			return true, true
		case "false", "0":
			return false, true
		}
	}
	return nil, false
}

// normalizeValue accepts the scalar values a record may hold.
func normalizeValue(col string, v any) (any, error) {
	switch v.(type) {
	case map[string]any, []any:
		return nil, cinch.Errorf(cinch.ErrInvalidInput, "value of column %q is an object or array", col).WithHint("store nested data as a JSON string in a TEXT column")
	}
	return v, nil
}

// fixBools turns 0/1 of BOOLEAN columns into bools in rows from RETURNING.
func fixBools(t *schema.Table, rows []cinch.Record) {
	for _, c := range t.Columns {
		if c.Type != cinch.TypeBoolean {
			continue
		}
		for _, r := range rows {
			if v, ok := r[c.Name].(int64); ok {
				r[c.Name] = v != 0
			}
		}
	}
}

func sortStrings(s []string) { sort.Strings(s) }
