package codegen

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

// words splits a name into lower-case words: at anything that is not a
// letter or digit, and where a lower-case letter or digit meets an
// upper-case one (a view may name a column "userId" or "count(*)").
// Table and column names (SPEC §3) are snake_case already.
func words(name string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	prev := rune(0)
	for _, r := range name {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)) {
				flush()
			}
			cur = append(cur, r)
		default:
			flush()
		}
		prev = r
	}
	flush()
	return out
}

// fieldWords are the words of a field name: never empty, never starting
// with a digit.
func fieldWords(name string, i int) []string {
	w := words(name)
	if len(w) == 0 {
		return []string{"column", fmt.Sprint(i + 1)}
	}
	if c := w[0][0]; c >= '0' && c <= '9' {
		return append([]string{"col"}, w...)
	}
	return w
}

// goInitialisms are written in upper case in Go names (user_id → UserID),
// as golint and the standard library do.
var goInitialisms = map[string]bool{
	"acl": true, "api": true, "ascii": true, "cpu": true, "css": true, "dns": true, "eof": true,
	"guid": true, "html": true, "http": true, "https": true, "id": true, "ip": true, "json": true,
	"rpc": true, "sla": true, "smtp": true, "sql": true, "ssh": true, "tcp": true, "tls": true,
	"ttl": true, "udp": true, "ui": true, "uid": true, "uuid": true, "uri": true, "url": true,
	"utf8": true, "vm": true, "xml": true, "xmpp": true, "xsrf": true, "xss": true,
}

// pascal joins words as PascalCase; with initialisms, those words are
// upper case.
func pascal(ws []string, initialisms map[string]bool) string {
	var b strings.Builder
	for _, w := range ws {
		if initialisms[w] {
			b.WriteString(strings.ToUpper(w))
			continue
		}
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// camel joins words as camelCase.
func camel(ws []string) string {
	p := pascal(ws, nil)
	return strings.ToLower(p[:1]) + p[1:]
}

// snake joins words as snake_case.
func snake(ws []string) string { return strings.Join(ws, "_") }

// assign makes names unique within one scope. bases are the natural names
// in order; a base that is reserved gets suffix, and a base that is already
// taken gets sep and a number (A1, A1_2). A base used once and not
// reserved is never changed, whatever comes before it.
func assign(bases []string, reserved func(string) bool, suffix, sep string) []string {
	count := map[string]int{}
	for _, b := range bases {
		count[b]++
	}
	taken := map[string]bool{}
	for _, b := range bases {
		if count[b] == 1 && !reserved(b) {
			taken[b] = true
		}
	}
	out := make([]string, len(bases))
	for i, b := range bases {
		if count[b] == 1 && !reserved(b) {
			out[i] = b
			continue
		}
		base := b
		if reserved(base) {
			base += suffix
		}
		c := base
		for n := 2; taken[c] || reserved(c); n++ {
			c = fmt.Sprintf("%s%s%d", base, sep, n)
		}
		taken[c] = true
		out[i] = c
	}
	return out
}

// typeNames gives each model a type name: PascalCase of its name (with Go
// initialisms for Go), unique across tables and views.
func typeNames(models []model, initialisms map[string]bool, reserved func(string) bool) []string {
	bases := make([]string, len(models))
	for i, m := range models {
		w := words(m.name)
		if len(w) == 0 { // never for names that passed SPEC §3
			w = []string{"model", fmt.Sprint(i + 1)}
		}
		bases[i] = pascal(w, initialisms)
	}
	return assign(bases, reserved, "Row", "")
}

// quoteJSON quotes s as a JSON string, which is also a valid string literal
// in TypeScript and Python, and keeps comments on one line.
func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// set makes a lookup function of names.
func set(names ...string) func(string) bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return func(s string) bool { return m[s] }
}

var goKeywords = map[string]bool{
	"break": true, "case": true, "chan": true, "const": true, "continue": true, "default": true,
	"defer": true, "else": true, "fallthrough": true, "for": true, "func": true, "go": true, "goto": true,
	"if": true, "import": true, "interface": true, "map": true, "package": true, "range": true,
	"return": true, "select": true, "struct": true, "switch": true, "type": true, "var": true,
}
