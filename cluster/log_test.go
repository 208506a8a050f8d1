package cluster

import (
	"context"
	"errors"
	"testing"
)

// TestLogReadRefusesAGap: a replay from a snapshot older than the log's
// purge point would leave the purged commits out, silently. Each record
// names the one it follows (the sequence its append expected), so a read
// starting after record A whose first record follows B != A fails with
// ErrLogGap. Reading from the snapshot the purge was made for, or from the
// log's start, works.
func TestLogReadRefusesAGap(t *testing.T) {
	ctx := context.Background()
	tc := startTestCluster(t)
	n, _ := tc.node(t, 0, "a")
	log := n.Log()
	ten := Tenant{Database: "main", Branch: "main", Name: "gap"}
	var seqs []uint64
	var last uint64
	for range 4 {
		seq, err := log.Append(ctx, ten, last, Record{Kind: KindTakeover, Node: "a"})
		if err != nil {
			t.Fatal(err)
		}
		seqs, last = append(seqs, seq), seq
	}
	read := func(from uint64) ([]uint64, error) {
		var got []uint64
		err := log.Read(ctx, ten, from, last, func(seq uint64, _ Record) error {
			got = append(got, seq)
			return nil
		})
		return got, err
	}
	// Whole: every record follows the one before it.
	if got, err := read(1); err != nil || len(got) != 4 {
		t.Fatalf("whole log: %v %v, want the 4 records", got, err)
	}
	// A snapshot at the third record; the log below it is purged (the
	// snapshot's own record stays, as Node.Snapshot leaves it).
	if err := log.Purge(ctx, ten, seqs[2]); err != nil {
		t.Fatal(err)
	}
	if got, err := read(seqs[2] + 1); err != nil || len(got) != 1 || got[0] != seqs[3] {
		t.Fatalf("from the snapshot the purge was made for: %v %v, want [%d]", got, err, seqs[3])
	}
	if got, err := read(1); err != nil || len(got) != 2 {
		t.Fatalf("from the start of what is left: %v %v, want 2 records", got, err)
	}
	// From a snapshot at the second record: the third, which follows it,
	// was kept.
	if got, err := read(seqs[1] + 1); err != nil || len(got) != 2 {
		t.Fatalf("from the record the purge kept: %v %v, want 2 records", got, err)
	}
	// From an older snapshot (the first record): the second is gone.
	got, err := read(seqs[0] + 1)
	if !errors.Is(err, ErrLogGap) {
		t.Fatalf("from an older snapshot: %v %v, want ErrLogGap", got, err)
	}
	if len(got) != 0 {
		t.Fatalf("records %v handed on before the gap was found", got)
	}
}
