"""Performance: Optimization Strategies (connection pooling per tenant).

Seed: multi-tenancy.md, "Performance Characteristics: Optimization
Strategies" -- class TenantPool keeps handles per tenant. With cinch a handle
is a small value (switch_tenant does no I/O and opens nothing), so the pool
works as written but has nothing expensive to save: the server keeps the
tenants' SQLite connections in its own bounded pool. Here eight threads share
one pool and write to 24 tenants at once; every tenant keeps exactly its own
rows.

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=pooling python3 connection_pooling.py

Run it on a fresh database: it makes its own tables and tenants.
"""

import os
import threading

import cinch

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
KEY = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "pooling")


# Connection pooling per tenant (the seed's class, plus a lock: the threads
# below share it).
class TenantPool:
    def __init__(self, base_db, max_per_tenant=10):
        self.base_db = base_db
        self.pools = {}
        self.max_per_tenant = max_per_tenant
        self.lock = threading.Lock()

    def get_connection(self, tenant_name):
        with self.lock:
            if tenant_name not in self.pools:
                self.pools[tenant_name] = []

            pool = self.pools[tenant_name]

            # Reuse existing connection
            if pool:
                return pool.pop()

        # Create new connection
        return self.base_db.switch_tenant(tenant_name)

    def return_connection(self, tenant_name, conn):
        with self.lock:
            pool = self.pools[tenant_name]
            if len(pool) < self.max_per_tenant:
                pool.append(conn)


def main():
    base_db = cinch.connect(URL, KEY, database=DATABASE)
    base_db.tables.create("notes", [cinch.Column(name="note", type="TEXT")])
    tenants = [f"customer_{i:03d}" for i in range(24)]
    for t in tenants:
        base_db.tenants.create(t)
    pool = TenantPool(base_db, max_per_tenant=2)

    workers = 8
    errors = []

    def work(w):
        try:
            for i in range(len(tenants)):
                name = tenants[(i + w * len(tenants) // workers) % len(tenants)]
                conn = pool.get_connection(name)
                conn.insert("notes", {"note": f"worker {w}"})
                conn.query("SELECT COUNT(*) AS count FROM notes")
                pool.return_connection(name, conn)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]

    counts = {a.tenant: a.result[0]["count"] for a in base_db.query_all("SELECT COUNT(*) AS count FROM notes",
                                                                          tenants=tenants)}
    notes = {a.tenant: sorted(r["note"] for r in a.result)
             for a in base_db.query_all("SELECT note FROM notes", tenants=tenants)}
    print(f"{len(tenants)} tenants, {workers} threads, one pool")
    print("tenants with exactly one note per worker:",
          sum(1 for t in tenants if counts[t] == workers and notes[t] == [f"worker {w}" for w in range(workers)]))
    print("handles kept by the pool, at most 2 per tenant:", max(len(p) for p in pool.pools.values()) <= 2)


if __name__ == "__main__":
    main()

# Output:
# 24 tenants, 8 threads, one pool
# tenants with exactly one note per worker: 24
# handles kept by the pool, at most 2 per tenant: True
