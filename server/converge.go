package server

import (
	"context"
	"sync"
)

// BackgroundConverger is an Engine that can bring tenants behind their
// branch's schema up to date in the background (*local.Project is one). A
// schema change returns at its commit point without migrating tenants
// nobody has open; they catch up on their next request anyway, and the
// converger does it before that. Serve runs it on a goroutine while it
// serves and stops it before returning, unless Config.Converge replaces it
// (a cluster node converging only the tenants it owns) or
// Config.NoConverge turns it off.
type BackgroundConverger interface {
	// ConvergeInBackground converges tenants until ctx is done.
	ConvergeInBackground(ctx context.Context)
}

// startConverger starts the converger Serve runs, if any, and returns the
// function that stops it and waits for it.
func (s *Server) startConverger(ctx context.Context) (stop func()) {
	run := s.cfg.Converge
	if run == nil {
		if c, ok := s.e.(BackgroundConverger); ok {
			run = c.ConvergeInBackground
		}
	}
	if run == nil || s.cfg.NoConverge {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		run(ctx)
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}
