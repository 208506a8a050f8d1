package cluster

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// Tenant names one tenant of the cluster.
type Tenant struct {
	Database, Branch, Name string
	// ID is the tenant's log identity, which names its write log subject,
	// its lease and its snapshot: "" for a tenant made before identities
	// existed (its identity is then database/branch/name), else fixed when
	// the tenant is created (see idents.go). A deleted and re-created tenant
	// gets a new one, so it never replays its predecessor's log; a renamed
	// tenant keeps its own.
	ID string `json:"id,omitempty"`
}

// String is database/branch/tenant.
func (t Tenant) String() string { return t.Database + "/" + t.Branch + "/" + t.Name }

// logKey is the tenant's log identity (see ID).
func (t Tenant) logKey() string {
	if t.ID != "" {
		return t.ID
	}
	return t.String()
}

// token is the tenant's identity as one NATS subject token and KV key:
// names never hold '=', and '.' (allowed in database and branch names)
// would split a subject, so it becomes '='. Distinct identities get
// distinct tokens.
func (t Tenant) token() string { return strings.ReplaceAll(t.logKey(), ".", "=") }

// LogShards is the number of log streams. Each stream is a Raft group
// (~69 ms to create, ~36 KiB per node): a few shard streams with a subject
// per tenant scale to many tenants where a stream per tenant does not.
const LogShards = 8

// Log is the tenants' write log on JetStream.
type Log struct {
	js       jetstream.JetStream
	replicas int
}

func logStream(shard int) string { return fmt.Sprintf("CINCH_LOG_%d", shard) }

func (t Tenant) shard() int {
	h := fnv.New32a()
	h.Write([]byte(t.logKey()))
	return int(h.Sum32() % LogShards)
}

func (t Tenant) subject() string { return fmt.Sprintf("cinch.log.%d.%s", t.shard(), t.token()) }

// ensure creates the shard streams (file storage, the given replicas; no
// direct gets: a read must see the leader's state).
func (l *Log) ensure(ctx context.Context) error {
	for i := range LogShards {
		err := ensureStream(ctx, l.js, jetstream.StreamConfig{
			Name:      logStream(i),
			Subjects:  []string{fmt.Sprintf("cinch.log.%d.>", i)},
			Storage:   jetstream.FileStorage,
			Replicas:  l.replicas,
			Retention: jetstream.LimitsPolicy,
		})
		if err != nil {
			return unavailable("create the log streams", err)
		}
	}
	return nil
}

// ErrFenced is wrapped by an append refused because another owner appended
// to the tenant's log since (JetStream error 10071).
var ErrFenced = errors.New("fenced: another node took the tenant over")

// Append appends rec to t's log if the subject's last sequence is still
// expect, and returns the new record's sequence. A refused expectation is
// ErrFenced (as cinch.ErrNotOwner); any other failure leaves the outcome
// unknown and is cinch.ErrUnavailable: the caller must not trust its local
// state past it.
func (l *Log) Append(ctx context.Context, t Tenant, expect uint64, rec Record) (uint64, error) {
	data := EncodeRecord(rec)
	if limit := l.recordLimit(); rec.Kind == KindCommit && len(data) > limit && len(rec.Commit.Pages) > 1 {
		// Too large for one message: the pages go in parts, each fenced
		// like any append, then the commit with the rest.
		parts := splitCommit(rec.Commit, limit)
		for _, part := range parts[:len(parts)-1] {
			seq, err := l.append(ctx, t, expect, EncodeRecord(Record{Kind: KindPart, Node: rec.Node, Commit: part}))
			if err != nil {
				return 0, err
			}
			expect = seq
		}
		rec.Commit = parts[len(parts)-1]
		data = EncodeRecord(rec)
	}
	return l.append(ctx, t, expect, data)
}

// partLimit, when set (tests), replaces the record size limit.
var partLimit int

// recordLimit is the largest record appended as one message: half the
// NATS payload limit (headers and the publish's framing fit in the rest).
func (l *Log) recordLimit() int {
	if partLimit > 0 {
		return partLimit
	}
	if nc := l.js.Conn(); nc != nil && nc.MaxPayload() > 0 {
		return int(nc.MaxPayload() / 2)
	}
	return 512 << 10
}

// splitCommit cuts c's pages into commits whose raw page bytes stay under
// limit (at least one page each); all carry c's database size.
func splitCommit(c sqlite.Commit, limit int) []sqlite.Commit {
	per := max(1, limit/(c.PageSize+4))
	var out []sqlite.Commit
	for i := 0; i < len(c.Pages); i += per {
		part := c
		part.Pages = c.Pages[i:min(i+per, len(c.Pages))]
		out = append(out, part)
	}
	return out
}

