package local

import (
	"context"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/cinchdb/cinch/sqlite"
)

// views is the handle's cinch.ViewService: the views of its branch,
// changed through tracked changes (DB.change).
type views struct{ d *DB }

var _ cinch.ViewService = views{}

func (v views) List(ctx context.Context) ([]cinch.ViewInfo, error) {
	b, s, err := v.d.schema(ctx)
	if err != nil {
		return nil, err
	}
	out := []cinch.ViewInfo{}
	for _, n := range s.ViewNames() {
		out = append(out, viewInfo(b, s, n))
	}
	return out, nil
}

func (v views) Info(ctx context.Context, name string) (cinch.ViewInfo, error) {
	if err := cinch.ValidateIdentifier(cinch.KindView, name); err != nil {
		return cinch.ViewInfo{}, err
	}
	b, s, err := v.d.schema(ctx)
	if err != nil {
		return cinch.ViewInfo{}, err
	}
	if _, ok := s.Views[name]; !ok {
		return cinch.ViewInfo{}, cinch.NotFound(cinch.ErrViewNotFound, "view", name, "")
	}
	return viewInfo(b, s, name), nil
}

func (v views) Create(ctx context.Context, name, body string) (cinch.Change, error) {
	if err := v.checkViewBody(ctx, body); err != nil {
		return cinch.Change{}, err
	}
	return v.d.change(ctx, func(s *schema.Schema) (schema.Plan, error) { return schema.PlanCreateView(s, name, body, false) })
}

func (v views) Update(ctx context.Context, name, body string) (cinch.Change, error) {
	if err := v.checkViewBody(ctx, body); err != nil {
		return cinch.Change{}, err
	}
	return v.d.change(ctx, func(s *schema.Schema) (schema.Plan, error) { return schema.PlanCreateView(s, name, body, true) })
}

func (v views) Drop(ctx context.Context, name string) (cinch.Change, error) {
	return v.d.change(ctx, func(s *schema.Schema) (schema.Plan, error) { return schema.PlanDropView(s, name) })
}

// checkViewBody makes sure a view body is one read-only statement that
// passes the query guard, on the template (so it compiles against the
// real schema).
func (v views) checkViewBody(ctx context.Context, body string) error {
	b, err := v.d.branch(ctx)
	if err != nil {
		return err
	}
	return b.useTemplate(func(c *sqlite.Conn) error {
		ro, err := c.IsReadOnly(body)
		if err != nil {
			return err
		}
		if !ro {
			return cinch.Errorf(cinch.ErrInvalidInput, "a view must be a SELECT statement").WithHint(`e.g. "SELECT * FROM users WHERE active = 1"`)
		}
		return nil
	})
}

func viewInfo(b *branch, s *schema.Schema, name string) cinch.ViewInfo {
	info := cinch.ViewInfo{Name: name, SQL: s.Views[name]}
	b.withTemplate(func(c *sqlite.Conn) error {
		if sql := c.ObjectSQL(name); sql != "" {
			info.SQL = sql
		}
		return nil
	})
	return info
}
