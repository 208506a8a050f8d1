package cluster

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	dto "github.com/prometheus/client_model/go"

	"github.com/cinchdb/cinch"
)

// TestForwardedWriteRunsOnlyWhileItsSenderWaits: a write forwarded to the
// owner runs only if its sender still waits for the answer. A sender that
// gave up (the owner was paused past the sender's patience, and the
// client was told the outcome is unknown) has unsubscribed from its
// inbox; the owner, woken, must not apply the write then. A sender that
// waits gets it applied and answered.
func TestForwardedWriteRunsOnlyWhileItsSenderWaits(t *testing.T) {
	ctx := context.Background()
	rt, p := startTestCluster(t).runtimeProject(t, RuntimeConfig{Node: "r"})
	db, _ := p.Connect(cinch.Target{})
	// The API handler behind the router: an insert of one row into "hot".
	inner := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if _, err := db.WithTenant("hot").Insert(req.Context(), "items", cinch.Record{"n": req.URL.Query().Get("n")}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	h, err := rt.Handler(p, inner)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tables().Create(ctx, "items", []cinch.Column{{Name: "n", Type: cinch.TypeText, Nullable: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tenants().Create(ctx, "hot", cinch.TenantCreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rowsNow := func() []string {
		res, err := db.WithTenant("hot").Query(ctx, "SELECT n FROM items ORDER BY n")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range res.Rows {
			out = append(out, r[0].(string))
		}
		return out
	}
	write := func(n string) []byte {
		b, _ := json.Marshal(forwarded{Method: http.MethodPost, Path: "/v1/databases/main/branches/main/tenants/hot/tables/items/rows?n=" + n, Header: http.Header{}})
		return b
	}

	// The sender gave up: its inbox has no subscriber any more.
	if err := rt.nc.PublishRequest(forwardSubject("r"), nats.NewInbox(), write("abandoned")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second) // a bound only: the event is the counter
	abandoned := func() float64 {
		var m dto.Metric
		if err := rt.metrics.abandoned.Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetCounter().GetValue()
	}
	for abandoned() < 1 {
		if got := rowsNow(); len(got) != 0 {
			t.Fatalf("rows %v: a write whose sender had stopped waiting ran", got)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the abandoned write was neither dropped nor run; rows %v", rowsNow())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := rowsNow(); len(got) != 0 {
		t.Fatalf("rows %v after a write whose sender had stopped waiting, want none", got)
	}

	// A sender that waits answers the owner's question; the write runs.
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := h.(*router).request(rctx, "r", write("waited"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusCreated {
		t.Fatalf("forwarded write answered %d %s, want 201", res.Status, res.Body)
	}
	if got := rowsNow(); len(got) != 1 || got[0] != "waited" {
		t.Fatalf("rows %v, want [waited]", got)
	}
}