func (l *Log) append(ctx context.Context, t Tenant, expect uint64, data []byte) (uint64, error) {
	for attempt := 0; ; attempt++ {
		ack, err := l.js.Publish(ctx, t.subject(), data,
			jetstream.WithExpectStream(logStream(t.shard())),
			jetstream.WithExpectLastSequencePerSubject(expect))
		if err == nil {
			return ack.Sequence, nil
		}
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) {
			switch apiErr.ErrorCode {
			case jetstream.JSErrCodeStreamWrongLastSequence:
				return 0, fenced(t)
			case jetstream.JSErrCodeStreamWrongLastSequenceConstant:
				// Can be spurious during a leader change: still ours, retry once.
				if last, lerr := l.Last(ctx, t); lerr == nil && last == expect && attempt == 0 {
					continue
				}
				return 0, fenced(t)
			}
		}
		return 0, unavailable("append to the log of tenant "+t.String(), err)
	}
}

func fenced(t Tenant) error {
	return &cinch.Error{Err: cinch.ErrNotOwner,
		Message: fmt.Sprintf("tenant %s was taken over by another node: this write was refused (%v)", t, ErrFenced),
		Hint:    "retry: the request goes to the tenant's new owner"}
}

func unavailable(what string, err error) error {
	return &cinch.Error{Err: cinch.ErrUnavailable, Message: fmt.Sprintf("%s: %v", what, err),
		Hint: "retry when a majority of the cluster's nodes is up"}
}

// Last returns the sequence of the last record of t's log, 0 if it has none.
func (l *Log) Last(ctx context.Context, t Tenant) (uint64, error) {
	s, err := l.js.Stream(ctx, logStream(t.shard()))
	if err != nil {
		return 0, unavailable("read the log", err)
	}
	m, err := s.GetLastMsgForSubject(ctx, t.subject())
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, unavailable("read the log of tenant "+t.String(), err)
	}
	return m.Sequence, nil
}

// ErrLogGap is the error (as cinch.ErrInternal) of a log read that found
// a record missing between the one it started after and the next one.
var ErrLogGap = fmt.Errorf("%w: a tenant's log has a gap", cinch.ErrInternal)

// Read calls fn for each record of t's log with a sequence in [from, to],
// in order, without a gap: each record must follow the one before it, and
// the first one from-1 (a snapshot's or a mark's sequence, a record of t)
// unless from is 1 (whatever the log still holds); else Read fails with
// ErrLogGap and calls fn no more.
// Each record names the one it follows: the sequence its append expected
// (JetStream keeps the Nats-Expected-Last-Subject-Sequence header with the
// message). A gap means the log below a newer snapshot was purged while
// the caller started from an older one (a snapshot stored by an owner that
// was paused during the upload, over its successor's): replaying on would
// silently leave commits out.
func (l *Log) Read(ctx context.Context, t Tenant, from, to uint64, fn func(seq uint64, r Record) error) error {
	s, err := l.js.Stream(ctx, logStream(t.shard()))
	if err != nil {
		return unavailable("read the log", err)
	}
	prev := from - 1
	for seq := from; seq <= to; seq++ {
		m, err := s.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(t.subject()))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil
		} else if err != nil {
			return unavailable("read the log of tenant "+t.String(), err)
		}
		if m.Sequence > to {
			return nil
		}
		if e := m.Header.Get(jetstream.ExpectedLastSubjSeqHeader); e != "" {
			if follows, perr := strconv.ParseUint(e, 10, 64); perr == nil && follows != prev && (from > 1 || prev >= from) {
				return &cinch.Error{Err: ErrLogGap, Message: fmt.Sprintf("the log of tenant %s has a gap: record %d follows record %d, and the replay expected it to follow %d", t, m.Sequence, follows, prev),
					Hint: "the tenant's snapshot is older than the point its log was purged at: report it (docs/cluster.md, Snapshots); the tenant is not served from an incomplete rebuild"}
			}
		}
		r, err := DecodeRecord(m.Data)
		if err != nil {
			return fmt.Errorf("tenant %s, log record %d: %w", t, m.Sequence, err)
		}
		if err := fn(m.Sequence, r); err != nil {
			return err
		}
		seq, prev = m.Sequence, m.Sequence
	}
	return nil
}

// Purge removes t's records below seq (a snapshot covers them); the
// record at seq stays, so Last never goes back.
func (l *Log) Purge(ctx context.Context, t Tenant, seq uint64) error {
	s, err := l.js.Stream(ctx, logStream(t.shard()))
	if err != nil {
		return unavailable("purge the log", err)
	}
	if err := s.Purge(ctx, jetstream.WithPurgeSubject(t.subject()), jetstream.WithPurgeSequence(seq)); err != nil {
		return unavailable("purge the log of tenant "+t.String(), err)
	}
	return nil
}

// PurgeAll removes every record of t's log (a deleted tenant's identity is
// never used again). An owner still appending is refused: it expects a
// last sequence the subject no longer has.
func (l *Log) PurgeAll(ctx context.Context, t Tenant) error {
	s, err := l.js.Stream(ctx, logStream(t.shard()))
	if err != nil {
		return unavailable("purge the log", err)
	}
	if err := s.Purge(ctx, jetstream.WithPurgeSubject(t.subject())); err != nil {
		return unavailable("purge the log of tenant "+t.String(), err)
	}
	return nil
}
