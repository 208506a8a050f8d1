package cluster

import (
	"sort"
	"time"
)

// Placement: which tenant a node sheds, and to whom (rebalanceStep). Two
// rules, each deciding for the node that runs it, from the nodes'
// heartbeats; the functions here are pure so the rules can be tested alone.
//
//   - By count: a node owning more than the average plus a tenth (at least
//     one) sheds its least busy tenant to the node owning the fewest, when
//     that one is below the average.
//   - By load: a node whose writes/s exceed the average by loadFactor and
//     by at least loadMinWrites sheds one tenant to the node with the
//     fewest writes/s, choosing the tenant that leaves the busier of the two
//     least loaded, and only if the target then still writes less than
//     this node did, by a margin (a tenth of this node's rate, at least
//     loadMinWrites): a node whose load is one hot tenant keeps it, since
//     moving it would only move the hot spot, and the move cannot be
//     undone by the same rule on the target. The target must stay within
//     the count bound, so the count rule never sends the tenant back.
//
// Hysteresis: a node moves at most one tenant per step (rebalanceEvery);
// after a move for load it waits loadCooldown (two windows, so both nodes'
// rates show the move) before the next one; a tenant's rate counts only
// once it was owned for a whole window.

const (
	loadFactor    = 1.25
	loadMinWrites = 10.0 // writes/s above the average before load matters
	loadMargin    = 0.1
	loadCooldown  = 2 * loadWindow
)

// nodeLoad is a node as placement sees it: alive and not draining.
type nodeLoad struct {
	name    string
	tenants int
	writes  float64
}

// countBound is the most tenants a node may own before it sheds one:
// the average plus a tenth (at least one).
func countBound(nodes []nodeLoad) (avg, bound float64) {
	total := 0
	for _, n := range nodes {
		total += n.tenants
	}
	avg = float64(total) / float64(len(nodes))
	return avg, avg + max(1, avg/10)
}

// planCountMove returns the node self should shed a tenant to because it
// owns too many, or "". nodes includes self.
func planCountMove(self string, nodes []nodeLoad) string {
	if len(nodes) < 2 {
		return ""
	}
	avg, bound := countBound(nodes)
	mine, target, least := 0, "", -1
	for _, n := range nodes {
		if n.name == self {
			mine = n.tenants
			continue
		}
		if least < 0 || n.tenants < least {
			target, least = n.name, n.tenants
		}
	}
	if float64(mine) <= bound || float64(least) >= avg {
		return ""
	}
	return target
}

// coldest returns the owned tenant with the fewest writes/s (by name on a
// tie), the one the count rule sheds: moving it changes the load least.
func coldest(tenants []tenantLoad) (Tenant, bool) {
	if len(tenants) == 0 {
		return Tenant{}, false
	}
	sorted := append([]tenantLoad(nil), tenants...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].writes != sorted[j].writes {
			return sorted[i].writes < sorted[j].writes
		}
		return sorted[i].t.String() < sorted[j].t.String()
	})
	return sorted[0].t, true
}

// planLoadMove returns the tenant self should shed for load, and the node
// to send it to. nodes includes self; tenants are self's.
func planLoadMove(self string, nodes []nodeLoad, tenants []tenantLoad) (Tenant, string, bool) {
	if len(nodes) < 2 {
		return Tenant{}, "", false
	}
	var me nodeLoad
	total := 0.0
	for _, n := range nodes {
		total += n.writes
		if n.name == self {
			me = n
		}
	}
	avg := total / float64(len(nodes))
	if me.name == "" || me.writes <= avg*loadFactor || me.writes-avg < loadMinWrites {
		return Tenant{}, "", false
	}
	_, bound := countBound(nodes)
	var target *nodeLoad
	for i := range nodes {
		n := &nodes[i]
		if n.name == self || float64(n.tenants+1) > bound {
			continue
		}
		if target == nil || n.writes < target.writes || (n.writes == target.writes &&
			(n.tenants < target.tenants || (n.tenants == target.tenants && n.name < target.name))) {
			target = n
		}
	}
	if target == nil {
		return Tenant{}, "", false
	}
	var best Tenant
	bestMax, found := 0.0, false
	for _, t := range tenants {
		if !t.full || t.writes <= 0 {
			continue
		}
		if target.writes+t.writes > me.writes-max(loadMinWrites, me.writes*loadMargin) {
			continue
		}
		after := max(me.writes-t.writes, target.writes+t.writes)
		if !found || after < bestMax || (after == bestMax && t.t.String() < best.String()) {
			best, bestMax, found = t.t, after, true
		}
	}
	if !found {
		return Tenant{}, "", false
	}
	return best, target.name, true
}

// loadCoolingDown reports whether a move for load was made too recently
// for the rates to show it.
func loadCoolingDown(last, now time.Time) bool {
	return !last.IsZero() && now.Sub(last) < loadCooldown
}
