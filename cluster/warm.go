package cluster

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Warming a move's target (cinch cluster move, drain, rebalance): before
// the owner closes its gate, the target builds the tenant's file from the
// latest snapshot and the log up to its end and marks it (seqFile) with
// the sequence reached. The owner then drains, releases without storing a
// snapshot and hands the lease over; the target's Acquire replays only the
// records appended since its mark. So the pause no longer includes a
// snapshot upload and download of the whole file: it is the drain, the
// lease hand-over and the few records written meanwhile.

// fileLocks serializes the writers of one tenant's local file (Acquire and
// Prepare), striped by path: a node holds few locks at once, and a
// collision only makes two tenants wait for each other briefly.
type fileLocks [64]sync.Mutex

// lock locks path's stripe and returns its unlock.
func (f *fileLocks) lock(path string) func() {
	h := fnv.New32a()
	h.Write([]byte(path))
	m := &f[h.Sum32()%uint32(len(f))]
	m.Lock()
	return m.Unlock
}

// How an Acquire brought the tenant's file to the log's end.
const (
	rebuildCached  = iota // the file was marked at the log's last record: kept as is
	rebuildCatchUp        // marked at an earlier record still in the log: the records after it replayed
	rebuildFull           // rebuilt from the snapshot and the log after it
	rebuildEmpty          // no snapshot and no commit: nothing to build (a new tenant)
	numRebuilds
)

// rebuildNames label cinch_cluster_rebuilds_total.
var rebuildNames = [numRebuilds]string{"cached", "catch_up", "full", "empty"}

func (n *Node) counted(kind int) { n.rebuilds[kind].Add(1) }

// hasWAL reports whether path has a -wal file with frames: its main file
// alone is not the database's state.
func hasWAL(path string) bool {
	fi, err := os.Stat(path + "-wal")
	return err == nil && fi.Size() > 0
}

// catchUp replays records seq+1..last onto the file at path, which holds
// t's log up to seq (its mark), when the log still has every record after
// seq: t's snapshot is at or below seq (the log is only purged below a
// snapshot, after storing it). caught is false, with nothing changed, when
// it cannot (no snapshot, a newer one, a -wal left on the file); the caller
// rebuilds from the snapshot then. The mark is removed first: a catch-up
// cut short leaves a file nobody trusts.
func (n *Node) catchUp(ctx context.Context, t Tenant, path string, seq, last uint64) (caught bool, stable uint64, err error) {
	if hasWAL(path) || !isDatabaseFile(path) {
		return false, 0, nil
	}
	snap, found, err := n.snapshotSeq(ctx, t)
	if err != nil {
		return false, 0, err
	}
	if !found || snap > seq {
		return false, 0, nil
	}
	if err := os.Remove(seqFile(path)); err != nil {
		return false, 0, err
	}
	if _, stable, err = n.replay(ctx, t, path, seq+1, last); errors.Is(err, ErrLogGap) {
		return false, 0, nil // purged beyond seq meanwhile: from the snapshot
	} else if err != nil {
		return false, 0, err
	}
	// A purge beyond seq during the replay (the owner stored a newer
	// snapshot: Prepare runs while it writes) would have left a hole the
	// replay cannot see: the snapshot is looked up again.
	snap2, found2, err := n.snapshotSeq(ctx, t)
	if err != nil {
		return false, 0, err
	}
	return found2 && snap2 <= seq, stable, nil
}

// Prepare warms this node for t before its owner hands it over: it brings
// the local file at path to the end of t's log (from its own mark when the
// log still covers it, else from the latest snapshot) and marks it with the
// sequence reached, so the Acquire that follows the hand-over replays only
// what was appended since. t must not be owned here. warm is false when
// there is nothing to prepare (no snapshot: nothing was ever committed).
// The owner keeps writing meanwhile; a snapshot it stores during the
// replay (and the purge after it) is noticed and the replay done again.
func (n *Node) Prepare(ctx context.Context, t Tenant, path string) (seq uint64, warm bool, err error) {
	path, err = filepath.Abs(path)
	if err != nil {
		return 0, false, err
	}
	unlock := n.files.lock(path)
	defer unlock()
	n.mu.Lock()
	_, owned := n.owned[path]
	n.mu.Unlock()
	if owned {
		return 0, false, fmt.Errorf("tenant %s is owned here already", t)
	}
	for range 3 {
		last, err := n.log.Last(ctx, t)
		if err != nil {
			return 0, false, err
		}
		if b, err := os.ReadFile(seqFile(path)); err == nil && last > 0 {
			if mark, ok := parseSeqFile(b, t); ok && mark == last {
				return last, true, nil
			} else if ok && mark < last && mark > 0 {
				caught, stable, err := n.catchUp(ctx, t, path, mark, last)
				if err != nil {
					return 0, false, err
				}
				if caught {
					// The replay stops before parts still waiting for their
					// commit: the mark says what the file holds, not last.
					return stable, true, os.WriteFile(seqFile(path), seqFileData(t, stable), 0o600)
				}
			}
		}
		_ = os.Remove(seqFile(path))
		base, from, found, err := n.snapshot(ctx, t)
		if err != nil {
			return 0, false, err
		}
		if !found {
			return 0, false, nil
		}
		_, stable, err := n.rebuildFrom(ctx, t, path, base, from, last)
		if errors.Is(err, ErrLogGap) {
			continue // a newer snapshot and its purge came meanwhile: again, from it
		} else if err != nil {
			return 0, false, err
		}
		now, found, err := n.snapshotSeq(ctx, t)
		if err != nil {
			return 0, false, err
		}
		if found && now == from && stable > 0 && isDatabaseFile(path) {
			return stable, true, os.WriteFile(seqFile(path), seqFileData(t, stable), 0o600)
		}
		// A newer snapshot (so maybe a purge) meanwhile: again, from it.
	}
	return 0, false, errors.New("the tenant's snapshot kept changing while this node prepared it")
}

// rebuildCollectors count how the tenants this node acquired were brought
// to their log's end: cinch_cluster_rebuilds_total{how="cached|catch_up|full|empty"}.
func (r *Runtime) rebuildCollectors() []prometheus.Collector {
	var out []prometheus.Collector
	for kind, name := range rebuildNames {
		out = append(out, prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cinch_cluster_rebuilds_total",
			Help:        "Tenants this node acquired, by how their file was brought to the log's end: kept (cached), the records after its mark replayed (catch_up: a warmed move), rebuilt from the snapshot (full), nothing to build (empty).",
			ConstLabels: prometheus.Labels{"how": name}},
			func() float64 { return float64(r.node.rebuilds[kind].Load()) }))
	}
	return out
}
