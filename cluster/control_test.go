package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestBarrierAsksAgainWhenTheOutcomeIsUnknown: a coordinated change is
// being applied here (its entry is the next one) and its outcome cannot be
// read for a moment (the bucket's leader died with the change's
// coordinator). The barrier must ask again, not wait for the entry to be
// applied: the node finishing the change moves tenants, each move passes
// the barrier of its target, and the entry is applied only once every
// tenant was moved. Before, one failed read made the barrier wait out its
// whole context (a minute for a move), and the change stayed half undone
// meanwhile.
func TestBarrierAsksAgainWhenTheOutcomeIsUnknown(t *testing.T) {
	tc := startTestCluster(t)
	nc, err := nats.Connect(tc.servers[0].ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := newControl(ctx, js, 3, "n", nil, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, controlSubject, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	// Entry 1 is a coordinated change being applied here: nothing applied
	// yet, and its outcome reads fail twice, then show it undecided.
	c.pendingID, c.pendingSeq = "change", 1
	asked := 0
	c.decided = func(context.Context, string) (bool, error) {
		asked++
		if asked <= 2 {
			return false, errors.New("no leader for the bucket yet")
		}
		return false, nil
	}
	bctx, bcancel := context.WithTimeout(ctx, 30*time.Second) // a bound: the event is the return
	defer bcancel()
	if err := c.barrier(bctx); err != nil {
		t.Fatalf("barrier with an undecided change whose outcome was unreadable twice: %v (asked %d times)", err, asked)
	}
	if asked != 3 {
		t.Fatalf("the outcome was asked %d times, want 3", asked)
	}
}
