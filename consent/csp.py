"""A Content-Security-Policy that lists only the hosts of vendors the visitor approved.

Even a template that hard-codes an unapproved tag then cannot load it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping

from .gate import Gate

#: Directives whose sources are extended with the approved vendors' hosts.
GATED_DIRECTIVES = ("script-src", "img-src", "frame-src", "connect-src")


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def host_source(host: str) -> str:
    # "*.example.com" is already a valid host-source; plain hosts are pinned to https.
    return host if host.startswith("*.") else f"https://{host}"


def build_policy(
    gate: Gate,
    nonce: str,
    extra: Mapping[str, Iterable[str]] | None = None,
    report_uri: str | None = None,
) -> str:
    """The header value for one response: ``'self'``, the nonce and approved hosts, plus ``extra``."""
    hosts = [host_source(h) for h in gate.hosts]
    directives: dict[str, list[str]] = {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'", *hosts],
        "style-src": ["'self'", f"'nonce-{nonce}'"],
        "img-src": ["'self'", "data:", *hosts],
        "frame-src": ["'self'", *hosts],
        "connect-src": ["'self'", *hosts],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
    for name, sources in (extra or {}).items():
        directives.setdefault(name, []).extend(s for s in sources if s not in directives.get(name, []))
    if report_uri:
        directives["report-uri"] = [report_uri]
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())
