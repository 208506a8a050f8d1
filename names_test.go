package cinch_test

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
)

// The SPEC §3 rules, written independently of names.go.
var (
	tenantRE     = regexp.MustCompile(`^[a-z0-9_]{1,63}$`)
	dottedRE     = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$`)
	identifierRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

func specTenant(s string) bool {
	return tenantRE.MatchString(s) && !strings.HasPrefix(s, "__")
}

func specDotted(s string) bool {
	return dottedRE.MatchString(s) && !strings.Contains(s, "..")
}

func specIdentifier(s string) bool {
	return identifierRE.MatchString(s) && !strings.HasPrefix(s, "sqlite_") && !strings.HasPrefix(s, "__")
}

func specColumn(s string) bool {
	return specIdentifier(s) && s != "id" && s != "created_at" && s != "updated_at"
}

// nameCase is one example of SPEC §3.
type nameCase struct {
	name string
	ok   bool
}

// Long names around the 63-character limit.
var (
	len63     = strings.Repeat("a", 63)
	len64     = strings.Repeat("a", 64)
	len63mix  = "a" + strings.Repeat("b1_", 20) + "z9" // 63 chars, ends alphanumeric
	len63dots = "a" + strings.Repeat("b.-", 20) + "z9" // 63 chars
)

var tenantCases = []nameCase{
	// SPEC §3 must accept
	{"main", true}, {"acme_corp", true}, {"customer_12345", true},
	{"_template_default", true}, {"test_checkout_1732700000", true},
	// edges that follow from the rule
	{"a", true}, {"0", true}, {"_", true}, {"_a", true}, {"a__b", true}, {"a_", true},
	{"123", true}, {len63, true},
	// SPEC §3 must reject
	{"acme-corp", false}, {"customer.com", false}, {"Acme Corp", false}, {"", false},
	{len64, false}, {"../evil", false}, {"a/b", false}, {"__x", false},
	{"__", false}, {"___", false},
	// control characters and NUL
	{"a\x00b", false}, {"\x00", false}, {"a\nb", false}, {"a\tb", false}, {"a\rb", false},
	{"acme\x7f", false}, {"\x1b[31m", false}, {"main\n", false}, {" main", false}, {"main ", false},
	// uppercase, separators, unicode look-alikes
	{"Main", false}, {"MAIN", false}, {"a\\b", false}, {".", false}, {"..", false},
	{"acme\u2010corp", false},     // hyphen look-alike
	{"m\u0430in", false},          // Cyrillic a
	{"acme\u00a0corp", false},     // no-break space
	{"acme\u200bcorp", false},     // zero-width space
	{"ａｃｍｅ", false},               // fullwidth letters
	{"caf\u00e9", false},          // é
	{"acme\uff3fcorp", false},     // fullwidth low line
	{"a\u2215b", false},           // division slash
	{string([]byte{0xff}), false}, // invalid UTF-8
}

var dottedCases = []nameCase{
	// SPEC §3 must accept
	{"myapp", true}, {"saas_app", true}, {"feature.add-payments", true},
	{"fix.login-validation", true}, {"user-profiles", true}, {"main", true},
	// edges
	{"a", true}, {"1", true}, {"a.b", true}, {"a-b_c.d", true}, {"a_b", true}, {"v1.2.3", true},
	{len63, true}, {len63dots, true},
	// SPEC §3 must reject
	{"My-DB", false}, {"-x", false}, {"x-", false}, {"a..b", false}, {"../x", false}, {"a/b", false},
	// edges
	{"", false}, {len64, false}, {".x", false}, {"x.", false}, {"_x", false}, {"x_", false},
	{"..", false}, {".", false}, {"a\\b", false}, {"a b", false}, {"a...b", false},
	{"a\x00", false}, {"a\nb", false}, {"feature\u2024x", false}, {"m\u0430in", false},
	{"a\u2010b", false}, {"A", false},
}

var identifierCases = []nameCase{
	// SPEC §3 must accept
	{"users", true}, {"order_items_2024", true},
	// edges
	{"a", true}, {"a1", true}, {"a_", true}, {"a__b", true}, {"sqlite", true}, {"sqlitex", true},
	{"id", true}, {"created_at", true}, {"updated_at", true}, // reserved only as user columns
	{len63, true}, {len63mix, true},
	// SPEC §3 must reject
	{"123_table", false}, {"user-profiles", false}, {"User", false}, {"sqlite_master", false}, {"__kv", false},
	// edges
	{"", false}, {len64, false}, {"_a", false}, {"__x", false}, {"sqlite_", false}, {"sqlite_x", false},
	{"sqlite_schema", false}, {"1", false}, {"a-b", false}, {"a.b", false}, {"a b", false},
	{"a\x00", false}, {"a\n", false}, {"\x00", false}, {"usérs", false}, {"u\u0455ers", false},
	{"users;", false}, {`us"ers`, false}, {"users'", false}, {"USERS", false}, {"a/b", false},
}

