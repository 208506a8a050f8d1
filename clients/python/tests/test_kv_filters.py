"""db.kv and the row filters (select, update_where, delete_where) against a real cinch serve."""

import time
import unittest

import cinch

from . import support


class KVTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = support.Server()
        cls.addClassCleanup(cls.srv.stop)
        cls.db = cinch.connect(cls.srv.url, cls.srv.key)
        cls.db.tenants.create("kv_other")

    def setUp(self):
        kv = self.db.kv
        kv.delete(kv.keys())

    def test_types_round_trip(self):
        kv = self.db.kv
        values = {
            "text": "héllo ☃", "empty": "", "int": 42, "big": 2**63 - 1, "neg": -2**63, "float": 1.5,
            "two": 2.0, "true": True, "false": False, "bytes": b"\x00\xff\x10", "nobytes": b"",
            "obj": {"a": [1, 2.5, None], "b": {"c": "d"}}, "list": [1, "x", True], "none": None,
            "numtext": "42", "jsontext": '{"a": 1}',
        }
        for k, v in values.items():
            self.assertTrue(kv.set(k, v))
        for k, v in values.items():
            got = kv.get(k)
            self.assertEqual(got, v, k)
            self.assertIs(type(got), type(v), k)
        self.assertEqual(kv.mget(list(values)), values)
        got = kv.mget("int", "missing", "bytes")
        self.assertEqual(got, {"int": 42, "bytes": b"\x00\xff\x10"})
        self.assertIs(type(kv.get("true")), bool)

    def test_missing_key(self):
        kv = self.db.kv
        with self.assertRaises(cinch.KeyNotFound) as cm:
            kv.get("nope")
        self.assertEqual((cm.exception.code, cm.exception.status), ("key_not_found", 404))
        self.assertIsInstance(cm.exception, cinch.NotFound)
        self.assertFalse(kv.exists("nope"))
        self.assertNotIn("nope", kv)
        self.assertEqual(kv.delete("nope"), 0)
        for f in (kv.ttl, kv.persist):
            with self.assertRaises(cinch.KeyNotFound):
                f("nope")

    def test_keys_count_delete_size(self):
        kv = self.db.kv
        kv.mset({"user:1": "a", "user:2": "bb", "session:x": 1, "odd/../key": "x"})
        self.assertEqual(kv.keys(), ["odd/../key", "session:x", "user:1", "user:2"])
        self.assertEqual(kv.keys("user:*"), ["user:1", "user:2"])
        self.assertEqual(kv.keys("user:?"), ["user:1", "user:2"])
        self.assertEqual(kv.count("user:*"), 2)
        self.assertEqual(kv.count(), 4)
        self.assertEqual(kv.get("odd/../key"), "x")
        self.assertTrue(kv.exists("user:1"))
        self.assertGreater(kv.size(), 0)
        self.assertGreaterEqual(kv.size(), kv.size("user:2"))
        self.assertEqual(kv.delete("user:1", "user:2", "missing"), 2)
        self.assertEqual(kv.keys("user:*"), [])

    def test_nx_ttl_expire_persist(self):
        kv = self.db.kv
        self.assertTrue(kv.set("k", 1, nx=True))
        self.assertFalse(kv.set("k", 2, nx=True))
        self.assertEqual(kv.get("k"), 1)
        self.assertIsNone(kv.ttl("k"))
        kv.expire("k", 100)
        left = kv.ttl("k")
        self.assertIsInstance(left, float)
        self.assertTrue(90 < left <= 100, left)
        kv.persist("k")
        self.assertIsNone(kv.ttl("k"))
        # A TTL given to mset applies to every key (checked on a long one, so
        # a slow machine cannot expire it first).
        kv.mset({"long1": 1, "long2": 2}, ttl=100)
        self.assertTrue(90 < kv.ttl("long2") <= 100)
        # Short TTLs are only checked once past: time only moves forward.
        kv.set("short", "x", ttl=0.2)
        kv.mset({"m1": 1, "m2": 2}, ttl=0.2)
        time.sleep(0.35)
        with self.assertRaises(cinch.KeyNotFound):
            kv.get("short")
        self.assertFalse(kv.exists("m1"))
        self.assertEqual(kv.mget("m1", "m2", "k"), {"k": 1})
        self.assertGreaterEqual(kv.delete_expired(), 0)
        with self.assertRaises(cinch.KeyNotFound):
            kv.expire("gone", 10)

    def test_incr(self):
        kv = self.db.kv
        self.assertEqual(kv.incr("n"), 1)
        self.assertEqual(kv.incr("n", 41), 42)
        self.assertIs(type(kv.get("n")), int)
        f = kv.incr("n", 0.5)
        self.assertEqual(f, 42.5)
        self.assertIs(type(f), float)
        self.assertIs(type(kv.incr("g", 1.0)), float)
        kv.set("s", "text")
        with self.assertRaises(cinch.CinchError):
            kv.incr("s")

    def test_tenants_are_separate(self):
        self.db.kv.set("shared", "main")
        other = self.db.switch_tenant("kv_other").kv
        self.assertFalse(other.exists("shared"))
        other.set("shared", "other")
        self.assertEqual(self.db.kv.get("shared"), "main")

    def test_client_refusals(self):
        kv = self.db.kv
        for bad in (float("nan"), float("inf"), 2**63, object(), {1, 2}):
            with self.assertRaises(cinch.InvalidInput):
                kv.set("bad", bad)
        with self.assertRaises(cinch.InvalidInput):
            kv.set("bad", 1, ttl=-1)
        with self.assertRaises(cinch.InvalidInput):
            kv.incr("n", "1")
        with self.assertRaises(cinch.CinchError):
            kv.set("", 1)  # the server refuses an empty key


class FilterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = support.Server()
        cls.addClassCleanup(cls.srv.stop)
        cls.db = cinch.connect(cls.srv.url, cls.srv.key)
        cls.db.tables.create("people", [
            cinch.Column(name="name", type="TEXT", nullable=False),
            cinch.Column(name="age", type="INTEGER"),
            cinch.Column(name="phone", type="TEXT"),
        ])

    def setUp(self):
        self.db.delete_where("people", None, all=True)
        self.db.insert("people", [
            {"name": "Alice", "age": 31, "phone": "1"},
            {"name": "Bob", "age": 25},
            {"name": "Ada Lovelace", "age": 36},
            {"name": "Carol", "age": 45, "phone": "2"},
        ])

    def names(self, res):
        return [r["name"] for r in res]

    def test_select(self):
        db = self.db
        res = db.select("people", "name=Alice")
        self.assertIsInstance(res, cinch.Result)
        self.assertEqual(len(res), 1)
        self.assertEqual(res[0]["age"], 31)
        self.assertIn("id", res.columns)
        self.assertEqual(self.names(db.select("people", "age>30", order_by="age")), ["Alice", "Ada Lovelace", "Carol"])
        self.assertEqual(self.names(db.select("people", "age>30", "age<=40", order_by="name")), ["Ada Lovelace", "Alice"])
        self.assertEqual(self.names(db.select("people", ["age>30", "phone is not null"], order_by="age:desc")),
                         ["Carol", "Alice"])
        self.assertEqual(self.names(db.select("people", "name='Ada Lovelace'")), ["Ada Lovelace"])
        self.assertEqual(self.names(db.select("people", "name like A%", order_by="name")), ["Ada Lovelace", "Alice"])
        self.assertEqual(self.names(db.select("people", "phone is null", order_by="name")), ["Ada Lovelace", "Bob"])
        self.assertEqual(self.names(db.select("people", order_by=["age"], limit=2, offset=1)), ["Alice", "Ada Lovelace"])
        self.assertEqual(len(db.select("people")), 4)
        self.assertEqual(len(db.select("people", "name=Nobody")), 0)

    def test_update_where(self):
        db = self.db
        self.assertEqual(db.update_where("people", "age>30", {"phone": "x"}), 3)
        self.assertEqual(self.names(db.select("people", "phone=x", order_by="name")), ["Ada Lovelace", "Alice", "Carol"])
        self.assertEqual(db.update_where("people", ["age>30", "age<40"], {"age": 0}), 2)
        self.assertEqual(db.update_where("people", "name=Nobody", {"age": 1}), 0)
        with self.assertRaises(cinch.InvalidInput):
            db.update_where("people", None, {"age": 1})
        self.assertEqual(db.update_where("people", [], {"age": 7}, all=True), 4)
        self.assertEqual(len(db.select("people", "age=7")), 4)

    def test_delete_where(self):
        db = self.db
        self.assertEqual(db.delete_where("people", "age<30"), 1)
        self.assertEqual(db.delete_where("people", ["name like A%", "age>35"]), 1)
        self.assertEqual(self.names(db.select("people", order_by="name")), ["Alice", "Carol"])
        with self.assertRaises(cinch.InvalidInput):
            db.delete_where("people", [])
        self.assertEqual(db.delete_where("people", None, all=True), 2)
        self.assertEqual(len(db.select("people")), 0)

    def test_bad_filters(self):
        with self.assertRaises(cinch.CinchError):
            self.db.select("people", "nocolumn=1")
        with self.assertRaises(cinch.CinchError):
            self.db.select("people", "garbage")
        with self.assertRaises(cinch.InvalidInput):
            self.db.select("people", "")
        with self.assertRaises(cinch.InvalidInput):
            self.db.select("people", limit=-1)


if __name__ == "__main__":
    unittest.main()
