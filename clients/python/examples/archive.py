"""Scaling Patterns 3: Active/Archive Pattern.

Seed: multi-tenancy.md, "Scaling Patterns: 3. Active/Archive Pattern" --
archive_inactive_tenant checks a tenant's last activity and moves an inactive
one to archive storage. With cinch the move is db.fleet.archive (a zstd
archive beside the branch, out of the serving set: queries get
TenantArchived, fan-outs skip it) and db.fleet.restore brings it back with
the schema changes made meanwhile. No file paths, no registry to update.

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=archive python3 archive.py

Run it on a fresh database: it makes its own tables and tenants.
CLI equivalents: cinch tenant list --inactive-since 365d; cinch tenant archive NAME; cinch tenant restore NAME
"""

import os
from datetime import datetime, timezone

import cinch

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
KEY = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "archive")

db = cinch.connect(URL, KEY, database=DATABASE)


def days_since(timestamp: str) -> int:
    return (datetime.now(timezone.utc) - datetime.fromisoformat(timestamp)).days


def archive_inactive_tenant(tenant_name: str):
    # Check last activity
    tenant_db = db.switch_tenant(tenant_name)
    last_activity = tenant_db.query(
        "SELECT MAX(updated_at) as last FROM users"
    )[0]["last"]

    if days_since(last_activity) > 365:
        # Move to archive storage (and out of the serving set)
        db.fleet.archive(tenant_name)
        return True
    return False


def main():
    db.tables.create("users", [cinch.Column(name="email", type="TEXT")])
    db.tables.create("orders", [cinch.Column(name="amount", type="REAL")])
    for tenant in ("old_customer", "active_customer"):
        db.tenants.create(tenant)
        t = db.switch_tenant(tenant)
        t.insert("users", {"email": f"owner@{tenant}.example"})
        t.insert("orders", {"amount": 10.0}, {"amount": 32.5})
    # Stand-in for a year without writes: updated_at moved back 400 days
    # (an application never needs this).
    db.switch_tenant("old_customer").query("UPDATE users SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-400 days')")

    archived = [t for t in ("old_customer", "active_customer") if archive_inactive_tenant(t)]
    print("archived:", archived)
    print("old_customer state:", db.tenants.get("old_customer").state)
    try:
        db.switch_tenant("old_customer").query("SELECT * FROM users")
    except cinch.TenantArchived as e:
        print("query old_customer:", e.code)
    answers = db.query_all("SELECT COUNT(*) AS count FROM orders")
    print("orders per served tenant:", {a.tenant: a.result[0]["count"] for a in answers})

    # The schema moves on while the tenant sleeps; restore catches it up.
    db.columns.add_column("users", cinch.Column(name="phone", type="TEXT"))
    db.fleet.restore("old_customer")
    old = db.switch_tenant("old_customer")
    row = old.query("SELECT id, email, phone, (SELECT SUM(amount) FROM orders) AS total FROM users")[0]
    print(f"restored old_customer: {row['email']}, phone={row['phone']}, orders total {row['total']}")
    print("phone set:", old.update("users", row["id"], {"phone": "+1 555 0100"})["phone"])


if __name__ == "__main__":
    main()

# Output:
# archived: ['old_customer']
# old_customer state: archived
# query old_customer: tenant_archived
# orders per served tenant: {'active_customer': 2, 'main': 0}
# restored old_customer: owner@old_customer.example, phone=None, orders total 42.5
# phone set: +1 555 0100
