"""A PEP 517 build backend from the standard library alone.

The package has no dependencies and no compiled parts, so a wheel is a zip of
cinch/ plus three metadata files. With this in-tree backend (and
``requires = []``) ``pip install ./clients/python`` needs no download: pip's
isolated build environment has nothing to install, which setuptools (not
always present, and needing ``wheel`` before version 70.1) would not allow
offline.

Hooks: build_wheel, build_sdist, build_editable (PEP 660: a .pth file that
points at this folder), and the get_requires_* / prepare_metadata_* ones.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import time
import tomllib
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # clients/python
PACKAGE = "cinch"


def _project() -> dict:
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"]


def _version() -> str:
    with open(os.path.join(ROOT, PACKAGE, "_version.py"), encoding="utf-8") as f:
        m = re.search(r'^__version__ = "([^"]+)"', f.read(), re.M)
    if not m:
        raise RuntimeError("no __version__ in cinch/_version.py")
    return m.group(1)


def _dist() -> str:
    """name-version, the name normalized as wheel and dist-info names want it."""
    return f"{re.sub(r'[-_.]+', '_', _project()['name']).lower()}-{_version()}"


def _metadata() -> str:
    p = _project()
    lines = ["Metadata-Version: 2.1", f"Name: {p['name']}", f"Version: {_version()}",
             f"Summary: {p['description']}", f"Requires-Python: {p['requires-python']}"]
    for c in p.get("classifiers", []):
        lines.append(f"Classifier: {c}")
    readme = p.get("readme")
    body = ""
    if readme:
        with open(os.path.join(ROOT, readme), encoding="utf-8") as f:
            body = f.read()
        lines.append("Description-Content-Type: text/markdown")
    return "\n".join(lines) + "\n\n" + body


_WHEEL = "Wheel-Version: 1.0\nGenerator: cinch_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _package_files() -> list:
    out = []
    base = os.path.join(ROOT, PACKAGE)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith((".py", ".typed")):
                full = os.path.join(dirpath, name)
                out.append((full, os.path.relpath(full, ROOT).replace(os.sep, "/")))
    return out


def _write_wheel(directory: str, files: list) -> str:
    """files: (archive name, bytes). Adds the dist-info and RECORD."""
    dist = _dist()
    info = dist + ".dist-info"
    files = files + [(f"{info}/METADATA", _metadata().encode()), (f"{info}/WHEEL", _WHEEL.encode()),
                     (f"{info}/top_level.txt", (PACKAGE + "\n").encode())]
    record = []
    name = f"{dist}-py3-none-any.whl"
    path = os.path.join(directory, name)
    epoch = time.gmtime(int(os.environ.get("SOURCE_DATE_EPOCH", "315532800")))[:6]  # reproducible
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for arc, data in files:
            z.writestr(zipfile.ZipInfo(arc, date_time=epoch), data, zipfile.ZIP_DEFLATED)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{arc},sha256={digest},{len(data)}")
        record.append(f"{info}/RECORD,,")
        z.writestr(zipfile.ZipInfo(f"{info}/RECORD", date_time=epoch), "\n".join(record) + "\n",
                   zipfile.ZIP_DEFLATED)
    return name


def get_requires_for_build_wheel(config_settings=None):
    return []


get_requires_for_build_sdist = get_requires_for_build_wheel
get_requires_for_build_editable = get_requires_for_build_wheel


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = _dist() + ".dist-info"
    os.makedirs(os.path.join(metadata_directory, info), exist_ok=True)
    for fname, text in (("METADATA", _metadata()), ("WHEEL", _WHEEL)):
        with open(os.path.join(metadata_directory, info, fname), "w", encoding="utf-8") as f:
            f.write(text)
    return info


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = []
    for full, arc in _package_files():
        with open(full, "rb") as f:
            files.append((arc, f.read()))
    return _write_wheel(wheel_directory, files)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    # The .pth line puts this folder on sys.path, so `import cinch` reads the sources.
    return _write_wheel(wheel_directory, [(f"_{PACKAGE}_editable.pth", (ROOT + "\n").encode())])


def build_sdist(sdist_directory, config_settings=None):
    dist = _dist()
    name = dist + ".tar.gz"
    members = [os.path.join(ROOT, "pyproject.toml"), os.path.join(ROOT, "README.md"),
               os.path.join(ROOT, "_build", "cinch_build.py")] + [full for full, _ in _package_files()]
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for full in members:
            arc = dist + "/" + os.path.relpath(full, ROOT).replace(os.sep, "/")
            tar.add(full, arcname=arc, recursive=False)
        pkg_info = _metadata().encode()
        ti = tarfile.TarInfo(dist + "/PKG-INFO")
        ti.size = len(pkg_info)
        ti.mtime = int(time.time())
        tar.addfile(ti, io.BytesIO(pkg_info))
    return name
