package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cinchdb/cinch"
)

// MergePlan is what merging one branch's history into another's comes to.
type MergePlan struct {
	Ancestor    string // id of the last change both histories share, "" if none
	FastForward bool   // the target has no changes of its own
	// Changes are the source's own changes, planned again on the target,
	// to append to the target's history.
	Changes   []cinch.Change
	Conflicts []cinch.MergeConflict
}

// PlanMerge computes the changes to append to the target (history dst,
// schema dstSchema) to merge source's history src, or the conflicts.
//
// Histories are compared by change id, so the ancestor is the longest
// common prefix and each side's own changes are those the other side
// lacks. Changes made identically on both sides are applied once. Two
// changes conflict by the rules of clash; without conflicts, each source
// change is planned again on the target's schema (Replan), and one that
// no longer applies there is a conflict too. Conflicts return ErrConflict.
func PlanMerge(src, dst []cinch.Change, dstSchema *Schema, source string) (MergePlan, error) {
	var mp MergePlan
	prefix := 0
	for prefix < len(src) && prefix < len(dst) && src[prefix].ID == dst[prefix].ID {
		prefix++
	}
	if prefix > 0 {
		mp.Ancestor = src[prefix-1].ID
	}
	inDst := map[string]bool{}
	for _, c := range dst {
		inDst[c.ID] = true
	}
	inSrc := map[string]bool{}
	for _, c := range src {
		inSrc[c.ID] = true
	}
	var srcSide, dstSide []cinch.Change
	for _, c := range src[prefix:] {
		if !inDst[c.ID] {
			srcSide = append(srcSide, c)
		}
	}
	for _, c := range dst[prefix:] {
		if !inSrc[c.ID] {
			dstSide = append(dstSide, c)
		}
	}
	mp.FastForward = len(dstSide) == 0
	// Drop source changes made identically on the target.
	srcSide = slices.DeleteFunc(srcSide, func(c cinch.Change) bool {
		return slices.ContainsFunc(dstSide, func(t cinch.Change) bool { return sameChange(c, t) })
	})
	mp.Conflicts = conflicts(srcSide, dstSide)
	if len(mp.Conflicts) > 0 {
		return mp, conflictError(mp.Conflicts, source)
	}
	schema := dstSchema.Clone()
	for _, c := range srcSide {
		p, err := Replan(schema, c)
		if err != nil {
			mp.Conflicts = []cinch.MergeConflict{{Entity: string(c.Type) + " " + c.Entity, Source: []cinch.Change{c}, Target: []cinch.Change{},
				Reason: "does not apply to the target schema: " + err.Error()}}
			return mp, conflictError(mp.Conflicts, source)
		}
		ch := p.Change
		if ch.MergedFrom == "" {
			ch.MergedFrom = source
		}
		mp.Changes = append(mp.Changes, ch)
		schema = p.After
	}
	return mp, nil
}

// Replan plans a recorded change again against another schema (a merge
// target), from its details: the SQL may differ (a rebuild depends on the
// table's current definition) but the meaning is the same. The result
// keeps the change's id, timestamp and type.
func Replan(s *Schema, ch cinch.Change) (Plan, error) {
	k, ok := kinds[ch.Type]
	if !ok {
		return Plan{}, fmt.Errorf("%w: change %s has unknown type %q", cinch.ErrInternal, ch.ID, ch.Type)
	}
	p, err := k.replan(s, ch)
	if de := (*detailsError)(nil); errors.As(err, &de) {
		return Plan{}, fmt.Errorf("%w: change %s has bad details: %v", cinch.ErrInternal, ch.ID, de)
	}
	if err != nil {
		return Plan{}, err
	}
	p.Change.ID, p.Change.Timestamp, p.Change.MergedFrom = ch.ID, ch.Timestamp, ch.MergedFrom
	return p, nil
}

// Footprint is what a change touches, for merge conflict detection: the
// keys it writes and the keys it reads. Keys are "table:T" (the whole
// table), "column:T.C", "view:V" and "index:I".
type Footprint struct {
	Writes []string
	Reads  []string
}

// FootprintOf returns the footprint of a recorded change (empty for an
// unknown type).
func FootprintOf(ch cinch.Change) Footprint {
	k, ok := kinds[ch.Type]
	if !ok {
		return Footprint{}
	}
	return k.footprint(ch)
}

// sameChange reports whether two changes do the same thing (type and details).
func sameChange(a, b cinch.Change) bool {
	if a.Type != b.Type {
		return false
	}
	var x, y any
	json.Unmarshal(a.Details, &x)
	json.Unmarshal(b.Details, &y)
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// conflicts pairs every source change with every target change it clashes
// with, grouped by the entity they clash on.
func conflicts(srcSide, dstSide []cinch.Change) []cinch.MergeConflict {
	byEntity := map[string]*cinch.MergeConflict{}
	var order []string
	add := func(entity string, s, t cinch.Change) {
		c := byEntity[entity]
		if c == nil {
			c = &cinch.MergeConflict{Entity: entity, Source: []cinch.Change{}, Target: []cinch.Change{}}
			byEntity[entity] = c
			order = append(order, entity)
		}
		if !slices.ContainsFunc(c.Source, func(x cinch.Change) bool { return x.ID == s.ID }) {
			c.Source = append(c.Source, s)
		}
		if !slices.ContainsFunc(c.Target, func(x cinch.Change) bool { return x.ID == t.ID }) {
			c.Target = append(c.Target, t)
		}
	}
	for _, s := range srcSide {
		fs := FootprintOf(s)
		for _, t := range dstSide {
			ft := FootprintOf(t)
			if e, ok := clash(fs, ft); ok {
				add(e, s, t)
			}
		}
	}
	out := make([]cinch.MergeConflict, 0, len(order))
	for _, e := range order {
		out = append(out, *byEntity[e])
	}
	return out
}

// clash finds the entity two footprints conflict on: both write it; or
// one writes a whole table (create, drop, rename, copy target) and the
// other touches that table's columns; or one changes a column the other
// reads (an index on it, a foreign key to it).
func clash(a, b Footprint) (string, bool) {
	tableOf := func(key string) string {
		_, rest, _ := strings.Cut(key, ":")
		t, _, _ := strings.Cut(rest, ".")
		return t
	}
	for _, wa := range a.Writes {
		for _, wb := range b.Writes {
			if wa == wb {
				return wa, true
			}
		}
	}
	check := func(x, y Footprint) (string, bool) {
		for _, w := range x.Writes {
			whole := strings.HasPrefix(w, "table:")
			for _, k := range append(slices.Clone(y.Writes), y.Reads...) {
				if whole && strings.HasPrefix(k, "column:") && tableOf(k) == tableOf(w) {
					return w, true
				}
				if whole && strings.HasPrefix(k, "index:") {
					continue
				}
				if k == w && slices.Contains(y.Reads, k) && !whole {
					return w, true // a column one side changes, the other's index or FK reads
				}
			}
		}
		return "", false
	}
	if e, ok := check(a, b); ok {
		return e, true
	}
	return check(b, a)
}

func conflictError(cs []cinch.MergeConflict, source string) error {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.Entity)
	}
	return &cinch.Error{Err: cinch.ErrConflict,
		Message: fmt.Sprintf("merge of %q refused: %d conflict(s) on %s", source, len(cs), strings.Join(parts, ", ")),
		Hint:    "change one side so both agree (e.g. drop or rename on one branch), then merge again; a dry run lists each side's changes"}
}
