"""Tenant Lifecycle 3: Maintenance.

Seed: multi-tenancy.md, "Tenant Lifecycle: 3. Maintenance" -- maintain_tenant
runs VACUUM, ANALYZE and PRAGMA integrity_check on one tenant through
queries. They work as written; db.fleet does the same for many tenants in one
request (sizes before and after, integrity and schema checks).

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=maintenance python3 maintenance.py

Run it on a fresh database: it makes its own tables and tenants.
CLI equivalents: cinch tenant vacuum --all; cinch tenant check --all
"""

import os

import cinch

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
KEY = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "maintenance")

db = cinch.connect(URL, KEY, database=DATABASE)


def maintain_tenant(tenant_name: str):
    tenant_db = db.switch_tenant(tenant_name)

    # Vacuum to reclaim space
    tenant_db.query("VACUUM")

    # Analyze for query optimization
    tenant_db.query("ANALYZE")

    # Check integrity
    result = tenant_db.query("PRAGMA integrity_check")
    return result[0]["integrity_check"] == "ok"


def setup():
    db.tables.create("logs", [cinch.Column(name="line", type="TEXT")])
    for tenant in ("acme_corp", "wayne_ent"):
        db.tenants.create(tenant)
        t = db.switch_tenant(tenant)
        t.insert("logs", *[{"line": "x" * 2000} for _ in range(100)])
        t.query("DELETE FROM logs")  # free pages VACUUM can give back


def main():
    setup()
    print("maintain_tenant(acme_corp):", maintain_tenant("acme_corp"))

    # The fleet form: every tenant (or the ones named) in one request.
    for r in db.fleet.vacuum(["wayne_ent"]):
        print(f"vacuum {r.tenant}: smaller after: {r.bytes_after < r.bytes_before}")
    print("analyze:", [r.tenant for r in db.fleet.analyze()])
    for c in db.fleet.check():
        print(f"check {c.tenant}: ok={c.ok} integrity={c.integrity} drift={c.drift}")


if __name__ == "__main__":
    main()

# Output:
# maintain_tenant(acme_corp): True
# vacuum wayne_ent: smaller after: True
# analyze: ['acme_corp', 'main', 'wayne_ent']
# check acme_corp: ok=True integrity=['ok'] drift=False
# check main: ok=True integrity=['ok'] drift=False
# check wayne_ent: ok=True integrity=['ok'] drift=False
