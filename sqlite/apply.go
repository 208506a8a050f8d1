package sqlite

import (
	"context"
	"errors"
	"fmt"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/ncruces/go-sqlite3"
)

// ErrAhead is returned by Migrate when the file has applied more changes
// than the caller knows: another process committed a newer change, or a
// data-dependent change is being prepared. The caller reloads and retries.
var ErrAhead = fmt.Errorf("%w: tenant file is ahead of the branch", cinch.ErrSchemaDrift)

// Migrate brings the file to version len(changes) in one IMMEDIATE
// transaction: it reads user_version inside the transaction (so two
// processes converging the same tenant never apply a change twice), runs
// the SQL of each missing change, checks foreign keys after rebuilds, and
// sets user_version. It returns the version it found.
//
// Rebuilds need foreign keys off, and that pragma is a no-op inside a
// transaction, so it is switched before BEGIN and restored after.
func (c *Conn) Migrate(ctx context.Context, changes []cinch.Change) (from int, err error) {
	from, err = c.UserVersion()
	if err != nil {
		return 0, c.translate(err)
	}
	if from == len(changes) {
		return from, nil
	}
	if from > len(changes) {
		return from, ErrAhead
	}
	from, err = c.applyMissing(ctx, changes, true)
	if err == nil {
		// Move the new header into the main file, so tools that read the
		// header (tenant list) see the new version without opening it.
		c.raw.WALCheckpoint("main", sqlite3.CHECKPOINT_PASSIVE)
	}
	return from, err
}

// MigrateWAL is Migrate for a connection opened only to migrate the file
// and closed right after (a rollout or the converger working on a tenant no
// one has open): it costs one fsync instead of a checkpoint's two. The
// commit is made durable in the WAL (synchronous=FULL), and the WAL is not
// checkpointed, not even when the connection closes; the next connection
// to open the file reads the change from the WAL and checkpoints it in its
// own time. The connection should not be used for anything else after.
func (c *Conn) MigrateWAL(ctx context.Context, changes []cinch.Change) (from int, err error) {
	from, err = c.UserVersion()
	if err != nil {
		return 0, c.translate(err)
	}
	if from == len(changes) {
		return from, nil
	}
	if from > len(changes) {
		return from, ErrAhead
	}
	if err := c.Exec("PRAGMA synchronous=FULL"); err != nil {
		return from, c.translate(err)
	}
	if _, err := c.raw.Config(sqlite3.DBCONFIG_NO_CKPT_ON_CLOSE, true); err != nil {
		return from, c.translate(err)
	}
	return c.applyMissing(ctx, changes, true)
}

// Validate runs the missing changes of the history on this file inside a
// transaction and rolls it back: it tells whether Migrate would succeed on
// the data as it is now, changing nothing.
func (c *Conn) Validate(ctx context.Context, changes []cinch.Change) error {
	_, err := c.applyMissing(ctx, changes, false)
	return err
}

// errValidated makes Update roll back after a successful validation.
var errValidated = errors.New("validated")

// applyMissing runs, in one transaction, the changes this file lacks, and
// commits (setting user_version) or, when commit is false, rolls back.
func (c *Conn) applyMissing(ctx context.Context, changes []cinch.Change, commit bool) (from int, err error) {
	rebuild := false
	for _, ch := range changes {
		rebuild = rebuild || ch.Rebuild
	}
	err = c.withForeignKeysOff(rebuild, func() error {
		return c.Update(ctx, func() error {
			v, err := c.UserVersion()
			if err != nil {
				return c.translate(err)
			}
			from = v
			if v > len(changes) {
				return ErrAhead
			}
			for i, ch := range changes[v:] {
				for _, stmt := range ch.SQL {
					if err := c.Exec(stmt); err != nil {
						err = c.translate(err)
						if errors.Is(err, cinch.ErrDiskFull) {
							return err // not the change's fault: it applies once there is space
						}
						return &cinch.Error{Err: cinch.ErrRolloutFailed,
							Message: fmt.Sprintf("change %d (%s %s) failed: %v", v+i+1, ch.Type, ch.Entity, err)}
					}
				}
			}
			if rebuild {
				if err := c.foreignKeyCheck(); err != nil {
					return err
				}
			}
			if !commit {
				return errValidated
			}
			return c.Exec(fmt.Sprintf("PRAGMA user_version=%d", len(changes)))
		})
	})
	if err == errValidated {
		err = nil
	}
	return from, err
}

// Revert undoes the newest change (version from → from-1) with inverse SQL,
// only if the file is at version from; it is the abort path of a
// data-dependent rollout.
func (c *Conn) Revert(ctx context.Context, from int, inverse []string, rebuild bool) error {
	return c.withForeignKeysOff(rebuild, func() error {
		return c.Update(ctx, func() error {
			v, err := c.UserVersion()
			if err != nil || v != from {
				return c.translate(err)
			}
			for _, stmt := range inverse {
				if err := c.Exec(stmt); err != nil {
					return fmt.Errorf("%w: undo failed: %v", cinch.ErrInternal, c.translate(err))
				}
			}
			return c.Exec(fmt.Sprintf("PRAGMA user_version=%d", from-1))
		})
	})
}

func (c *Conn) withForeignKeysOff(off bool, fn func() error) error {
	if !off {
		return fn()
	}
	if err := c.Exec("PRAGMA foreign_keys=OFF"); err != nil {
		return c.translate(err)
	}
	defer c.Exec("PRAGMA foreign_keys=ON")
	return fn()
}

func (c *Conn) foreignKeyCheck() error {
	s, _, err := c.raw.Prepare("PRAGMA foreign_key_check")
	if err != nil {
		return c.translate(err)
	}
	defer s.Close()
	if s.Step() {
		return &cinch.Error{Err: cinch.ErrConstraint, Message: fmt.Sprintf("foreign key check failed after rebuild: table %s row %d", s.ColumnText(0), s.ColumnInt64(1))}
	}
	return c.translate(s.Err())
}

// IntegrityCheck runs PRAGMA integrity_check and returns its messages
// (["ok"] when healthy).
func (c *Conn) IntegrityCheck(ctx context.Context) ([]string, error) {
	res, err := c.Query(ctx, cinch.QueryOptions{}, "PRAGMA integrity_check")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range res.Rows {
		out = append(out, fmt.Sprint(r[0]))
	}
	return out, nil
}

// CheckViews compiles every view, so a change that breaks one (a dropped
// or renamed table or column it reads) is caught before it is recorded.
func (c *Conn) CheckViews(ctx context.Context) error {
	s, _, err := c.raw.Prepare("SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name")
	if err != nil {
		return c.translate(err)
	}
	var views []string
	for s.Step() {
		views = append(views, s.ColumnText(0))
	}
	s.Close()
	for _, v := range views {
		probe, _, err := c.raw.Prepare("SELECT * FROM " + schema.Quote(v) + " LIMIT 0")
		if err != nil {
			return &cinch.Error{Err: cinch.ErrInvalidInput, Message: fmt.Sprintf("view %q would break: %v", v, c.translate(err)),
				Hint: "update or delete the view first; nothing was changed"}
		}
		probe.Close()
	}
	return nil
}

// ObjectSQL returns the SQL SQLite stores for a schema object (its text
// after any rewrite by RENAME COLUMN), or "" if there is none.
func (c *Conn) ObjectSQL(name string) string {
	s, _, err := c.raw.Prepare("SELECT sql FROM sqlite_schema WHERE name = ?")
	if err != nil {
		return ""
	}
	defer s.Close()
	s.BindText(1, name)
	if s.Step() {
		return s.ColumnText(0)
	}
	return ""
}
