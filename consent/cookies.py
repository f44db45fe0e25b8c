"""Which vendors declare a first-party cookie: one lookup table per registry.

Deleting declined vendors' cookies asks this for every cookie a request carries. Exact names are a dict
lookup; wildcard names (``_ga_*``) are compiled once per registry, never per cookie or per request.
"""

from __future__ import annotations

import re

from .registry import Registry, cookie_regex


class DeclaredCookies:
    """First-party cookie names to the mask of the vendors that declare them.

    Wildcard names are indexed by their literal prefix (``_ga_`` for ``_ga_*``): a cookie is matched only
    against the patterns whose prefix it starts with, found by one dict lookup per distinct prefix
    length, so the work per cookie does not grow with the registry's patterns.
    """

    def __init__(self, registry: Registry) -> None:
        exact: dict[str, int] = {}
        wildcards: dict[str, int] = {}
        bits = registry.vendor_bits
        for vendor in registry.vendors:
            for cookie in vendor.cookies:
                if cookie.party != "first":
                    continue
                target = wildcards if "*" in cookie.name else exact
                target[cookie.name] = target.get(cookie.name, 0) | bits[vendor.id]
        self.exact = exact
        by_prefix: dict[str, list[tuple[re.Pattern[str], int]]] = {}
        for name, mask in wildcards.items():
            by_prefix.setdefault(name.split("*", 1)[0], []).append((cookie_regex(name), mask))
        self.by_prefix = {prefix: tuple(found) for prefix, found in by_prefix.items()}
        self.prefix_lengths = tuple(sorted({len(prefix) for prefix in by_prefix}))

    def owners(self, cookie_name: str) -> int:
        """The mask of the vendors that declare ``cookie_name`` (0: none)."""
        mask = self.exact.get(cookie_name, 0)
        by_prefix = self.by_prefix
        for length in self.prefix_lengths:
            if length > len(cookie_name):
                break
            for pattern, owners in by_prefix.get(cookie_name[:length], ()):
                if pattern.fullmatch(cookie_name):
                    mask |= owners
        return mask


def declared_cookies(registry: Registry) -> DeclaredCookies:
    """The registry's table, built on first use and kept with the registry."""
    return registry.derived(DeclaredCookies)
