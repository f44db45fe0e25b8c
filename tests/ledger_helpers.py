"""Helpers for the ledger tests: the throwaway PostgreSQL cluster, the test key, comparing states.

The cluster is the Debian server binaries (``/usr/lib/postgresql/<version>/bin``, which ``.ci/run``
installs) started on 127.0.0.1 with a private socket directory, as the ``postgres`` user when the tests
run as root (``initdb`` refuses root). It is the tests' own, so the fault tests can stop and start it.
Missing binaries fail the PostgreSQL tests with a message saying how to install them: never a skip.

The fixtures built on these are in :mod:`ledger_fixtures`.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask

from consent.ledger import Ledger
from consent.registry import Registry
from consent.state import ConsentState

#: The ledger key every test uses (the CLI reads it from $CONSENT_LEDGER_KEY).
KEY = "test-ledger-key"

LEDGER_TABLES = (
    "consent_ledger_records",
    "consent_ledger_notices",
    "consent_ledger_chain",
    "consent_ledger_identity",
    "consent_ledger_version",
)
INSTALL_HINT = (
    "the ledger tests need the PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): "
    "apt-get install postgresql (.ci/run does this)"
)


def find_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(candidates[-1]).parent if candidates else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgCluster:
    """One PostgreSQL server in a temporary directory, owned by ``postgres`` when run as root."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="consent-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}\n{log[-4000:]}"
            )
        return result

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=60"
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start"
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def ensure_running(self) -> None:
        if not self.running():
            self.start()

    def execute(self, *statements: str) -> list[Any]:
        import psycopg

        results: list[Any] = []
        with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
            for statement in statements:
                cursor = conn.execute(statement)  # type: ignore[arg-type]
                results.append(cursor.fetchall() if cursor.description else None)
        return results

    def reset(self) -> None:
        """Drop the ledger's tables: every test starts from an empty database."""
        self.execute(f"DROP TABLE IF EXISTS {', '.join(LEDGER_TABLES)} CASCADE")

    def destroy(self) -> None:
        try:
            if self.running():
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def close_ledger(app: Flask) -> None:
    ledger = app.extensions["consent"]._ledger
    if ledger is not None:
        ledger.close()


def app_ledger(app: Flask) -> Ledger:
    """The ledger the app records into (built on demand, as the first decision would)."""
    with app.app_context():
        ledger = app.extensions["consent"].ledger
    assert ledger is not None
    return ledger


def same_state(a: ConsentState, b: ConsentState, registry: Registry) -> None:
    """``a`` and ``b`` answer every question alike (the ledger's state and the cookie's)."""
    assert a.consent_id == b.consent_id
    assert a.method == b.method
    assert a.is_decided == b.is_decided
    for vendor in registry.vendors:
        assert a.allows(vendor.id) == b.allows(vendor.id), vendor.id
        assert a.vendor_decision(vendor.id) == b.vendor_decision(vendor.id), vendor.id
    for category in registry.categories:
        assert a.allows_category(category.id) == b.allows_category(category.id), category.id
        assert a.category_decision(category.id) == b.category_decision(category.id), category.id
    assert (a.objections, a.objected_purposes) == (b.objections, b.objected_purposes)


def with_vendor_moved(
    registry: Registry, source: str = "statistics", target: str = "marketing"
) -> tuple[Registry, str]:
    """``registry`` edited so that its first ``source`` vendor now serves ``target``; and that vendor's id."""
    data = registry.model_dump(mode="python")
    moved = next(v for v in data["vendors"] if v["category"] == source)
    moved["category"] = target
    return Registry.model_validate(data), moved["id"]
