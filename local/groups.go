package local

import (
	"context"

	"github.com/cinchdb/cinch"
)

// groups is the handle's cinch.GroupService: the tenant groups of its
// branch.
type groups struct{ d *DB }

var _ cinch.GroupService = groups{}

// List lists the tenant groups of the handle's branch.
func (s groups) List(ctx context.Context) ([]cinch.Group, error) {
	b, err := s.d.branch(ctx)
	if err != nil {
		return nil, err
	}
	res, err := b.reg.exec(ctx, "SELECT * FROM groups ORDER BY name")
	if err != nil {
		return nil, err
	}
	out := []cinch.Group{}
	for _, r := range res.Records() {
		out = append(out, cinch.Group{Name: r["name"].(string), MaxDBBytes: r["max_db_bytes"].(int64), MaxConcurrent: int(r["max_concurrent"].(int64))})
	}
	return out, nil
}

// Info describes one group.
func (s groups) Info(ctx context.Context, name string) (cinch.Group, error) {
	if err := cinch.ValidateGroupName(name); err != nil {
		return cinch.Group{}, err
	}
	b, err := s.d.branch(ctx)
	if err != nil {
		return cinch.Group{}, err
	}
	return b.group(ctx, name)
}

// Create creates a group with limits.
func (s groups) Create(ctx context.Context, g cinch.Group) (cinch.Group, error) {
	if err := cinch.ValidateGroupName(g.Name); err != nil {
		return cinch.Group{}, err
	}
	if err := validateLimits(g); err != nil {
		return cinch.Group{}, err
	}
	b, err := s.d.branch(ctx)
	if err != nil {
		return cinch.Group{}, err
	}
	if _, err := b.group(ctx, g.Name); err == nil {
		return cinch.Group{}, cinch.Exists(cinch.ErrGroupExists, "group", g.Name)
	}
	_, err = b.reg.exec(ctx, "INSERT INTO groups (name, max_db_bytes, max_concurrent) VALUES (?, ?, ?)", g.Name, g.MaxDBBytes, g.MaxConcurrent)
	if err != nil {
		return cinch.Group{}, err
	}
	return g, nil
}

// SetLimits changes a group's limits; open tenants pick them up at once
// (in every process, through the generation counter).
func (s groups) SetLimits(ctx context.Context, g cinch.Group) (cinch.Group, error) {
	if err := validateLimits(g); err != nil {
		return cinch.Group{}, err
	}
	b, err := s.d.branch(ctx)
	if err != nil {
		return cinch.Group{}, err
	}
	if _, err := b.group(ctx, g.Name); err != nil {
		return cinch.Group{}, err
	}
	if _, err := b.reg.exec(ctx, "UPDATE groups SET max_db_bytes = ?, max_concurrent = ? WHERE name = ?", g.MaxDBBytes, g.MaxConcurrent, g.Name); err != nil {
		return cinch.Group{}, err
	}
	s.d.p.pool.forgetAll()
	return g, nil
}

// SetTenant puts a tenant in a group ("" removes it from its group).
func (s groups) SetTenant(ctx context.Context, tenant, group string) error {
	d := s.d
	if err := cinch.ValidateTenantName(tenant); err != nil {
		return err
	}
	b, err := d.branch(ctx)
	if err != nil {
		return err
	}
	if group != "" {
		if _, err := b.group(ctx, group); err != nil {
			return err
		}
	}
	if _, found, err := b.reg.get(ctx, tenant); err != nil {
		return err
	} else if !found {
		return notFoundTenant(tenant)
	}
	if _, err := b.reg.exec(ctx, "UPDATE tenants SET grp = ? WHERE name = ?", group, tenant); err != nil {
		return err
	}
	d.p.pool.forget(b, tenant, true)
	return nil
}

func validateLimits(g cinch.Group) error {
	if g.MaxDBBytes < 0 || g.MaxConcurrent < 0 {
		return cinch.Errorf(cinch.ErrInvalidInput, "group limits must be zero (no limit) or positive, got max_db_bytes=%d max_concurrent=%d", g.MaxDBBytes, g.MaxConcurrent).
			WithHint("give 0 for no limit")
	}
	if g.MaxDBBytes > 0 && g.MaxDBBytes < 64<<10 {
		return cinch.Errorf(cinch.ErrInvalidInput, "max database size %d bytes is too small to hold a schema", g.MaxDBBytes).WithHint("use at least 64KiB")
	}
	return nil
}
