package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func (a *app) branchCommand() *cobra.Command {
	return group("branch", "Manage branches (lines of schema history) of the active database",
		`  cinch branch list
  cinch branch create feature --switch
  cinch branch changes
  cinch branch merge feature main --dry-run
  cinch branch merge-into-main feature`,
		a.branchListCommand(), a.branchCreateCommand(), a.branchSwitchCommand(), a.branchInfoCommand(),
		a.branchChangesCommand(), a.branchMergeCommand(), a.branchMergeIntoMainCommand(), a.branchDeleteCommand())
}

type branchEntry struct {
	cinch.BranchInfo
	Active bool `json:"active"`
}

// branchDetail is `branch info` in JSON: the branch, whether it is active,
// and the branches it was merged into.
type branchDetail struct {
	branchEntry
	MergedInto []string `json:"merged_into"`
}

// branches lists the branches of db's database, with its name and the
// active branch (db's).
func branches(ctx context.Context, db cinch.DB) (database, active string, list []cinch.BranchInfo, err error) {
	t := db.Target()
	list, err = db.Branches().List(ctx)
	return t.Database, t.Branch, list, err
}

// mergedInto lists the branches holding changes merged from name (a
// change keeps the name of the branch it was merged from).
func mergedInto(ctx context.Context, db cinch.DB, name string, list []cinch.BranchInfo) []string {
	out := []string{}
	for _, b := range list {
		if b.Name == name {
			continue
		}
		changes, err := db.Branches().Changes(ctx, b.Name)
		if err != nil {
			continue
		}
		if slices.ContainsFunc(changes, func(c cinch.Change) bool { return c.MergedFrom == name }) {
			out = append(out, b.Name)
		}
	}
	return out
}

func (a *app) branchListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the branches of the active database",
		Example: "  cinch branch list\n  cinch branch list --database myapp --format json",
		Args:    noArgs(),
		RunE: a.runE(call{run: func(ctx context.Context, db cinch.DB, args []string) error {
			_, active, list, err := branches(ctx, db)
			if err != nil {
				return err
			}
			entries := make([]branchEntry, len(list))
			for i, b := range list {
				entries[i] = branchEntry{b, b.Name == active}
			}
			return emitList(a, entries, []string{"name", "parent", "changes", "tenants", "created_at", "active"}, func(e branchEntry) []string {
				return []string{e.Name, e.Parent, strconv.Itoa(e.Changes), strconv.Itoa(e.Tenants), timeText(e.CreatedAt), yesNo(e.Active)}
			})
		}}),
	}
}

func (a *app) branchInfoCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "info [NAME]",
		Short:   "Describe a branch: parent, created, tenants, changes, merged into",
		Example: "  cinch branch info\n  cinch branch info main --format json",
		Args:    rangeArgs(0, 1),
		RunE: a.runE(call{run: func(ctx context.Context, db cinch.DB, args []string) error {
			database, active, list, err := branches(ctx, db)
			if err != nil {
				return err
			}
			name := active
			if len(args) == 1 {
				name = args[0]
				if err := cinch.ValidateBranchName(name); err != nil {
					return err
				}
			}
			for _, b := range list {
				if b.Name != name {
					continue
				}
				merged := mergedInto(ctx, db, name, list)
				e := branchDetail{branchEntry{b, b.Name == active}, merged}
				return a.emitFields(e, [][2]string{
					{"name", b.Name},
					{"database", database},
					{"parent", b.Parent},
					{"created_at", timeText(b.CreatedAt)},
					{"changes", strconv.Itoa(b.Changes)},
					{"tenants", strconv.Itoa(b.Tenants)},
					{"behind", strconv.Itoa(b.Behind)},
					{"merged_into", strings.Join(merged, ", ")},
					{"active", yesNo(e.Active)},
				})
			}
			return cinch.NotFound(cinch.ErrBranchNotFound, "branch", name, "run `cinch branch list` to see the branches of database "+database)
		}}),
	}
}

func (a *app) branchChangesCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "changes [NAME]",
		Short: "List the schema changes of a branch, oldest first",
		Example: `  cinch branch changes
  cinch branch changes main --format json`,
		Args: rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			branch := ""
			if len(args) == 1 {
				branch = args[0]
			}
			db, err := a.connect(ctx, branch, "")
			if err != nil {
				return err
			}
			changes, err := db.Changes(ctx)
			if err != nil {
				return err
			}
			rows := make([][]string, len(changes))
			for i, c := range changes {
				sql := strings.Join(strings.Fields(strings.Join(c.SQL, "; ")), " ")
				if a.format == FormatTable {
					sql = truncate(sql, 80)
				}
				rows[i] = []string{strconv.Itoa(i + 1), c.ID, timeText(c.Timestamp), string(c.Type), c.Entity, sql}
			}
			return a.emit(orEmpty(changes), []string{"#", "id", "time", "type", "entity", "sql"}, rows)
		},
	}
}

