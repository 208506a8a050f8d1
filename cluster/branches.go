package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/server"
)

// Branches in a cluster (docs/cluster.md, "Branches"):
//
//   - create: the receiving node copies every tenant of the source branch
//     as the cluster holds it (its snapshot plus its log up to now, read
//     from JetStream: no owner is asked, none has to stop), stores each copy
//     as the first snapshot of a new identity, then appends the create,
//     carrying those identities, to the control log. Every node makes the
//     branch (history, registry) and maps its tenants to the identities;
//     whichever node serves a tenant first builds it from its snapshot.
//   - delete: a control entry; after it, the deleted tenants' identities
//     (snapshots, logs) are removed like a deleted tenant's.
//   - merge: coordinated like a data-dependent change (coordinate.go): the
//     node that receives it pulls every tenant of the target, validates the
//     merged history on each, decides, and the others record the merged
//     change records at the entry's place. A dry run is answered locally.

// branchCreateOf recognizes POST /v1/databases/{db}/branches.
func branchCreateOf(method, path string) (db string, ok bool) {
	path, _, _ = strings.Cut(path, "?")
	s := strings.Split(strings.Trim(path, "/"), "/")
	if method != http.MethodPost || len(s) != 4 || s[0] != "v1" || s[1] != "databases" || s[3] != "branches" {
		return "", false
	}
	db, err := url.PathUnescape(s[2])
	return db, err == nil
}

// mergeOf recognizes POST /v1/databases/{db}/branches/{source}/merge.
func mergeOf(method, path string) bool {
	path, _, _ = strings.Cut(path, "?")
	s := strings.Split(strings.Trim(path, "/"), "/")
	return method == http.MethodPost && len(s) == 6 && s[0] == "v1" && s[1] == "databases" && s[3] == "branches" && s[5] == "merge"
}

// branchWorkers bounds the tenants copied at once for a branch create.
const branchWorkers = 8

// copyBranchTenants stores a copy of every tenant of db/from as the first
// snapshot of a new identity for the branch name, and returns the
// identities by tenant (tenants that never held data get none: they start
// from the branch's template, as they would have).
func (r *Runtime) copyBranchTenants(ctx context.Context, db, from, name string) (map[string]string, error) {
	names, err := r.currentEngine().TenantNames(ctx, db, from, true)
	if err != nil {
		return nil, err
	}
	var (
		mu       sync.Mutex
		ids      = map[string]string{}
		firstErr error
		next     = make(chan string)
		wg       sync.WaitGroup
	)
	for range min(branchWorkers, len(names)) {
		wg.Go(func() {
			for tn := range next {
				id, err := r.copyTenantForBranch(ctx, Tenant{Database: db, Branch: from, Name: tn}, name)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("copy tenant %q to branch %q: %w", tn, name, err)
				}
				if id != "" {
					ids[tn] = id
				}
				mu.Unlock()
			}
		})
	}
	for _, tn := range names {
		next <- tn
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		r.forgetIdentities(context.WithoutCancel(ctx), db, name, ids)
		return nil, firstErr
	}
	return ids, nil
}

