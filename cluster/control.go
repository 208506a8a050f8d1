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
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// The control log: every request that changes what all nodes must agree
// on (schema changes, tenant registry, groups) is appended to one stream
// and applied by every node, in the stream's order, through its own engine.
// A node that was down applies what it missed when it starts.
const (
	controlStream  = "CINCH_CONTROL"
	controlSubject = "cinch.control"
)

// controlEntry is one control request as the node that received it
// authenticated it.
type controlEntry struct {
	ID     string            `json:"id"`     // matches the entry to the request waiting for it
	Origin string            `json:"origin"` // the node that received it
	KeyID  string            `json:"key_id"` // the API key that sent it: every node applies it with that key's scope
	Method string            `json:"method"`
	Path   string            `json:"path"` // with the query string
	Header map[string]string `json:"header,omitempty"`
	Body   []byte            `json:"body,omitempty"`
	// TenantID: a create made by a copy carries the identity whose
	// snapshot holds the copy's data (lifecycle.go).
	TenantID string `json:"tenant_id,omitempty"`
	// TenantIDs: a branch create carries the identities whose snapshots
	// hold its tenants' copies (branches.go).
	TenantIDs map[string]string `json:"tenant_ids,omitempty"`
	// Coordinated: a data-dependent change coordinated by the node that
	// received it (coordinate.go), with this id.
	Coordinated string `json:"coordinated,omitempty"`
	// ChangeID and ChangeAt: a schema change's record id and time, drawn by
	// the receiving node, so every node's history holds the same record.
	ChangeID string    `json:"change_id,omitempty"`
	ChangeAt time.Time `json:"change_at,omitzero"`
}

// applied is a control entry's result on the node that received it.
type applied struct {
	status int
	header http.Header
	body   []byte
	fatal  error // this node cannot go on applying the control log
}

type control struct {
	js    jetstream.JetStream
	node  string
	keys  *Keys
	inner http.Handler
	file  string // holds the sequence of the last entry applied here

	mu      sync.Mutex
	cond    *sync.Cond
	applied uint64
	waiters map[string]chan applied
	failed  error
	cc      jetstream.ConsumeContext

	// before, when set, runs before an entry is applied and returns what
	// to run after it (lifecycle.go); its error stops applying.
	before func(seq uint64, e controlEntry) (func(status int), error)
	// coordinated applies a coordinated entry (coordinate.go): run applies
	// it here under ctx; ok false: not applied (the node is stopping).
	coordinated func(e controlEntry, run func(ctx context.Context) applied) (applied, bool)
	// decided reports whether coordinated change id has its outcome.
	// An error: the outcome could not be read (the bucket's leader is
	// being elected); the barrier asks again.
	decided func(ctx context.Context, id string) (bool, error)
	// pendingSeq, pendingID: the coordinated entry being applied (waited
	// for, or run) now; the barrier does not wait for it while undecided.
	pendingSeq uint64
	pendingID  string
}

