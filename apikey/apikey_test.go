package apikey_test

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
	"github.com/cinchdb/cinch/apikey"
)

// clock is a settable clock for expiry tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// newStore returns a store in a fresh folder on a settable clock.
func newStore(t *testing.T) (*apikey.Store, *clock, string) {
	t.Helper()
	dir := t.TempDir()
	clk := &clock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := apikey.New(apikey.Config{Dir: dir, Now: clk.Now})
	t.Cleanup(func() { s.Close() })
	return s, clk, dir
}

func TestStore(t *testing.T) {
	ctx := context.Background()
	s, clk, dir := newStore(t)

	id, secret, err := s.Create(ctx, apikey.Spec{Database: "main", Tenant: "acme", ReadOnly: true,
		Expires: clk.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, apikey.Prefix+id+"_") || len(secret) < 60 {
		t.Fatalf("secret %q does not look like cinch_<id>_<random>", secret)
	}
	raw, err := os.ReadFile(filepath.Join(dir, apikey.File))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), secret[len(apikey.Prefix)+len(id)+1:]) {
		t.Fatal("keys.db holds the secret in clear")
	}
	if fi, err := os.Stat(filepath.Join(dir, apikey.File)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("keys.db mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}

	t.Run("verify", func(t *testing.T) {
		k, err := s.Verify(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := k.ID, id; got != want {
			t.Errorf("id = %q, want %q", got, want)
		}
		if k.Database != "main" || k.Tenant != "acme" || k.Branch != "" || !k.ReadOnly {
			t.Errorf("scope = %+v", k)
		}
		if got, want := k.CreatedAt, clk.Now(); !got.Equal(want) {
			t.Errorf("created_at = %v, want %v (the store's clock)", got, want)
		}
	})
	t.Run("wrong", func(t *testing.T) {
		for _, w := range []string{"", "nope", secret + "x", secret[:len(secret)-1] + "a", apikey.Prefix + id + "_",
			apikey.Prefix + "0000000000000000_" + secret[len(apikey.Prefix)+17:], strings.ToUpper(secret)} {
			if w == secret {
				continue
			}
			if _, err := s.Verify(ctx, w); !errors.Is(err, cinch.ErrUnauthorized) {
				t.Errorf("Verify(%q) = %v, want ErrUnauthorized", w, err)
			}
		}
	})
	t.Run("list", func(t *testing.T) {
		keys, err := s.List(ctx)
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
		_, err := s.Verify(ctx, secret)
		if !errors.Is(err, cinch.ErrUnauthorized) || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("err = %v, want expired", err)
		}
	})
	t.Run("revoke", func(t *testing.T) {
		if err := s.Revoke(ctx, id); err != nil {
			t.Fatal(err)
		}
		_, err := s.Verify(ctx, secret)
		if !errors.Is(err, cinch.ErrUnauthorized) || !strings.Contains(err.Error(), "revoked") {
			t.Fatalf("err = %v, want revoked", err)
		}
		if err := s.Revoke(ctx, id); err != nil {
			t.Errorf("second revoke: %v", err)
		}
		if err := s.Revoke(ctx, "deadbeefdeadbeef"); !errors.Is(err, cinch.ErrInvalidInput) {
			t.Errorf("revoke unknown = %v, want ErrInvalidInput", err)
		}
		keys, _ := s.List(ctx)
		if len(keys) != 1 || keys[0].RevokedAt == nil {
			t.Errorf("keys = %+v, want revoked", keys)
		}
	})
	t.Run("bad spec", func(t *testing.T) {
		if _, _, err := s.Create(ctx, apikey.Spec{Tenant: "../evil"}); !errors.Is(err, cinch.ErrInvalidName) {
			t.Errorf("err = %v, want ErrInvalidName", err)
		}
		if _, _, err := s.Create(ctx, apikey.Spec{Expires: clk.Now().Add(-time.Second)}); !errors.Is(err, cinch.ErrInvalidInput) {
			t.Errorf("err = %v, want ErrInvalidInput", err)
		}
	})
}

// A store kept open (as the server does) sees keys revoked through
// another store on the same folder (as the CLI does, from another process).
func TestStore_SeesOtherWriters(t *testing.T) {
	ctx := context.Background()
	s, _, dir := newStore(t)
	_, secret, err := s.Create(ctx, apikey.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.Verify(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	other := apikey.New(apikey.Config{Dir: dir})
	defer other.Close()
	if err := other.Revoke(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(ctx, secret); !errors.Is(err, cinch.ErrUnauthorized) {
		t.Fatalf("after revoke elsewhere: %v, want ErrUnauthorized", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// Hints say what to do without naming a cinch command: they reach HTTP
// and library users too.
func TestStore_HintsNameNoCommand(t *testing.T) {
	ctx := context.Background()
	s, clk, _ := newStore(t)
	_, _, errPast := s.Create(ctx, apikey.Spec{Expires: clk.Now().Add(-time.Second)})
	_, errBad := s.Verify(ctx, "nope")
	for _, err := range []error{errPast, errBad, s.Revoke(ctx, "deadbeefdeadbeef")} {
		var ce *cinch.Error
		if !errors.As(err, &ce) || ce.Hint == "" || strings.Contains(ce.Hint, "cinch ") || strings.Contains(ce.Hint, "--") {
			t.Errorf("%v: want a hint naming no command or flag", err)
		}
	}
}
