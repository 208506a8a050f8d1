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

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/server"
)

// Tenant lifecycle in a cluster: create, rename, delete, archive and
// restore go through the control log like every registry change; what
// the log does not say by itself is handled around each entry's apply:
//
//   - identities: a created tenant gets a new log identity, a renamed one
//     keeps its own (idents.go), recorded before the entry is applied;
//   - cached files: the ".seq" mark that lets a node reuse its cached file
//     is removed for every tenant an entry touches, so the next owner
//     rebuilds from the snapshot and the log instead of trusting a file the
//     entry changed locally (a restored archive, a renamed file);
//   - deletes: the deleted identity's snapshot and log are removed.
//
// Copies (and creates with "from") need the source's data, which only its
// owner has: they are served by the source's owner, which stores the copy
// as the new identity's first snapshot and then appends a lazy create
// carrying that identity (serveCopy).

// lifecycleKind is what a control entry does to tenants.
type lifecycleKind int

const (
	lifeNone lifecycleKind = iota
	lifeCreate
	lifeRename
	lifeDelete
	lifeTouch // archive, restore: the file changes locally
)

// lifecycle is a control entry's effect on tenants.
type lifecycle struct {
	kind             lifecycleKind
	database, branch string
	names            []string // created; or the tenant renamed, deleted, archived, restored
	newName          string   // rename: the new name
}

// tenantsPath splits a path below /v1/databases/{db}/branches/{branch}/:
// ok when the rest starts with "tenants" (or "tenants:batch").
func tenantsPath(path string) (db, branch string, rest []string, ok bool) {
	path, _, _ = strings.Cut(path, "?")
	s := strings.Split(strings.Trim(path, "/"), "/")
	if len(s) < 6 || s[0] != "v1" || s[1] != "databases" || s[3] != "branches" {
		return "", "", nil, false
	}
	if s[5] != "tenants" && s[5] != "tenants:batch" {
		return "", "", nil, false
	}
	unescape := func(v string) string {
		if u, err := url.PathUnescape(v); err == nil {
			return u
		}
		return v
	}
	rest = s[5:]
	for i := range rest {
		rest[i] = unescape(rest[i])
	}
	return unescape(s[2]), unescape(s[4]), rest, true
}

// parseLifecycle tells what a control entry does to tenants.
func parseLifecycle(e controlEntry) lifecycle {
	db, branch, rest, ok := tenantsPath(e.Path)
	if !ok {
		return lifecycle{}
	}
	lc := lifecycle{database: db, branch: branch}
	switch {
	case e.Method == http.MethodPost && len(rest) == 1 && rest[0] == "tenants":
		var in server.TenantCreateRequest
		if json.Unmarshal(e.Body, &in) == nil && in.Name != "" {
			lc.kind, lc.names = lifeCreate, []string{in.Name}
		}
	case e.Method == http.MethodPost && len(rest) == 1 && rest[0] == "tenants:batch":
		var in server.TenantBatchRequest
		if json.Unmarshal(e.Body, &in) == nil && len(in.Names) > 0 {
			lc.kind, lc.names = lifeCreate, in.Names
		}
	case e.Method == http.MethodPatch && len(rest) == 2:
		var in server.RenameRequest
		if json.Unmarshal(e.Body, &in) == nil && in.Name != "" {
			lc.kind, lc.names, lc.newName = lifeRename, []string{rest[1]}, in.Name
		}
	case e.Method == http.MethodDelete && len(rest) == 2:
		lc.kind, lc.names = lifeDelete, []string{rest[1]}
	case e.Method == http.MethodPost && len(rest) == 3 && (rest[2] == "archive" || rest[2] == "restore"):
		lc.kind, lc.names = lifeTouch, []string{rest[1]}
	}
	if lc.kind == lifeNone {
		return lifecycle{}
	}
	return lc
}