func (a *app) branchCreateCommand() *cobra.Command {
	var from string
	var switchTo bool
	c := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a branch: a copy of a branch's schema history and every tenant's data",
		Long: `create copies the source branch (--from, default the active branch): its
change history, its tenants and their data, each tenant one consistent
snapshot taken while the source keeps serving. Writes and schema changes on
the new branch never show on the source, and the other way round.`,
		Example: `  cinch branch create feature
  cinch branch create hotfix --from main --switch`,
		Args: exactArgs(1),
		RunE: a.runE(call{names: names(cinch.KindBranch), run: func(ctx context.Context, db cinch.DB, args []string) error {
			name, t := args[0], db.Target()
			if from == "" {
				from = t.Branch
			} else if err := cinch.ValidateBranchName(from); err != nil {
				return err
			}
			var p *local.Project // --switch writes config.toml: a project folder only
			if switchTo {
				var err error
				if p, err = a.open(ctx); err != nil {
					return err
				}
			}
			info, err := db.Branches().Create(ctx, name, from)
			if err != nil {
				return err
			}
			msg := fmt.Sprintf("Created branch %s from %s (%d %s, %d %s)", name, from,
				info.Changes, plural(int64(info.Changes), "change", "changes"), info.Tenants, plural(int64(info.Tenants), "tenant", "tenants"))
			if switchTo {
				if err := p.SetActive(t.Database, name); err != nil {
					return err
				}
				msg += " and switched to it"
			}
			return a.done(branchEntry{info, switchTo}, "%s", msg)
		}}),
	}
	c.Flags().StringVar(&from, "from", "", "branch to copy (default: the active branch)")
	c.Flags().BoolVar(&switchTo, "switch", false, "make the new branch the active one")
	return c
}

func (a *app) branchSwitchCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "switch NAME",
		Short:   "Make a branch the active one",
		Example: "  cinch branch switch feature\n  cinch branch switch main",
		Args:    exactArgs(1),
		RunE: a.runE(call{names: names(cinch.KindBranch), project: func(ctx context.Context, p *local.Project, args []string) error {
			name := args[0]
			database, _, err := a.scope(ctx)
			if err != nil {
				return err
			}
			if _, err := p.BranchInfo(ctx, database, name); err != nil {
				return err
			}
			if err := p.SetActive(database, name); err != nil {
				return err
			}
			return a.done(map[string]string{"database": database, "branch": name},
				"Switched to branch %s (database %s)", name, database)
		}}),
	}
}

func (a *app) branchDeleteCommand() *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a branch with its tenants (not main, not the active branch)",
		Example: "  cinch branch delete feature --force",
		Args:    exactArgs(1),
		RunE: a.runE(call{names: names(cinch.KindBranch),
			check: func(args []string) error {
				if args[0] == cinch.DefaultBranch {
					return &cinch.Error{Err: cinch.ErrProtected, Message: `branch "main" cannot be deleted`,
						Hint: "every database keeps its main branch"}
				}
				return nil
			},
			run: func(ctx context.Context, db cinch.DB, args []string) error {
				name, database := args[0], db.Target().Database
				info, err := db.Branches().Info(ctx, name)
				if err != nil {
					return err
				}
				if d, b, err := a.be.defaults(); err == nil && d == database && b == name {
					return &cinch.Error{Err: cinch.ErrProtected, Message: fmt.Sprintf("branch %q is the active branch", name),
						Hint: "switch to another branch first: cinch branch switch main"}
				}
				if err := a.confirm(force, fmt.Sprintf("branch %s with its %d %s", name, info.Tenants, plural(int64(info.Tenants), "tenant", "tenants"))); err != nil {
					return err
				}
				if err := db.Branches().Delete(ctx, name); err != nil {
					return err
				}
				return a.done(map[string]string{"deleted": name}, "Deleted branch %s", name)
			}}),
	}
	forceFlag(c, &force, "delete without asking")
	return c
}

func (a *app) branchMergeCommand() *cobra.Command {
	var dryRun bool
	c := &cobra.Command{
		Use:   "merge SOURCE [TARGET]",
		Short: "Apply a branch's schema changes to another branch (default: the active one)",
		Long: `merge applies the changes SOURCE has made since it and TARGET last shared
history to TARGET's schema and every TARGET tenant, keeping their data. When
TARGET has changes of its own that do not touch the same tables, columns,
views or indexes, both are kept (a three-way merge); otherwise the merge is
refused, each conflicting entity is printed with both sides' changes, and
nothing changes. The merge is atomic across all TARGET tenants.

--dry-run prints the plan (each change and its SQL) and changes nothing.`,
		Example: `  cinch branch merge feature --dry-run
  cinch branch merge feature main
  cinch branch merge feature main --format json`,
		Args: rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			target := ""
			if len(args) == 2 {
				target = args[1]
			}
			return a.merge(cmd.Context(), args[0], target, dryRun)
		},
	}
	c.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan and change nothing")
	return c
}

