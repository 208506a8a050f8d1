package cinch

import (
	"fmt"
	"strings"
)

// MaxNameLength is the longest name of any entity (SPEC §3).
const MaxNameLength = 63

// Name kinds, used in error messages and by ValidateName.
const (
	KindTenant   = "tenant"
	KindDatabase = "database"
	KindBranch   = "branch"
	KindTable    = "table"
	KindColumn   = "column"
	KindView     = "view"
	KindIndex    = "index"
	KindGroup    = "group"
)

// Rule texts, shown in errors so the user knows what to type instead.
const (
	tenantRule     = "1-63 characters of a-z, 0-9 and _, not starting with __ (reserved)"
	databaseRule   = "1-63 characters of a-z, 0-9, -, _ and ., starting and ending with a letter or digit, without .."
	identifierRule = "1-63 characters matching ^[a-z][a-z0-9_]*$, not starting with sqlite_ or __"
)

// ReservedColumns are the automatic columns every table has, in order.
var ReservedColumns = []string{"id", "created_at", "updated_at"}

// ValidateTenantName checks a tenant name against SPEC §3.
func ValidateTenantName(name string) error {
	ok := len(name) >= 1 && len(name) <= MaxNameLength && !strings.HasPrefix(name, "__")
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	return nameError(ok, KindTenant, name, tenantRule)
}

// ValidateDatabaseName checks a database name against SPEC §3.
func ValidateDatabaseName(name string) error {
	return nameError(validDottedName(name), KindDatabase, name, databaseRule)
}

// ValidateBranchName checks a branch name against SPEC §3.
func ValidateBranchName(name string) error {
	return nameError(validDottedName(name), KindBranch, name, databaseRule)
}

// ValidateGroupName checks a tenant group name (same rule as tenants).
func ValidateGroupName(name string) error {
	if err := ValidateTenantName(name); err != nil {
		return nameError(false, KindGroup, name, tenantRule)
	}
	return nil
}

// ValidateIdentifier checks a table, column, view or index name against
// SPEC §3; kind is one of KindTable, KindColumn, KindView, KindIndex.
func ValidateIdentifier(kind, name string) error {
	ok := len(name) >= 1 && len(name) <= MaxNameLength && name[0] >= 'a' && name[0] <= 'z' &&
		!strings.HasPrefix(name, "sqlite_") && !strings.HasPrefix(name, "__")
	for i := 1; ok && i < len(name); i++ {
		c := name[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	return nameError(ok, kind, name, identifierRule)
}

// ValidateColumnName is ValidateIdentifier for a user column, which also
// must not be one of the ReservedColumns.
func ValidateColumnName(name string) error {
	if err := ValidateIdentifier(KindColumn, name); err != nil {
		return err
	}
	for _, r := range ReservedColumns {
		if name == r {
			return &Error{Err: ErrInvalidName, Message: fmt.Sprintf("invalid column name %q: %s is automatic on every table", name, name),
				Hint: "choose another name"}
		}
	}
	return nil
}

func validDottedName(name string) bool {
	if len(name) < 1 || len(name) > MaxNameLength || strings.Contains(name, "..") {
		return false
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	if !alnum(name[0]) || !alnum(name[len(name)-1]) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !alnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func nameError(ok bool, kind, name, rule string) error {
	if ok {
		return nil
	}
	return &Error{Err: ErrInvalidName, Message: fmt.Sprintf("invalid %s name %s: must be %s", kind, quoteName(name), rule)}
}

// quoteName quotes a name for an error message, showing control characters
// and truncating very long input so the message stays one readable line.
func quoteName(name string) string {
	if len(name) > 80 {
		return fmt.Sprintf("%q... (%d bytes)", name[:80], len(name))
	}
	return fmt.Sprintf("%q", name)
}