// reservedColumnCases are valid identifiers that ValidateColumnName refuses.
var reservedColumnCases = []string{"id", "created_at", "updated_at"}

// checkNameError verifies a rejection: ErrInvalidName, the kind, the quoted
// value and the rule (or the reason) in the message.
func checkNameError(t *testing.T, err error, kind, name, ruleFragment string) {
	t.Helper()
	if !errors.Is(err, cinch.ErrInvalidName) {
		t.Errorf("error for %q does not wrap ErrInvalidName: %v", name, err)
	}
	if cinch.Code(err) != "invalid_name" {
		t.Errorf("Code(%v) = %q, want invalid_name", err, cinch.Code(err))
	}
	msg := err.Error()
	if !strings.Contains(msg, kind) {
		t.Errorf("message %q does not name the entity kind %q", msg, kind)
	}
	if q := strconv.Quote(name); len(name) <= 80 && !strings.Contains(msg, q) {
		t.Errorf("message %q does not quote the value as %s", msg, q)
	}
	if !strings.Contains(msg, ruleFragment) {
		t.Errorf("message %q does not state the rule (%q)", msg, ruleFragment)
	}
	if strings.ContainsAny(msg, "\x00\n\r") {
		t.Errorf("message %q is not one clean line", msg)
	}
}

const (
	tenantRuleFragment     = "a-z, 0-9 and _"
	dottedRuleFragment     = "starting and ending with a letter or digit"
	identifierRuleFragment = "^[a-z][a-z0-9_]*$"
)

