"""Use Cases 3: Development/Testing.

Seed: multi-tenancy.md, "Use Cases: 3. Development/Testing" --
create_test_environment makes an isolated tenant for a test run, runs the
tests there and deletes it.

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=testing python3 test_environment.py

Run it on a fresh database: it makes its own tables and tenants.
"""

import os
import time

import cinch

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
KEY = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "testing")

db = cinch.connect(URL, KEY, database=DATABASE)


def run_tests(test_db):
    """Stand-in for a test suite: writes and checks data in its own tenant."""
    test_db.insert("orders", {"item": "widget", "qty": 3}, {"item": "gadget", "qty": 1})
    total = test_db.query("SELECT SUM(qty) AS total FROM orders")[0]["total"]
    assert total == 4, total
    return total


def create_test_environment(feature_name: str):
    test_tenant = f"test_{feature_name}_{int(time.time())}"

    # Create isolated test tenant
    db.tenants.create_tenant(test_tenant)

    # Run tests in isolation
    test_db = db.switch_tenant(test_tenant)
    result = run_tests(test_db)

    # Clean up
    db.tenants.delete_tenant(test_tenant)
    return test_tenant, result


def main():
    db.tables.create("orders", [cinch.Column(name="item", type="TEXT"), cinch.Column(name="qty", type="INTEGER")])
    db.insert("orders", {"item": "real order", "qty": 100})  # tenant main: production data

    tenant, total = create_test_environment("checkout")
    print("test tenant name starts with test_checkout_:", tenant.startswith("test_checkout_"))
    print("tests saw a total of", total)
    print("test tenant deleted:", tenant not in [t.name for t in db.tenants.list_tenants()])
    print("main untouched:", db.query("SELECT SUM(qty) AS total FROM orders")[0]["total"])


if __name__ == "__main__":
    main()

# Output:
# test tenant name starts with test_checkout_: True
# tests saw a total of 4
# test tenant deleted: True
# main untouched: 100
