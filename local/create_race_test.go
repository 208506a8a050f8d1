package local_test

// Issue 10, item 5.1: two creates of the same branch or database, racing
// in one process or in two, must end with exactly one winner; every loser
// gets ErrBranchExists / ErrDatabaseExists, never "rename ... no such file"
// or "disk I/O error", and nothing half-built is left behind.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// raceOutcome counts winners and losers of one round.
func raceOutcome(t *testing.T, what string, errs []error, exists error) {
	t.Helper()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, exists):
			// the expected loss
		default:
			t.Errorf("%s: racer %d: %v (code %s), want nil or %v", what, i, err, cinch.Code(err), exists)
		}
	}
	if wins != 1 {
		t.Errorf("%s: %d racers won, want exactly 1 (errors %v)", what, wins, errs)
	}
}

// noStaging fails if a staging folder (".NAME.creating...") is left in dir.
func noStaging(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".creating") {
			t.Errorf("staging leftover %s in %s", e.Name(), dir)
		}
	}
}

func TestBranches_ConcurrentCreateSameName(t *testing.T) {
	ctx := context.Background()
	p, db := newBranchProject(t)
	// A second source, so racers do not serialize on one source's lock.
	if _, err := db.Branches().Create(ctx, "other", "main"); err != nil {
		t.Fatal(err)
	}
	const racers = 4
	for round := range 5 {
		name := fmt.Sprintf("feature.r%d", round)
		errs := make([]error, racers)
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				from := []string{"main", "other"}[i%2]
				<-gate
				_, errs[i] = db.Branches().Create(ctx, name, from)
			}()
		}
		close(gate)
		wg.Wait()
		raceOutcome(t, name, errs, cinch.ErrBranchExists)
		info, err := db.Branches().Info(ctx, name)
		if err != nil {
			t.Fatalf("%s after the race: %v", name, err)
		}
		if info.Tenants != 3 {
			t.Errorf("%s has %d tenants, want 3", name, info.Tenants)
		}
		res, err := db.SwitchBranch(name).SwitchTenant("acme").Query(ctx, "SELECT count(*) AS n FROM users")
		if err != nil || res.Value(0, "n") != int64(1) {
			t.Errorf("%s/acme rows: %v, %v; want 1", name, res, err)
		}
	}
	noStaging(t, filepath.Join(p.Dir(), ".cinchdb", "databases", "main", "branches"))
}

func TestProject_ConcurrentCreateDatabase(t *testing.T) {
	ctx := context.Background()
	p, _ := newBranchProject(t)
	const racers = 4
	for round := range 5 {
		name := fmt.Sprintf("app%d", round)
		errs := make([]error, racers)
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				errs[i] = p.CreateDatabase(ctx, name)
			}()
		}
		close(gate)
		wg.Wait()
		raceOutcome(t, name, errs, cinch.ErrDatabaseExists)
		db, err := p.Connect(cinch.Target{Database: name})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Query(ctx, "SELECT 1"); err != nil {
			t.Errorf("database %s after the race: %v", name, err)
		}
	}
	noStaging(t, filepath.Join(p.Dir(), ".cinchdb", "databases"))
}

// TestCreateRaceHelper is the child of the two-process tests below; it does
// nothing unless CINCH_CREATE_RACE is set. It waits for the gate file (so
// both children start together), does one create and prints the outcome's
// code ("ok" when it won).
func TestCreateRaceHelper(t *testing.T) {
	spec := os.Getenv("CINCH_CREATE_RACE")
	if spec == "" {
		t.Skip("helper process for the two-process create races")
	}
	parts := strings.Split(spec, "|") // dir|gate|kind|name|from
	dir, gate, kind, name, from := parts[0], parts[1], parts[2], parts[3], parts[4]
	ctx := context.Background()
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		fmt.Println("connect:", err)
		os.Exit(2)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(gate); err == nil {
			break
		}
		if time.Now().After(deadline) {
			fmt.Println("gate never opened")
			os.Exit(2)
		}
	}
	switch kind {
	case "branch":
		_, err = db.Branches().Create(ctx, name, from)
	case "db":
		err = p.CreateDatabase(ctx, name)
	}
	if err == nil {
		fmt.Println("RESULT ok")
	} else {
		fmt.Printf("RESULT %s %v\n", cinch.Code(err), err)
	}
}

// raceProcesses runs one create in each of two processes at once and
// returns their outcomes as errors (nil for a win).
func raceProcesses(t *testing.T, dir, kind, name string, froms [2]string) []error {
	t.Helper()
	gate := filepath.Join(t.TempDir(), "gate")
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCreateRaceHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), "CINCH_CREATE_RACE="+strings.Join([]string{dir, gate, kind, name, froms[i]}, "|"))
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	time.Sleep(300 * time.Millisecond) // both children open the project and wait
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var errs []error
	for i, cmd := range cmds {
		werr := cmd.Wait()
		text := outs[i].String()
		_, line, found := strings.Cut(text, "RESULT ")
		line, _, _ = strings.Cut(line, "\n")
		switch {
		case !found || werr != nil:
			t.Fatalf("child %d: %v\n%s", i, werr, text)
		case line == "ok":
			errs = append(errs, nil)
		default:
			code, msg, _ := strings.Cut(line, " ")
			errs = append(errs, fmt.Errorf("%w: %s", cinch.FromCode(code), msg))
		}
	}
	return errs
}

func TestBranches_ConcurrentCreateTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	ctx := context.Background()
	p, db := newBranchProject(t)
	if _, err := db.Branches().Create(ctx, "other", "main"); err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		name := fmt.Sprintf("feature.p%d", round)
		errs := raceProcesses(t, p.Dir(), "branch", name, [2]string{"main", "other"})
		raceOutcome(t, name, errs, cinch.ErrBranchExists)
		if _, err := db.Branches().Info(ctx, name); err != nil {
			t.Errorf("%s after the race: %v", name, err)
		}
	}
	noStaging(t, filepath.Join(p.Dir(), ".cinchdb", "databases", "main", "branches"))
	for round := range 2 {
		name := fmt.Sprintf("procdb%d", round)
		errs := raceProcesses(t, p.Dir(), "db", name, [2]string{})
		raceOutcome(t, name, errs, cinch.ErrDatabaseExists)
	}
	noStaging(t, filepath.Join(p.Dir(), ".cinchdb", "databases"))
}
