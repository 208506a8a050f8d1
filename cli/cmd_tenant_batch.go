package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cinchdb/cinch"
)

// createTenants is cinch tenant create with several NAMEs or --from-file:
// one batch (TenantService.CreateMany). JSON output is the array of the
// created tenants.
func (a *app) createTenants(ctx context.Context, db cinch.DB, args []string, fromFile string, opts cinch.TenantCreateOptions) error {
	names := append([]string{}, args...)
	if fromFile != "" {
		more, err := a.readNames(fromFile)
		if err != nil {
			return err
		}
		names = append(names, more...)
	}
	list, err := db.Tenants().CreateMany(ctx, names, opts)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Created %d %s", len(list), plural(int64(len(list)), "tenant", "tenants"))
	if opts.Lazy {
		msg += " (lazy: each file appears on its first write)"
	}
	return a.done(list, "%s", msg)
}

// readNames reads tenant names from a file (- : stdin), one per line;
// blank lines and lines starting with # are skipped, spaces around a name
// trimmed. Each name is checked, with its line number on an error.
func (a *app) readNames(path string) ([]string, error) {
	var r io.Reader = a.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, cinch.Errorf(cinch.ErrInvalidInput, "cannot read --from-file: %v", err).WithHint("give a file of tenant names, one per line")
		}
		defer f.Close()
		r = f
	}
	return parseNames(r, path)
}

// parseNames is readNames on an open reader (fuzzed).
func parseNames(r io.Reader, path string) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		name := strings.TrimSpace(sc.Text())
		if name == "" || strings.HasPrefix(name, "#") {
			continue
		}
		if err := cinch.ValidateTenantName(name); err != nil {
			return nil, cinch.Errorf(cinch.ErrInvalidName, "%s line %d: %v", path, line, err).WithHint("fix that line: one tenant name per line, # for comments")
		}
		out = append(out, name)
	}
	if err := sc.Err(); err != nil {
		return nil, cinch.Errorf(cinch.ErrInvalidInput, "cannot read --from-file %s: %v", path, err).WithHint("give a file of tenant names, one per line")
	}
	if len(out) == 0 {
		return nil, cinch.Errorf(cinch.ErrInvalidInput, "%s names no tenant", path).WithHint("put one tenant name per line")
	}
	return out, nil
}
