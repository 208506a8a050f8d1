"""Best Practices 2: Template Pattern.

Seed: multi-tenancy.md, "Best Practices: 2. Template Pattern" --
create_tenant_from_template copies a template tenant (data and schema) and
customizes the copy. The seed only copies when db.is_local: over HTTP cinch
copies too. Its settings row sets created_at: every cinch table has
created_at (and id, updated_at) filled in automatically, so it is left out.

    CINCH_URL=http://127.0.0.1:8080 CINCH_KEY=cinch_... CINCH_DATABASE=templates python3 template.py

Run it on a fresh database: it makes its own tables and tenants.
CLI equivalent: cinch tenant copy _template_default customer_12345
"""

import os

import cinch

URL = os.environ.get("CINCH_URL", "http://127.0.0.1:8080")
KEY = os.environ["CINCH_KEY"]
DATABASE = os.environ.get("CINCH_DATABASE", "templates")

db = cinch.connect(URL, KEY, database=DATABASE)


def create_tenant_from_template(tenant_name: str, template: str = "default"):
    # Copy template tenant
    db.tenants.copy_tenant(f"_template_{template}", tenant_name)

    # Customize
    tenant_db = db.switch_tenant(tenant_name)
    return tenant_db.insert("settings", {
        "tenant_name": tenant_name,
        "created_from": template,
        # "created_at": set by cinch
    })


def setup():
    db.tables.create("categories", [cinch.Column(name="name", type="TEXT", nullable=False, unique=True)])
    db.tables.create("settings", [cinch.Column(name="tenant_name", type="TEXT", nullable=False),
                                  cinch.Column(name="created_from", type="TEXT")])
    db.tenants.create("_template_default")
    db.switch_tenant("_template_default").insert("categories", {"name": "General"}, {"name": "Billing"},
                                                 {"name": "Support"})


def main():
    setup()
    for name in ("customer_12345", "customer_67890"):
        settings = create_tenant_from_template(name)
        cats = [r["name"] for r in db.switch_tenant(name).query("SELECT name FROM categories ORDER BY name")]
        print(f"{name}: created_from={settings['created_from']}, created_at set: {bool(settings['created_at'])}, "
              f"categories: {', '.join(cats)}")
    # Customizing a copy leaves the template alone.
    n = db.switch_tenant("_template_default").query("SELECT COUNT(*) AS count FROM settings")[0]["count"]
    print("_template_default settings rows:", n)
    try:
        create_tenant_from_template("customer_x", "enterprise")
    except cinch.TenantNotFound as e:
        print("from a missing template:", e.code)


if __name__ == "__main__":
    main()

# Output:
# customer_12345: created_from=default, created_at set: True, categories: Billing, General, Support
# customer_67890: created_from=default, created_at set: True, categories: Billing, General, Support
# _template_default settings rows: 0
# from a missing template: tenant_not_found
