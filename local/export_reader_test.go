package local

import "context"

// FanOutReaderReads is how many fan-out reads a sqlite.Reader answered in
// this process so far.
func FanOutReaderReads() int64 { return readerReads.Load() }

// WaitSpares waits for the spare tenant files d's branch is making.
func WaitSpares(ctx context.Context, d *DB) error {
	b, err := d.branch(ctx)
	if err != nil {
		return err
	}
	b.spares.wg.Wait()
	return nil
}

// SpareCount is how many spares a branch keeps ready.
const SpareCount = spareCount

// BackgroundCheckpoints is how many checkpoints p's pool made in the
// background for handles it evicted.
func BackgroundCheckpoints(p *Project) int64 { return p.pool.ckpt.done.Load() }
