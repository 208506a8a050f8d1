package cli_test

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch/cli"
)

// Every command listed for argument completion exists, and takes at least
// as many arguments as the list completes.
func TestArgCompletions_Commands(t *testing.T) {
	root := cli.RootCommand()
	for path, kinds := range cli.ArgCompletions {
		c, rest, err := root.Find(strings.Fields(path))
		if err != nil || len(rest) != 0 || c == root {
			t.Errorf("argument completion for %q: no such command", path)
			continue
		}
		if c.Args != nil {
			if err := c.Args(c, make([]string, len(kinds))); err != nil && !strings.HasSuffix(kinds[len(kinds)-1], "...") {
				t.Errorf("%q completes %d arguments but takes fewer: %v", path, len(kinds), err)
			}
		}
	}
}

// Every flag naming a tenant, branch, database or group completes its
// names, on every command (new commands included), and no command offers
// file names for its arguments.
func TestCompletion_EveryCommand(t *testing.T) {
	root := cli.RootCommand()
	for _, name := range []string{"branch", "database", "format"} {
		if _, ok := root.GetFlagCompletionFunc(name); !ok {
			t.Errorf("--%s has no completion", name)
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, name := range []string{"tenant", "tenants", "group"} {
			if c.LocalNonPersistentFlags().Lookup(name) == nil {
				continue
			}
			if _, ok := c.GetFlagCompletionFunc(name); !ok {
				t.Errorf("%s --%s has no completion", c.CommandPath(), name)
			}
		}
		if c.ValidArgsFunction == nil && len(c.ValidArgs) == 0 {
			t.Errorf("%s: no argument completion (the shell would offer files)", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
