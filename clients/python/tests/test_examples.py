"""Every example under clients/python/examples runs against a real server and
prints exactly the output written at its end (the "# Output:" block)."""

import os
import re
import subprocess
import sys
import unittest

from . import support

EXAMPLES = os.path.join(support.CLIENT_DIR, "examples")

# Examples that use more than their own database: scaling_shards puts its
# shards in databases DATABASE.shard0 and DATABASE.shard1.
EXTRA_DATABASES = {"scaling_shards": [".shard0", ".shard1"]}


def example_names():
    return sorted(f[:-3] for f in os.listdir(EXAMPLES) if f.endswith(".py") and not f.startswith("_"))


def expected_output(path):
    """The lines after "# Output:", without their "# " prefix."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    head, sep, tail = text.partition("\n# Output:\n")
    if not sep:
        return None
    lines = []
    for line in tail.splitlines():
        if line != "#" and not line.startswith("# "):
            raise AssertionError(f"{path}: a line after '# Output:' does not start with '# ': {line!r}")
        lines.append(line[2:])
    return "\n".join(lines) + "\n"


def database(name):
    return "ex_" + name


class ExamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        dbs = []
        for name in example_names():
            dbs.append(database(name))
            dbs.extend(database(name) + suffix for suffix in EXTRA_DATABASES.get(name, []))
        cls.srv = support.Server(databases=dbs)
        cls.addClassCleanup(cls.srv.stop)

    def run_example(self, name):
        path = os.path.join(EXAMPLES, name + ".py")
        want = expected_output(path)
        self.assertIsNotNone(want, f"{name}.py has no '# Output:' block")
        r = subprocess.run([sys.executable, path], env=self.srv.env(CINCH_DATABASE=database(name)),
                           cwd=EXAMPLES, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, f"{name}.py failed:\n{r.stderr}")
        self.assertEqual(r.stdout, want, f"{name}.py printed something else (stderr: {r.stderr})")

    def test_readme_lists_every_example(self):
        with open(os.path.join(EXAMPLES, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        listed = set(re.findall(r"\[([a-z_]+)\.py\]\(", readme))
        self.assertEqual(listed, set(example_names()))

    def test_readme_lines_are_the_quickstart(self):
        """The README's Python lines are those of examples/quickstart.py (but
        for the server's address and the database)."""
        with open(os.path.join(support.REPO, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        m = re.search(r"\n## Python client\n+```python\n(.*?)```", readme, re.S)
        self.assertIsNotNone(m, "README.md has no '## Python client' section with a python block")
        with open(os.path.join(EXAMPLES, "quickstart.py"), encoding="utf-8") as f:
            quickstart = f.read()
        lines = [line for line in m.group(1).splitlines() if line.strip()]
        self.assertGreaterEqual(len(lines), 4)
        for line in lines:
            if line.startswith("import cinch"):
                continue
            line = line.replace('"http://127.0.0.1:8080", key,', "URL, key, database=DATABASE,")
            self.assertIn(line, quickstart)

    def test_examples_found(self):
        self.assertGreaterEqual(len(example_names()), 15)


def _add_tests():
    for name in example_names():
        def test(self, name=name):
            self.run_example(name)
        test.__doc__ = f"examples/{name}.py prints its # Output: block"
        setattr(ExamplesTest, "test_example_" + name, test)


_add_tests()

if __name__ == "__main__":
    unittest.main()