func runNameCases(t *testing.T, cases []nameCase, kind, rule string, validate func(string) error, spec func(string) bool) {
	t.Helper()
	for _, tc := range cases {
		t.Run(strconv.Quote(tc.name), func(t *testing.T) {
			if got := spec(tc.name); got != tc.ok {
				t.Fatalf("test table disagrees with the SPEC regex for %q: table %v, regex %v", tc.name, tc.ok, got)
			}
			err := validate(tc.name)
			if tc.ok {
				if err != nil {
					t.Fatalf("%s %q rejected: %v", kind, tc.name, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("%s %q accepted, want rejected", kind, tc.name)
			}
			checkNameError(t, err, kind, tc.name, rule)
		})
	}
}

func TestValidateTenantName(t *testing.T) {
	runNameCases(t, tenantCases, cinch.KindTenant, tenantRuleFragment, cinch.ValidateTenantName, specTenant)
}

func TestValidateDatabaseName(t *testing.T) {
	runNameCases(t, dottedCases, cinch.KindDatabase, dottedRuleFragment, cinch.ValidateDatabaseName, specDotted)
}

func TestValidateBranchName(t *testing.T) {
	runNameCases(t, dottedCases, cinch.KindBranch, dottedRuleFragment, cinch.ValidateBranchName, specDotted)
}

func TestValidateIdentifier(t *testing.T) {
	for _, kind := range []string{cinch.KindTable, cinch.KindColumn, cinch.KindView, cinch.KindIndex} {
		t.Run(kind, func(t *testing.T) {
			runNameCases(t, identifierCases, kind, identifierRuleFragment,
				func(s string) error { return cinch.ValidateIdentifier(kind, s) }, specIdentifier)
		})
	}
}

func TestValidateColumnName(t *testing.T) {
	var cases []nameCase
	for _, tc := range identifierCases {
		if tc.ok && specColumn(tc.name) != tc.ok {
			continue // reserved: covered below with its own message
		}
		cases = append(cases, tc)
	}
	runNameCases(t, cases, cinch.KindColumn, identifierRuleFragment, cinch.ValidateColumnName, specColumn)

	for _, name := range reservedColumnCases {
		t.Run("reserved/"+name, func(t *testing.T) {
			err := cinch.ValidateColumnName(name)
			if err == nil {
				t.Fatalf("reserved column %q accepted", name)
			}
			checkNameError(t, err, cinch.KindColumn, name, "automatic")
		})
	}
	if got := cinch.ReservedColumns; len(got) != 3 || got[0] != "id" || got[1] != "created_at" || got[2] != "updated_at" {
		t.Errorf("ReservedColumns = %q, want [id created_at updated_at]", got)
	}
}

func TestValidateGroupName(t *testing.T) {
	runNameCases(t, tenantCases, cinch.KindGroup, tenantRuleFragment, cinch.ValidateGroupName, specTenant)
}

func TestTargetValidate(t *testing.T) {
	good := cinch.Target{Database: "myapp", Branch: "feature.add-payments", Tenant: "acme_corp"}
	if err := good.Validate(); err != nil {
		t.Fatalf("%+v: %v", good, err)
	}
	for _, bad := range []cinch.Target{
		{Database: "My-DB", Branch: "main", Tenant: "main"},
		{Database: "main", Branch: "../x", Tenant: "main"},
		{Database: "main", Branch: "main", Tenant: "__x"},
		{},
	} {
		if err := bad.Validate(); !errors.Is(err, cinch.ErrInvalidName) {
			t.Errorf("%+v: got %v, want ErrInvalidName", bad, err)
		}
	}
}

// TestLongNameMessage checks that a huge rejected value does not flood the message.
func TestLongNameMessage(t *testing.T) {
	name := strings.Repeat("x", 10000)
	err := cinch.ValidateTenantName(name)
	if err == nil {
		t.Fatal("10000-char tenant accepted")
	}
	if n := len(err.Error()); n > 400 {
		t.Errorf("message is %d bytes long; want it truncated", n)
	}
	if !strings.Contains(err.Error(), "tenant") || !strings.Contains(err.Error(), "10000 bytes") {
		t.Errorf("message %q should name the entity and the length", err)
	}
}

// pathSafe: an accepted name can be used as one path element.
func pathSafe(t *testing.T, name string) {
	t.Helper()
	if name == "" || name == "." || strings.Contains(name, "..") || strings.ContainsAny(name, "/\\\x00") {
		t.Fatalf("accepted name %q is not safe as a path element", name)
	}
	for _, r := range name {
		if r < 0x20 || r >= 0x7f {
			t.Fatalf("accepted name %q contains a control or non-ASCII character %U", name, r)
		}
	}
}

func fuzzName(f *testing.F, kind, rule string, validate func(string) error, spec func(string) bool, seeds []nameCase) {
	for _, tc := range seeds {
		f.Add(tc.name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := validate(name)
		want := spec(name)
		if (err == nil) != want {
			t.Fatalf("%s %q: validator accepted=%v, SPEC rule says %v (err: %v)", kind, name, err == nil, want, err)
		}
		if err == nil {
			pathSafe(t, name)
			return
		}
		if !errors.Is(err, cinch.ErrInvalidName) {
			t.Fatalf("%s %q: error %v does not wrap ErrInvalidName", kind, name, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, kind) {
			t.Fatalf("%s %q: message %q does not name the entity", kind, name, msg)
		}
		if len(name) <= 80 && !strings.Contains(msg, strconv.Quote(name)) {
			t.Fatalf("%s %q: message %q does not quote the value", kind, name, msg)
		}
		if !strings.Contains(msg, rule) && !strings.Contains(msg, "automatic") {
			t.Fatalf("%s %q: message %q does not state the rule", kind, name, msg)
		}
	})
}

func FuzzValidateTenantName(f *testing.F) {
	fuzzName(f, cinch.KindTenant, tenantRuleFragment, cinch.ValidateTenantName, specTenant, tenantCases)
}

func FuzzValidateDatabaseName(f *testing.F) {
	fuzzName(f, cinch.KindDatabase, dottedRuleFragment, cinch.ValidateDatabaseName, specDotted, dottedCases)
}

func FuzzValidateBranchName(f *testing.F) {
	fuzzName(f, cinch.KindBranch, dottedRuleFragment, cinch.ValidateBranchName, specDotted, dottedCases)
}

func FuzzValidateIdentifier(f *testing.F) {
	fuzzName(f, cinch.KindTable, identifierRuleFragment,
		func(s string) error { return cinch.ValidateIdentifier(cinch.KindTable, s) }, specIdentifier, identifierCases)
}

func FuzzValidateColumnName(f *testing.F) {
	fuzzName(f, cinch.KindColumn, identifierRuleFragment, cinch.ValidateColumnName, specColumn, identifierCases)
}
