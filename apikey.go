package cinch

// APIKey is an authenticated API key as a server sees it: its public id
// and what it may reach, never its secret. An empty Database, Branch or
// Tenant means any; a ReadOnly key may not write.
type APIKey struct {
	ID       string
	Database string
	Branch   string
	Tenant   string
	ReadOnly bool
}
