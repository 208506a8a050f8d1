"""pip install ./clients/python works offline: the in-tree build backend makes a
valid wheel from the standard library alone."""

import base64
import csv
import hashlib
import importlib.util
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile

import cinch

from . import support


def backend():
    spec = importlib.util.spec_from_file_location("cinch_build", os.path.join(support.CLIENT_DIR, "_build",
                                                                             "cinch_build.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def package_files():
    base = os.path.join(support.CLIENT_DIR, "cinch")
    return sorted("cinch/" + f for f in os.listdir(base) if f.endswith((".py", ".typed")))


class PackagingTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cinch-py-wheel-")
        self.addCleanup(lambda: __import__("shutil").rmtree(self.tmp, ignore_errors=True))

    def test_wheel(self):
        b = backend()
        self.assertEqual(b.get_requires_for_build_wheel(), [])
        name = b.build_wheel(self.tmp)
        self.assertEqual(name, f"cinch-{cinch.__version__}-py3-none-any.whl")
        with zipfile.ZipFile(os.path.join(self.tmp, name)) as z:
            names = z.namelist()
            info = f"cinch-{cinch.__version__}.dist-info"
            self.assertEqual(sorted(n for n in names if n.startswith("cinch/")), package_files())
            self.assertIn("cinch/py.typed", names)
            meta = z.read(info + "/METADATA").decode()
            self.assertIn("Name: cinch\n", meta)
            self.assertIn(f"Version: {cinch.__version__}\n", meta)
            self.assertIn("Requires-Python: >=3.11\n", meta)
            self.assertNotIn("Requires-Dist", meta)  # standard library only
            self.assertIn("Root-Is-Purelib: true", z.read(info + "/WHEEL").decode())
            rows = list(csv.reader(io.StringIO(z.read(info + "/RECORD").decode())))
            self.assertEqual(sorted(r[0] for r in rows), sorted(names))
            for path, digest, size in rows:
                if path.endswith("RECORD"):
                    continue
                data = z.read(path)
                want = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                self.assertEqual((digest, int(size)), (want, len(data)), path)

    def test_sdist(self):
        name = backend().build_sdist(self.tmp)
        with tarfile.open(os.path.join(self.tmp, name)) as t:
            names = t.getnames()
        root = f"cinch-{cinch.__version__}/"
        for want in ["pyproject.toml", "PKG-INFO", "_build/cinch_build.py"] + package_files():
            self.assertIn(root + want, names)

    @unittest.skipIf(importlib.util.find_spec("pip") is None, "pip is not installed for this Python")
    def test_pip_install_offline(self):
        target = os.path.join(self.tmp, "site")
        r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-index", "--no-cache-dir", "--quiet",
                            "--disable-pip-version-check", "--target", target, support.CLIENT_DIR],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run([sys.executable, "-c", "import cinch; print(cinch.__file__, cinch.__version__)"],
                           env={**os.environ, "PYTHONPATH": target}, cwd=self.tmp, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        path, version = r.stdout.split()
        self.assertTrue(path.startswith(target), path)
        self.assertEqual(version, cinch.__version__)


if __name__ == "__main__":
    unittest.main()
