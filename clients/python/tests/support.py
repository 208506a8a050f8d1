"""A real ``cinch serve`` for the tests: built (or taken from $CINCH_BIN),
started on a free loopback port in a fresh project, stopped at the end."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from typing import Dict, List, Optional, Sequence

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_DIR = os.path.dirname(HERE)                       # clients/python
REPO = os.path.dirname(os.path.dirname(CLIENT_DIR))       # the cinch module

# Loopback only: a proxy from the environment must not see the test traffic.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

_lock = threading.Lock()
_built: Optional[str] = None


def cinch_bin() -> str:
    """$CINCH_BIN, or a binary built once per test process from the repository."""
    global _built
    env = os.environ.get("CINCH_BIN")
    if env:
        if not os.access(env, os.X_OK):
            raise RuntimeError(f"CINCH_BIN={env} is not an executable")
        return env
    with _lock:
        if _built is None:
            out = tempfile.mkdtemp(prefix="cinch-py-bin-")
            atexit.register(shutil.rmtree, out, True)
            path = os.path.join(out, "cinch")
            subprocess.run(["go", "build", "-o", path, "./cmd/cinch"], cwd=REPO, check=True)
            _built = path
        return _built


class Server:
    """``cinch serve --addr 127.0.0.1:0`` on a fresh project.

    databases are created (with ``cinch db create``) and keys made before the
    server starts; ``key`` is a full key. ``url`` is the address the server
    printed. ``stop()`` sends SIGTERM and waits; it also removes the project.
    """

    def __init__(self, *, databases: Sequence[str] = (), tenants: Sequence[str] = (),
                 serve_args: Sequence[str] = ("--rate", "0")) -> None:
        self.bin = cinch_bin()
        self.dir = tempfile.mkdtemp(prefix="cinch-py-")
        self.log: List[str] = []
        self.proc: Optional[subprocess.Popen] = None
        self._drainer: Optional[threading.Thread] = None
        try:
            self.cli("init")
            for d in databases:
                self.cli("db", "create", d)
            for t in tenants:
                self.cli("tenant", "create", t)
            self.key = self.create_key()
            self._start(serve_args)
        except BaseException:
            self.stop()
            raise

    def cli(self, *args: str) -> str:
        """Runs the cinch CLI in the project; returns its stdout."""
        r = subprocess.run([self.bin, *args], cwd=self.dir, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"cinch {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
        return r.stdout

    def create_key(self, *args: str) -> str:
        """A new API key (``cinch key create ARGS``): the last line printed."""
        return self.cli("key", "create", *args).strip().splitlines()[-1].strip()

    def _start(self, serve_args: Sequence[str]) -> None:
        self.proc = subprocess.Popen([self.bin, "serve", "--addr", "127.0.0.1:0", *serve_args], cwd=self.dir,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        url = None
        assert self.proc.stderr is not None
        for line in self.proc.stderr:  # blocks until the server prints, or exits
            self.log.append(line)
            _, sep, rest = line.partition("listening on ")
            if sep:
                url = rest.split()[0]
                break
        if url is None:
            self.proc.wait()
            raise RuntimeError("cinch serve printed no address:\n" + "".join(self.log))
        self.url = url
        # Keep reading stderr (one log line per request) so the pipe never fills.
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log.append(line)

    def stop(self) -> None:
        p, self.proc = self.proc, None
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if self._drainer is not None:
            self._drainer.join(timeout=10)  # the pipe ends when the server exits
        if p is not None and p.stderr is not None:
            p.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def env(self, **extra: str) -> Dict[str, str]:
        """The environment of an example run against this server."""
        e = dict(os.environ)
        e.update(CINCH_URL=self.url, CINCH_KEY=self.key, PYTHONPATH=CLIENT_DIR, PYTHONDONTWRITEBYTECODE="1")
        e.update(extra)
        return e


class ClusterServer(Server):
    """A one-node cluster: ``cinch serve --cluster --replicas 1`` with its
    embedded NATS server on a free port, in a fresh folder. It starts in well
    under a second. ``key`` is None until the test runs ``cluster.init()``."""

    def __init__(self, node: str = "n1") -> None:
        self.bin = cinch_bin()
        self.dir = tempfile.mkdtemp(prefix="cinch-py-cluster-")
        self.log = []
        self.proc = None
        self._drainer = None
        self.node = node
        self.key = None
        try:
            self._start(("--cluster", "--node", node, "--dir", os.path.join(self.dir, node), "--replicas", "1",
                         "--nats-listen", "127.0.0.1:0", "--rate", "0"))
        except BaseException:
            self.stop()
            raise
