package cluster

import (
	"testing"
	"time"
)

func tl(name string, writes float64) tenantLoad {
	return tenantLoad{t: Tenant{Database: "main", Branch: "main", Name: name}, writes: writes, full: true}
}

func TestPlacementLoadRule(t *testing.T) {
	cases := []struct {
		name    string
		nodes   []nodeLoad // the first is self
		tenants []tenantLoad
		want    string // "tenant>node", or "" for no move
	}{
		{"two hot tenants on one node: one goes to the idlest",
			[]nodeLoad{{"n1", 4, 200}, {"n2", 4, 0}, {"n3", 4, 5}},
			[]tenantLoad{tl("h1", 100), tl("h2", 100), tl("c1", 0), tl("c2", 0)}, "h1>n2"},
		{"the tenant that balances best, not the busiest",
			[]nodeLoad{{"n1", 3, 300}, {"n2", 3, 0}},
			[]tenantLoad{tl("big", 200), tl("mid", 90), tl("small", 10)}, "big>n2"},
		{"balances best: mid leaves max(210, 90)",
			[]nodeLoad{{"n1", 3, 300}, {"n2", 3, 0}},
			[]tenantLoad{tl("big", 250), tl("mid", 90), tl("small", 10)}, "mid>n2"},
		{"one hot tenant alone: moving it moves the hot spot, so it stays",
			[]nodeLoad{{"n1", 3, 100}, {"n2", 3, 0}, {"n3", 3, 0}},
			[]tenantLoad{tl("hot", 100), tl("c1", 0), tl("c2", 0)}, ""},
		{"after one of two hot tenants moved: balanced enough, nothing moves",
			[]nodeLoad{{"n1", 3, 100}, {"n2", 5, 100}, {"n3", 4, 0}},
			[]tenantLoad{tl("h1", 100), tl("c1", 0), tl("c2", 0)}, ""},
		{"a middling tenant evens two busy nodes",
			[]nodeLoad{{"n1", 8, 195}, {"n2", 2, 120}, {"n3", 2, 100}},
			[]tenantLoad{tl("c", 80), tl("d", 60), tl("e", 40), tl("f", 5), tl("g", 5), tl("h", 5), tl("i", 0), tl("j", 0)}, "e>n3"},
		{"the same, seen from the receiving node",
			[]nodeLoad{{"n2", 5, 100}, {"n1", 3, 100}, {"n3", 4, 0}},
			[]tenantLoad{tl("h2", 100), tl("c3", 0)}, ""},
		{"noise: small rates never move anything",
			[]nodeLoad{{"n1", 3, 9}, {"n2", 3, 0}},
			[]tenantLoad{tl("a", 5), tl("b", 4)}, ""},
		{"within the factor of the average: nothing moves",
			[]nodeLoad{{"n1", 3, 110}, {"n2", 3, 90}, {"n3", 3, 100}},
			[]tenantLoad{tl("a", 55), tl("b", 55)}, ""},
		{"a tenant measured over less than a window does not count",
			[]nodeLoad{{"n1", 2, 200}, {"n2", 2, 0}},
			[]tenantLoad{{t: Tenant{Database: "main", Branch: "main", Name: "new"}, writes: 100}, tl("old", 100)}, "old>n2"},
		{"the target must stay within the count bound",
			[]nodeLoad{{"n1", 2, 200}, {"n2", 5, 0}, {"n3", 3, 50}},
			[]tenantLoad{tl("h1", 100), tl("h2", 100)}, "h1>n3"},
		{"no target within the count bound",
			[]nodeLoad{{"n1", 2, 200}, {"n2", 6, 0}},
			[]tenantLoad{tl("h1", 100), tl("h2", 100)}, ""},
		{"alone: nothing to do",
			[]nodeLoad{{"n1", 2, 200}},
			[]tenantLoad{tl("h1", 100), tl("h2", 100)}, ""},
	}
	for _, c := range cases {
		got := ""
		if ten, to, ok := planLoadMove(c.nodes[0].name, c.nodes, c.tenants); ok {
			got = ten.Name + ">" + to
		}
		if got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

// Applying the load rule to its own result converges: every node runs it
// in turn on the cluster as it is after the moves so far, and after a few
// rounds nobody moves anything (no churn), with the load spread.
func TestPlacementLoadRuleConverges(t *testing.T) {
	owner := map[string]string{}
	rate := map[string]float64{}
	for i, w := range []float64{120, 100, 80, 60, 40, 5, 5, 5, 0, 0, 0, 0} {
		name := string(rune('a' + i))
		owner[name], rate[name] = "n1", w
	}
	owner["k"], owner["l"] = "n2", "n3"
	view := func() []nodeLoad {
		var out []nodeLoad
		for _, n := range []string{"n1", "n2", "n3"} {
			nl := nodeLoad{name: n}
			for ten, o := range owner {
				if o == n {
					nl.tenants++
					nl.writes += rate[ten]
				}
			}
			out = append(out, nl)
		}
		return out
	}
	moves := 0
	for round := 0; round < 20; round++ {
		moved := false
		for _, self := range []string{"n1", "n2", "n3"} {
			var mine []tenantLoad
			for ten, o := range owner {
				if o == self {
					mine = append(mine, tl(ten, rate[ten]))
				}
			}
			if ten, to, ok := planLoadMove(self, view(), mine); ok {
				owner[ten.Name] = to
				moved = true
				moves++
			}
		}
		if !moved {
			break
		}
	}
	if moves > 6 {
		t.Errorf("%d moves: the rule churns", moves)
	}
	// One more full round moves nothing.
	for _, self := range []string{"n1", "n2", "n3"} {
		var mine []tenantLoad
		for ten, o := range owner {
			if o == self {
				mine = append(mine, tl(ten, rate[ten]))
			}
		}
		if ten, to, ok := planLoadMove(self, view(), mine); ok {
			t.Errorf("still moving %s from %s to %s: %+v", ten.Name, self, to, view())
		}
	}
	busiest, total := 0.0, 0.0
	for _, n := range view() {
		busiest, total = max(busiest, n.writes), total+n.writes
	}
	if busiest > total/3*1.5 {
		t.Errorf("load still uneven after %d moves: %+v", moves, view())
	}
}

func TestPlacementCountRule(t *testing.T) {
	nodes := []nodeLoad{{"n1", 10, 0}, {"n2", 2, 0}, {"n3", 3, 0}}
	if got := planCountMove("n1", nodes); got != "n2" {
		t.Errorf("n1 owns 10 of 15: sheds to %q, want n2", got)
	}
	if got := planCountMove("n3", nodes); got != "" {
		t.Errorf("n3 owns 3 of 15: sheds to %q, want nothing", got)
	}
	if got := planCountMove("n1", []nodeLoad{{"n1", 6, 0}, {"n2", 5, 0}, {"n3", 5, 0}}); got != "" {
		t.Errorf("within the bound: sheds to %q", got)
	}
	ten, ok := coldest([]tenantLoad{tl("hot", 50), tl("b", 0), tl("a", 0), tl("warm", 3)})
	if !ok || ten.Name != "a" {
		t.Errorf("coldest = %v, want a (fewest writes, then by name)", ten)
	}
}

func TestRateWindow(t *testing.T) {
	var w rateWindow
	t0 := time.Unix(1000, 0)
	if w.rate() != 0 {
		t.Fatal("empty window has a rate")
	}
	for i := range 30 {
		w.add(t0.Add(time.Duration(i)*time.Second), uint64(i*5)) // 5 per second
	}
	if r := w.rate(); r != 5 {
		t.Errorf("rate %v, want 5", r)
	}
	if s := w.span(); s != loadWindow {
		t.Errorf("span %v, want %v", s, loadWindow)
	}
	// A burst, then quiet for a whole window: the rate falls back to 0.
	w.add(t0.Add(30*time.Second), 1000)
	for i := 31; i < 45; i++ {
		w.add(t0.Add(time.Duration(i)*time.Second), 1000)
	}
	if r := w.rate(); r != 0 {
		t.Errorf("rate %v after a quiet window, want 0", r)
	}
	if !loadCoolingDown(t0, t0.Add(loadCooldown-time.Second)) || loadCoolingDown(t0, t0.Add(loadCooldown)) || loadCoolingDown(time.Time{}, t0) {
		t.Error("loadCoolingDown")
	}
}
