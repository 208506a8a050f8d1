"""The README's five lines (section "Python client"), runnable.

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=quickstart python3 quickstart.py

Run it on a fresh database: it makes its own table and tenants.
"""

import os

import cinch

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
key = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "main")

admin = cinch.connect(URL, key, database=DATABASE)
admin.tables.create("users", [cinch.Column(name="name", type="TEXT")])
admin.tenants.create("acme_corp")
admin.tenants.create("wayne_ent")

# The README's lines (tests/test_examples.py checks that they are the same):
db = cinch.connect(URL, key, database=DATABASE, tenant="acme_corp")
db.insert("users", {"name": "Alice"})          # the stored row: id, created_at, updated_at
res = db.query("SELECT id, name FROM users")   # res.columns; rows are tuples, row["name"] works too
wayne = db.switch_tenant("wayne_ent")          # no I/O; errors are classes: cinch.TenantNotFound, ...

print(res.columns, res[0]["name"], res[0][1], len(res[0][0]) > 0)
print("wayne_ent users:", len(wayne.query("SELECT id, name FROM users")))  # tenants are isolated
try:
    db.switch_tenant("nope").query("SELECT 1")
except cinch.TenantNotFound as e:
    print(type(e).__name__, e.code, e.status)

# Output:
# ['id', 'name'] Alice Alice True
# wayne_ent users: 0
# TenantNotFound tenant_not_found 404
