package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cinchdb/cinch"
)

// A KV value (cinch.KVService) travels as its type and its value in JSON:
// {"type": "int", "value": 42}. Text is a JSON string, int an integer,
// float a number with a fraction or exponent (±9e999 for infinities), bool
// true or false, bytes a base64 string, json the JSON value itself and
// null null. The type makes every value exact: bytes are not mistaken for
// text, a JSON string document for text, 2.0 for 2.
//
// When a request leaves the type out, the JSON value decides it: a string
// is text, a number without fraction or exponent int, another number
// float, true/false bool, null null, an object or array json.

// EncodeKV writes a normalized KV value (cinch.NormalizeKVValue) as its
// type name and JSON value.
func EncodeKV(v any) (string, json.RawMessage, error) {
	switch x := v.(type) {
	case nil:
		return string(cinch.KVNull), json.RawMessage("null"), nil
	case bool:
		return string(cinch.KVBool), AppendValue(nil, x), nil
	case int64:
		return string(cinch.KVInt), AppendValue(nil, x), nil
	case float64:
		return string(cinch.KVFloat), AppendFloat(nil, x), nil
	case string:
		return string(cinch.KVText), AppendString(nil, x), nil
	case []byte:
		return string(cinch.KVBytes), AppendValue(nil, x), nil
	case json.RawMessage:
		return string(cinch.KVJSON), x, nil
	}
	return "", nil, fmt.Errorf("%w: KV value of type %T", cinch.ErrInternal, v)
}

// DecodeKV reads a KV value from its type name ("" to infer it from the
// JSON) and JSON value, as cinch.NormalizeKVValue returns values. A value
// that does not fit its type is ErrInvalidInput.
func DecodeKV(typ string, raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, invalid("value is missing: give a JSON value (null for none)")
	}
	if !json.Valid(raw) {
		return nil, invalid("value is not valid JSON")
	}
	kind := jsonKind(raw)
	t := cinch.KVType(typ)
	if typ == "" {
		switch kind {
		case "string":
			t = cinch.KVText
		case "integer":
			t = cinch.KVInt
		case "number":
			t = cinch.KVFloat
		case "boolean":
			t = cinch.KVBool
		case "null":
			t = cinch.KVNull
		default:
			t = cinch.KVJSON
		}
	} else if _, err := cinch.ParseKVType(typ); err != nil {
		return nil, err
	}
	mismatch := func(want string) error {
		return invalid("a %s value must be %s, not %s", t, want, kindText(kind))
	}
	switch t {
	case cinch.KVText:
		if kind != "string" {
			return nil, mismatch("a JSON string")
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, invalid("bad string: %v", err)
		}
		if replaced(raw, s) {
			return nil, invalid("text is not valid UTF-8 (invalid bytes, or an unpaired surrogate escape)")
		}
		return s, nil
	case cinch.KVInt:
		if kind != "integer" {
			return nil, mismatch("an integer (no fraction or exponent)")
		}
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return nil, invalid("integer %s does not fit in 64 bits", raw)
		}
		return n, nil
	case cinch.KVFloat:
		if kind != "integer" && kind != "number" {
			return nil, mismatch("a number")
		}
		// Past float64's range a number reads as ±Inf: infinities travel
		// as ±9e999.
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, invalid("bad number %s", raw)
		}
		return f, nil
	case cinch.KVBool:
		if kind != "boolean" {
			return nil, mismatch("true or false")
		}
		return string(raw) == "true", nil
	case cinch.KVBytes:
		if kind != "string" {
			return nil, mismatch("a base64 string")
		}
		var s string
		json.Unmarshal(raw, &s)
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, invalid("bytes are not standard base64: %v", err)
		}
		return b, nil
	case cinch.KVNull:
		if kind != "null" {
			return nil, mismatch("null")
		}
		return nil, nil
	}
	var buf bytes.Buffer
	json.Compact(&buf, raw) // valid: checked above
	return json.RawMessage(buf.Bytes()), nil
}

// replaced reports whether encoding/json replaced something with U+FFFD
// when it decoded the JSON string raw into s: invalid UTF-8, or an
// unpaired surrogate escape (\ud800). Text must come back as it was sent.
func replaced(raw []byte, s string) bool {
	if !utf8.Valid(raw) {
		return true
	}
	n := strings.Count(s, "\ufffd")
	if n == 0 {
		return false
	}
	sent := bytes.Count(raw, []byte("\ufffd")) + strings.Count(strings.ToLower(string(raw)), `\ufffd`)
	return n > sent
}

// jsonKind names the kind of a valid JSON value by its first byte (and,
// for numbers, whether it has a fraction or exponent).
func jsonKind(raw []byte) string {
	switch raw[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	if bytes.ContainsAny(raw, ".eE") {
		return "number"
	}
	return "integer"
}

func kindText(kind string) string {
	switch kind {
	case "integer", "array", "object":
		return "an " + kind
	case "null":
		return "null"
	}
	return "a " + kind
}

func invalid(format string, args ...any) error {
	return &cinch.Error{Err: cinch.ErrInvalidInput, Message: "invalid KV value: " + fmt.Sprintf(format, args...)}
}
