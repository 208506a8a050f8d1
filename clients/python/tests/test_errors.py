"""One exception class per error code of the server, checked against the
server's own table (server/errors.go) and against what a real server answers."""

import glob
import json
import os
import re
import unittest
import urllib.request

import cinch
from cinch import errors

from . import support

BR = "/v1/databases/main/branches/main"


def read(*parts):
    with open(os.path.join(support.REPO, *parts), encoding="utf-8") as f:
        return f.read()


def server_table():
    """statusByCode of server/errors.go as {code: status}, with the Code*
    constants of the server package resolved."""
    src = read("server", "errors.go")
    m = re.search(r"var statusByCode = map\[string\]int\{(.*?)\n\}", src, re.S)
    if not m:
        raise AssertionError("statusByCode not found in server/errors.go")
    consts = {}
    for path in glob.glob(os.path.join(support.REPO, "server", "*.go")):
        for name, value in re.findall(r'^\s*(?:const\s+)?(Code\w+)\s*=\s*"([a-z_]+)"', read(path), re.M):
            consts[name] = value
    statuses = _http_statuses()
    table = {}
    for key, status in re.findall(r'^\s*("[a-z_]+"|Code\w+)\s*:\s*http\.(Status\w+),', m.group(1), re.M):
        code = key.strip('"') if key.startswith('"') else consts[key]
        table[code] = statuses[status]
    if len(table) != len(re.findall(r":\s*http\.Status", m.group(1))):
        raise AssertionError("could not read every row of statusByCode")
    return table


def _http_statuses():
    """Go's http.StatusXxx names -> numbers, from Python's http.HTTPStatus."""
    import http
    out = {}
    for s in http.HTTPStatus:
        name = "Status" + "".join(w.capitalize() for w in s.name.split("_"))
        out[name] = s.value
    # Go spells a few differently.
    out["StatusRequestEntityTooLarge"] = 413
    out["StatusInsufficientStorage"] = 507
    return out


def go_codes():
    """The codes of cinch.Codes in errors.go."""
    src = read("errors.go")
    m = re.search(r"var Codes = \[\]struct \{.*?\}\{(.*?)\n\}", src, re.S)
    return set(re.findall(r'\{Err\w+, "([a-z_]+)"\}', m.group(1)))


class TableTest(unittest.TestCase):
    """No server needed: the Go sources are the table."""

    def test_every_server_code_has_a_class(self):
        table = server_table()
        self.assertGreater(len(table), 40)
        for code, status in sorted(table.items()):
            with self.subTest(code=code):
                cls = cinch.CODES.get(code)
                self.assertIsNotNone(cls, f"no class for the server's code {code!r}")
                self.assertTrue(issubclass(cls, cinch.CinchError))
                self.assertEqual(cls.code, code)
                self.assertEqual(cls.status, status, f"{cls.__name__}.status")
                self.assertIs(getattr(cinch, cls.__name__), cls, "exported from the package")
        self.assertEqual(set(cinch.CODES) - set(table), set(), "classes for codes the server does not have")

    def test_engine_codes_are_in_the_server_table(self):
        self.assertEqual(go_codes() - set(server_table()), set())

    def test_class_names_and_families(self):
        overrides = {"not_implemented": "NotImplementedOnServer", "internal": "InternalError"}
        for code, cls in cinch.CODES.items():
            with self.subTest(code=code):
                want = overrides.get(code) or "".join(w.capitalize() for w in code.split("_"))
                self.assertEqual(cls.__name__, want)
                self.assertEqual(issubclass(cls, cinch.NotFound), code.endswith("_not_found"))
                self.assertEqual(issubclass(cls, cinch.AlreadyExists), code.endswith("_exists"))
        self.assertTrue(issubclass(cinch.InvalidName, ValueError))
        self.assertTrue(issubclass(cinch.CinchConnectionError, ConnectionError))

    def test_pickle_keeps_everything(self):
        import pickle
        for e in (errors.make_error("tenant_not_found", "gone", request_id="r1"),
                  errors.make_error("brand_new_code", "new", status=418), cinch.CinchConnectionError("down")):
            e2 = pickle.loads(pickle.dumps(e))
            self.assertIs(type(e2), type(e))
            self.assertEqual((e2.code, e2.status, e2.message, e2.request_id), (e.code, e.status, e.message, e.request_id))

    def test_unknown_code(self):
        e = errors.make_error("brand_new_code", "something new", status=418)
        self.assertIs(type(e), cinch.CinchError)
        self.assertEqual((e.code, e.status, e.message, str(e)), ("brand_new_code", 418, "something new", "something new"))


