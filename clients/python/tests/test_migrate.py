"""db.fleet.migrate against a real cinch serve: tenants left behind by a
schema change made in another process are brought up to date on request."""

import unittest

import cinch

from . import support


class MigrateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # No background converger: the tenants stay behind until migrated.
        cls.srv = support.Server(tenants=("acme", "globex", "initech"), serve_args=("--rate", "0", "--no-converge"))
        cls.addClassCleanup(cls.srv.stop)
        cls.db = cinch.connect(cls.srv.url, cls.srv.key)

    def test_migrate(self):
        # The schema change comes from the CLI, another process: the server
        # has none of these tenants open, so all of them are behind.
        self.srv.cli("table", "create", "users", "name:TEXT")
        named = self.db.fleet.migrate(["acme"])
        self.assertEqual(named, cinch.MigrateResult(behind=1, migrated=1, remaining=0))
        rest = self.db.fleet.migrate()
        self.assertGreaterEqual(rest.behind, 2)  # globex, initech (and main unless the server opened it)
        self.assertEqual((rest.migrated, rest.remaining), (rest.behind, 0))
        self.assertEqual(self.db.fleet.migrate(), cinch.MigrateResult(behind=0, migrated=0, remaining=0))
        self.assertEqual(self.db.switch_tenant("initech").query("SELECT count(*) AS n FROM users")[0]["n"], 0)

        with self.assertRaises(cinch.TenantNotFound):
            self.db.fleet.migrate(["nope"])
        with self.assertRaises(cinch.InvalidInput):
            self.db.fleet.migrate("acme")  # a name, not a list
        tenant_key = self.srv.create_key("--tenant", "acme")
        with self.assertRaises(cinch.Forbidden):
            cinch.connect(self.srv.url, tenant_key, tenant="acme").fleet.migrate()
        read_only = self.srv.create_key("--read-only")
        with self.assertRaises(cinch.ReadOnly):
            cinch.connect(self.srv.url, read_only).fleet.migrate()


if __name__ == "__main__":
    unittest.main()
