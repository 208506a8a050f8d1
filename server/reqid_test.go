package server

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestNewUUIDv7: the server's request ids are UUID v7 (RFC 9562) carrying
// the time they were made, and do not repeat.
func TestNewUUIDv7(t *testing.T) {
	now := time.UnixMilli(1_760_000_000_123)
	seen := map[string]bool{}
	for range 1000 {
		id := newUUIDv7(now)
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 7 || u.Variant() != uuid.RFC4122 || u.String() != id {
			t.Fatalf("%q: not a UUID v7 in canonical form (%v)", id, err)
		}
		if sec, nsec := u.Time().UnixTime(); time.Unix(sec, nsec).UnixMilli() != now.UnixMilli() {
			t.Fatalf("%q carries %v, want %v", id, time.Unix(sec, nsec), now)
		}
		if seen[id] {
			t.Fatalf("%q repeats", id)
		}
		seen[id] = true
	}
}