// beforeApply records the identities control entry e (at sequence seq)
// gives, and returns what to do once it is applied (given its status).
func (r *Runtime) beforeApply(seq uint64, e controlEntry) (func(status int), error) {
	if pairs, after, ok, err := r.branchLifecycle(context.Background(), seq, e); ok || err != nil {
		if err != nil {
			return nil, err
		}
		if err := r.idents.set(pairs); err != nil {
			return nil, fmt.Errorf("record tenant identities: %w", err)
		}
		return after, nil
	}
	lc := parseLifecycle(e)
	if lc.kind == lifeNone {
		return nil, nil
	}
	eng := r.currentEngine()
	if eng == nil {
		return nil, nil
	}
	ctx := context.Background()
	exists := func(name string) (bool, error) {
		return eng.TenantRegistered(ctx, lc.database, lc.branch, name)
	}
	var pairs []identLine
	touched := append([]string(nil), lc.names...)
	var victim Tenant
	switch lc.kind {
	case lifeCreate:
		for _, name := range lc.names {
			if cinch.ValidateTenantName(name) != nil {
				continue // the entry fails as a whole
			}
			found, err := exists(name)
			if err != nil {
				return nil, err
			}
			if found {
				continue // it fails with tenant_exists: the tenant keeps its identity
			}
			t := Tenant{Database: lc.database, Branch: lc.branch, Name: name}
			id := fmt.Sprintf("%s/%d", t.String(), seq)
			if e.TenantID != "" && len(lc.names) == 1 {
				id = e.TenantID // a copy: its data is that identity's snapshot
			}
			pairs = append(pairs, identLine{Tenant: t.String(), ID: id})
		}
	case lifeRename:
		touched = append(touched, lc.newName)
		from := Tenant{Database: lc.database, Branch: lc.branch, Name: lc.names[0]}
		to := Tenant{Database: lc.database, Branch: lc.branch, Name: lc.newName}
		srcFound, err := exists(from.Name)
		if err != nil {
			return nil, err
		}
		dstFound, err := exists(to.Name)
		if err != nil {
			return nil, err
		}
		if srcFound && !dstFound && cinch.ValidateTenantName(to.Name) == nil {
			pairs = append(pairs, identLine{Tenant: to.String(), ID: r.idents.resolve(from).logKey()})
		}
	case lifeDelete:
		victim = r.idents.resolve(Tenant{Database: lc.database, Branch: lc.branch, Name: lc.names[0]})
	}
	if err := r.idents.set(pairs); err != nil {
		return nil, fmt.Errorf("record tenant identities: %w", err)
	}
	r.forgetCachedFiles(ctx, eng, lc.database, lc.branch, touched)
	return func(status int) {
		r.forgetCachedFiles(ctx, eng, lc.database, lc.branch, touched)
		if lc.kind == lifeDelete && status/100 == 2 {
			if err := r.node.Forget(ctx, victim); err != nil {
				r.log.Warn("cluster: could not remove a deleted tenant's log and snapshot", "tenant", victim.String(), "err", err)
			}
		}
	}, nil
}

// forgetCachedFiles removes the marks that let this node reuse its cached
// files of these tenants: their next owner here rebuilds them.
func (r *Runtime) forgetCachedFiles(ctx context.Context, eng Engine, db, branch string, names []string) {
	for _, name := range names {
		if cinch.ValidateTenantName(name) != nil {
			continue
		}
		if path, err := eng.TenantFilePath(ctx, db, branch, name); err == nil {
			_ = os.Remove(seqFile(path))
		}
	}
}

// copyRequest is a request that copies a tenant's data: POST
// .../tenants/{source}/copy, or POST .../tenants with "from".
type copyRequest struct {
	source Tenant
	target string
	noData bool
}

// copyOf recognizes a copy request from its method, path and body.
func copyOf(method, path string, body []byte) (copyRequest, bool) {
	db, branch, rest, ok := tenantsPath(path)
	if !ok || method != http.MethodPost {
		return copyRequest{}, false
	}
	switch {
	case len(rest) == 3 && rest[2] == "copy":
		var in server.CopyRequest
		if json.Unmarshal(body, &in) != nil {
			return copyRequest{}, false // the API answers the bad body
		}
		return copyRequest{source: Tenant{Database: db, Branch: branch, Name: rest[1]}, target: in.Target, noData: in.NoData}, true
	case len(rest) == 1 && rest[0] == "tenants":
		var in server.TenantCreateRequest
		if json.Unmarshal(body, &in) != nil || in.From == "" || in.Encrypt {
			return copyRequest{}, false
		}
		return copyRequest{source: Tenant{Database: db, Branch: branch, Name: in.From}, target: in.Name}, true
	}
	return copyRequest{}, false
}

