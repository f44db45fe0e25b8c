"""The tests' local HTTPS fakes: a throwaway self-signed certificate (made with openssl), and a server
that speaks TLS with it on a thread of its own."""

from __future__ import annotations

import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import HTTPServer
from pathlib import Path


def self_signed_certificate(folder: Path, common_name: str) -> tuple[Path, Path]:
    """``(certificate, key)`` files in ``folder``, valid for two days (the browsers under test are
    told to accept any certificate, or reach the fake through a host map)."""
    cert, key = folder / "fake.crt", folder / "fake.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", f"/CN={common_name}", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@contextmanager
def serving_over_tls(server: HTTPServer, folder: Path, common_name: str) -> Iterator[None]:
    """``server`` answering over TLS (a fresh certificate in ``folder``) while the block runs."""
    cert, key = self_signed_certificate(folder, common_name)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, name=f"fake-{common_name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
