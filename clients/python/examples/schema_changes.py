"""Schema Synchronization, and Common Pitfalls 3 (Schema Drift).

Seed: multi-tenancy.md, "How It Works: Schema Synchronization" and "Common
Pitfalls: 3. Schema Drift" -- a schema change is recorded in the branch's
history and applied to every tenant, including ones never opened (lazy).
Never change a tenant's file directly: ALTER TABLE in a query is refused.

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=schema python3 schema_changes.py

Run it on a fresh database: it makes its own tables and tenants.
CLI equivalent: cinch column add users phone:TEXT
"""

import os

import cinch
from cinch import Column

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
KEY = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "schema")

db = cinch.connect(URL, KEY, database=DATABASE)


def main():
    db.tables.create("users", [Column(name="name", type="TEXT"), Column(name="email", type="TEXT", unique=True)])
    for tenant in ("acme_corp", "wayne_ent"):
        db.tenants.create(tenant)
    db.tenants.create("stark_ind", lazy=True)  # registered only: no file until its first write

    # Bad: sqlite3 tenant.db "ALTER TABLE users ADD COLUMN phone TEXT"
    try:
        db.switch_tenant("acme_corp").query("ALTER TABLE users ADD COLUMN phone TEXT")
    except cinch.QueryRejected as e:
        print("ALTER TABLE in a query:", e.code)

    # Good
    change = db.columns.add_column("users", Column(name="phone", type="TEXT"))
    print("change:", change.type, change.entity, change.sql)

    # Every tenant has the column, the lazy one too.
    for tenant in ("main", "acme_corp", "wayne_ent", "stark_ind"):
        row = db.switch_tenant(tenant).insert("users", {"name": f"user of {tenant}", "phone": "+1 555 0100"})
        print(f"{tenant}: phone={row['phone']}")
    print("history:", [(c.type, c.entity) for c in db.changes()])
    print("tenants on the latest schema:", all(t.schema_version == 2 for t in db.tenants.list()))


if __name__ == "__main__":
    main()

# Output:
# ALTER TABLE in a query: query_rejected
# change: ADD_COLUMN users ['ALTER TABLE "users" ADD COLUMN "phone" TEXT']
# main: phone=+1 555 0100
# acme_corp: phone=+1 555 0100
# wayne_ent: phone=+1 555 0100
# stark_ind: phone=+1 555 0100
# history: [('CREATE_TABLE', 'users'), ('ADD_COLUMN', 'users')]
# tenants on the latest schema: True
