"""Common Pitfalls 2: Cross-Tenant Queries.

Seed: multi-tenancy.md, "Common Pitfalls: 2. Cross-Tenant Queries" -- there
are no cross-tenant joins; each tenant is queried separately
(get_all_tenant_totals). The seed's loop works as written; query_all asks
every tenant in one request (read-only, each on its own file) and returns one
answer per tenant.

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=totals python3 cross_tenant_totals.py

Run it on a fresh database: it makes its own tables and tenants.
CLI equivalent: cinch query "SELECT SUM(amount) AS total FROM orders" --all-tenants
"""

import os

import cinch

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
KEY = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "totals")

db = cinch.connect(URL, KEY, database=DATABASE)
tenants = ["acme_corp", "wayne_ent", "stark_ind"]


def get_all_tenant_totals():
    totals = {}

    for tenant in tenants:
        tenant_db = db.switch_tenant(tenant)
        total = tenant_db.query("SELECT SUM(amount) FROM orders")[0]
        totals[tenant] = total

    return totals


def get_all_tenant_totals_fan_out():
    return {a.tenant: a.result[0]["total"] for a in db.query_all("SELECT SUM(amount) AS total FROM orders")}


def main():
    db.tables.create("orders", [cinch.Column(name="amount", type="REAL")])
    for tenant, amounts in (("acme_corp", [10.0, 2.5]), ("wayne_ent", [100.0]), ("stark_ind", [])):
        db.tenants.create(tenant)
        db.switch_tenant(tenant).insert("orders", *[{"amount": a} for a in amounts])
    # The seed keeps the whole row; its one value is row[0].
    print("loop:", {t: row[0] for t, row in get_all_tenant_totals().items()})
    print("fan-out:", get_all_tenant_totals_fan_out())
    # Joining two tenants in SQL is not possible: a query reaches exactly one tenant.
    try:
        db.query("ATTACH DATABASE 'wayne_ent.db' AS wayne")
    except cinch.QueryRejected as e:
        print("ATTACH:", e.code)


if __name__ == "__main__":
    main()

# Output:
# loop: {'acme_corp': 12.5, 'wayne_ent': 100.0, 'stark_ind': None}
# fan-out: {'acme_corp': 12.5, 'main': None, 'stark_ind': None, 'wayne_ent': 100.0}
# ATTACH: query_rejected
