package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cinchdb/cinch"
)

// sizeUnits are the suffixes parseSize accepts, lower-cased.
var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// parseSize parses a byte size for a group limit: a number of bytes
// (1048576), or a number with a decimal (KB, MB, GB, TB: powers of 1000)
// or binary (KiB, MiB, GiB, TiB: powers of 1024) unit, case-insensitive,
// with an optional space (512MiB, 1.5 GB). 0 means no limit. Negative
// sizes, fractions of a byte and sizes past int64 are errors.
func parseSize(s string) (int64, error) {
	bad := func(why string) (int64, error) {
		return 0, &cinch.Error{Err: cinch.ErrInvalidInput,
			Message: fmt.Sprintf("invalid size %q: %s", s, why),
			Hint:    "write bytes (1048576) or a number with a unit: 512KiB, 64MiB, 1GB, 2GiB; 0 for no limit"}
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return bad("empty")
	}
	i := strings.IndexFunc(t, func(r rune) bool { return !(unicode.IsDigit(r) || r == '.' || r == '-' || r == '+') })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	}
	if num == "" {
		return bad("no number")
	}
	mult, ok := sizeUnits[unit]
	if !ok {
		return bad("unknown unit " + strconv.Quote(strings.TrimSpace(t[i:])))
	}
	if strings.HasPrefix(num, "-") {
		return bad("a size cannot be negative")
	}
	if n, err := strconv.ParseInt(num, 10, 64); err == nil {
		if n > math.MaxInt64/int64(mult) {
			return bad("too large")
		}
		return n * int64(mult), nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return bad("not a number")
	}
	v := f * mult
	if v >= math.MaxInt64 {
		return bad("too large")
	}
	if v != math.Trunc(v) {
		return bad("not a whole number of bytes")
	}
	return int64(v), nil
}

// parseAge parses how long ago for --inactive-since: whole days (365d),
// hours (12h), any Go duration (90m, 1h30m) or days followed by one
// (1d12h). It must be positive.
func parseAge(s string) (time.Duration, error) {
	bad := func(why string) (time.Duration, error) {
		return 0, &cinch.Error{Err: cinch.ErrInvalidInput,
			Message: fmt.Sprintf("invalid duration %q: %s", s, why),
			Hint:    "write days (365d), hours (48h) or a Go duration (90m, 1h30m)"}
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return bad("empty")
	}
	if strings.HasPrefix(t, "-") {
		return bad("it cannot be negative")
	}
	var d time.Duration
	rest := t
	if i := strings.IndexByte(t, 'd'); i >= 0 {
		days, err := strconv.ParseInt(t[:i], 10, 64)
		if err != nil || days < 0 || t[:i] == "" || strings.HasPrefix(t[:i], "+") {
			return bad("days must be a whole number, as in 365d")
		}
		const maxDays = int64(math.MaxInt64 / int64(24*time.Hour))
		if days > maxDays {
			return bad("too long")
		}
		d = time.Duration(days) * 24 * time.Hour
		rest = t[i+1:]
	}
	if rest != "" {
		more, err := time.ParseDuration(rest)
		if err != nil {
			return bad("not a duration")
		}
		if more < 0 {
			return bad("it cannot be negative")
		}
		if d > math.MaxInt64-more {
			return bad("too long")
		}
		d += more
	}
	if d <= 0 {
		return bad("it must be more than zero")
	}
	return d, nil
}