class ServedTest(unittest.TestCase):
    """Against a real server: its OpenAPI document and its error answers."""

    @classmethod
    def setUpClass(cls):
        cls.srv = support.Server(tenants=["acme"], serve_args=["--rate", "0", "--max-body", "64KiB"])
        cls.addClassCleanup(cls.srv.stop)
        cls.db = cinch.connect(cls.srv.url, cls.srv.key)
        cls.db.tables.create("users", [cinch.Column(name="email", type="TEXT", unique=True)])

    def test_openapi_codes_have_classes(self):
        with urllib.request.urlopen(self.srv.url + "/v1/openapi.json") as r:
            doc = json.load(r)
        responses = doc["components"]["responses"]
        seen = set()
        for path_item in doc["paths"].values():
            for op in path_item.values():
                for status, resp in op.get("responses", {}).items():
                    ref = resp.get("$ref", "")
                    if not ref.startswith("#/components/responses/"):
                        continue
                    desc = responses[ref.rsplit("/", 1)[1]]["description"]
                    m = re.search(r"code ([a-z_, ]+)", desc)
                    self.assertIsNotNone(m, desc)
                    for code in re.findall(r"[a-z_]+", m.group(1)):
                        seen.add(code)
                        cls = cinch.CODES.get(code)
                        self.assertIsNotNone(cls, f"OpenAPI names code {code!r}: no class")
                        if status != "default":
                            self.assertEqual(cls.status, int(status), code)
        self.assertIn("tenant_not_found", seen)

    def expect(self, cls, fn, *args, **kw):
        with self.assertRaises(cls) as cm:
            fn(*args, **kw)
        e = cm.exception
        self.assertIs(type(e), cls)
        self.assertEqual(e.code, cls.code)
        self.assertEqual(e.status, cls.status)
        self.assertTrue(e.message)
        return e

    def test_answers(self):
        db = self.db
        e = self.expect(cinch.TenantNotFound, db.switch_tenant("nope").query, "SELECT 1")
        self.assertIn("nope", e.message)
        self.assertTrue(e.request_id, "X-Request-Id")
        self.assertIsInstance(e, cinch.NotFound)
        self.expect(cinch.QueryRejected, db.query, "DROP TABLE users")
        self.expect(cinch.QueryRejected, db.query, "ATTACH 'x.db' AS x")
        self.expect(cinch.InvalidName, db.tenants.create, "Acme Corp")
        self.expect(cinch.InvalidInput, db.query, "SELEC 1")
        self.expect(cinch.TenantExists, db.tenants.create, "acme")
        self.expect(cinch.Protected, db.tenants.delete, "main")
        self.expect(cinch.TableNotFound, db.tables.get, "nope")
        self.expect(cinch.TableExists, db.tables.create, "users", [cinch.Column(name="x", type="TEXT")])
        self.expect(cinch.ColumnNotFound, db.columns.drop, "users", "nope")
        self.expect(cinch.BranchNotFound, db.switch_branch("nope").changes)
        self.expect(cinch.DatabaseNotFound, db.switch_database("nope").changes)
        self.expect(cinch.RowNotFound, db.update, "users", "no-such-id", {"email": "x"})
        self.expect(cinch.GroupNotFound, db.groups.get, "nope")
        db.insert("users", {"email": "a@example.com"})
        self.expect(cinch.ConstraintFailed, db.insert, "users", {"email": "a@example.com"})
        self.expect(cinch.ReadOnly, db.query, "DELETE FROM users", read_only=True)
        self.expect(cinch.TooLarge, db.insert, "users", {"email": "x" * 70000})

    def test_keys(self):
        e = self.expect(cinch.Unauthorized, cinch.connect(self.srv.url, "cinch_nope").tenants.list)
        self.assertEqual(e.status, 401)
        self.expect(cinch.Unauthorized, cinch.connect(self.srv.url, None).tenants.list)
        tenant_key = self.srv.create_key("--tenant", "acme")
        acme = cinch.connect(self.srv.url, tenant_key, tenant="acme")
        self.assertEqual(acme.query("SELECT 1 AS one")[0]["one"], 1)
        self.expect(cinch.Forbidden, acme.switch_tenant("main").query, "SELECT 1")
        self.expect(cinch.Forbidden, acme.tenants.list)
        self.expect(cinch.Forbidden, acme.query_all, "SELECT 1")
        ro = cinch.connect(self.srv.url, self.srv.create_key("--read-only"))
        self.assertEqual(len(ro.query("SELECT * FROM users").columns), 4)
        self.expect(cinch.ReadOnly, ro.insert, "users", {"email": "b@example.com"})

    def test_route_and_method(self):
        t = self.db._t
        self.expect(cinch.RouteNotFound, t.request, "GET", "/v1/nothing")
        self.expect(cinch.MethodNotAllowed, t.request, "PUT", BR + "/tenants", {})

    def test_error_after_rows_were_sent(self):
        # The first 5000 rows (over 64 KiB) are on their way before row 5000
        # fails: the status is 200 and the body ends with an "error" member.
        sql = ("SELECT CASE WHEN value < 5000 THEN printf('%040d', value) "
               "ELSE abs(-9223372036854775807 - 1) END AS v FROM generate_series(1, 6000)")
        e = self.expect(cinch.InvalidInput, self.db.query, sql)
        self.assertIn("overflow", e.message)
        # The same failure before any row: an ordinary error answer.
        self.expect(cinch.InvalidInput, self.db.query, "SELECT abs(-9223372036854775807 - 1)")

    def test_rate_limited(self):
        srv = support.Server(serve_args=["--rate", "0.001", "--burst", "1"])
        self.addCleanup(srv.stop)
        db = cinch.connect(srv.url, srv.key)
        db.tenants.list()  # the one request of the burst
        e = self.expect(cinch.RateLimited, db.tenants.list)
        self.assertIsNotNone(e.retry_after)
        self.assertGreater(e.retry_after, 0)

    def test_client_side(self):
        with self.assertRaises(cinch.InvalidInput):
            cinch.connect("localhost:8080", "k")
        with self.assertRaises(cinch.InvalidInput):
            self.db.query("SELECT ?", [b"\x00\xff"])
        with self.assertRaises(cinch.InvalidInput):
            self.db.query("SELECT ?", [float("nan")])
        with self.assertRaises(cinch.InvalidInput):
            self.db.query("SELECT ?", [{"nested": 1}])
        with self.assertRaises(cinch.InvalidInput):
            self.db.query("SELECT ?", "not a list")
        with self.assertRaises(cinch.InvalidName):
            self.db.switch_tenant("..").query("SELECT 1")

    def test_unreachable(self):
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        db = cinch.connect(f"http://127.0.0.1:{port}", "k", timeout=10)
        with self.assertRaises(cinch.CinchConnectionError) as cm:
            db.query("SELECT 1")
        self.assertIsNone(cm.exception.code)
        self.assertIsInstance(cm.exception, ConnectionError)


if __name__ == "__main__":
    unittest.main()
