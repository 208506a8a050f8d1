package cli

import (
	"context"
	"os"
	"sync"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// progressMin is the "handful": operations on fewer tenants than this
// finish before a bar would be worth drawing.
const progressMin = 6

// stderrIsTerminal reports whether stderr is an interactive terminal.
func (a *app) stderrIsTerminal() bool {
	f, ok := a.stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// showProgress reports whether a fleet operation should draw a progress
// bar: only in table format with stderr on a terminal, so pipes, scripts
// and --format json|csv stay quiet.
func (a *app) showProgress() bool {
	return a.format == FormatTable && (a.forceProgress || a.stderrIsTerminal())
}

// progress returns the engine callback for a fleet operation labelled
// label, and a finish function to call (always) when the operation
// returns; it removes the bar before anything else is printed. When no bar
// should be drawn the callback is nil.
func (a *app) progress(ctx context.Context, label string) (func(done, total int), func()) {
	if !a.showProgress() {
		return nil, func() {}
	}
	var (
		mu   sync.Mutex
		p    *mpb.Progress
		bar  *mpb.Bar
		last int
	)
	cb := func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if bar == nil {
			if total < progressMin {
				return
			}
			p = mpb.NewWithContext(ctx, mpb.WithOutput(a.stderr), mpb.WithWidth(40))
			bar = p.AddBar(int64(total),
				mpb.PrependDecorators(
					decor.Name(label+" ", decor.WCSyncSpaceR),
					decor.CountersNoUnit("%d/%d tenants", decor.WCSyncSpace),
				),
				mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace)),
				mpb.BarRemoveOnComplete(),
			)
		}
		if done > last { // callbacks from parallel workers may arrive out of order
			last = done
			bar.SetCurrent(int64(done))
		}
	}
	finish := func() {
		mu.Lock()
		defer mu.Unlock()
		if bar == nil {
			return
		}
		if !bar.Completed() {
			bar.Abort(true)
		}
		p.Wait()
	}
	return cb, finish
}
