"""Tenant Lifecycle 1, 2 and 4: Creation, Data Operations, Deletion.

Seed: multi-tenancy.md, "Tenant Lifecycle" -- create a tenant (the seed only
does it when db.is_local: over HTTP cinch can, with a key for the branch),
insert, query, update and delete its rows, then delete the tenant.

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=lifecycle python3 tenant_lifecycle.py

Run it on a fresh database: it makes its own tables and tenants.
CLI equivalents: cinch tenant create customer_name; cinch tenant delete old_customer --force
"""

import os
from datetime import datetime, timezone

import cinch

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
KEY = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "lifecycle")

db = cinch.connect(URL, KEY, database=DATABASE)


def setup():
    db.tables.create("users", [cinch.Column(name="name", type="TEXT"), cinch.Column(name="email", type="TEXT"),
                               cinch.Column(name="last_login", type="TEXT")])
    db.tables.create("orders", [cinch.Column(name="status", type="TEXT"), cinch.Column(name="total", type="REAL")])
    db.tables.create("sessions", [cinch.Column(name="user_id", type="TEXT")])


def main():
    setup()

    # 1. Creation. The seed guards it with db.is_local; a server handle
    # (is_local is False) creates tenants too.
    print("is_local:", db.is_local)
    info = db.tenants.create_tenant("customer_name")
    print(f"created {info.name}: state {info.state}, schema version {info.schema_version}")
    tenant_db = db.switch_tenant("customer_name")

    # 2. Data operations.
    # Insert data
    user = tenant_db.insert("users", {"name": "Alice", "email": "alice@customer.com"})
    user_id = user["id"]
    print("inserted Alice with an id and timestamps:", all(user[k] for k in ("id", "created_at", "updated_at")))
    tenant_db.insert("orders", {"status": "pending", "total": 20.5}, {"status": "shipped", "total": 5.0})

    # Query data
    results = tenant_db.query("SELECT * FROM orders WHERE status = ?", ["pending"])
    print("pending orders:", [(r["status"], r["total"]) for r in results])

    # Update data (a datetime is sent as RFC 3339 UTC text)
    login = datetime(2025, 3, 14, 15, 9, 26, tzinfo=timezone.utc)  # datetime.now() in an application
    updated = tenant_db.update("users", user_id, {"last_login": login})
    print("last_login:", updated["last_login"])

    # Delete data
    session = tenant_db.insert("sessions", {"user_id": user_id})
    session_id = session["id"]
    print("sessions deleted:", tenant_db.delete("sessions", session_id))
    print("sessions left:", tenant_db.query("SELECT COUNT(*) AS n FROM sessions")[0]["n"])

    # 4. Deletion: removes all tenant data (the file, -wal and -shm).
    db.tenants.create_tenant("old_customer")
    db.tenants.delete_tenant("old_customer")
    print("tenants:", [t.name for t in db.tenants.list_tenants()])
    try:
        db.switch_tenant("old_customer").query("SELECT 1")
    except cinch.TenantNotFound:
        print("old_customer is gone")


if __name__ == "__main__":
    main()

# Output:
# is_local: False
# created customer_name: state materialized, schema version 3
# inserted Alice with an id and timestamps: True
# pending orders: [('pending', 20.5)]
# last_login: 2025-03-14T15:09:26.000Z
# sessions deleted: 1
# sessions left: 0
# tenants: ['customer_name', 'main']
# old_customer is gone
