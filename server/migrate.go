package server

// migrateTenants serves POST .../tenants:migrate: `cinch tenant migrate`
// over HTTP. A schema change returns at its commit point and tenants
// nobody has open catch up later (on their next open, or through the
// server's background converger); this brings them up to date now.
// Encrypted tenants need their key (the X-Cinch-Tenant-Key header) and are
// migrated only when named.
func migrateTenants(c *call) (any, error) {
	opts, err := c.selection()
	if err != nil {
		return nil, err
	}
	d, err := c.conn()
	if err != nil {
		return nil, err
	}
	return d.Fleet().Migrate(c.ctx, opts)
}
