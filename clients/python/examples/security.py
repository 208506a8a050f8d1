"""Security Model 1-3: Complete Isolation, Access Control, Encryption.

Seed: multi-tenancy.md, "Security Model" -- (1) even injected SQL reaches only
the current tenant: cinch's query guard also refuses ATTACH, schema changes
and the like, so a statement cannot reach another tenant's file; (2) access
control in the application (get_tenant_connection); (3) encryption at rest
per tenant. The seed's PRAGMA key query is refused: a tenant is encrypted when
it is created, and its key travels with each request (X-Cinch-Tenant-Key
header, use https) and is never stored by cinch.

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=security python3 security.py

Run it on a fresh database: it makes its own tables and tenants.
(Key rotation, cinch tenant rotate-key, has no HTTP route yet.)
"""

import os

import cinch

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
KEY = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "security")

db = cinch.connect(URL, KEY, database=DATABASE)

HOSTILE_SQL = [
    "ATTACH DATABASE 'customer_b.db' AS other",
    "DROP TABLE users",
    "PRAGMA writable_schema = ON",
    "VACUUM INTO '/tmp/stolen.db'",
    "SELECT load_extension('evil')",
]

USERS = {"alice@a.example": "customer_a", "bob@b.example": "customer_b"}


def get_user_tenant(user_id: str):
    return USERS.get(user_id)


def get_tenant_connection(user_id: str, requested_tenant: str):
    # Verify user has access to tenant
    user_tenant = get_user_tenant(user_id)
    if user_tenant != requested_tenant:
        raise PermissionError("Access denied")

    return db.switch_tenant(requested_tenant)


def setup():
    db.tables.create("users", [cinch.Column(name="name", type="TEXT")])
    for tenant, user in (("customer_a", "alice"), ("customer_b", "bob")):
        db.tenants.create(tenant)
        db.switch_tenant(tenant).insert("users", {"name": user})


def main():
    setup()

    print("1. injected SQL on customer_a:")
    # Even with injection, only sees current tenant
    tenant_db = db.switch_tenant("customer_a")
    for user_provided_sql in HOSTILE_SQL:
        try:
            tenant_db.query(user_provided_sql)
            print("   ran:", user_provided_sql)
        except cinch.CinchError as e:
            print(f"   {e.code}: {user_provided_sql}")
    results = tenant_db.query("SELECT name FROM users WHERE name = '' OR 1=1")
    print("   OR 1=1 sees only customer_a:", [r["name"] for r in results])

    print("2. access control:")
    for user, tenant in (("alice@a.example", "customer_a"), ("alice@a.example", "customer_b"),
                         ("mallory@evil.example", "customer_a")):
        try:
            conn = get_tenant_connection(user, tenant)
            n = conn.query("SELECT COUNT(*) AS count FROM users")[0]["count"]
            print(f"   {user} -> {tenant}: allowed, {n} user(s)")
        except PermissionError as e:
            print(f"   {user} -> {tenant}: {e}")

    print("3. encryption:")
    tenant_specific_key = "correct horse battery staple"  # from a secret store, one per tenant
    info = db.tenants.create("customer_vault", encrypt=True, key=tenant_specific_key)
    print("   created customer_vault, encrypted:", info.encrypted)
    vault = db.switch_tenant("customer_vault").with_key(tenant_specific_key)
    vault.insert("users", {"name": "launch codes"})
    print("   with its key:", [r["name"] for r in vault.query("SELECT name FROM users")])
    # Configure SQLite encryption per tenant: the seed's way is refused.
    try:
        vault.query("PRAGMA key = 'tenant-specific-key'")
    except cinch.CinchError as e:
        print("   PRAGMA key through a query:", e.code)
    for label, handle in (("no key", db.switch_tenant("customer_vault")),
                          ("wrong key", db.switch_tenant("customer_vault").with_key("guess"))):
        try:
            handle.query("SELECT name FROM users")
        except cinch.EncryptionKey as e:
            print(f"   {label}: {e.code} ({e.status})")


if __name__ == "__main__":
    main()

# Output:
# 1. injected SQL on customer_a:
#    query_rejected: ATTACH DATABASE 'customer_b.db' AS other
#    query_rejected: DROP TABLE users
#    query_rejected: PRAGMA writable_schema = ON
#    query_rejected: VACUUM INTO '/tmp/stolen.db'
#    query_rejected: SELECT load_extension('evil')
#    OR 1=1 sees only customer_a: ['alice']
# 2. access control:
#    alice@a.example -> customer_a: allowed, 1 user(s)
#    alice@a.example -> customer_b: Access denied
#    mallory@evil.example -> customer_a: Access denied
# 3. encryption:
#    created customer_vault, encrypted: True
#    with its key: ['launch codes']
#    PRAGMA key through a query: query_rejected
#    no key: encryption_key (403)
#    wrong key: encryption_key (403)
