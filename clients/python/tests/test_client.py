"""The client against a real cinch serve: every operation of the handle."""

import datetime as dt
import json
import threading
import unittest
import urllib.request

import cinch

from . import support


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = support.Server()
        cls.addClassCleanup(cls.srv.stop)
        cls.db = cinch.connect(cls.srv.url, cls.srv.key)
        cls.db.tables.create("users", [
            cinch.Column(name="name", type="TEXT", nullable=False),
            cinch.Column(name="email", type="TEXT", unique=True),
            cinch.Column(name="active", type="BOOLEAN", default=True),
            cinch.Column(name="score", type="REAL"),
            cinch.Column(name="visits", type="INTEGER"),
            cinch.Column(name="last_login", type="TEXT"),
        ])
        for t in ("acme_corp", "wayne_ent"):
            cls.db.tenants.create(t)

    def test_handle(self):
        db = cinch.connect(self.srv.url + "/", self.srv.key, tenant="acme_corp")
        self.assertEqual((db.database, db.branch, db.tenant, db.url), ("main", "main", "acme_corp", self.srv.url))
        self.assertFalse(db.is_local)
        self.assertTrue(db.health())
        w = db.switch_tenant("wayne_ent")
        self.assertEqual((w.tenant, db.tenant), ("wayne_ent", "acme_corp"))
        self.assertEqual(db.switch_branch("dev").branch, "dev")
        self.assertIn("acme_corp", repr(db))
        # switch_tenant does no I/O: a handle on a server that is not there.
        gone = cinch.connect("http://127.0.0.1:9", "k").switch_tenant("x").switch_branch("y")
        self.assertEqual(gone.tenant, "x")

    def test_values_keep_their_types(self):
        res = self.db.query(
            "SELECT 9223372036854775807 AS big, -9223372036854775808 AS small, 1.5 AS f, 2.0 AS two, "
            "9e999 AS inf, -9e999 AS ninf, NULL AS nul, 'text' AS s, x'00ff' AS blob, 1 AS x, 2 AS x")
        self.assertEqual(res.columns, ["big", "small", "f", "two", "inf", "ninf", "nul", "s", "blob", "x", "x"])
        row = res[0]
        self.assertEqual(row[0], 2**63 - 1)
        self.assertIs(type(row[0]), int)
        self.assertEqual(row[1], -2**63)
        self.assertEqual(row[2], 1.5)
        self.assertIs(type(row[3]), float)
        self.assertEqual((row[4], row[5]), (float("inf"), float("-inf")))
        self.assertIsNone(row[6])
        self.assertEqual(row[7], "text")
        self.assertEqual(row[8], "AP8=")  # BLOBs come as base64 text
        self.assertEqual((row[9], row[10]), (1, 2))  # repeated names keep both values
        self.assertEqual((res.rows_affected, res.truncated), (0, False))

    def test_params(self):
        when = dt.datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=dt.timezone.utc)
        res = self.db.query("SELECT ? AS a, ? AS b, ? AS c, ? AS d, ? AS e, ? AS f, ? AS g",
                            [None, True, 2**63 - 1, 0.25, "O'Brien", when, dt.date(2025, 1, 2)])
        self.assertEqual(tuple(res[0]), (None, 1, 2**63 - 1, 0.25, "O'Brien", "2025-01-02T03:04:05.678Z", "2025-01-02"))
        self.assertEqual(self.db.query("SELECT ? AS t", ("tuple",))[0]["t"], "tuple")
        with self.assertRaises(cinch.InvalidInput):  # the server's: beyond 64 bits
            self.db.query("SELECT ?", [2**64])

    def test_rows(self):
        acme = self.db.switch_tenant("acme_corp")
        alice = acme.insert("users", {"name": "Alice", "email": "alice@acme.com", "score": 1.5, "visits": 3})
        self.assertIsInstance(alice, dict)
        self.assertEqual((alice["name"], alice["active"], alice["visits"]), ("Alice", True, 3))
        for k in ("id", "created_at", "updated_at"):
            self.assertIn(k, alice)
        many = acme.insert("users", {"name": "Bob"}, {"name": "Carol", "active": False})
        self.assertEqual([r["name"] for r in many], ["Bob", "Carol"])
        self.assertEqual([r["active"] for r in many], [True, False])
        listed = acme.insert("users", [{"name": "Dave"}])
        self.assertEqual([r["name"] for r in listed], ["Dave"])
        self.assertEqual(acme.insert_many("users", []), [])
        # All or none: the second record breaks the UNIQUE email.
        with self.assertRaises(cinch.ConstraintFailed):
            acme.insert("users", {"name": "Eve"}, {"name": "Mallory", "email": "alice@acme.com"})
        self.assertEqual(acme.query("SELECT count(*) AS n FROM users WHERE name = 'Eve'")[0]["n"], 0)

        login = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.timezone.utc)
        up = acme.update("users", alice["id"], {"last_login": login, "visits": 4})
        self.assertEqual((up["last_login"], up["visits"], up["id"]), ("2025-06-01T12:00:00.000Z", 4, alice["id"]))
        res = acme.query("SELECT name, active FROM users WHERE active = ? ORDER BY name", [True])
        self.assertEqual([tuple(r) for r in res], [("Alice", True), ("Bob", True), ("Dave", True)])
        self.assertIs(res[0]["active"], True)

        self.assertEqual(acme.delete("users", alice["id"]), 1)
        self.assertEqual(acme.delete("users", alice["id"]), 0)
        self.assertEqual(acme.delete("users", many[0]["id"], many[1]["id"], "nope"), 2)
        self.assertEqual(acme.delete("users"), 0)
        res = acme.query("UPDATE users SET visits = 9")
        self.assertEqual((res.rows_affected, res.columns, len(res)), (1, [], 0))
        # Tenants are isolated.
        self.assertEqual(self.db.switch_tenant("wayne_ent").query("SELECT count(*) AS n FROM users")[0]["n"], 0)

    def test_limits_and_gzip(self):
        sql = "SELECT value, printf('row %05d', value) AS label FROM generate_series(1, 3000)"
        res = self.db.query(sql)  # over 1 KiB: the server gzips it
        self.assertEqual(len(res), 3000)
        self.assertEqual(tuple(res[-1]), (3000, "row 03000"))
        self.assertFalse(res.truncated)
        cut = self.db.query(sql, limit=10)
        self.assertEqual((len(cut), cut.truncated), (10, True))
        req = urllib.request.Request(self.srv.url + "/v1/databases/main/branches/main/tenants/main/query",
                                     data=json.dumps({"sql": sql}).encode(), method="POST",
                                     headers={"Authorization": "Bearer " + self.srv.key, "Accept-Encoding": "gzip",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req) as r:
            self.assertEqual(r.headers.get("Content-Encoding"), "gzip")

    def test_tenants(self):
        ts = self.db.tenants
        info = ts.create("stark_ind", lazy=True)
        self.assertEqual((info.name, info.state), ("stark_ind", "lazy"))
        self.assertIsInstance(info.created_at, dt.datetime)
        self.assertIsNotNone(info.created_at.tzinfo)
        self.assertIn("stark_ind", [t.name for t in ts.list()])
        self.assertIn("stark_ind", [t.name for t in ts.list_tenants()])
        self.db.switch_tenant("stark_ind").insert("users", {"name": "Tony"})
        self.assertEqual(ts.get("stark_ind").state, "materialized")
        copy = ts.copy("stark_ind", "stark_copy")
        self.assertEqual(copy.name, "stark_copy")
        empty = ts.copy_tenant("stark_ind", "stark_empty", no_data=True)
        self.assertEqual(empty.name, "stark_empty")
        self.assertEqual(self.db.switch_tenant("stark_copy").query("SELECT name FROM users")[0]["name"], "Tony")
        self.assertEqual(len(self.db.switch_tenant("stark_empty").query("SELECT name FROM users")), 0)
        tmpl = ts.create_tenant("from_template", template="stark_ind")
        self.assertEqual(tmpl.name, "from_template")
        self.assertEqual(len(self.db.switch_tenant("from_template").query("SELECT name FROM users")), 1)
        renamed = ts.rename("stark_copy", "stark_renamed")
        self.assertEqual(renamed.name, "stark_renamed")
        for name in ("stark_renamed", "stark_empty", "from_template", "stark_ind"):
            ts.delete_tenant(name)
        with self.assertRaises(cinch.TenantNotFound):
            ts.get("stark_ind")

    def test_create_many(self):
        ts = self.db.tenants
        made = ts.create_many(["batch_a", "batch_b"])
        self.assertEqual([t.name for t in made], ["batch_a", "batch_b"])
        self.assertEqual({t.state for t in made}, {"materialized"})
        lazy = ts.create_tenants(["batch_c"], lazy=True)
        self.assertEqual(lazy[0].state, "lazy")
        with self.assertRaises(cinch.TenantExists):
            ts.create_many(["batch_new", "batch_a"])
        self.assertNotIn("batch_new", [t.name for t in ts.list()])
        for name in ("batch_a", "batch_b", "batch_c"):
            ts.delete(name)

    def test_schema(self):
        db = self.db
        db.tables.create_table("orders", [cinch.Column(name="total", type="REAL"),
                                          {"name": "user_id", "type": "TEXT",
                                           "foreign_key": {"table": "users", "column": "id"}}])
        t = db.tables.get("orders")
        self.assertEqual([c.name for c in t.columns], ["id", "created_at", "updated_at", "total", "user_id"])
        self.assertTrue(t.columns[0].automatic and t.columns[0].primary_key)
        self.assertEqual(t.columns[4].foreign_key, cinch.ForeignKey(table="users", column="id", on_delete=t.columns[4].foreign_key.on_delete))
        self.assertIn("orders", [x.name for x in db.tables.list()])

        change = db.columns.add_column("orders", cinch.Column(name="status", type="TEXT", default="pending"))
        self.assertEqual((change.type, change.entity), ("ADD_COLUMN", "orders"))
        self.assertTrue(change.sql)
        # The change reached every tenant, and the default applies.
        row = db.switch_tenant("wayne_ent").insert("orders", {"total": 5.0})
        self.assertEqual(row["status"], "pending")
        db.columns.rename("orders", "status", "state")
        db.columns.alter_nullable("orders", "state", False, fill_value="pending")
        cols = {c.name: c for c in db.columns.list("orders")}
        self.assertFalse(cols["state"].nullable)
        db.columns.drop("orders", "state")
        self.assertNotIn("state", [c.name for c in db.columns.list_columns("orders")])

        db.indexes.create("orders", ["total"], name="orders_total")
        self.assertEqual([i.name for i in db.indexes.list("orders")], ["orders_total"])
        db.indexes.drop("orders_total")
        self.assertEqual(db.indexes.list("orders"), [])

        db.views.create("big_orders", "SELECT * FROM orders WHERE total > 100")
        self.assertEqual(db.views.get("big_orders").name, "big_orders")
        db.views.update("big_orders", "SELECT * FROM orders WHERE total > 1000")
        self.assertIn("1000", db.views.get("big_orders").sql)
        self.assertEqual([v.name for v in db.views.list()], ["big_orders"])
        db.views.drop("big_orders")

        db.tables.copy("orders", "orders_copy", no_data=True)
        dropped = db.tables.drop("orders_copy")
        self.assertEqual(dropped.type, "DROP_TABLE")
        db.tables.drop("orders")

        changes = db.changes()
        self.assertEqual(changes[0].type, "CREATE_TABLE")
        self.assertIsInstance(changes[0].timestamp, dt.datetime)
        self.assertIn("ADD_COLUMN", [c.type for c in changes])

    def test_branches(self):
        db = self.db
        info = db.branches.create("feature.payments")
        self.assertEqual((info.name, info.parent), ("feature.payments", "main"))
        feat = db.switch_branch("feature.payments")
        feat.tables.create("payments", [cinch.Column(name="amount", type="REAL")])
        self.assertEqual(feat.branch, "feature.payments")
        self.assertIn("feature.payments", [b.name for b in db.branches.list()])
        self.assertEqual(db.branches.get("feature.payments").name, "feature.payments")
        self.assertEqual(db.branches.changes("feature.payments")[-1].entity, "payments")
        plan = db.branches.merge("feature.payments", dry_run=True)
        self.assertTrue(plan.dry_run)
        self.assertEqual([c.entity for c in plan.changes], ["payments"])
        with self.assertRaises(cinch.TableNotFound):
            db.tables.get("payments")
        done = db.branches.merge_into_main("feature.payments")
        self.assertFalse(done.dry_run)
        self.assertEqual(db.tables.get("payments").name, "payments")
        # A conflict: both branches add the same column differently.
        db.branches.create("conflicting")
        db.switch_branch("conflicting").columns.add("payments", cinch.Column(name="note", type="TEXT"))
        db.columns.add("payments", cinch.Column(name="note", type="INTEGER"))
        with self.assertRaises(cinch.Conflict) as cm:
            db.branches.merge("conflicting", "main")
        self.assertTrue(cm.exception.merge.conflicts)
        self.assertIn("payments", cm.exception.merge.conflicts[0].entity)
        db.branches.delete("conflicting")
        db.branches.delete_branch("feature.payments")
        with self.assertRaises(cinch.Protected):
            db.branches.delete("main")

    def test_fleet(self):
        db = self.db
        db.tables.create("events", [cinch.Column(name="kind", type="TEXT")])
        db.tenants.create("fleet_a")
        db.tenants.create("fleet_b")
        db.switch_tenant("fleet_a").insert("events", {"kind": "x"}, {"kind": "y"})
        db.switch_tenant("fleet_b").insert("events", {"kind": "z"})
        out = db.query_all("SELECT count(*) AS n FROM events WHERE kind != ?", ["nothing"],
                           tenants=["fleet_a", "fleet_b"])
        self.assertEqual([(r.tenant, r.result[0]["n"]) for r in out], [("fleet_a", 2), ("fleet_b", 1)])
        everyone = db.fleet.query("SELECT count(*) AS n FROM events")
        self.assertTrue({"fleet_a", "fleet_b", "main"} <= {r.tenant for r in everyone})
        with self.assertRaises(cinch.TenantNotFound):
            db.query_all("SELECT 1", tenants=["fleet_a", "nope"])

        stats = {s.name: s for s in db.stats(["fleet_a", "fleet_b"])}
        self.assertEqual(set(stats), {"fleet_a", "fleet_b"})
        self.assertGreater(stats["fleet_a"].size_bytes, 0)
        self.assertGreaterEqual(stats["fleet_a"].rows, 2)
        self.assertIsInstance(stats["fleet_a"].last_write, dt.datetime)
        self.assertIn("main", [s.name for s in db.fleet.stats()])

        self.assertTrue(all(c.ok for c in db.fleet.check(["fleet_a"])))
        vac = db.fleet.vacuum(["fleet_a", "fleet_b"])
        self.assertEqual([v.tenant for v in vac], ["fleet_a", "fleet_b"])
        self.assertEqual([v.tenant for v in db.fleet.analyze(["fleet_b"])], ["fleet_b"])
        tomorrow = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
        self.assertIn("fleet_a", [t.name for t in db.fleet.inactive(tomorrow)])
        self.assertEqual(db.fleet.inactive("2000-01-01T00:00:00Z"), [])

        db.fleet.archive("fleet_b")
        self.assertEqual(db.tenants.get("fleet_b").state, "archived")
        with self.assertRaises(cinch.TenantArchived):
            db.switch_tenant("fleet_b").query("SELECT 1")
        out = db.query_all("SELECT count(*) AS n FROM events", tenants=["fleet_a", "fleet_b"])
        self.assertTrue(out[0].ok)
        self.assertIsInstance(out[1].error, cinch.TenantArchived)
        with self.assertRaises(cinch.TenantArchived):
            out[1].result
        db.fleet.restore("fleet_b")
        self.assertEqual(db.switch_tenant("fleet_b").query("SELECT kind FROM events")[0]["kind"], "z")

    def test_groups(self):
        db = self.db
        g = db.groups.create("trial", max_db_bytes=65536, max_concurrent=2)
        self.assertEqual(g, cinch.Group(name="trial", max_db_bytes=65536, max_concurrent=2))
        db.tenants.create("trial_user")
        db.groups.set_tenant("trial_user", "trial")
        self.assertEqual(db.tenants.get("trial_user").group, "trial")
        self.assertIn("trial", [x.name for x in db.groups.list()])
        db.tables.create("blobs", [cinch.Column(name="body", type="TEXT")])
        t = db.switch_tenant("trial_user")
        with self.assertRaises(cinch.LimitExceeded):
            for _ in range(200):
                t.insert("blobs", {"body": "x" * 4096})
        self.assertEqual(db.groups.set_limits("trial", max_db_bytes=0).max_db_bytes, 0)
        t.insert("blobs", {"body": "x" * 4096})  # the new limit holds at once
        self.assertEqual(db.groups.get("trial").max_concurrent, 0)
        db.groups.set_tenant("trial_user", None)
        self.assertIsNone(db.tenants.get("trial_user").group)

    def test_encrypted_tenant(self):
        db = self.db
        info = db.tenants.create("vault", encrypt=True, key="correct horse")
        self.assertTrue(info.encrypted)
        vault = db.switch_tenant("vault").with_key("correct horse")
        vault.insert("users", {"name": "secret"})
        self.assertEqual(vault.query("SELECT name FROM users")[0]["name"], "secret")
        with self.assertRaises(cinch.EncryptionKey):
            db.switch_tenant("vault").query("SELECT name FROM users")
        with self.assertRaises(cinch.EncryptionKey):
            vault.with_key("wrong").query("SELECT name FROM users")
        with self.assertRaises(cinch.InvalidInput):
            db.tenants.create("vault2", encrypt=True)

    def test_threads_share_a_connection(self):
        db = self.db.switch_tenant("wayne_ent")
        db.tables.create("hits", [cinch.Column(name="n", type="INTEGER")])
        errors = []

        def work(i):
            try:
                for j in range(10):
                    db.insert("hits", {"n": i * 100 + j})
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(db.query("SELECT count(*) AS n FROM hits")[0]["n"], 40)


if __name__ == "__main__":
    unittest.main()
