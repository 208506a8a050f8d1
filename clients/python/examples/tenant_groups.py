"""Scaling Patterns 2: Tenant Groups.

Seed: multi-tenancy.md, "Scaling Patterns: 2. Tenant Groups" -- TENANT_GROUPS
and RESOURCE_LIMITS live in application code, and get_tenant_resources looks
a tenant's limits up. cinch has groups: the limits are stored with the branch
and enforced by SQLite (a tenant cannot grow past its group's max_db_bytes;
max_concurrent bounds the queries at once on one tenant).

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=groups python3 tenant_groups.py

Run it on a fresh database: it makes its own tables and tenants.
CLI equivalents: cinch group create trial --max-db-size 64KiB; cinch tenant group set trial_user_1 trial
"""

import os

import cinch

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
KEY = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "groups")

db = cinch.connect(URL, KEY, database=DATABASE)

TENANT_GROUPS = {
    "enterprise": ["fortune500_a", "fortune500_b"],
    "standard": ["startup_1", "startup_2"],
    "trial": ["trial_user_1", "trial_user_2"]
}

# group -> (max_db_bytes, max_concurrent); 0 is no limit.
RESOURCE_LIMITS = {
    "enterprise": (0, 0),
    "standard": (10 * 1024 * 1024, 8),
    "trial": (64 * 1024, 2),
}


def get_tenant_resources(tenant_name: str):
    """The tenant's group, as cinch stores it (None: no group)."""
    group = db.tenants.get(tenant_name).group
    return db.groups.get(group) if group else None


def fill(tenant: str, n: int) -> int:
    """Writes n projects of 1 KiB each; returns how many were stored."""
    t = db.switch_tenant(tenant)
    for i in range(n):
        try:
            t.insert("projects", {"title": f"project {i}", "body": "x" * 1024})
        except cinch.LimitExceeded:
            return i
    return n


def main():
    db.tables.create("projects", [cinch.Column(name="title", type="TEXT"), cinch.Column(name="body", type="TEXT")])
    for group, tenants in TENANT_GROUPS.items():
        max_db_bytes, max_concurrent = RESOURCE_LIMITS[group]
        db.groups.create(group, max_db_bytes=max_db_bytes, max_concurrent=max_concurrent)
        for tenant in tenants:
            db.tenants.create(tenant)
            db.groups.set_tenant(tenant, group)

    for g in db.groups.list():
        print(f"{g.name} {TENANT_GROUPS[g.name]}: max db bytes {g.max_db_bytes}, max concurrent {g.max_concurrent}")
    for tenant in ("fortune500_b", "trial_user_2", "main"):
        g = get_tenant_resources(tenant)
        print(f"get_tenant_resources({tenant}):", f"{g.name}, max db bytes {g.max_db_bytes}" if g else None)

    # 200 projects of 1 KiB: more than a trial's 64 KiB.
    stored = fill("trial_user_1", 200)
    print("trial_user_1: stopped by limit_exceeded before 200 projects:", stored < 200)
    print("fortune500_a: stored", fill("fortune500_a", 200), "of 200")

    # Upgrading the plan raises the limit at once.
    db.groups.set_tenant("trial_user_1", "standard")
    print("trial_user_1 moved to", db.tenants.get("trial_user_1").group + ": stored", fill("trial_user_1", 1), "more")


if __name__ == "__main__":
    main()

# Output:
# enterprise ['fortune500_a', 'fortune500_b']: max db bytes 0, max concurrent 0
# standard ['startup_1', 'startup_2']: max db bytes 10485760, max concurrent 8
# trial ['trial_user_1', 'trial_user_2']: max db bytes 65536, max concurrent 2
# get_tenant_resources(fortune500_b): enterprise, max db bytes 0
# get_tenant_resources(trial_user_2): trial, max db bytes 65536
# get_tenant_resources(main): None
# trial_user_1: stopped by limit_exceeded before 200 projects: True
# fortune500_a: stored 200 of 200
# trial_user_1 moved to standard: stored 1 more
