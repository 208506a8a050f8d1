package local

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/cinchdb/cinch/sqlite"
)

// spareCount is how many spare tenant files a branch keeps ready once a
// lazy tenant of it has been materialized.
const spareCount = 16

// spareLow is how few ready spares start a refill: refilling in batches
// rather than after every first write makes the creations and fsyncs of
// spares (which take the file system's journal, that every first write's
// renames wait for) come together, fewer times, instead of overlapping
// every first write.
const spareLow = spareCount / 2

// spares are a branch's ready-made new tenant files, so that the first
// write to a lazy tenant renames one into place instead of writing and
// fsyncing a file on the writer's path (the fsync of a new file is most of
// a first write's time). A spare holds the seed bytes (branch.seedBytes)
// of the history it was made for, fsynced before it counts as ready: a
// rename makes it a tenant file exactly as Publish would, with its folder
// fsynced by the first commit (PublishForWrite). Spares are made in the
// background, in parallel (their fsyncs then share the file system's
// journal commits), after a first write used one or found none.
//
// Spares are temporary files of this process (spares/__spare.*.tmp): a
// spare made for another history is removed rather than used; what a
// killed process leaves is removed by the branch's sweep like any
// temporary file; Close removes the ready ones.
type spares struct {
	mu      sync.Mutex
	ready   []spare
	filling bool
	closed  bool
	wg      sync.WaitGroup
}

// spare is one ready file and the history (seed key) it holds.
type spare struct{ path, key string }

// take renames a ready spare made for the history key to path (removing
// stale -wal and -shm files of path first, as Publish does), and reports
// whether it did. Spares of another history are removed. Caller holds the
// branch lock, and path does not exist.
func (s *spares) take(key, path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.ready) > 0 {
		sp := s.ready[len(s.ready)-1]
		s.ready = s.ready[:len(s.ready)-1]
		if sp.key != key {
			sqlite.RemoveDB(sp.path)
			continue
		}
		// The spare's empty -wal and -shm first (replacing any stale ones
		// of path): creating them is most of opening a new tenant file.
		// syscall.Rename, not os.Rename: the latter first stats the
		// destination (for a Windows-like error on directories), one more
		// lookup in a folder other goroutines are creating files in.
		for _, companion := range []func(string) string{walFile, shmFile} {
			if syscall.Rename(companion(sp.path), companion(path)) != nil {
				os.Remove(companion(path))
			}
		}
		if syscall.Rename(sp.path, path) == nil {
			return true
		}
		sqlite.RemoveDB(sp.path)
	}
	return false
}

// fill makes spares in dir (the spares folder) in the background until
// spareCount are ready, with the bytes and key seed gives, all missing
// ones at once (each counts as ready once fsynced). One fill runs at a
// time per branch, in rounds while spares are taken meanwhile; an error
// ends it quietly (first writes then write their own file).
func (s *spares) fill(dir string, seed func() ([]byte, string, error)) {
	s.mu.Lock()
	if s.filling || s.closed || len(s.ready) > spareLow {
		s.mu.Unlock()
		return
	}
	s.filling = true
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		for s.round(dir, seed) {
		}
	}()
}

// round writes the missing spares in parallel and reports whether another
// round is wanted (some were taken meanwhile, none failed).
func (s *spares) round(dir string, seed func() ([]byte, string, error)) bool {
	data, key, err := seed()
	s.mu.Lock()
	n := spareCount - len(s.ready)
	if err != nil || s.closed || n <= 0 {
		s.filling = false
		s.mu.Unlock()
		return false
	}
	s.mu.Unlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.mu.Lock()
		s.filling = false
		s.mu.Unlock()
		return false
	}
	var wg sync.WaitGroup
	var failed atomic.Bool
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := spareFile(dir)
			err := writeSynced(path, data)
			for _, companion := range []string{walFile(path), shmFile(path)} {
				if err == nil {
					err = createEmpty(companion)
				}
			}
			if err != nil {
				sqlite.RemoveDB(path)
				failed.Store(true)
				return
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.closed {
				sqlite.RemoveDB(path)
				return
			}
			s.ready = append(s.ready, spare{path: path, key: key})
		}()
	}
	wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if failed.Load() || s.closed || len(s.ready) >= spareCount {
		s.filling = false
		return false
	}
	return true
}

// createEmpty creates an empty file at path (which must not exist).
func createEmpty(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// close stops filling, waits for a fill under way and removes the ready
// spares. It does not take the branch's mutex (a fill may be waiting for
// it in seed).
func (s *spares) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sp := range s.ready {
		sqlite.RemoveDB(sp.path)
	}
	s.ready = nil
}
