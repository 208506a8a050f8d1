package local_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// keyClock is a settable clock for key expiry tests.
type keyClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *keyClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *keyClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newKeyProject(t *testing.T) (*local.Project, *keyClock, string) {
	t.Helper()
	clk := &keyClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	f := newProject(t, local.Config{Now: clk.Now})
	return f.p, clk, f.dir
}

func TestProject_Keys(t *testing.T) {
	ctx := context.Background()
	p, clk, dir := newKeyProject(t)

	id, secret, err := p.CreateKey(ctx, local.KeySpec{Database: "main", Tenant: "acme", ReadOnly: true,
		Expires: clk.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, local.KeyPrefix+id+"_") || len(secret) < 60 {
		t.Fatalf("secret %q does not look like cinch_<id>_<random>", secret)
	}
	raw, err := os.ReadFile(filepath.Join(dir, ".cinchdb", local.KeysFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), secret[len(local.KeyPrefix)+len(id)+1:]) {
		t.Fatal("keys.db holds the secret in clear")
	}

	t.Run("verify", func(t *testing.T) {
		k, err := p.VerifyKey(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := k.ID, id; got != want {
			t.Errorf("id = %q, want %q", got, want)
		}
		if k.Database != "main" || k.Tenant != "acme" || k.Branch != "" || !k.ReadOnly {
			t.Errorf("scope = %+v", k)
		}
	})
	t.Run("wrong", func(t *testing.T) {
		for _, s := range []string{"", "nope", secret + "x", secret[:len(secret)-1] + "a", local.KeyPrefix + id + "_",
			local.KeyPrefix + "0000000000000000_" + secret[len(local.KeyPrefix)+17:], strings.ToUpper(secret)} {
			if s == secret {
				continue
			}
			if _, err := p.VerifyKey(ctx, s); !errors.Is(err, cinch.ErrUnauthorized) {
				t.Errorf("VerifyKey(%q) = %v, want ErrUnauthorized", s, err)
			}
		}
	})
	t.Run("list", func(t *testing.T) {
		keys, err := p.ListKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 1 || keys[0].ID != id || keys[0].ExpiresAt == nil || keys[0].RevokedAt != nil {
			t.Fatalf("keys = %+v", keys)
		}
	})
	t.Run("expired", func(t *testing.T) {
		clk.Add(time.Hour)
		defer clk.Add(-time.Hour)
		_, err := p.VerifyKey(ctx, secret)
		if !errors.Is(err, cinch.ErrUnauthorized) || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("err = %v, want expired", err)
		}
	})
	t.Run("revoke", func(t *testing.T) {
		if err := p.RevokeKey(ctx, id); err != nil {
			t.Fatal(err)
		}
		_, err := p.VerifyKey(ctx, secret)
		if !errors.Is(err, cinch.ErrUnauthorized) || !strings.Contains(err.Error(), "revoked") {
			t.Fatalf("err = %v, want revoked", err)
		}
		if err := p.RevokeKey(ctx, id); err != nil {
			t.Errorf("second revoke: %v", err)
		}
		if err := p.RevokeKey(ctx, "deadbeefdeadbeef"); !errors.Is(err, cinch.ErrInvalidInput) {
			t.Errorf("revoke unknown = %v, want ErrInvalidInput", err)
		}
		keys, _ := p.ListKeys(ctx)
		if len(keys) != 1 || keys[0].RevokedAt == nil {
			t.Errorf("keys = %+v, want revoked", keys)
		}
	})
	t.Run("bad spec", func(t *testing.T) {
		if _, _, err := p.CreateKey(ctx, local.KeySpec{Tenant: "../evil"}); !errors.Is(err, cinch.ErrInvalidName) {
			t.Errorf("err = %v, want ErrInvalidName", err)
		}
		if _, _, err := p.CreateKey(ctx, local.KeySpec{Expires: clk.Now().Add(-time.Second)}); !errors.Is(err, cinch.ErrInvalidInput) {
			t.Errorf("err = %v, want ErrInvalidInput", err)
		}
	})
}

// A store kept open (as the server does) sees keys revoked through
// another store (as the CLI does, from another process).
func TestKeyStore_SeesOtherWriters(t *testing.T) {
	ctx := context.Background()
	p, _, dir := newKeyProject(t)
	ks := p.KeyStore()
	defer ks.Close()
	_, secret, err := ks.Create(ctx, local.KeySpec{})
	if err != nil {
		t.Fatal(err)
	}
	k, err := ks.Verify(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	other, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	if err := other.RevokeKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Verify(ctx, secret); !errors.Is(err, cinch.ErrUnauthorized) {
		t.Fatalf("after revoke elsewhere: %v, want ErrUnauthorized", err)
	}
	if err := ks.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ks.Close(); err != nil {
		t.Fatal(err)
	}
}
