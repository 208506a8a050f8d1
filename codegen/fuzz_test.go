package codegen_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cinchdb/cinch/codegen"
)

// FuzzGenerate: a view column may be named and typed anything; whatever
// they are, the Go output parses (Generate formats it), and no language's
// output gains a line (a name or type that broke out of a comment, a tag
// or a string would), or loses UTF-8 validity.
func FuzzGenerate(f *testing.F) {
	for _, s := range []string{"x", "count(*)", "userId", "2024 total", "", "a,b", "back`tick", "quo\"te",
		"new\nline", "cr\rlf", "*/", "/*", "\u2028", "from_record", "class", "Ünïcode", "`", "\\", "\x00"} {
		f.Add(s, "TEXT")
	}
	f.Add("x", "VARCHAR(20)\n*/ evil")
	f.Add("x", "")
	lines := func(t *testing.T, lang codegen.Language, name, typ string) int {
		t.Helper()
		s := &codegen.Schema{Database: "main", Branch: "main", Views: []codegen.View{
			view("v", name, typ, "plain", "TEXT", name, typ),
		}}
		src, err := codegen.Generate(lang, s, codegen.Options{})
		if err != nil {
			t.Fatalf("%s: column %q of type %q: %v", lang, name, typ, err)
		}
		if !utf8.Valid(src) && utf8.ValidString(name) && utf8.ValidString(typ) {
			t.Fatalf("%s: invalid UTF-8 for column %q of type %q", lang, name, typ)
		}
		return strings.Count(string(src), "\n")
	}
	f.Fuzz(func(t *testing.T, name, typ string) {
		for _, lang := range codegen.Languages {
			// A type maps to a kind; compare with a plain type of the same kind.
			if got, want := lines(t, lang, name, typ), lines(t, lang, "x", typ); got != want {
				t.Errorf("%s: column %q of type %q gives %d lines, a plain name %d", lang, name, typ, got, want)
			}
		}
	})
}
