package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// Most commands have one shape: check the names among the arguments (and
// any other input), connect to the active branch, call the engine, print
// the outcome. A call holds what differs between them, and runE turns it
// into the command's RunE, so such a command is its help text and its
// engine call. Usage checks of flag combinations go in the command's
// PreRunE, which cobra runs first.

// kindNewColumn checks a column name that is about to be given: it must not
// be one of the automatic columns either (cinch.ValidateColumnName).
const kindNewColumn = "new column"

// checkName checks one name against the rule of its kind (cinch.Kind*).
func checkName(kind, name string) error {
	switch kind {
	case cinch.KindTenant:
		return cinch.ValidateTenantName(name)
	case cinch.KindGroup:
		return cinch.ValidateGroupName(name)
	case cinch.KindDatabase:
		return cinch.ValidateDatabaseName(name)
	case cinch.KindBranch:
		return cinch.ValidateBranchName(name)
	case kindNewColumn:
		return cinch.ValidateColumnName(name)
	}
	return cinch.ValidateIdentifier(kind, name)
}

// checkNames checks args[i] against kinds[i]; the last kind applies to
// any further arguments, and "" leaves an argument unchecked.
func checkNames(kinds []string, args []string) error {
	for i, arg := range args {
		kind := kinds[min(i, len(kinds)-1)]
		if kind == "" {
			continue
		}
		if err := checkName(kind, arg); err != nil {
			return err
		}
	}
	return nil
}

// names lists the kinds of a command's arguments, for call.names.
func names(kinds ...string) []string { return kinds }

// call is a command of the usual shape.
type call struct {
	names  []string                  // the kind of each argument (see checkNames)
	check  func(args []string) error // other input, checked before anything is opened
	tenant *string                   // connect to this tenant (--tenant; required under strict_tenant); main when nil

	// Exactly one of these calls the engine and prints: on a handle of
	// the active branch, or on the project itself.
	run     func(ctx context.Context, db cinch.DB, args []string) error
	project func(ctx context.Context, p *local.Project, args []string) error
}

// runE is the RunE of c: names, other checks, connect, run.
func (a *app) runE(c call) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		if len(c.names) > 0 {
			if err := checkNames(c.names, args); err != nil {
				return err
			}
		}
		if c.tenant != nil {
			if err := a.requireTenant(ctx, cmd); err != nil {
				return err
			}
		}
		if c.check != nil {
			if err := c.check(args); err != nil {
				return err
			}
		}
		ctx, finish := a.rolloutContext(ctx, cmd)
		defer finish()
		if c.project != nil {
			p, err := a.open(ctx)
			if err != nil {
				return err
			}
			return c.project(ctx, p, args)
		}
		tenant := ""
		if c.tenant != nil {
			tenant = *c.tenant
		}
		db, err := a.connect(ctx, "", tenant)
		if err != nil {
			return err
		}
		return c.run(ctx, db, args)
	}
}

// changed reports the schema change ch made by a call that returned err:
// err itself if not nil, else the change record in JSON, or
// "<msg> (change N)".
func (a *app) changed(ctx context.Context, db cinch.DB, ch cinch.Change, err error, msg string) error {
	finishRollout(ctx)
	if err != nil {
		return err
	}
	return a.done(ch, "%s (%s)", msg, changeLabel(ctx, db, ch))
}

// forceFlag adds --force (-f) to a destructive command.
func forceFlag(c *cobra.Command, force *bool, usage string) {
	c.Flags().BoolVarP(force, "force", "f", false, usage)
}
