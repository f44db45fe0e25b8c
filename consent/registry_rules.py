"""The registry's primitive rules, shared by its models and by the checks across its fields: what a
host pattern matches, the key a category is stored under in the cookie, which URLs are accepted."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit


def https_url(value: str) -> str:
    """Accept only absolute ``https://`` URLs with a host (policy links, script sources)."""
    parts = urlsplit(value)
    if parts.scheme != "https":
        raise ValueError(f"must be an https:// URL, got {value!r}")
    if not parts.hostname or " " in value:
        raise ValueError(f"is not a well-formed URL: {value!r}")
    return value


def host_matches(pattern: str, host: str) -> bool:
    """Whether ``host`` is ``pattern`` or, for ``*.example.com``, a subdomain of it."""
    host = host.lower()
    if pattern.startswith("*."):
        base = pattern[2:]
        return host == base or host.endswith("." + base)
    return host == pattern


def category_key(category_id: str) -> int:
    """The two bytes a category is stored under in the consent cookie (a hash of its id)."""
    return int.from_bytes(hashlib.blake2s(category_id.encode(), digest_size=2).digest(), "big")


__all__ = ["category_key", "host_matches", "https_url"]
