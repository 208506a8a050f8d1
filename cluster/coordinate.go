package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// Data-dependent schema changes across nodes (docs/cluster.md, "Changes
// that read every tenant"). The node that receives one coordinates it:
//
//  1. it takes the change's coordination lease ("ddl/<id>" in the lease
//     bucket), then appends the request to the control log marked
//     coordinated by it;
//  2. every other node, applying that entry, waits for its outcome instead
//     of applying it (so every history records it at the same position);
//  3. the coordinator applies it through its engine under
//     local.WithCoordination: the engine tells Preparing (the record
//     "preparing" with the undo SQL goes to KV cinch_changes), pulls every
//     tenant of the branch to this node (moving it from its owner) and
//     prepares it there, then Decide: "committed" (with the change record)
//     or, after the undo, "aborted";
//  4. the waiting nodes record a committed change in their history (their
//     tenants' files got it through the log) and go on.
//
// A coordinator that dies or stops answering loses its lease; a waiting
// node then takes the lease over, marks the change "aborting", undoes it
// on every tenant (pulling each to itself) and marks it "aborted". A
// coordinator that comes back finds the record changed and undoes its part.

const changesBucket = "cinch_changes"

// coordRecord is a coordinated change's state in KV cinch_changes.
type coordRecord struct {
	State    string          `json:"state"` // preparing, committed, aborting, aborted
	Node     string          `json:"node"`  // who wrote it
	Prepared *local.Prepared `json:"prepared,omitempty"`
}

const (
	statePreparing = "preparing"
	stateCommitted = "committed"
	stateAborting  = "aborting"
	stateAborted   = "aborted"
)

type coordIDKey struct{}

func coordLeaseKey(id string) string { return "ddl/" + id }

// isSchemaChange reports whether a request changes the branch's schema
// (tables, columns, views, indexes): the requests a probe may plan.
func isSchemaChange(method, path string) bool {
	if method == http.MethodGet || method == http.MethodHead {
		return false
	}
	s := strings.Split(strings.Trim(path, "/"), "/")
	if len(s) < 6 || s[0] != "v1" || s[1] != "databases" || s[3] != "branches" {
		return false
	}
	switch s[5] {
	case "tables", "views", "indexes":
		return !(s[5] == "tables" && len(s) >= 8 && s[7] == "copy")
	}
	return false
}

// dataDependent plans the request on this node (nothing is changed) and
// reports whether it must read every tenant's data.
func (h *router) dataDependent(req *http.Request, body []byte) bool {
	var probe local.PlanProbe
	r := httptest.NewRequestWithContext(local.WithPlanProbe(req.Context(), &probe), req.Method, req.URL.RequestURI(), bytes.NewReader(body))
	r.Header = req.Header.Clone()
	h.inner.ServeHTTP(httptest.NewRecorder(), r)
	return probe.Planned && probe.DataDependent
}

// coordinate submits a data-dependent change coordinated by this node and
// returns what applying it here gave.
func (h *router) coordinate(ctx context.Context, e controlEntry) (applied, error) {
	var rnd [12]byte
	rand.Read(rnd[:])
	id := hex.EncodeToString(rnd[:])
	l, err := acquireLease(ctx, h.r.js, h.r.node.leases, coordLeaseKey(id), h.r.cfg.Node, h.r.node.cfg.LeaseTTL)
	if err != nil {
		return applied{}, err
	}
	h.r.coordinating.Store(id, l)
	defer func() {
		h.r.coordinating.Delete(id)
		l.release(context.WithoutCancel(ctx))
	}()
	e.Coordinated = id
	return h.r.ctl.submit(ctx, e)
}

// applyCoordinated applies a coordinated control entry: the node holding its
// lease runs it; the others wait for its outcome and record it. ok false:
// the node is stopping and the entry is not applied.
func (r *Runtime) applyCoordinated(e controlEntry, run func(ctx context.Context) applied) (applied, bool) {
	ctx := context.Background()
	if _, ok := r.coordinating.Load(e.Coordinated); !ok || e.Origin != r.cfg.Node {
		return r.awaitOutcome(e)
	}
	cctx := context.WithValue(local.WithCoordination(ctx), coordIDKey{}, e.Coordinated)
	res := run(cctx)
	rec, _, err := r.outcome(ctx, e.Coordinated)
	switch {
	case err == nil && rec.State == stateCommitted && rec.Prepared != nil:
		// Decided: make sure this node's history has it (a no-op when the
		// engine recorded it).
		if rr := r.recordCommitted(ctx, *rec.Prepared); rr.status/100 != 2 {
			return rr, true
		}
	case errors.Is(err, jetstream.ErrKeyNotFound):
		// Refused before anything was prepared: the others stop waiting.
		_ = r.updateOutcome(ctx, e.Coordinated, coordRecord{State: stateAborted, Node: r.cfg.Node}, 0)
	case err == nil && rec.State == statePreparing && rec.Node == r.cfg.Node:
		// The undo failed here: the lease goes when this returns, and a
		// waiting node finishes the undo.
		r.log.Warn("cluster: a coordinated change could not be undone here; another node will finish it", "change", e.Coordinated)
	}
	return res, true
}

