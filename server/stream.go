package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/internal/wire"
)

// streamFlushBytes is how much of a query response is buffered before it
// is sent. Until the first flush an error still gets its own status and
// error body; after it, the body ends with an "error" member instead.
const streamFlushBytes = 64 << 10

// lastWriteTimeout bounds the write of a response's end, after the query.
const lastWriteTimeout = 10 * time.Second

// queryStream writes a query result as JSON while SQLite reads it, so a
// response's memory is bounded by streamFlushBytes, not by its size:
//
//	{"columns":["id","id"],"rows":[["a","b"],...],"rows_affected":0,"truncated":false}
//
// It is the cinch.RowWriter the query route hands to DB.QueryTo.
type queryStream struct {
	ctx  context.Context
	w    http.ResponseWriter
	log  func() *slog.Logger // the request's logger, built when needed
	buf  []byte
	rows int
	sent bool // the status and part of the body are out
}

var _ cinch.RowWriter = (*queryStream)(nil)

// streamBufs recycles the buffers of query responses: one per request
// would be most of what a point read allocates.
var streamBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledBuf is the largest buffer put back in streamBufs (a response
// with one huge value grows its buffer past streamFlushBytes).
const maxPooledBuf = 2 * streamFlushBytes

func newQueryStream(ctx context.Context, w http.ResponseWriter, log func() *slog.Logger) *queryStream {
	return &queryStream{ctx: ctx, w: w, log: log, buf: (*streamBufs.Get().(*[]byte))[:0]}
}

// release gives the buffer back; the stream is not used after it.
func (q *queryStream) release() {
	if cap(q.buf) <= maxPooledBuf {
		b := q.buf[:0]
		streamBufs.Put(&b)
	}
	q.buf = nil
}

// WriteColumns starts the body with the column names.
func (q *queryStream) WriteColumns(names []string) error {
	q.buf = append(q.buf, `{"columns":[`...)
	for i, n := range names {
		if i > 0 {
			q.buf = append(q.buf, ',')
		}
		q.buf = wire.AppendString(q.buf, n)
	}
	q.buf = append(q.buf, `],"rows":[`...)
	return nil
}

// WriteRow adds one row as a JSON array, sending the buffer when it is full.
func (q *queryStream) WriteRow(values []any) error {
	if q.rows > 0 {
		q.buf = append(q.buf, ',')
	}
	q.rows++
	q.buf = append(q.buf, '[')
	for i, v := range values {
		if i > 0 {
			q.buf = append(q.buf, ',')
		}
		q.buf = wire.AppendValue(q.buf, v)
	}
	q.buf = append(q.buf, ']')
	if len(q.buf) >= streamFlushBytes {
		return q.flush()
	}
	return nil
}

// flush sends the buffer. While rows are read, a slow client must not
// hold the tenant's connection past the query timeout: the write fails at
// the context's deadline, which stops the query. The last write (summary
// or error) gets a few seconds of its own.
func (q *queryStream) flush() error {
	deadline, ok := q.ctx.Deadline()
	if !ok || q.ctx.Err() != nil {
		deadline, ok = time.Now().Add(lastWriteTimeout), true
	}
	http.NewResponseController(q.w).SetWriteDeadline(deadline)
	q.start()
	_, err := q.w.Write(q.buf)
	q.buf = q.buf[:0]
	if err == nil {
		err = http.NewResponseController(q.w).Flush()
		if err == http.ErrNotSupported {
			err = nil
		}
	}
	return err
}

// start sends the status and headers once.
func (q *queryStream) start() {
	if q.sent {
		return
	}
	h := q.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	q.w.WriteHeader(http.StatusOK)
	q.sent = true
}

// finish ends the response: the summary after the rows, or the error.
func (q *queryStream) finish(res *cinch.Result, err error) {
	defer q.release()
	if err != nil && !q.sent {
		writeError(q.w, q.log(), err, nil)
		return
	}
	if err != nil {
		// Too late for a status: the body says it failed. Clients must
		// check for "error" (the Go client does).
		_, detail := errorDetail(q.log(), err)
		q.buf = append(q.buf, `],"rows_affected":0,"truncated":true,"error":`...)
		data, _ := json.Marshal(detail)
		q.buf = append(q.buf, data...)
		q.buf = append(q.buf, "}\n"...)
		q.writeLast()
		return
	}
	if !q.sent && len(q.buf) == 0 { // no WriteColumns (cannot happen today)
		q.WriteColumns(nil)
	}
	q.buf = append(q.buf, `],"rows_affected":`...)
	q.buf = strconv.AppendInt(q.buf, res.RowsAffected, 10)
	q.buf = append(q.buf, `,"truncated":`...)
	q.buf = strconv.AppendBool(q.buf, res.Truncated)
	q.buf = append(q.buf, "}\n"...)
	q.writeLast()
}

// writeLast writes the end of the response, after the query. It does not
// flush: the response ends when the handler returns, so a whole response
// that was never flushed is one write, and is compressed only when it is
// big enough (the encoder decides, as for every other route). A streamed
// response's end gets a write deadline of its own (lastWriteTimeout); a
// whole one is bounded by the server's write timeout, as every response.
func (q *queryStream) writeLast() {
	if q.sent {
		http.NewResponseController(q.w).SetWriteDeadline(time.Now().Add(lastWriteTimeout))
	}
	q.start()
	q.w.Write(q.buf)
	q.buf = q.buf[:0]
}
