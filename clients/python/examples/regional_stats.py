"""Use Cases 2: Regional Isolation.

Seed: multi-tenancy.md, "Use Cases: 2. Regional Isolation" -- tenants are
grouped by region in application code (REGIONS), and get_region_stats counts
each tenant's users. The seed's loop of switch_tenant + query works as
written; query_all does the same in one request, each tenant on its own file
(still no cross-tenant query).

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=regions python3 regional_stats.py

Run it on a fresh database: it makes its own tables and tenants.
"""

import os

import cinch

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
KEY = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "regions")

db = cinch.connect(URL, KEY, database=DATABASE)

REGIONS = {
    "us-east": ["customer_1", "customer_2"],
    "eu-west": ["customer_3", "customer_4"],
    "asia-pac": ["customer_5", "customer_6"]
}


def get_region_stats(region: str):
    stats = {}
    for tenant in REGIONS[region]:
        tenant_db = db.switch_tenant(tenant)
        # The seed writes COUNT(*) and reads ["count"]: name the column.
        count = tenant_db.query("SELECT COUNT(*) AS count FROM users")[0]["count"]
        stats[tenant] = count
    return stats


def get_region_stats_fan_out(region: str):
    """The same in one request: one answer per tenant, in order."""
    stats = {}
    for answer in db.query_all("SELECT COUNT(*) AS count FROM users", tenants=REGIONS[region]):
        stats[answer.tenant] = answer.result[0]["count"]  # .result raises the tenant's error, if any
    return stats


def setup():
    db.tables.create("users", [cinch.Column(name="name", type="TEXT")])
    for i in range(1, 7):
        tenant = f"customer_{i}"
        db.tenants.create(tenant)
        db.switch_tenant(tenant).insert("users", *[{"name": f"user {j}"} for j in range(1, i + 1)])


def main():
    setup()
    for region in sorted(REGIONS):
        stats = get_region_stats(region)
        assert stats == get_region_stats_fan_out(region)
        print(f"{region}: " + " ".join(f"{t}={n}" for t, n in stats.items()))


if __name__ == "__main__":
    main()

# Output:
# asia-pac: customer_5=5 customer_6=6
# eu-west: customer_3=3 customer_4=4
# us-east: customer_1=1 customer_2=2
