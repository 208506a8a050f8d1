// Command cinch-bench runs issue 7's benchmark suite: every case through
// cinch and through an honest baseline that uses the same driver
// (github.com/ncruces/go-sqlite3) directly on the same kind of files, with
// the same pragmas and the same data, and prints median times, the ratio
// cinch/baseline, the target and whether it is met.
//
//	go run ./cmd/cinch-bench [-quick] [-json] [-cpuprofile F] [-trace F] [-case NAME[,NAME]]
//
// -quick uses smaller sizes and fewer repetitions (about a minute on two
// cores); -case runs only the cases whose names start with one of the given
// prefixes (e.g. -case add-column,fanout). See docs/benchmarks.md for what
// each case and its baseline do, and for the JSON fields.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	if child := os.Getenv(childEnv); child != "" {
		os.Exit(runChild(child, os.Args[1:]))
	}
	var (
		quick   = flag.Bool("quick", false, "smaller sizes, fewer repetitions (about a minute)")
		asJSON  = flag.Bool("json", false, "print a JSON array instead of a table")
		cpuprof = flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
		tracef  = flag.String("trace", "", "write an execution trace of the whole run to this file (go tool trace: where the time off the CPU goes)")
		only    = flag.String("case", "", "run only cases whose names start with one of these comma-separated prefixes")
		list    = flag.Bool("list", false, "list the case names and exit")
	)
	flag.Parse()
	sc := fullScale
	if *quick {
		sc = quickScale
	}
	if *list {
		for _, c := range cases(sc) {
			fmt.Println(c.name)
		}
		return
	}
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if *tracef != "" {
		f, err := os.Create(*tracef)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := trace.Start(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer func() { trace.Stop(); f.Close() }()
	}
	var log io.Writer = os.Stderr
	results, err := run(context.Background(), sc, splitList(*only), log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cinch-bench:", err)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(results)
	} else {
		printTable(os.Stdout, sc, results)
	}
	if err != nil {
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Result is one case's outcome; the JSON form is documented in
// docs/benchmarks.md ("cinch-bench JSON").
type Result struct {
	Case       string  `json:"case"`
	CinchNS    float64 `json:"cinch_ns"`    // median ns per op through cinch
	BaselineNS float64 `json:"baseline_ns"` // median ns per op through the baseline; 0 if none
	Ratio      float64 `json:"ratio"`       // cinch_ns / baseline_ns; 0 if no baseline
	Target     string  `json:"target"`
	Meets      bool    `json:"meets"`
	// Extras (documented): what one op is, the figure a non-ratio target
	// is judged on (rate, MB) and its unit, repetitions, and a note.
	Op    string  `json:"op"`
	Value float64 `json:"value,omitempty"`
	Unit  string  `json:"unit,omitempty"`
	Reps  int     `json:"reps"`
	Note  string  `json:"note,omitempty"`
}

// benchCase is one row of issue 7's table.
type benchCase struct {
	name string
	run  func(ctx context.Context, env *env) (Result, error)
}

// run runs the selected cases in order; a failing case is reported and the
// others still run. The error is the first failure.
func run(ctx context.Context, sc scale, only []string, log io.Writer) ([]Result, error) {
	root, err := os.MkdirTemp("", "cinch-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(root)
	e := &env{sc: sc, root: root, log: log}
	defer e.cleanup()
	fmt.Fprintf(log, "cinch-bench: %s mode, %d repetitions (big cases: %d), files in %s\n", sc.name, sc.reps, sc.bigReps, root)
	results := []Result{}
	var first error
	for _, c := range cases(sc) {
		if !selected(c.name, only) {
			continue
		}
		start := time.Now()
		fmt.Fprintf(log, "  %-32s ", c.name)
		r, err := c.run(ctx, e)
		r.Case = c.name
		if err != nil {
			fmt.Fprintf(log, "FAILED: %v\n", err)
			r.Note = "failed: " + err.Error()
			if first == nil {
				first = fmt.Errorf("%s: %w", c.name, err)
			}
		} else {
			fmt.Fprintf(log, "%s (%.1fs)\n", summary(r), time.Since(start).Seconds())
		}
		results = append(results, r)
	}
	return results, first
}

func selected(name string, only []string) bool {
	if len(only) == 0 {
		return true
	}
	for _, p := range only {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func summary(r Result) string {
	s := fmt.Sprintf("cinch %s/%s", fmtNS(r.CinchNS), r.Op)
	if r.BaselineNS > 0 {
		s += fmt.Sprintf(", baseline %s, ratio %.2f", fmtNS(r.BaselineNS), r.Ratio)
	}
	if r.Unit != "" {
		s += fmt.Sprintf(", %s %s", fmtNum(r.Value), r.Unit)
	}
	return s + fmt.Sprintf(", target %s: %s", r.Target, yesNo(r.Meets))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

func fmtNS(ns float64) string {
	d := time.Duration(ns)
	switch {
	case ns == 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.1fµs", ns/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.2fms", ns/1e6)
	}
	return fmt.Sprintf("%.2fs", ns/1e9)
}

func fmtNum(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func printTable(w io.Writer, sc scale, results []Result) {
	fmt.Fprintf(w, "cinch-bench, %s mode (%s); medians of the repetitions; ratio = cinch / baseline\n", sc.name, sc.describe)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tcinch\tbaseline\tratio\tvalue\ttarget\tmeets\treps")
	for _, r := range results {
		ratio, value := "-", "-"
		if r.Ratio > 0 {
			ratio = fmt.Sprintf("%.2fx", r.Ratio)
		}
		if r.Unit != "" {
			value = fmtNum(r.Value) + " " + r.Unit
		}
		meets := yesNo(r.Meets)
		if strings.HasPrefix(r.Note, "failed") || strings.HasPrefix(r.Note, "not yet") {
			meets = r.Note
		}
		fmt.Fprintf(tw, "%s\t%s/%s\t%s\t%s\t%s\t%s\t%s\t%d\n", r.Case, fmtNS(r.CinchNS), r.Op, fmtNS(r.BaselineNS), ratio, value, r.Target, meets, r.Reps)
	}
	tw.Flush()
}
