"""Best Practices 1: Naming Conventions.

Seed: multi-tenancy.md, "Best Practices: 1. Naming Conventions" -- tenant
names are lowercase letters, digits and underscores (1-63 characters, not
starting with __). The server checks every name and refuses a bad one with
InvalidName (a ValueError too), before anything is created.

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=naming python3 naming_conventions.py
"""

import os

import cinch

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
KEY = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "naming")

db = cinch.connect(URL, KEY, database=DATABASE)

# Use consistent, valid names
NAMES = [
    "customer_12345",   # Good - alphanumeric with underscore
    "acme-corp",        # Bad - avoid hyphens
    "customer.com",     # Bad - avoid dots
    "Acme Corp",        # Bad - avoid spaces
]


def main():
    for name in NAMES:
        try:
            db.tenants.create(name)
            print(f"{name!r}: created")
        except cinch.InvalidName as e:
            print(f"{name!r}: {e.code} ({e.status})")
    print("tenants:", [t.name for t in db.tenants.list()])


if __name__ == "__main__":
    main()

# Output:
# 'customer_12345': created
# 'acme-corp': invalid_name (400)
# 'customer.com': invalid_name (400)
# 'Acme Corp': invalid_name (400)
# tenants: ['customer_12345', 'main']