func newControl(ctx context.Context, js jetstream.JetStream, replicas int, node string, keys *Keys, stateDir string) (*control, error) {
	err := retry(ctx, func(ctx context.Context) error {
		err := ensureStream(ctx, js, jetstream.StreamConfig{
			Name: controlStream, Subjects: []string{controlSubject}, Storage: jetstream.FileStorage, Replicas: replicas,
		})
		if err != nil {
			return unavailable("create the control stream", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c := &control{js: js, node: node, keys: keys, file: filepath.Join(stateDir, "cluster-applied"), waiters: map[string]chan applied{}}
	c.cond = sync.NewCond(&c.mu)
	if b, err := os.ReadFile(c.file); err == nil {
		c.applied, _ = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	}
	return c, nil
}

// start applies every entry after the last one applied here, then follows
// the stream. inner is the node's own API handler.
func (c *control) start(ctx context.Context, inner http.Handler) error {
	c.inner = inner
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if c.applied > 0 {
		cfg = jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: c.applied + 1}
	}
	var cons jetstream.Consumer
	err := retry(ctx, func(ctx context.Context) (err error) {
		cons, err = c.js.OrderedConsumer(ctx, controlStream, cfg)
		return err
	})
	if err != nil {
		return unavailable("follow the control stream", err)
	}
	c.cc, err = cons.Consume(c.apply)
	if err != nil {
		return unavailable("follow the control stream", err)
	}
	return nil
}

func (c *control) stop() {
	if c.cc != nil {
		c.cc.Stop()
	}
	c.mu.Lock()
	c.failed = errors.New("the node is stopping")
	c.cond.Broadcast()
	c.mu.Unlock()
}

// apply runs one entry through the node's handler with the scope of the
// key that sent it. Entries arrive one at a time, in order.
func (c *control) apply(m jetstream.Msg) {
	meta, err := m.Metadata()
	if err != nil {
		return
	}
	seq := meta.Sequence.Stream
	c.mu.Lock()
	done := seq <= c.applied
	c.mu.Unlock()
	if done {
		return
	}
	var e controlEntry
	res := applied{status: http.StatusInternalServerError}
	if err := json.Unmarshal(m.Data(), &e); err == nil {
		var after func(int)
		if c.before != nil {
			if after, err = c.before(seq, e); err != nil {
				// The node cannot record what the entry means (its disk):
				// it stops serving rather than apply it without that.
				c.fail(seq, err)
				return
			}
		}
		run := func(ctx context.Context) applied {
			if e.ChangeID != "" {
				ctx = local.WithChangeID(ctx, e.ChangeID, e.ChangeAt)
			}
			req := httptest.NewRequestWithContext(ctx, e.Method, e.Path, bytes.NewReader(e.Body))
			for k, v := range e.Header {
				req.Header.Set(k, v)
			}
			req.Header.Set("Authorization", "Bearer "+c.keys.systemSecret(e.KeyID))
			rec := httptest.NewRecorder()
			c.inner.ServeHTTP(rec, req)
			return applied{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
		}
		if e.Coordinated != "" && c.coordinated != nil {
			c.mu.Lock()
			c.pendingSeq, c.pendingID = seq, e.Coordinated
			c.mu.Unlock()
			var ok bool
			res, ok = c.coordinated(e, run)
			c.mu.Lock()
			c.pendingSeq, c.pendingID = 0, ""
			c.mu.Unlock()
			if !ok {
				return // stopping: applied again after the restart
			}
			if res.fatal != nil {
				c.fail(seq, res.fatal)
				return
			}
		} else {
			res = run(context.Background())
			// 503 is this node's trouble, not the entry's outcome (an API key
			// or a lease that could not be read right now): every other
			// node applies the entry, so this one must too, not record it
			// as done. Asked again for a while, then the node stops applying
			// (and serving) rather than diverge.
			for try := 0; passing(res) && try < applyRetries; try++ {
				time.Sleep(applyRetryWait)
				res = run(context.Background())
			}
			if passing(res) {
				c.fail(seq, fmt.Errorf("still unavailable after %v: %s", time.Duration(applyRetries)*applyRetryWait, bytes.TrimSpace(res.body)))
				return
			}
		}
		if after != nil {
			after(res.status)
		}
	}
	// Remember the position before answering: a restart must not apply it twice.
	_ = writeFileSync(c.file, []byte(strconv.FormatUint(seq, 10)))
	c.mu.Lock()
	c.applied = seq
	w := c.waiters[e.ID]
	delete(c.waiters, e.ID)
	c.cond.Broadcast()
	c.mu.Unlock()
	if w != nil && e.Origin == c.node {
		w <- res
	}
}

// fail stops applying the control log at entry seq: the node answers
// every request unavailable until it is restarted (and applies seq again).
func (c *control) fail(seq uint64, err error) {
	c.mu.Lock()
	c.failed = fmt.Errorf("%w: control entry %d could not be applied on this node: %v", cinch.ErrUnavailable, seq, err)
	c.cond.Broadcast()
	c.mu.Unlock()
	if c.cc != nil {
		c.cc.Stop()
	}
}

// submit appends e to the control log and returns its result here, once
// this node applied it.
func (c *control) submit(ctx context.Context, e controlEntry) (applied, error) {
	var id [12]byte
	rand.Read(id[:])
	e.ID, e.Origin = hex.EncodeToString(id[:]), c.node
	data, err := json.Marshal(e)
	if err != nil {
		return applied{}, err
	}
	w := make(chan applied, 1)
	c.mu.Lock()
	c.waiters[e.ID] = w
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiters, e.ID)
		c.mu.Unlock()
	}()
	if _, err := c.js.Publish(ctx, controlSubject, data); err != nil {
		return applied{}, unavailable("append to the control log", err)
	}
	select {
	case r := <-w:
		return r, nil
	case <-ctx.Done():
		return applied{}, fmt.Errorf("waiting for the control change to apply here: %w", ctx.Err())
	}
}

// barrier waits until this node applied every control entry appended
// before the call: a request served after it sees every schema change a
// client was told about, whichever node told it.
func (c *control) barrier(ctx context.Context) error {
	last, err := c.lastSeq(ctx)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.applied < last {
		if c.failed != nil {
			return c.failed
		}
		if ctx.Err() != nil {
			return fmt.Errorf("waiting for this node to apply the control log: %w", ctx.Err())
		}
		if id := c.pendingID; id != "" && c.pendingSeq == c.applied+1 && c.decided != nil {
			// A coordinated change is being prepared: until it is decided no
			// client was told of it, so the request is served as of before
			// it (and later entries cannot have been told of either: they
			// are appended after it, and wait for it everywhere).
			c.mu.Unlock()
			decided, err := c.decided(ctx, id)
			if err != nil {
				// Unknown (the outcome's bucket elects a leader after a
				// node died): ask again soon. Waiting on the condition would
				// wait for an apply that may itself wait for this barrier
				// (a node finishing the change moves tenants, and the
				// targets' moves pass this barrier).
				select {
				case <-ctx.Done():
				case <-time.After(decidedRetry):
				}
				c.mu.Lock()
				continue
			}
			c.mu.Lock()
			if !decided && c.pendingID == id {
				return nil
			}
			if c.applied >= last || c.pendingID != id {
				continue
			}
		}
		c.cond.Wait()
	}
	return nil
}

// passing reports whether an entry's result here is this node's passing
// trouble (503 unavailable), not the entry's outcome; not_owner (also 503)
// is an outcome.
func passing(res applied) bool {
	return res.status == http.StatusServiceUnavailable && bytes.Contains(res.body, []byte(`"code":"unavailable"`))
}

// applyRetries and applyRetryWait bound how long a control entry that this
// node could not apply for a passing reason (503) is asked again.
const (
	applyRetries   = 100
	applyRetryWait = 200 * time.Millisecond
)

// lastSeq reads the control stream's last sequence. The request goes to
// the stream's leader; while a new one is elected (its node stopped or
// paused: up to ~9 s with JetStream's election timeouts) it gets no
// answer, so it is asked again, each try bounded, for up to
// lastSeqPatience in all, before the caller is told to retry.
func (c *control) lastSeq(ctx context.Context) (uint64, error) {
	deadline := time.Now().Add(lastSeqPatience)
	for {
		tctx, cancel := context.WithTimeout(ctx, lastSeqTry)
		var info *jetstream.StreamInfo
		s, err := c.js.Stream(tctx, controlStream)
		if err == nil {
			info, err = s.Info(tctx)
		}
		cancel()
		if err == nil {
			return info.State.LastSeq, nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return 0, unavailable("read the control stream", err)
		}
		select { // an error that came at once (no responders) is not asked again at once
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// lastSeqTry and lastSeqPatience bound lastSeq's tries and their sum.
const (
	lastSeqTry      = 2 * time.Second
	lastSeqPatience = 15 * time.Second
)

// decidedRetry is how soon the barrier asks again for a coordinated
// change's outcome it could not read.
const decidedRetry = 100 * time.Millisecond

// appliedSeq is the sequence of the last control entry applied here.
func (c *control) appliedSeq() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.applied
}

// writeFileSync writes data to path atomically and durably.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// httptestGet runs a GET through the API handler with the given
// Authorization header and records the answer.
func httptestGet(h http.Handler, path, auth string) applied {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", auth)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return applied{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}
