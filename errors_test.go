package cinch_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
)

func TestCodesUnique(t *testing.T) {
	codes := map[string]error{}
	sentinels := map[error]string{}
	codeRE := regexp.MustCompile(`^[a-z][a-z_]*[a-z]$`)
	for _, c := range cinch.Codes {
		if c.Err == nil {
			t.Fatalf("nil sentinel for code %q", c.Code)
		}
		if !codeRE.MatchString(c.Code) {
			t.Errorf("code %q is not snake_case", c.Code)
		}
		if prev, ok := codes[c.Code]; ok {
			t.Errorf("code %q used by both %v and %v", c.Code, prev, c.Err)
		}
		codes[c.Code] = c.Err
		if prev, ok := sentinels[c.Err]; ok {
			t.Errorf("sentinel %v has two codes: %q and %q", c.Err, prev, c.Code)
		}
		sentinels[c.Err] = c.Code
	}
	// Every exported sentinel is in the table.
	for _, e := range []error{
		cinch.ErrInvalidName, cinch.ErrInvalidInput, cinch.ErrNoProject, cinch.ErrProjectExists,
		cinch.ErrDatabaseNotFound, cinch.ErrDatabaseExists, cinch.ErrBranchNotFound, cinch.ErrBranchExists,
		cinch.ErrTenantNotFound, cinch.ErrTenantExists, cinch.ErrTableNotFound, cinch.ErrTableExists,
		cinch.ErrColumnNotFound, cinch.ErrColumnExists, cinch.ErrViewNotFound, cinch.ErrViewExists,
		cinch.ErrIndexNotFound, cinch.ErrIndexExists, cinch.ErrRowNotFound, cinch.ErrKeyNotFound, cinch.ErrProtected,
		cinch.ErrQueryRejected, cinch.ErrReadOnly, cinch.ErrConstraint, cinch.ErrRolloutFailed,
		cinch.ErrSchemaDrift, cinch.ErrConflict, cinch.ErrBusy, cinch.ErrUnauthorized, cinch.ErrForbidden,
		cinch.ErrTooLarge, cinch.ErrRateLimited, cinch.ErrNotImplemented, cinch.ErrInternal,
		cinch.ErrCanceled, cinch.ErrConfirmationNeeded, cinch.ErrTenantRequired,
	} {
		if _, ok := sentinels[e]; !ok {
			t.Errorf("sentinel %v has no code in cinch.Codes", e)
		}
	}
	// No sentinel wraps another (errors.Is would pick the wrong code).
	for _, a := range cinch.Codes {
		for _, b := range cinch.Codes {
			if a.Err != b.Err && errors.Is(a.Err, b.Err) {
				t.Errorf("%v wraps %v", a.Err, b.Err)
			}
		}
	}
}

func TestCodeRoundTrip(t *testing.T) {
	for _, c := range cinch.Codes {
		if got := cinch.Code(cinch.FromCode(c.Code)); got != c.Code {
			t.Errorf("Code(FromCode(%q)) = %q", c.Code, got)
		}
		if got := cinch.FromCode(c.Code); got != c.Err {
			t.Errorf("FromCode(%q) = %v, want %v", c.Code, got, c.Err)
		}
		if got := cinch.Code(c.Err); got != c.Code {
			t.Errorf("Code(%v) = %q, want %q", c.Err, got, c.Code)
		}
	}
	for _, unknown := range []string{"", "nope", "INVALID_NAME", "invalid name"} {
		if got := cinch.FromCode(unknown); got != cinch.ErrInternal {
			t.Errorf("FromCode(%q) = %v, want ErrInternal", unknown, got)
		}
	}
}

func TestCodeWrapped(t *testing.T) {
	for _, c := range cinch.Codes {
		rich := &cinch.Error{Op: "tenant create", Entity: `tenant "x"`, Err: c.Err, Message: "m", Hint: "h"}
		cases := map[string]error{
			"*Error":            rich,
			"Errorf":            cinch.Errorf(c.Err, "thing %d failed", 1),
			"fmt %w":            fmt.Errorf("doing a thing: %w", c.Err),
			"fmt %w of *Error":  fmt.Errorf("outer: %w", rich),
			"*Error of fmt %w":  &cinch.Error{Err: fmt.Errorf("cause: %w", c.Err)},
			"errors.Join":       errors.Join(errors.New("other"), c.Err),
			"double fmt %w":     fmt.Errorf("a: %w", fmt.Errorf("b: %w", c.Err)),
			"NotFound/Exists-y": &cinch.Error{Err: rich},
		}
		for name, err := range cases {
			if got := cinch.Code(err); got != c.Code {
				t.Errorf("%s around %v: Code = %q, want %q", name, c.Err, got, c.Code)
			}
			if !errors.Is(err, c.Err) {
				t.Errorf("%s around %v: errors.Is false", name, c.Err)
			}
		}
	}
}

func TestCodeUnknown(t *testing.T) {
	for _, err := range []error{
		nil,
		errors.New("boom"),
		fmt.Errorf("wrapped: %w", errors.New("boom")),
		context.DeadlineExceeded,
		&cinch.Error{Err: errors.New("cause"), Message: "x"},
	} {
		if got := cinch.Code(err); got != "internal" {
			t.Errorf("Code(%v) = %q, want internal", err, got)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	cases := []struct {
		err  *cinch.Error
		want []string
		not  []string
	}{
		{&cinch.Error{Err: cinch.ErrTenantNotFound, Message: `tenant "acme" not found`, Hint: "run cinch tenant list"},
			[]string{`tenant "acme" not found`, "run cinch tenant list"}, nil},
		{&cinch.Error{Err: cinch.ErrTenantNotFound, Entity: `tenant "acme"`},
			[]string{`tenant "acme"`, "tenant not found"}, []string{"()"}},
		{&cinch.Error{Err: cinch.ErrBusy, Message: "locked"}, []string{"locked"}, []string{"("}},
		{cinch.Errorf(cinch.ErrInvalidInput, "bad %s", "value").WithHint("write it right"),
			[]string{"bad value", "write it right"}, nil},
		{cinch.NotFound(cinch.ErrTableNotFound, "table", "users", "run cinch table list"),
			[]string{`table "users" not found`, "run cinch table list"}, nil},
		{cinch.Exists(cinch.ErrTenantExists, "tenant", "acme"),
			[]string{`tenant "acme" already exists`, "choose another name"}, nil},
	}
	for _, tc := range cases {
		msg := tc.err.Error()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%q lacks %q", msg, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(msg, n) {
				t.Errorf("%q should not contain %q", msg, n)
			}
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("%q is not one line", msg)
		}
		if errors.Unwrap(tc.err) != tc.err.Err {
			t.Errorf("Unwrap(%v) = %v", tc.err, errors.Unwrap(tc.err))
		}
	}
	// Hint comes after the message.
	e := &cinch.Error{Err: cinch.ErrInvalidInput, Message: "MSG", Hint: "HINT"}
	if m := e.Error(); strings.Index(m, "MSG") > strings.Index(m, "HINT") {
		t.Errorf("hint before message: %q", m)
	}
	var target *cinch.Error
	if !errors.As(fmt.Errorf("x: %w", e), &target) || target != e {
		t.Errorf("errors.As does not find *cinch.Error")
	}
}
