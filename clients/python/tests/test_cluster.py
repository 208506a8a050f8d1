"""The cluster calls (db.cluster): against a real one-node cluster
(``cinch serve --cluster --replicas 1``), and against a single server, which
answers every one with not_implemented."""

import time
import unittest

import cinch

from . import support


class ClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = support.ClusterServer("n1")
        cls.addClassCleanup(cls.srv.stop)
        admin = cinch.connect(cls.srv.url).cluster.init()  # no key needed, once
        cls.key = admin.key
        cls.admin_id = admin.id
        cls.db = cinch.connect(cls.srv.url, cls.key)

    def test_init_once(self):
        self.assertTrue(self.key.startswith("cinch_"))
        self.assertTrue(self.admin_id)
        with self.assertRaises(cinch.Conflict):
            cinch.connect(self.srv.url).cluster.init()

    def test_status_moves_and_drain(self):
        db = self.db
        db.tables.create("events", [cinch.Column(name="kind", type="TEXT")])
        db.tenants.create("acme")
        acme = db.switch_tenant("acme")
        for i in range(20):
            acme.insert("events", {"kind": f"k{i}"})

        # The node owns acme now; its writes show within its 10 s window.
        deadline = time.monotonic() + 60
        while True:
            nodes = db.cluster.status()
            n1 = [n for n in nodes if n.name == "n1"]
            if n1 and n1[0].tenants_owned >= 1 and n1[0].writes_per_sec > 0:
                break
            if time.monotonic() > deadline:
                self.fail(f"status never showed n1 owning acme with writes: {nodes}")
            time.sleep(0.2)
        n = n1[0]
        self.assertIsInstance(n, cinch.ClusterNode)
        self.assertTrue(n.alive)
        self.assertFalse(n.draining)
        self.assertEqual(n.addr, self.srv.url)
        self.assertIsNotNone(n.at)
        self.assertGreaterEqual(n.control_lag, 0)

        moved = db.cluster.move("acme", "n1")  # already there: nothing waits
        self.assertIsInstance(moved, cinch.TenantMove)
        self.assertEqual((moved.tenant, moved.to), ("acme", "n1"))
        with self.assertRaises(cinch.InvalidInput) as e:
            db.cluster.move("acme", "n9")
        self.assertIn("n9", str(e.exception))

        d = db.cluster.drain("n1")
        self.assertEqual((d.node, d.draining), ("n1", True))
        self.assertTrue([n for n in db.cluster.status() if n.name == "n1"][0].draining)
        u = db.cluster.undrain("n1")
        self.assertEqual((u.node, u.draining), ("n1", False))
        self.assertFalse([n for n in db.cluster.status() if n.name == "n1"][0].draining)
        # Every acknowledged write is still there.
        self.assertEqual(acme.query("SELECT count(*) AS n FROM events")[0]["n"], 20)

    def test_wrong_key(self):
        with self.assertRaises(cinch.Unauthorized):
            cinch.connect(self.srv.url, "cinch_not_a_key").cluster.status()
        with self.assertRaises(cinch.Unauthorized):
            cinch.connect(self.srv.url).cluster.drain("n1")


class SingleServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = support.Server()
        cls.addClassCleanup(cls.srv.stop)
        cls.db = cinch.connect(cls.srv.url, cls.srv.key)

    def test_every_call_is_not_implemented(self):
        c = self.db.cluster
        for name, call in [("init", c.init), ("status", c.status), ("move", lambda: c.move("main", "n2")),
                           ("drain", lambda: c.drain("n2")), ("undrain", lambda: c.undrain("n2"))]:
            with self.subTest(call=name):
                with self.assertRaises(cinch.NotImplementedOnServer) as e:
                    call()
                self.assertEqual(e.exception.status, 501)
                self.assertIn("cinch serve --cluster", str(e.exception))


if __name__ == "__main__":
    unittest.main()
