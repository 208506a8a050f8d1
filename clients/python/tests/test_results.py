"""Result, Row and TenantResult without a server."""

import pickle
import unittest

import cinch


class ResultTest(unittest.TestCase):
    def setUp(self):
        self.res = cinch.Result(["id", "id", "total"], [["u1", "o1", 19.5], ["u2", "o2", None]], 0, False)

    def test_every_column_and_value_in_order(self):
        res = self.res
        self.assertEqual(res.columns, ["id", "id", "total"])
        self.assertEqual(len(res), 2)
        self.assertEqual(res[0], ("u1", "o1", 19.5))
        self.assertEqual(list(res[1]), ["u2", "o2", None])
        self.assertEqual([tuple(r) for r in res], [("u1", "o1", 19.5), ("u2", "o2", None)])
        self.assertIsInstance(res[0], tuple)
        self.assertIsInstance(res[0], cinch.Row)
        self.assertEqual(res[0].columns, ("id", "id", "total"))

    def test_by_name_is_the_first_column_of_that_name(self):
        row = self.res[0]
        self.assertEqual(row["id"], "u1")
        self.assertEqual(row[1], "o1")
        self.assertEqual(row["total"], 19.5)
        self.assertEqual(row.get("missing", 7), 7)
        self.assertEqual(self.res.value(1, "id"), "u2")
        self.assertEqual(self.res.column("id"), ["u1", "u2"])
        with self.assertRaises(KeyError):
            row["missing"]
        with self.assertRaises(KeyError):
            self.res.column("missing")

    def test_dicts_are_lossy_on_repeated_names(self):
        self.assertEqual(self.res.dicts(), [{"id": "u1", "total": 19.5}, {"id": "u2", "total": None}])
        self.assertEqual(self.res[0].as_dict(), {"id": "u1", "total": 19.5})

    def test_rows_pickle_and_compare(self):
        row = pickle.loads(pickle.dumps(self.res[0]))
        self.assertEqual(row, ("u1", "o1", 19.5))
        self.assertEqual(row["total"], 19.5)
        self.assertEqual(self.res, cinch.Result(["id", "id", "total"], [["u1", "o1", 19.5], ["u2", "o2", None]]))
        self.assertNotEqual(self.res, cinch.Result(["id"], [["u1"]]))
        self.assertIn("rows=2", repr(self.res))

    def test_empty(self):
        res = cinch.Result([], [])
        self.assertEqual((len(res), res.columns, res.dicts(), bool(res)), (0, [], [], False))

    def test_tenant_result(self):
        ok = cinch.TenantResult("acme", cinch.Result(["n"], [[3]]))
        self.assertTrue(ok.ok)
        self.assertEqual(ok.result[0]["n"], 3)
        err = cinch.TenantNotFound("tenant \"x\" not found")
        bad = cinch.TenantResult("x", error=err)
        self.assertFalse(bad.ok)
        self.assertIs(bad.error, err)
        with self.assertRaises(cinch.TenantNotFound):
            bad.result


if __name__ == "__main__":
    unittest.main()
