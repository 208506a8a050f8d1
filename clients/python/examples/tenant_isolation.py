"""Tenant Operations, and Common Pitfalls 1 (Forgetting Tenant Context).

Seed: multi-tenancy.md, "How It Works: Tenant Operations" -- connect to one
tenant, query it (every statement sees only that tenant's SQLite file), then
switch tenants -- and "Common Pitfalls: 1. Forgetting Tenant Context".

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=myapp python3 tenant_isolation.py

Run it on a fresh database (cinch db create myapp): it makes its own tables and tenants.
"""

import os

import cinch

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
KEY = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "myapp")

CUSTOMERS = {
    "acme_corp": ["Alice", "Wile E."],
    "wayne_ent": ["Bruce", "Alfred"],
    "stark_ind": ["Tony"],
}


def setup():
    admin = cinch.connect(URL, KEY, database=DATABASE)
    admin.tables.create("users", [cinch.Column(name="name", type="TEXT", nullable=False),
                                  cinch.Column(name="email", type="TEXT")])
    for tenant, names in CUSTOMERS.items():
        admin.tenants.create(tenant)  # one SQLite file per tenant, same schema
        admin.switch_tenant(tenant).insert("users", *[{"name": n} for n in names])
    print("tenants:", ", ".join(sorted(t.name for t in admin.tenants.list())))


def user_names(db):
    return [row["name"] for row in db.query("SELECT * FROM users ORDER BY name")]


def main():
    setup()

    # db = cinchdb.connect("myapp", tenant="acme_corp")
    db = cinch.connect(URL, KEY, database=DATABASE, tenant="acme_corp")
    # users = db.query("SELECT * FROM users")  # Only acme_corp's users
    users = db.query("SELECT * FROM users ORDER BY name")
    print("acme_corp columns:", users.columns)
    print("acme_corp users:", ", ".join(row["name"] for row in users))

    # wayne_db = db.switch_tenant("wayne_ent"): a new handle, no I/O.
    wayne_db = db.switch_tenant("wayne_ent")
    print("wayne_ent users:", ", ".join(user_names(wayne_db)))

    # Pitfall 1, "Bad - uses default tenant": without tenant= the handle is on
    # tenant main, which holds none of the customers' rows.
    default_db = cinch.connect(URL, KEY, database=DATABASE)
    print("main (default tenant) users:", len(user_names(default_db)))
    # "Good - explicit tenant"
    print("explicit stark_ind users:", user_names(cinch.connect(URL, KEY, database=DATABASE, tenant="stark_ind")))

    # switch_tenant does no I/O, so a tenant that does not exist fails on first use.
    try:
        db.switch_tenant("no_such_customer").query("SELECT * FROM users")
    except cinch.TenantNotFound as e:
        print("no_such_customer:", e.code, e.status)


if __name__ == "__main__":
    main()

# Output:
# tenants: acme_corp, main, stark_ind, wayne_ent
# acme_corp columns: ['id', 'created_at', 'updated_at', 'name', 'email']
# acme_corp users: Alice, Wile E.
# wayne_ent users: Alfred, Bruce
# main (default tenant) users: 0
# explicit stark_ind users: ['Tony']
# no_such_customer: tenant_not_found 404
