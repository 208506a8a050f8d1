package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/server"
)

// listPage asks GET .../tenants with query and returns the names and the
// X-Total-Count header ("" when absent).
func (e *env) listPage(key, query string) ([]string, string, response) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.ts.URL+"/v1/databases/main/branches/main/tenants"+query, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	r := e.do("GET", "/v1/databases/main/branches/main/tenants"+query, key, nil)
	if r.status != 200 {
		return nil, resp.Header.Get(server.TotalCountHeader), r
	}
	var list []cinch.TenantInfo
	if err := json.Unmarshal(r.body, &list); err != nil {
		e.t.Fatalf("%s: %v: %s", query, err, r.body)
	}
	var names []string
	for _, t := range list {
		names = append(names, t.Name)
	}
	return names, resp.Header.Get(server.TotalCountHeader), r
}

func TestListTenants_PagingSortFilter(t *testing.T) {
	e := newEnv(t, server.Config{})
	ctx := context.Background()
	db, err := e.p.Connect(cinch.Target{})
	if err != nil {
		t.Fatal(err)
	}
	// t00..t11 (lazy for odd numbers); t03 gets rows, so it is the largest t-tenant.
	for i := range 12 {
		if _, err := db.Tenants().Create(ctx, fmt.Sprintf("t%02d", i), cinch.TenantCreateOptions{Lazy: i%2 == 1}); err != nil {
			t.Fatal(err)
		}
	}
	t03 := db.WithTenant("t03")
	for i := range 200 {
		if _, err := t03.Insert(ctx, "users", cinch.Record{"name": strings.Repeat("x", 500), "age": i}); err != nil {
			t.Fatal(err)
		}
	}
	key := e.keys["full"]
	// t02's file says it has none of the branch's changes (the header's
	// user_version, bytes 60-63): a rollout has not reached it yet.
	f, err := os.OpenFile(filepath.Join(e.dir, ".cinchdb/databases/main/branches/main/tenants/t02.db"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0, 0, 0, 0}, 60); err != nil {
		t.Fatal(err)
	}
	f.Close()

	// No parameters: every tenant, name order, no count header (the old answer).
	all, total, _ := e.listPage(key, "")
	if len(all) != 14 || total != "" || !slices.IsSorted(all) {
		t.Fatalf("no parameters: %v (count %q)", all, total)
	}
	for _, c := range []struct {
		query string
		want  []string
		total string
	}{
		{"?prefix=t&limit=3", []string{"t00", "t01", "t02"}, "12"},
		{"?prefix=t&limit=3&offset=10", []string{"t10", "t11"}, "12"},
		{"?prefix=t&offset=50", nil, "12"},
		{"?prefix=t&limit=0", nil, "12"},
		{"?prefix=t1", []string{"t10", "t11"}, "2"},
		{"?prefix=t&sort=name:desc&limit=2", []string{"t11", "t10"}, "12"},
		{"?prefix=t&sort=size:desc&limit=1", []string{"t03"}, "12"},
		{"?prefix=t&state=lazy&limit=2", []string{"t01", "t05"}, "5"}, // t03 got a file with its rows
		{"?state=materialized&prefix=t0&limit=2", []string{"t00", "t02"}, "6"},
		{"?behind=true&prefix=t", []string{"t02"}, "1"}, // main is behind too: only open tenants migrate at once
	} {
		got, total, r := e.listPage(key, c.query)
		if r.status != 200 || !slices.Equal(got, c.want) || total != c.total {
			t.Errorf("%s: %v (count %q), want %v (count %s); %v", c.query, got, total, c.want, c.total, r)
		}
	}

	for _, q := range []string{"?sort=bogus", "?sort=name:sideways", "?limit=-1", "?offset=x", "?state=gone", "?behind=maybe", "?colour=red", "?limit=1&limit=2"} {
		if _, _, r := e.listPage(key, q); r.status != 400 || r.code != "invalid_input" {
			t.Errorf("%s: %v, want 400 invalid_input", q, r)
		}
	}
	// Tenant keys may not list tenants, paged or not.
	if _, _, r := e.listPage(e.keys["tenant_acme"], "?limit=5"); r.status != 403 {
		t.Errorf("tenant key: %v", r)
	}
}

func TestWhoami(t *testing.T) {
	e := newEnv(t, server.Config{})
	for kind, want := range map[string]server.KeyScope{
		"full":        {},
		"read_only":   {ReadOnly: true},
		"tenant_acme": {Database: "main", Branch: "main", Tenant: "acme"},
		"other_db":    {Database: "otherdb"},
	} {
		r := e.do("GET", "/v1/whoami", e.keys[kind], nil)
		if r.status != 200 {
			t.Fatalf("%s: %v", kind, r)
		}
		var got server.KeyScope
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		if got.ID == "" || !strings.HasPrefix(e.keys[kind], "cinch_") {
			t.Errorf("%s: no id: %s", kind, r.body)
		}
		got.ID = ""
		if got != want {
			t.Errorf("%s: %+v, want %+v", kind, got, want)
		}
		if kind == "tenant_acme" && strings.Contains(string(r.body), "other") {
			t.Errorf("a tenant key learns another name: %s", r.body)
		}
	}
	for _, kind := range []string{"", "wrong", "revoked", "expired"} {
		if r := e.do("GET", "/v1/whoami", e.keys[kind], nil); r.status != 401 {
			t.Errorf("%q key: %v, want 401", kind, r)
		}
	}
}

func TestUI_Mount(t *testing.T) {
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "ui:"+r.URL.Path)
	})
	e := newEnv(t, server.Config{UI: ui})
	for _, p := range []string{"/ui", "/ui/", "/ui/app.js"} {
		r := e.do("GET", p, "", nil)
		if r.status != 200 || string(r.body) != "ui:"+p {
			t.Errorf("%s: %v", p, r)
		}
	}
	// Only /ui itself and what is under it; the API is unchanged.
	if r := e.do("GET", "/uix", "", nil); r.status != 404 || r.code != server.CodeRouteNotFound {
		t.Errorf("/uix: %v", r)
	}
	if r := e.do("GET", "/ui/../v1/health", "", nil); r.status != 400 {
		t.Errorf("dot segments reach the UI: %v", r)
	}
	// Without a UI there is no /ui.
	e2 := newEnv(t, server.Config{})
	if r := e2.do("GET", "/ui/", "", nil); r.status != 404 {
		t.Errorf("no UI: %v", r)
	}
}
