package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/cinchdb/cinch"
)

// parseParam turns one --param value into a query parameter. A JSON scalar
// becomes its value: an integer becomes int64, another number float64,
// true/false a bool, null nil, and a JSON string ("\"42\"") that string,
// which is how to pass digits as text. Anything else (plain words, text
// with surrounding spaces, integers too large for int64, numbers with
// leading zeros such as 007) is passed as the string given.
func parseParam(s string) any {
	if s == "" || strings.TrimSpace(s) != s {
		return s
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return s
	}
	if _, err := dec.Token(); err != io.EOF {
		return s
	}
	switch x := v.(type) {
	case nil, bool, string:
		return x
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		if strings.ContainsAny(string(x), ".eE") {
			if f, err := x.Float64(); err == nil {
				return f
			}
		}
		return s
	default: // objects and arrays are not scalars
		return s
	}
}

// parseParams applies parseParam to every --param value.
func parseParams(values []string) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = parseParam(v)
	}
	return out
}

// decodeRecords parses the --data of `data insert` and `data update`: one
// JSON object, or (when allowArray) an array of objects. Numbers become
// int64 when integral, else float64; values must be scalars. Trailing data
// after the value is an error. many reports whether the input was an array.
func decodeRecords(data string, allowArray bool) (recs []cinch.Record, many bool, err error) {
	bad := func(format string, args ...any) ([]cinch.Record, bool, error) {
		return nil, false, &cinch.Error{Err: cinch.ErrInvalidInput,
			Message: "invalid --data: " + fmt.Sprintf(format, args...),
			Hint:    `write a JSON object such as '{"name": "Alice", "email": "alice@acme.com"}'` + map[bool]string{true: " or an array of them", false: ""}[allowArray]}
	}
	dec := json.NewDecoder(strings.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return bad("empty input")
		}
		return bad("%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("unexpected data after the JSON value")
	}
	switch x := v.(type) {
	case map[string]any:
		rec, err := toRecord(x, "")
		if err != nil {
			return bad("%v", err)
		}
		return []cinch.Record{rec}, false, nil
	case []any:
		if !allowArray {
			return bad("expected a JSON object, got an array")
		}
		recs := make([]cinch.Record, 0, len(x))
		for i, e := range x {
			obj, ok := e.(map[string]any)
			if !ok {
				return bad("element %d of the array is %s, not an object", i, jsonKind(e))
			}
			rec, err := toRecord(obj, fmt.Sprintf("element %d: ", i))
			if err != nil {
				return bad("%v", err)
			}
			recs = append(recs, rec)
		}
		if len(recs) == 0 {
			return bad("the array is empty")
		}
		return recs, true, nil
	default:
		what := "a JSON object"
		if allowArray {
			what += " or an array of objects"
		}
		return bad("expected %s, got %s", what, jsonKind(v))
	}
}

func toRecord(obj map[string]any, where string) (cinch.Record, error) {
	rec := make(cinch.Record, len(obj))
	for k, v := range obj {
		switch x := v.(type) {
		case nil, bool, string:
			rec[k] = x
		case json.Number:
			if n, err := x.Int64(); err == nil {
				rec[k] = n
			} else if f, err := x.Float64(); err == nil {
				rec[k] = f
			} else {
				return nil, fmt.Errorf("%svalue of %q: number %s is out of range", where, k, x)
			}
		default:
			return nil, fmt.Errorf("%svalue of %q is %s; use a string, number, boolean or null", where, k, jsonKind(v))
		}
	}
	return rec, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// readData returns the --data value, reading stdin when it is "-".
func (a *app) readData(value string) (string, error) {
	if value != "-" {
		return value, nil
	}
	data, err := io.ReadAll(a.stdin)
	if err != nil {
		return "", fmt.Errorf("reading --data from stdin: %w", err)
	}
	return string(bytes.TrimSpace(data)), nil
}

// isTerminal reports whether stdin is an interactive terminal.
func (a *app) isTerminal() bool {
	f, ok := a.stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// confirm guards a destructive command: --force goes ahead; on a terminal
// the user is asked; otherwise the command is refused and nothing changes.
func (a *app) confirm(force bool, what string) error {
	if force {
		return nil
	}
	if !a.isTerminal() {
		return &cinch.Error{Err: cinch.ErrConfirmationNeeded,
			Message: fmt.Sprintf("refusing to delete %s without confirmation", what),
			Hint:    "pass --force to delete without asking"}
	}
	fmt.Fprintf(a.stderr, "Delete %s? This cannot be undone. [y/N] ", what)
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(a.stderr)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return &cinch.Error{Err: cinch.ErrCanceled, Message: fmt.Sprintf("aborted: %s was not deleted", what)}
}