// copyTenantForBranch builds src as the cluster holds it and stores it as
// the first snapshot of a new identity of the tenant in branch; "" when src
// never held data.
func (r *Runtime) copyTenantForBranch(ctx context.Context, src Tenant, branch string) (string, error) {
	src = r.resolve(src)
	tmp := r.tempPath("branch")
	defer os.Remove(tmp)
	last, err := r.node.log.Last(ctx, src)
	if err != nil {
		return "", err
	}
	if _, err := r.node.rebuild(ctx, src, tmp, last); err != nil {
		return "", err
	}
	data, err := os.ReadFile(tmp)
	if os.IsNotExist(err) {
		return "", nil // never written anywhere
	} else if err != nil {
		return "", err
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	t := Tenant{Database: src.Database, Branch: branch, Name: src.Name}
	t.ID = fmt.Sprintf("%s/b%s", t.String(), hex.EncodeToString(rnd[:]))
	if err := r.node.PutBase(ctx, t, data); err != nil {
		return "", err
	}
	return t.ID, nil
}

// forgetIdentities removes the snapshots and logs of identities (a failed
// or deleted branch's).
func (r *Runtime) forgetIdentities(ctx context.Context, db, branch string, ids map[string]string) {
	for tn, id := range ids {
		t := Tenant{Database: db, Branch: branch, Name: tn, ID: id}
		if err := r.node.Forget(ctx, t); err != nil {
			r.log.Warn("cluster: could not remove a tenant's log and snapshot", "tenant", t.String(), "err", err)
		}
	}
}

// serveBranchCreate copies the source branch's tenants, then appends the
// create with their identities (see the top of this file).
func (h *router) serveBranchCreate(w http.ResponseWriter, req *http.Request, db string, e controlEntry) {
	ctx := req.Context()
	var in server.BranchCreateRequest
	if err := json.Unmarshal(e.Body, &in); err != nil {
		writeCinchError(w, cinch.Errorf(cinch.ErrInvalidInput, "the body must be a JSON object with name and from: %v", err))
		return
	}
	if in.From == "" {
		in.From = cinch.DefaultBranch
	}
	for _, n := range []string{in.Name, in.From} {
		if err := cinch.ValidateBranchName(n); err != nil {
			writeCinchError(w, err)
			return
		}
	}
	if err := h.r.ctl.barrier(ctx); err != nil {
		writeCinchError(w, err)
		return
	}
	if _, err := h.engine.TenantNames(ctx, db, in.Name, false); err == nil {
		writeCinchError(w, cinch.Exists(cinch.ErrBranchExists, "branch", in.Name))
		return
	}
	ids, err := h.r.copyBranchTenants(ctx, db, in.From, in.Name)
	if err != nil {
		writeCinchError(w, err)
		return
	}
	e.TenantIDs = ids
	res, err := h.r.ctl.submit(ctx, e)
	if err != nil || res.status/100 != 2 {
		h.r.forgetIdentities(context.WithoutCancel(ctx), db, in.Name, ids)
		if err != nil {
			writeCinchError(w, err)
			return
		}
	}
	writeApplied(w, res)
}

// branchLifecycle is what a branch create or delete entry does to tenant
// identities, for beforeApply: the pairs to record first, and what to do
// once the entry is applied.
func (r *Runtime) branchLifecycle(ctx context.Context, seq uint64, e controlEntry) ([]identLine, func(status int), bool, error) {
	eng := r.currentEngine()
	if eng == nil {
		return nil, nil, false, nil
	}
	if db, ok := branchCreateOf(e.Method, e.Path); ok {
		var in server.BranchCreateRequest
		if json.Unmarshal(e.Body, &in) != nil || cinch.ValidateBranchName(in.Name) != nil {
			return nil, nil, true, nil
		}
		if in.From == "" {
			in.From = cinch.DefaultBranch
		}
		if _, err := eng.TenantNames(ctx, db, in.Name, false); err == nil {
			return nil, nil, true, nil // exists: the create fails everywhere
		}
		names, err := eng.TenantNames(ctx, db, in.From, true)
		if err != nil {
			return nil, nil, true, nil // no source: the create fails everywhere
		}
		var pairs []identLine
		for _, tn := range names {
			t := Tenant{Database: db, Branch: in.Name, Name: tn}
			id := e.TenantIDs[tn]
			if id == "" {
				id = fmt.Sprintf("%s/%d", t.String(), seq) // never written: a fresh identity all the same
			}
			pairs = append(pairs, identLine{Tenant: t.String(), ID: id})
		}
		return pairs, nil, true, nil
	}
	path, _, _ := strings.Cut(e.Path, "?")
	s := strings.Split(strings.Trim(path, "/"), "/")
	if e.Method != http.MethodDelete || len(s) != 5 || s[0] != "v1" || s[1] != "databases" || s[3] != "branches" {
		return nil, nil, false, nil
	}
	db, _ := url.PathUnescape(s[2])
	branch, _ := url.PathUnescape(s[4])
	names, err := eng.TenantNames(ctx, db, branch, true)
	if err != nil {
		return nil, nil, true, nil
	}
	victims := map[string]string{}
	for _, tn := range names {
		victims[tn] = r.resolve(Tenant{Database: db, Branch: branch, Name: tn}).logKey()
	}
	return nil, func(status int) {
		if status/100 == 2 {
			r.forgetIdentities(ctx, db, branch, victims)
		}
	}, true, nil
}
