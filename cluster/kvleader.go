package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// leaderReadTimeout bounds one kvGetLeader call.
const leaderReadTimeout = 5 * time.Second

// replicaTries and replicaTryTimeout bound replicaGet: a replica answers
// in a millisecond or so when it answers at all.
const (
	replicaTries      = 5
	replicaTryTimeout = time.Second
)

// replicaGet reads a KV key from any replica of its stream (a direct get:
// the nearest replica answers). A replica whose server is paused (SIGSTOP,
// a frozen VM, a long stall) takes the request and never answers, and the
// server routes it there when its own replica is not caught up: each try
// waits replicaTryTimeout, so that one of the next ones reaches a live
// replica, instead of the request timing out (5 s) while two of three
// nodes could answer.
func replicaGet(ctx context.Context, kv jetstream.KeyValue, key string) (jetstream.KeyValueEntry, error) {
	return tryReplicas(ctx, func(ctx context.Context) (jetstream.KeyValueEntry, error) { return kv.Get(ctx, key) })
}

// objectInfo reads an object's info with replicaGet's tries: the info is
// a message read by direct get, which a paused server's replica may take
// and never answer.
func objectInfo(ctx context.Context, obs jetstream.ObjectStore, name string) (*jetstream.ObjectInfo, error) {
	return tryReplicas(ctx, func(ctx context.Context) (*jetstream.ObjectInfo, error) { return obs.GetInfo(ctx, name) })
}

// tryReplicas runs read up to replicaTries times, each bounded by
// replicaTryTimeout, while it times out and ctx goes on.
func tryReplicas[T any](ctx context.Context, read func(context.Context) (T, error)) (T, error) {
	var v T
	var err error
	for range replicaTries {
		tctx, cancel := context.WithTimeout(ctx, replicaTryTimeout)
		v, err = read(tctx)
		cancel()
		timedOut := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout)
		if !timedOut || ctx.Err() != nil {
			return v, err
		}
	}
	var zero T
	return zero, err
}

// objectGet opens an object for reading, with replicaGet's tries for the
// info it reads first; the download itself runs under ctx, as long as it
// takes. Close the result, then call its cancel.
func objectGet(ctx context.Context, obs jetstream.ObjectStore, name string) (jetstream.ObjectResult, context.CancelFunc, error) {
	var err error
	for range replicaTries {
		gctx, cancel := context.WithCancel(ctx)
		watchdog := time.AfterFunc(replicaTryTimeout, cancel) // Get returns once it has the info
		var r jetstream.ObjectResult
		r, err = obs.Get(gctx, name)
		if watchdog.Stop() {
			if err != nil {
				cancel()
				return nil, nil, err
			}
			return r, cancel, nil
		}
		// Too slow to answer (or answered just as the watchdog fired):
		// again, so that another replica may answer.
		if r != nil {
			r.Close()
		}
		cancel()
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if err == nil || errors.Is(err, context.Canceled) {
			err = fmt.Errorf("reading object %s: no replica answered within %v", name, replicaTryTimeout)
		}
	}
	return nil, nil, err
}

// kvGetLeader reads a KV key through its stream's leader (the JetStream
// API's non-direct get). KV Get may be answered by any replica, and one that
// lags (a node just resumed after a pause, say) shows an older value: a
// decision that must not rest on an old value (adopting a lease, a key
// created a moment ago) reads here. found false when the key has no value
// or was deleted.
func kvGetLeader(ctx context.Context, nc *nats.Conn, bucket, key string) (value []byte, revision uint64, found bool, err error) {
	req, _ := json.Marshal(map[string]string{"last_by_subj": "$KV." + bucket + "." + key})
	// Bounded: a request JetStream does not answer (its leader is being
	// elected) must not hold the caller forever.
	ctx, cancel := context.WithTimeout(ctx, leaderReadTimeout)
	defer cancel()
	msg, err := nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET.KV_"+bucket, req)
	if err != nil {
		return nil, 0, false, err
	}
	var res struct {
		Message *struct {
			Seq    uint64 `json:"seq"`
			Header []byte `json:"hdrs"`
			Data   []byte `json:"data"`
		} `json:"message"`
		Error *struct {
			ErrCode     int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &res); err != nil {
		return nil, 0, false, err
	}
	if res.Error != nil {
		if res.Error.ErrCode == int(jetstream.JSErrCodeMessageNotFound) {
			return nil, 0, false, nil
		}
		return nil, 0, false, fmt.Errorf("read %s from %s: %s", key, bucket, res.Error.Description)
	}
	if res.Message == nil {
		return nil, 0, false, nil
	}
	if len(res.Message.Header) > 0 {
		// Deleted or purged. (The marker JetStream leaves where a key's TTL
		// expired has no KV-Operation header, and counts as present until
		// its own TTL, LimitMarkerTTL, removes it: for a node's lease that
		// second is the grace in which a node whose renewals stalled during
		// a leader election takes its next term, before another node may
		// take its tenants. Read as gone, it let a second owner in while the
		// first still served reads: TestClusterPausedOwner.)
		if h, err := nats.DecodeHeadersMsg(res.Message.Header); err == nil && h.Get("KV-Operation") != "" {
			return nil, res.Message.Seq, false, nil
		}
	}
	return res.Message.Data, res.Message.Seq, true, nil
}
