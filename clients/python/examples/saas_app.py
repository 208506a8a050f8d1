"""Use Cases 1: SaaS Applications.

Seed: multi-tenancy.md, "Use Cases: 1. SaaS Applications" -- each customer
has its own tenant, and a request for one customer's data only ever sees that
tenant (class SaaSApp, get_customer_data).

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=saas_app python3 saas_app.py

Run it on a fresh database: it makes its own tables and tenants.
"""

import os

import cinch

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
KEY = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "saas_app")


class SaaSApp:
    def __init__(self):
        # self.db = cinchdb.connect("saas_app")
        self.db = cinch.connect(URL, KEY, database=DATABASE)

    def get_customer_data(self, customer_id: str, user_id: str):
        # Each customer has their own tenant
        customer_db = self.db.switch_tenant(customer_id)

        # Query only sees customer's data
        return customer_db.query(
            "SELECT * FROM records WHERE user_id = ?",
            [user_id]
        )


def setup(app):
    db = app.db
    db.tables.create("records", [cinch.Column(name="user_id", type="TEXT", nullable=False),
                                 cinch.Column(name="title", type="TEXT")])
    data = {
        "customer_1": [("u1", "invoice 1001"), ("u1", "invoice 1002"), ("u2", "quote 7")],
        "customer_2": [("u1", "contract A")],  # the same user id, another customer
    }
    for customer, rows in data.items():
        db.tenants.create(customer)
        db.switch_tenant(customer).insert("records", *[{"user_id": u, "title": t} for u, t in rows])


def main():
    app = SaaSApp()
    setup(app)
    for customer in ("customer_1", "customer_2"):
        records = app.get_customer_data(customer, "u1")
        titles = sorted(r["title"] for r in records)
        print(f"{customer}, user u1: {len(records)} record(s): {', '.join(titles)}")
    # A customer without a tenant is an error, not someone else's data.
    try:
        app.get_customer_data("customer_3", "u1")
    except cinch.TenantNotFound as e:
        print("customer_3:", type(e).__name__)


if __name__ == "__main__":
    main()

# Output:
# customer_1, user u1: 2 record(s): invoice 1001, invoice 1002
# customer_2, user u1: 1 record(s): contract A
# customer_3: TenantNotFound