// serveCopy runs a copy on the source's owner (this node): the source's
// data goes to the object store as the target identity's first snapshot,
// then a lazy create of the target carrying that identity goes through the
// control log; every node registers the target, and whoever serves it first
// starts from that snapshot. A schema-only copy is a plain create.
func (h *router) serveCopy(w http.ResponseWriter, req *http.Request, cp copyRequest) {
	ctx := req.Context()
	key, err := h.r.keys.Authenticate(ctx, bearer(req))
	if err != nil {
		writeCinchError(w, err)
		return
	}
	src := cp.source
	if key.ReadOnly || key.Tenant != "" || (key.Database != "" && key.Database != src.Database) || (key.Branch != "" && key.Branch != src.Branch) {
		writeCinchError(w, &cinch.Error{Err: cinch.ErrForbidden, Message: "copying a tenant needs a key that may manage the branch's tenants"})
		return
	}
	if err := cinch.ValidateTenantName(cp.target); err != nil {
		writeCinchError(w, err)
		return
	}
	if err := cinch.ValidateTenantName(src.Name); err != nil {
		writeCinchError(w, err)
		return
	}
	eng := h.engine
	found, err := eng.TenantRegistered(ctx, src.Database, src.Branch, src.Name)
	if err != nil {
		writeCinchError(w, err)
		return
	} else if !found {
		writeCinchError(w, cinch.NotFound(cinch.ErrTenantNotFound, "tenant", src.Name, "check the name, or create the tenant first"))
		return
	}
	if req.Header.Get(cinch.TenantKeyHeader) != "" {
		writeCinchError(w, &cinch.Error{Err: cinch.ErrNotImplemented, Message: "encrypted tenants are not available in cluster mode yet",
			Hint: "the write log would hold their pages in plaintext; see docs/cluster.md"})
		return
	}
	create := server.TenantCreateRequest{Name: cp.target}
	var target Tenant
	if !cp.noData {
		tmp := h.r.tempPath("copy")
		defer os.Remove(tmp)
		lazy, err := eng.BackupTenant(ctx, src.Database, src.Branch, src.Name, tmp)
		if err != nil {
			writeCinchError(w, err)
			return
		}
		if !lazy {
			data, err := os.ReadFile(tmp)
			if err != nil {
				writeCinchError(w, err)
				return
			}
			var rnd [8]byte
			rand.Read(rnd[:])
			target = Tenant{Database: src.Database, Branch: src.Branch, Name: cp.target}
			target.ID = fmt.Sprintf("%s/c%s", target.String(), hex.EncodeToString(rnd[:]))
			if err := h.r.node.PutBase(ctx, target, data); err != nil {
				writeCinchError(w, err)
				return
			}
			create.Lazy = true // the file comes from the snapshot
		}
	}
	body, _ := json.Marshal(create)
	path := fmt.Sprintf("/v1/databases/%s/branches/%s/tenants", url.PathEscape(src.Database), url.PathEscape(src.Branch))
	res, err := h.r.ctl.submit(ctx, controlEntry{KeyID: key.ID, Method: http.MethodPost, Path: path, TenantID: target.ID,
		Header: map[string]string{"Content-Type": "application/json"}, Body: body})
	if err != nil || res.status/100 != 2 {
		if target.ID != "" {
			_ = h.r.node.Forget(context.WithoutCancel(ctx), target)
		}
		if err != nil {
			writeCinchError(w, err)
			return
		}
		writeApplied(w, res)
		return
	}
	if target.ID != "" {
		// Served here first: the answer describes the copy's file.
		if err := eng.WarmTenant(ctx, src.Database, src.Branch, cp.target); err != nil {
			writeApplied(w, res)
			return
		}
		info := httptestGet(h.inner, path+"/"+url.PathEscape(cp.target), req.Header.Get("Authorization"))
		if info.status == http.StatusOK {
			info.status = http.StatusCreated
			res = info
		}
	}
	writeApplied(w, res)
}

// writeApplied writes an answer recorded from the API handler.
func writeApplied(w http.ResponseWriter, res applied) {
	for k, v := range res.header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.status)
	w.Write(res.body)
}

// tempPath is a fresh file name in this node's state folder (not a tenant
// file: the commit capture ignores it).
func (r *Runtime) tempPath(what string) string {
	var rnd [8]byte
	rand.Read(rnd[:])
	return fmt.Sprintf("%s/.cinchdb/cluster-%s-%s.tmp", r.cfg.Dir, what, hex.EncodeToString(rnd[:]))
}
