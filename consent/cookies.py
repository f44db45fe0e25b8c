"""Which vendors declare a first-party cookie: one lookup table per registry.

Deleting declined vendors' cookies asks this for every cookie a request carries. Exact names are a dict
lookup; wildcard names (``_ga_*``) are compiled once per registry, never per cookie or per request.
"""

from __future__ import annotations

from .registry import Registry, cookie_regex


class DeclaredCookies:
    """First-party cookie names to the mask of the vendors that declare them."""

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
        self.wildcards = tuple((cookie_regex(name), mask) for name, mask in wildcards.items())

    def owners(self, cookie_name: str) -> int:
        """The mask of the vendors that declare ``cookie_name`` (0: none)."""
        mask = self.exact.get(cookie_name, 0)
        for pattern, owners in self.wildcards:
            if pattern.fullmatch(cookie_name):
                mask |= owners
        return mask


def declared_cookies(registry: Registry) -> DeclaredCookies:
    """The registry's table, built on first use and kept with the registry."""
    return registry.derived(DeclaredCookies)