func (a *app) branchMergeIntoMainCommand() *cobra.Command {
	var dryRun bool
	c := &cobra.Command{
		Use:   "merge-into-main [SOURCE]",
		Short: "Merge a branch (default: the active one) into main",
		Long: `merge-into-main is merge SOURCE main: see cinch branch merge --help.
SOURCE defaults to the active branch.`,
		Example: `  cinch branch merge-into-main feature
  cinch branch merge-into-main --dry-run`,
		Args: rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			source := ""
			if len(args) == 1 {
				source = args[0]
			}
			return a.merge(cmd.Context(), source, cinch.DefaultBranch, dryRun)
		},
	}
	c.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan and change nothing")
	return c
}

// merge runs `branch merge`: source and target default to the active branch.
func (a *app) merge(ctx context.Context, source, target string, dryRun bool) error {
	for _, n := range []string{source, target} {
		if n != "" {
			if err := cinch.ValidateBranchName(n); err != nil {
				return err
			}
		}
	}
	db, err := a.connect(ctx, "", "")
	if err != nil {
		return err
	}
	active := db.Target().Branch
	if source == "" {
		source = active
	}
	defaulted := target == ""
	if defaulted {
		target = active
	}
	if source == target {
		hint := "name another target branch"
		if defaulted {
			hint = "the target defaults to the active branch; name it, as in: cinch branch merge " + source + " TARGET"
		}
		return &cinch.Error{Err: cinch.ErrInvalidInput, Message: fmt.Sprintf("cannot merge branch %q into itself", source), Hint: hint}
	}
	res, err := db.Branches().Merge(ctx, source, target, dryRun)
	res.Changes = orEmpty(res.Changes)
	if err != nil {
		if len(res.Conflicts) > 0 {
			if a.format == FormatJSON {
				if werr := writeJSON(a.stdout, res); werr != nil {
					return werr
				}
			} else {
				writeConflicts(a.stderr, res)
			}
		}
		return err
	}
	if a.format == FormatJSON {
		return writeJSON(a.stdout, res)
	}
	return writeMerge(a.stdout, res)
}

// writeMerge prints a merge (or its plan) for humans.
func writeMerge(w io.Writer, res cinch.MergeResult) error {
	kind := "three-way"
	if res.FastForward {
		kind = "fast-forward"
	}
	n := int64(len(res.Changes))
	tenants := fmt.Sprintf("%d tenant %s", res.Tenants, plural(int64(res.Tenants), "file", "files"))
	var b strings.Builder
	switch {
	case n == 0:
		fmt.Fprintf(&b, "Nothing to merge: %s has no changes that %s lacks\n", res.Source, res.Target)
		if res.DryRun {
			b.WriteString("dry run: nothing changed\n")
		}
		_, err := io.WriteString(w, b.String())
		return err
	case res.DryRun:
		fmt.Fprintf(&b, "Plan: merge %s into %s (%s), %d %s on %s:\n", res.Source, res.Target, kind, n, plural(n, "change", "changes"), tenants)
	default:
		fmt.Fprintf(&b, "Merged %s into %s (%s): %d %s applied to %s:\n", res.Source, res.Target, kind, n, plural(n, "change", "changes"), tenants)
	}
	for i, c := range res.Changes {
		fmt.Fprintf(&b, "  %d. %s %s\n", i+1, c.Type, c.Entity)
		for _, s := range c.SQL {
			fmt.Fprintf(&b, "       %s;\n", strings.Join(strings.Fields(s), " "))
		}
	}
	if res.DryRun {
		b.WriteString("dry run: nothing changed\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeConflicts prints each conflicting entity with both sides' changes.
func writeConflicts(w io.Writer, res cinch.MergeResult) {
	var b strings.Builder
	fmt.Fprintf(&b, "Merge of %s into %s refused: %d %s (nothing changed)\n", res.Source, res.Target,
		len(res.Conflicts), plural(int64(len(res.Conflicts)), "conflict", "conflicts"))
	side := func(branch string, changes []cinch.Change) {
		if len(changes) == 0 {
			fmt.Fprintf(&b, "    %s: (no change)\n", branch)
		}
		for _, c := range changes {
			fmt.Fprintf(&b, "    %s: %s %s at %s\n", branch, c.Type, c.Entity, timeText(c.Timestamp))
			for _, s := range c.SQL {
				fmt.Fprintf(&b, "      %s;\n", truncate(strings.Join(strings.Fields(s), " "), 200))
			}
		}
	}
	for _, c := range res.Conflicts {
		fmt.Fprintf(&b, "  conflict on %s", c.Entity)
		if c.Reason != "" {
			fmt.Fprintf(&b, ": %s", c.Reason)
		}
		b.WriteString("\n")
		side(res.Source, c.Source)
		side(res.Target, c.Target)
	}
	io.WriteString(w, b.String())
}
