"""Scaling Patterns 1: Sharding by Tenant.

Seed: multi-tenancy.md, "Scaling Patterns: 1. Sharding by Tenant" --
get_shard_for_tenant picks a shard for each tenant and requests go to that
shard's server. Here the shards are two databases, DATABASE.shard0 and
DATABASE.shard1, each with its own schema history and tenant files; in
production each entry of SHARD_SERVERS would be another server's URL.

One change to the seed: Python's hash() of a str differs between processes
(PYTHONHASHSEED), so two processes would disagree on a tenant's shard; a
stable hash (zlib.crc32) routes every tenant the same way everywhere.

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=sharded python3 scaling_shards.py

Create the shard databases first: cinch db create sharded.shard0; cinch db create sharded.shard1
"""

import os
import zlib

import cinch

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
KEY = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "sharded")

NUM_SHARDS = 2

# Route to appropriate server: shard name -> a handle on that shard.
SHARD_SERVERS = {f"shard_{n}": cinch.connect(URL, KEY, database=f"{DATABASE}.shard{n}") for n in range(NUM_SHARDS)}


def get_shard_for_tenant(tenant_id: str) -> str:
    # Distribute tenants across shards
    shard_num = zlib.crc32(tenant_id.encode()) % NUM_SHARDS
    return f"shard_{shard_num}"


def tenant_db(tenant_id: str):
    server = SHARD_SERVERS[get_shard_for_tenant(tenant_id)]
    return server.switch_tenant(tenant_id)


def main():
    for server in SHARD_SERVERS.values():
        server.tables.create("users", [cinch.Column(name="name", type="TEXT")])  # the schema, on every shard
    for i in range(20):
        tenant_id = f"customer_{i:05d}"
        SHARD_SERVERS[get_shard_for_tenant(tenant_id)].tenants.create(tenant_id)
        tenant_db(tenant_id).insert("users", {"name": "owner of " + tenant_id})

    for name, server in SHARD_SERVERS.items():
        tenants = [t.name for t in server.tenants.list() if t.name != "main"]
        routed = all(get_shard_for_tenant(t) == name for t in tenants)
        print(f"{name}: {len(tenants)} customer tenants, all routed here: {routed}")
    row = tenant_db("customer_00007").query("SELECT name FROM users")[0]
    print(f"customer_00007 is on {get_shard_for_tenant('customer_00007')} and holds {row['name']!r}")


if __name__ == "__main__":
    main()

# Output:
# shard_0: 10 customer tenants, all routed here: True
# shard_1: 10 customer tenants, all routed here: True
# customer_00007 is on shard_1 and holds 'owner of customer_00007'
