package schema_test

import (
	"testing"

	"github.com/cinchdb/cinch/schema"
)

func TestAppendQuoted(t *testing.T) {
	for _, name := range []string{"", "users", `we"ird`, `""`, "ünï cødé", `a"b"c`} {
		if got, want := string(schema.AppendQuoted([]byte("x"), name)), "x"+schema.Quote(name); got != want {
			t.Errorf("AppendQuoted(%q) = %s, want %s", name, got, want)
		}
	}
}
