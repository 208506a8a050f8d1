"""The README's five lines, runnable: connect, create, insert, query, switch.

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=quickstart python3 quickstart.py

Run it on a fresh database: it makes its own tables and tenants.
"""

import os

import cinch

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
KEY = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "main")

admin = cinch.connect(URL, KEY, database=DATABASE)
admin.tables.create("users", [cinch.Column(name="name", type="TEXT"), cinch.Column(name="email", type="TEXT")])
admin.tenants.create("acme_corp")

# The README's lines:
db = cinch.connect(URL, KEY, database=DATABASE, tenant="acme_corp")
db.insert("users", {"name": "Alice", "email": "alice@acme.com"})
res = db.query("SELECT name, email FROM users WHERE name = ?", ["Alice"])
print(res.columns, res[0], res[0]["email"])
print(db.switch_tenant("main").query("SELECT COUNT(*) AS n FROM users")[0]["n"])  # tenants are isolated

# Output:
# ['name', 'email'] ('Alice', 'alice@acme.com') alice@acme.com
# 0
