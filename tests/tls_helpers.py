"""A throwaway self-signed TLS certificate for the tests' local HTTPS fakes (made with openssl)."""

from __future__ import annotations

import subprocess
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
