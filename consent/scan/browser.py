"""Launching Debian's Chromium for a scan, with optional host mapping for tests and staging sites.

A host map (``tracker.test=127.0.0.1:8443``, or ``*=127.0.0.1:8443`` for every host but loopback) is
passed to Chromium as ``--host-resolver-rules``: the browser still believes it talks to the real name,
so cookies are stored for that domain exactly as the real service's would be. Mapped hosts usually
serve a self-signed certificate, so a host map also makes the browser accept any certificate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from ..errors import ScanError

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
AGENT = "consent-gate-scanner"


def parse_host_map(entries: Iterable[str]) -> dict[str, str]:
    """``["host=127.0.0.1:8443", ...]`` as a mapping; every malformed entry is named in one error."""
    mapping: dict[str, str] = {}
    bad = []
    for entry in entries:
        host, sep, target = entry.partition("=")
        host, target = host.strip().lower(), target.strip()
        if not sep or not host or not target or " " in host or "," in target:
            bad.append(entry)
            continue
        mapping[host] = target
    if bad:
        raise ScanError("--host-map", "expected HOST=ADDRESS[:PORT], got " + ", ".join(map(repr, bad)))
    return mapping


def resolver_rules(host_map: Mapping[str, str]) -> str:
    """The ``--host-resolver-rules`` value for ``host_map``; loopback itself is never remapped."""
    rules = [f"MAP {host} {target}" for host, target in host_map.items()]
    if rules:
        rules += ["EXCLUDE localhost", "EXCLUDE 127.0.0.1"]
    return ", ".join(rules)


def launch_args(host_map: Mapping[str, str]) -> list[str]:
    args = list(CHROMIUM_ARGS)
    if host_map:
        args += [f"--host-resolver-rules={resolver_rules(host_map)}", "--ignore-certificate-errors"]
    return args


def user_agent(browser_version: str, scanner_version: str) -> str:
    """A Chrome user agent that says who is visiting."""
    return (
        f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{browser_version} Safari/537.36 {AGENT}/{scanner_version}"
    )


def executable(path: Path = CHROMIUM) -> str:
    if not path.exists():
        raise ScanError(str(path), "Chromium is missing: install it with `apt-get install chromium`")
    return str(path)
