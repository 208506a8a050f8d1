package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/cinchdb/cinch"
)

// FNV-1a is specified, so these values hold in every process and release.
func TestGetShardForTenantIsStable(t *testing.T) {
	if got := GetShardForTenant(""); got != "shard_1" { // FNV offset basis 2166136261 % 4
		t.Errorf("GetShardForTenant(\"\") = %s, want shard_1", got)
	}
	for _, id := range []string{"acme_corp", "wayne_ent", "customer_12345", "_template_default"} {
		want := "shard_" + strconv.Itoa(int(fnv1a(id)%NumShards))
		if got := GetShardForTenant(id); got != want {
			t.Errorf("GetShardForTenant(%q) = %s, want %s", id, got, want)
		}
	}
	// Spread: 1000 tenants over 4 shards, none starved or overloaded.
	counts := map[string]int{}
	for i := range 1000 {
		counts[GetShardForTenant(fmt.Sprintf("customer_%05d", i))]++
	}
	if len(counts) != NumShards {
		t.Fatalf("shards used: %v", counts)
	}
	for s, n := range counts {
		if n < 150 || n > 350 {
			t.Errorf("%s got %d of 1000 tenants", s, n)
		}
	}
}

// fnv1a is the reference FNV-1a 32-bit hash, written out.
func fnv1a(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), t.TempDir(), &out); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, m := range regexp.MustCompile(`shard_\d: (\d+) customer tenants`).FindAllStringSubmatch(out.String(), -1) {
		n, _ := strconv.Atoi(m[1])
		total += n
	}
	if total != 20 {
		t.Errorf("tenants over all shards = %d, want 20:\n%s", total, out.String())
	}
	want := fmt.Sprintf("customer_00007 is on %s and holds \"owner of customer_00007\"\n", GetShardForTenant("customer_00007"))
	if !bytes.HasSuffix(out.Bytes(), []byte(want)) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
}

// Each tenant lives only on its own shard.
func TestTenantsOnlyOnTheirShard(t *testing.T) {
	ctx := context.Background()
	router, closeAll, err := OpenRouter(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	ids := []string{"acme_corp", "wayne_ent", "stark_ind", "customer_12345"}
	for _, id := range ids {
		if err := router.CreateTenant(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		home := GetShardForTenant(id)
		for name, db := range router.shards {
			_, err := db.Tenants().Info(ctx, id)
			if name == home && err != nil {
				t.Errorf("%s not on its shard %s: %v", id, home, err)
			}
			if name != home && !errors.Is(err, cinch.ErrTenantNotFound) {
				t.Errorf("%s also on %s: %v", id, name, err)
			}
		}
		if _, err := router.Tenant(id).Query(ctx, "SELECT * FROM users"); err != nil {
			t.Errorf("routing %s: %v", id, err)
		}
	}
}