// awaitOutcome waits for a coordinated change's outcome, takes it over when
// its coordinator is gone, and records a committed change here.
func (r *Runtime) awaitOutcome(e controlEntry) (applied, bool) {
	ctx := context.Background()
	for {
		rec, _, err := r.outcome(ctx, e.Coordinated)
		if err == nil && rec.State == stateCommitted && rec.Prepared != nil {
			return r.recordCommitted(ctx, *rec.Prepared), true
		}
		if err == nil && rec.State == stateAborted {
			return applied{status: http.StatusConflict}, true
		}
		if holder, herr := ownedBy(ctx, r.node.leases, coordLeaseKey(e.Coordinated)); herr == nil && holder == "" {
			// Nobody coordinates or finishes it: take it over.
			if res, done := r.finish(ctx, e); done {
				return res, true
			}
		}
		select {
		case <-r.stop:
			return applied{}, false
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// finish takes over a coordinated change whose coordinator is gone: undo
// what it prepared, mark it aborted.
func (r *Runtime) finish(ctx context.Context, e controlEntry) (applied, bool) {
	l, err := acquireLease(ctx, r.js, r.node.leases, coordLeaseKey(e.Coordinated), r.cfg.Node, r.node.cfg.LeaseTTL)
	if err != nil {
		return applied{}, false
	}
	defer l.release(ctx)
	rec, rev, err := r.outcome(ctx, e.Coordinated)
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return applied{}, false
	}
	switch rec.State {
	case stateCommitted:
		return r.recordCommitted(ctx, *rec.Prepared), true
	case stateAborted:
		return applied{status: http.StatusConflict}, true
	}
	r.log.Warn("cluster: taking over a coordinated change whose coordinator is gone", "change", e.Coordinated, "coordinator", rec.Node)
	if rec.Prepared != nil {
		next := coordRecord{State: stateAborting, Node: r.cfg.Node, Prepared: rec.Prepared}
		if err := r.updateOutcome(ctx, e.Coordinated, next, rev); err != nil {
			return applied{}, false
		}
		eng, _ := r.currentEngine().(undoer)
		if eng == nil {
			return applied{}, false
		}
		uctx := context.WithValue(ctx, coordIDKey{}, e.Coordinated)
		start := time.Now()
		if err := eng.UndoPrepared(uctx, r.coordinator(), *rec.Prepared); err != nil {
			r.log.Warn("cluster: undoing an abandoned change", "change", e.Coordinated, "err", err)
			return applied{}, false // the lease goes; someone (maybe this node) tries again
		}
		r.log.Info("cluster: undid an abandoned change on every tenant of the branch", "change", e.Coordinated, "took", time.Since(start).Round(time.Millisecond))
		_, rev, err = r.outcome(ctx, e.Coordinated)
		if err != nil {
			return applied{}, false
		}
		if err := r.updateOutcome(ctx, e.Coordinated, coordRecord{State: stateAborted, Node: r.cfg.Node}, rev); err != nil {
			return applied{}, false
		}
	} else if r.updateOutcome(ctx, e.Coordinated, coordRecord{State: stateAborted, Node: r.cfg.Node}, 0) != nil {
		return applied{}, false
	}
	return applied{status: http.StatusConflict}, true
}

// undoer is the engine's part in finishing an abandoned change.
type undoer interface {
	UndoPrepared(ctx context.Context, co local.Coordinator, prep local.Prepared) error
	RecordChange(ctx context.Context, prep local.Prepared) error
}

func (r *Runtime) recordCommitted(ctx context.Context, prep local.Prepared) applied {
	eng, _ := r.currentEngine().(undoer)
	if eng == nil {
		return applied{status: http.StatusInternalServerError}
	}
	if err := eng.RecordChange(ctx, prep); err != nil {
		// This node's history cannot take what the cluster committed: it
		// must not serve as if it had (applied.fatal stops its control log).
		r.log.Error("cluster: could not record a committed change", "version", prep.Version, "err", err)
		return applied{status: http.StatusInternalServerError, fatal: err}
	}
	return applied{status: http.StatusOK}
}

// coordinationDecided reports whether coordinated change id has its
// outcome (read through the leader: a decision a client was told of must
// not be missed). An error: it could not be read now.
func (r *Runtime) coordinationDecided(ctx context.Context, id string) (bool, error) {
	v, _, found, err := kvGetLeader(ctx, r.nc, changesBucket, id)
	if err != nil {
		return false, err
	}
	if !found {
		return false, nil
	}
	var rec coordRecord
	if json.Unmarshal(v, &rec) != nil {
		return true, nil // not ours to read: wait for the entry, as for any
	}
	return rec.State == stateCommitted || rec.State == stateAborted, nil
}

// outcome reads a coordinated change's record (through the stream leader:
// a lagging replica must not hide a decision).
func (r *Runtime) outcome(ctx context.Context, id string) (coordRecord, uint64, error) {
	v, rev, found, err := kvGetLeader(ctx, r.nc, changesBucket, id)
	var rec coordRecord
	if err != nil {
		return rec, 0, err
	}
	if !found {
		return rec, 0, jetstream.ErrKeyNotFound
	}
	if err := json.Unmarshal(v, &rec); err != nil {
		return rec, 0, err
	}
	return rec, rev, nil
}

// updateOutcome replaces the record if it is still at revision rev (0: create).
func (r *Runtime) updateOutcome(ctx context.Context, id string, rec coordRecord, rev uint64) error {
	b, _ := json.Marshal(rec)
	var err error
	if rev == 0 {
		_, err = r.changes.Create(ctx, id, b)
	} else {
		_, err = r.changes.Update(ctx, id, b, rev)
	}
	if err != nil {
		return &cinch.Error{Err: cinch.ErrConflict, Message: fmt.Sprintf("the coordinated change %s was decided by another node meanwhile: %v", id, err),
			Hint: "retry the change"}
	}
	return nil
}

// coordinator is the engine's Coordinator (the Owner hook).
func (r *Runtime) coordinator() local.Coordinator { return r.owner }

// Preparing implements local.Coordinator: the record "preparing", with the
// undo, before any tenant is touched.
func (o *Owner) Preparing(ctx context.Context, p local.Prepared) error {
	id, _ := ctx.Value(coordIDKey{}).(string)
	if id == "" {
		return errors.New("a coordinated change without its id")
	}
	return o.r.updateOutcome(ctx, id, coordRecord{State: statePreparing, Node: o.r.cfg.Node, Prepared: &p}, 0)
}

// Decide implements local.Coordinator: committed only if the record is
// still this node's "preparing"; aborted in any case after an undo.
func (o *Owner) Decide(ctx context.Context, p local.Prepared, commit bool) error {
	id, _ := ctx.Value(coordIDKey{}).(string)
	rec, rev, err := o.r.outcome(ctx, id)
	if err != nil {
		return unavailable("read the coordinated change", err)
	}
	if !commit {
		if rec.State == statePreparing && rec.Node == o.r.cfg.Node {
			return o.r.updateOutcome(ctx, id, coordRecord{State: stateAborted, Node: o.r.cfg.Node}, rev)
		}
		return nil
	}
	o.r.testPauseBeforeDecide()
	if rec.State != statePreparing || rec.Node != o.r.cfg.Node {
		return &cinch.Error{Err: cinch.ErrConflict, Message: fmt.Sprintf("node %s took this change over (it is %s) while this node prepared it: it was undone", rec.Node, rec.State),
			Hint: "retry the change"}
	}
	return o.r.updateOutcome(ctx, id, coordRecord{State: stateCommitted, Node: o.r.cfg.Node, Prepared: &p}, rev)
}

// Pull implements local.Coordinator: the tenant is moved to this node (or
// taken, when nobody owns it).
func (o *Owner) Pull(ctx context.Context, database, branch, tenant string) error {
	t := o.r.resolve(Tenant{Database: database, Branch: branch, Name: tenant})
	// Long enough for a dead owner's lease to expire and for a large
	// tenant's warm move; each try is bounded by it too: a move's request
	// waits up to a minute for its owner, and an undo that pulls every
	// tenant must not stall that long on one (it fails here and is tried
	// again, on this node or another).
	deadline := time.Now().Add(3*o.r.node.cfg.LeaseTTL + 30*time.Second)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	for {
		owner, err := o.r.node.Owner(ctx, t)
		if err == nil && owner == o.r.cfg.Node {
			return nil
		}
		if err == nil && owner != "" {
			_, err = o.r.Move(ctx, t, o.r.cfg.Node)
		} else if err == nil {
			err = o.r.currentEngine().WarmTenant(ctx, database, branch, tenant)
		}
		if err == nil {
			if owner, err = o.r.node.Owner(ctx, t); err == nil && owner == o.r.cfg.Node {
				return nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return &cinch.Error{Err: cinch.ErrUnavailable, Message: fmt.Sprintf("could not take tenant %s to this node to check the change on it: %v", t, err),
				Hint: "retry once the cluster's nodes are up"}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pauseBeforeDecide is CINCH_TEST_PAUSE_BEFORE_DECIDE=1 (tests only): a
// coordinator that prepared a change on every tenant stops for good before
// it records the decision, so that a test can kill it there (the worst
// moment: every tenant is ahead). It says so on stderr.
var pauseBeforeDecide = os.Getenv("CINCH_TEST_PAUSE_BEFORE_DECIDE") == "1"

func (r *Runtime) testPauseBeforeDecide() {
	if !pauseBeforeDecide {
		return
	}
	fmt.Fprintln(os.Stderr, "cinch test hook: coordinator paused before deciding a prepared change")
	<-r.stop
}
