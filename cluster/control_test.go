package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/server"
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
	js := startTestCluster(t).jetStream(t)
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

// TestApplyRetriesAPassingUnavailable: a control entry this node cannot
// apply right now (its handler answers 503 unavailable: an API key or a
// lease not readable for a moment) is applied again, not recorded as done
// with the error: every other node applied it, and a node that skipped it
// would serve a registry or schema without it (a joining node answered
// "tenant not found" for tenants moved to it). A 503 not_owner is an
// outcome, applied once.
func TestApplyRetriesAPassingUnavailable(t *testing.T) {
	js := startTestCluster(t).jetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	keys, err := newKeys(ctx, js, 3)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newControl(ctx, js, 3, "n", keys, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.stop)
	calls := map[string]int{}
	var mu sync.Mutex
	inner := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		calls[req.URL.Path]++
		n := calls[req.URL.Path]
		mu.Unlock()
		switch {
		case req.URL.Path == "/passing" && n <= 2:
			server.WriteError(w, &cinch.Error{Err: cinch.ErrUnavailable, Message: "not now"})
		case req.URL.Path == "/owner":
			server.WriteError(w, &cinch.Error{Err: cinch.ErrNotOwner, Message: "another node's"})
		default:
			w.WriteHeader(http.StatusCreated)
		}
	})
	for _, path := range []string{"/passing", "/owner"} {
		b, _ := json.Marshal(controlEntry{Method: http.MethodPost, Path: path})
		if _, err := js.Publish(ctx, controlSubject, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.start(ctx, inner); err != nil {
		t.Fatal(err)
	}
	if err := c.barrier(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls["/passing"] != 3 || calls["/owner"] != 1 {
		t.Fatalf("handler calls %v, want /passing 3 times (twice unavailable, then applied) and /owner once", calls)
	}
}

// jetStream connects to the cluster's first server.
func (tc *testCluster) jetStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(tc.servers[0].ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}
