"""Best Practices 3: Monitoring.

Seed: multi-tenancy.md, "Best Practices: 3. Monitoring" -- get_tenant_metrics
walks every tenant for its size, table count and row count. The seed's
helpers get_db_size, get_tables and get_total_rows are one call in cinch:
db.stats() (size, WAL size, tables, rows, last write, schema version of every
served tenant, in one request).

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=monitoring python3 monitoring.py

Run it on a fresh database: it makes its own tables and tenants.
CLI equivalent: cinch tenant stats --sort size
"""

import os

import cinch

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
KEY = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "monitoring")

db = cinch.connect(URL, KEY, database=DATABASE)


def get_tenant_metrics():
    metrics = []
    stats = {s.name: s for s in db.stats()}

    for tenant in db.tenants.list_tenants():
        s = stats[tenant.name]
        metrics.append({
            "tenant": tenant.name,
            "size_mb": s.size_bytes / 1024 / 1024,
            "table_count": s.tables,
            "total_rows": s.rows,
        })

    return metrics


def main():
    db.tables.create("users", [cinch.Column(name="name", type="TEXT")])
    db.tables.create("orders", [cinch.Column(name="total", type="REAL")])
    for tenant, users in (("acme_corp", 3), ("wayne_ent", 1)):
        db.tenants.create(tenant)
        t = db.switch_tenant(tenant)
        t.insert("users", *[{"name": f"user {i}"} for i in range(users)])
        t.insert("orders", {"total": 9.5})
    for m in get_tenant_metrics():
        print(f"{m['tenant']}: {m['table_count']} tables, {m['total_rows']} rows, size > 0: {m['size_mb'] > 0}")
    largest = max(db.stats(), key=lambda s: s.rows)
    print("most rows:", largest.name, "schema version", largest.schema_version, "last write known:",
          largest.last_write is not None)


if __name__ == "__main__":
    main()

# Output:
# acme_corp: 2 tables, 4 rows, size > 0: True
# main: 2 tables, 0 rows, size > 0: True
# wayne_ent: 2 tables, 2 rows, size > 0: True
# most rows: acme_corp schema version 2 last write known: True
