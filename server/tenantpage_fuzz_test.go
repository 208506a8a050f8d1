package server

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
)

// FuzzTenantPage: any query string either is refused as invalid input or
// gives a page that holds only matching tenants, in order, at most limit
// of them, with a total no larger than the list.
func FuzzTenantPage(f *testing.F) {
	for _, s := range []string{"", "limit=3", "limit=0&offset=2", "prefix=t1&sort=size:desc", "sort=created:asc&state=lazy",
		"behind=true", "sort=name:desc&limit=1", "limit=-1", "sort=size:up", "state=x", "prefix=%FF", "limit=1&limit=2", "zzz=1"} {
		f.Add(s)
	}
	var list []cinch.TenantInfo
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	states := []cinch.TenantState{cinch.TenantLazy, cinch.TenantMaterialized, cinch.TenantArchived}
	for i := range 40 {
		list = append(list, cinch.TenantInfo{Name: fmt.Sprintf("t%d", i), State: states[i%3], SizeBytes: int64((i * 7919) % 13),
			CreatedAt: t0.Add(time.Duration(i%5) * time.Hour), SchemaVersion: i % 4})
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		p, err := parseTenantPage(q)
		if err != nil {
			if !errors.Is(err, cinch.ErrInvalidInput) {
				t.Fatalf("%q: %v is not invalid_input", raw, err)
			}
			return
		}
		p.version = 3
		out, total := p.apply(append([]cinch.TenantInfo(nil), list...))
		if total > len(list) || len(out) > total || (p.limit >= 0 && len(out) > p.limit) {
			t.Fatalf("%q: %d of %d (limit %d)", raw, len(out), total, p.limit)
		}
		for i, ti := range out {
			if !strings.HasPrefix(ti.Name, p.prefix) || (p.state != "" && ti.State != p.state) ||
				(p.behind && !(ti.State == cinch.TenantMaterialized && ti.SchemaVersion < 3)) {
				t.Fatalf("%q: %+v does not match", raw, ti)
			}
			if i > 0 && p.less(ti, out[i-1]) {
				t.Fatalf("%q: %s before %s", raw, out[i-1].Name, ti.Name)
			}
		}
	})
}
