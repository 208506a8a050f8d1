package cli_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/cli"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"1048576", 1048576},
		{"512MiB", 512 << 20},
		{"512mib", 512 << 20},
		{"1GB", 1_000_000_000},
		{"1 GB", 1_000_000_000},
		{" 2GiB ", 2 << 30},
		{"64KiB", 64 << 10},
		{"100KB", 100_000},
		{"1.5GiB", 3 << 29},
		{"1.5kb", 1500},
		{"10B", 10},
		{"1k", 1000},
		{"1TiB", 1 << 40},
		{"9223372036854775807", 1<<63 - 1},
	} {
		got, err := cli.ParseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "-1", "-1GB", "GB", "1XB", "abc", "1.5", "0.3B", "1..2MB", "9223372036854775808",
		"9000000TiB", "NaN", "Inf", "1e3", "--1", "1 2", "+-1"} {
		got, err := cli.ParseSize(in)
		if err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
			continue
		}
		if cinch.Code(err) != "invalid_input" || !strings.Contains(cli.ErrorMessage(err), "512KiB") {
			t.Errorf("ParseSize(%q): error %q (code %s) lacks a hint", in, cli.ErrorMessage(err), cinch.Code(err))
		}
	}
}

func TestParseAge(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"365d", 365 * day},
		{"1d", day},
		{"48h", 48 * time.Hour},
		{"90m", 90 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"1d12h", 36 * time.Hour},
		{"0d1s", time.Second},
		{" 7d ", 7 * day},
	} {
		got, err := cli.ParseAge(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "0", "0d", "0s", "-1d", "-5h", "d", "1.5d", "+1d", "1y", "abc", "365", "1d-2h", "1dd",
		"99999999999d", "106752d", "106751d24h"} {
		got, err := cli.ParseAge(in)
		if err == nil {
			t.Errorf("ParseAge(%q) = %v, want an error", in, got)
			continue
		}
		if cinch.Code(err) != "invalid_input" || !strings.Contains(cli.ErrorMessage(err), "365d") {
			t.Errorf("ParseAge(%q): error %q lacks a hint", in, cli.ErrorMessage(err))
		}
	}
}

// TestProgressFinishes checks that the bar never blocks the command: a
// completed run, an interrupted one (a fleet operation that failed half
// way) and one too small to draw all return from finish.
func TestProgressFinishes(t *testing.T) {
	for _, stop := range []int{20, 7, 0} {
		var buf bytes.Buffer
		cb, finish := cli.Progress(&buf)
		for i := 1; i <= stop; i++ {
			cb(i, 20)
		}
		cb(stop, 20) // a late, out-of-order report
		finish()
	}
	var buf bytes.Buffer
	cb, finish := cli.Progress(&buf)
	for i := 1; i <= 3; i++ {
		cb(i, 3) // a handful: no bar
	}
	finish()
	if buf.Len() != 0 {
		t.Errorf("progress drawn for 3 tenants: %q", buf.String())
	}
}
