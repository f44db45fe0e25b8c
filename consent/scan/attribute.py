"""Who is behind a cookie, a storage key or a host: a chain of attributors, first answer wins.

1. :class:`RegistryAttributor`: the site's own registry (host patterns, cookie name patterns, and the
   host of the response or script that set a cookie).
2. A preset catalogue: known vendors shipped with the package. It is a pluggable step (any
   :class:`Attributor`; :class:`CatalogueAttributor` adapts a list of presets); :class:`NoPresets`
   stands in until the catalogue is plugged in.
3. :class:`CookieDatabaseAttributor`: the Open Cookie Database, when the scan was given one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, Protocol
from urllib.parse import urlsplit

from ..registry import Cookie, Registry, Vendor
from ..registry_rules import host_matches
from .cookie_db import CookieDatabase
from .observations import SeenCookie, SeenStorage

Source = Literal["registry", "preset", "cookie-db", "consent-gate"]
#: The names this package's own consent cookie takes (plain, or prefixed when Secure).
CONSENT_COOKIE_NAMES = ("consent", "__Host-consent", "__Secure-consent")
# Open Cookie Database categories that are not optional in the sense of the ePrivacy rules.
_NECESSARY_DB_CATEGORIES = {"security"}
_OPTIONAL_DB_CATEGORIES = {"analytics", "marketing", "personalization", "advertising"}


@dataclass(frozen=True)
class Attribution:
    """Who an observation belongs to, and whether the registry declares it."""

    source: Source
    vendor_id: str | None  # the registry's (or a preset's) vendor id
    name: str  # a readable name of the service
    category: str | None  # a registry category id, or the database's category
    required: bool | None  # None: nothing tells whether it needs consent
    declared: bool  # the registry lists this very cookie, key or host
    how: str  # how it was attributed, for the report
    cookie: Cookie | None = None  # the registry's declaration that matched
    policy_url: str | None = None
    retention: str | None = None
    #: Other vendors that declare the same host (a shared host such as www.google.com).
    alternatives: tuple[Attribution, ...] = ()

    @property
    def candidates(self) -> tuple[Attribution, ...]:
        return (self, *self.alternatives)


class Attributor(Protocol):
    """One step of the chain; every method answers ``None`` when it does not know."""

    def cookie(self, cookie: SeenCookie, site_host: str) -> Attribution | None: ...

    def storage(self, item: SeenStorage) -> Attribution | None: ...

    def host(self, host: str, url: str, initiator: str | None) -> Attribution | None:
        """Who a request to ``host`` (for ``url``, caused by the script or page ``initiator``) is for."""
        ...


class Described(Protocol):
    """What the chain needs of a known service outside the registry (a preset of the catalogue)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def policy_url(self) -> str: ...
    @property
    def hosts(self) -> tuple[str, ...]: ...
    @property
    def cookies(self) -> tuple[Cookie, ...]: ...
    @property
    def required_reason(self) -> str | None: ...


@dataclass(frozen=True)
class CatalogueAttributor:
    """The preset step over any catalogue of known services: what they set is named, never declared
    (the site has not listed them). Services strictly necessary by nature carry a ``required_reason``."""

    entries: tuple[Described, ...]

    def cookie(self, cookie: SeenCookie, site_host: str) -> Attribution | None:
        return self._named(cookie.name)

    def storage(self, item: SeenStorage) -> Attribution | None:
        return self._named(item.key)

    def host(self, host: str, url: str, initiator: str | None) -> Attribution | None:
        for entry in self.entries:
            if any(host_matches(pattern, host) for pattern in entry.hosts):
                return self._of(entry, f"preset {entry.id!r}: one of its hosts")
        return None

    def _named(self, name: str) -> Attribution | None:
        for entry in self.entries:
            for known in entry.cookies:
                if known.matches(name):
                    return self._of(entry, f"preset {entry.id!r}: name matches {known.name!r}", known)
        return None

    def _of(self, entry: Described, how: str, cookie: Cookie | None = None) -> Attribution:
        required = entry.required_reason is not None
        return Attribution(
            "preset", entry.id, entry.name, entry.category, required, False, how, cookie, entry.policy_url
        )


class NoPresets:
    """The preset step before a catalogue is plugged in: it knows nothing."""

    def cookie(self, cookie: SeenCookie, site_host: str) -> Attribution | None:
        return None

    def storage(self, item: SeenStorage) -> Attribution | None:
        return None

    def host(self, host: str, url: str, initiator: str | None) -> Attribution | None:
        return None


@dataclass(frozen=True)
class RegistryAttributor:
    registry: Registry
    consent_cookie_names: Sequence[str] = CONSENT_COOKIE_NAMES

    def cookie(self, cookie: SeenCookie, site_host: str) -> Attribution | None:
        if cookie.name in self.consent_cookie_names and _same_site(cookie.host, site_host):
            return Attribution(
                "consent-gate", None, "consent-gate", None, True, True, "this package's consent cookie"
            )
        matches = [(v, c) for v in self.registry.vendors for c in v.cookies if c.matches(cookie.name)]
        if matches:
            # Several vendors may declare the same pattern: prefer the one whose domain fits.
            vendor, declared = min(matches, key=lambda m: _domain_rank(m[0], m[1], cookie.host, site_host))
            return self._of(vendor, True, f"name matches {declared.name!r}", declared)
        return self._by_host((_host(cookie.set_by), "set by"), (cookie.host, "domain"))

    def storage(self, item: SeenStorage) -> Attribution | None:
        for vendor in self.registry.vendors:
            for declared in vendor.cookies:
                if declared.matches(item.key):
                    return self._of(vendor, True, f"key matches {declared.name!r}", declared)
        return self._by_host((_host(item.set_by), "written by a script from"), (item.host, "origin"))

    def _by_host(self, *clues: tuple[str | None, str]) -> Attribution | None:
        """An undeclared item of the vendor owning the first host among ``clues`` that one owns."""
        for host, how in clues:
            owner = self._vendor_for(host)
            if owner is not None:
                return self._of(owner, False, f"{how} {host}, one of its hosts")
        return None

    def host(self, host: str, url: str, initiator: str | None) -> Attribution | None:
        # The exact tag the gate rendered (or the script that made the request) names the vendor even
        # on a host that several vendors share.
        for address, how in ((url, "its tag"), (initiator, "requested by its script")):
            vendor = self._tagged(address)
            if vendor is not None:
                return self._of(vendor, vendor.covers_host(host), f"{how} ({_short(address)})")
        vendors = self.registry.vendors_for_host(host)
        if not vendors:
            return None
        found = [self._of(v, True, "listed among its hosts") for v in vendors]
        return replace(found[0], alternatives=tuple(found[1:]))

    def _tagged(self, url: str | None) -> Vendor | None:
        if not url:
            return None
        for vendor in self.registry.vendors:
            sources = [t.src for t in vendor.scripts if t.src] + [p.src for p in vendor.pixels]
            if url in sources or any(url.startswith(e.src.split("{")[0]) for e in vendor.embeds):
                return vendor
        return None

    def _vendor_for(self, host: str | None) -> Vendor | None:
        if not host:
            return None
        return next(iter(self.registry.vendors_for_host(host)), None)

    def _of(self, vendor: Vendor, declared: bool, how: str, cookie: Cookie | None = None) -> Attribution:
        return Attribution(
            "registry",
            vendor.id,
            vendor.name,
            vendor.category,
            self.registry.is_required(vendor),
            declared,
            how,
            cookie,
            vendor.policy_url,
        )


@dataclass(frozen=True)
class CookieDatabaseAttributor:
    database: CookieDatabase

    def cookie(self, cookie: SeenCookie, site_host: str) -> Attribution | None:
        return self._lookup(cookie.name)

    def storage(self, item: SeenStorage) -> Attribution | None:
        return self._lookup(item.key)

    def host(self, host: str, url: str, initiator: str | None) -> Attribution | None:
        return None

    def _lookup(self, name: str) -> Attribution | None:
        known = self.database.lookup(name)
        if known is None:
            return None
        category = known.category.lower()
        required = True if category in _NECESSARY_DB_CATEGORIES else None
        if category in _OPTIONAL_DB_CATEGORIES:
            required = False
        return Attribution(
            "cookie-db",
            None,
            known.platform or known.controller or name,
            known.category,
            required,
            False,
            f"Open Cookie Database: {known.platform} ({known.category}){' prefix' if known.wildcard else ''}",
            policy_url=known.privacy_url or None,
            retention=known.retention or None,
        )


@dataclass(frozen=True)
class AttributionChain:
    """The attributors in order; the first that knows answers."""

    steps: tuple[Attributor, ...]

    def cookie(self, cookie: SeenCookie, site_host: str) -> Attribution | None:
        return next((a for step in self.steps if (a := step.cookie(cookie, site_host)) is not None), None)

    def storage(self, item: SeenStorage) -> Attribution | None:
        return next((a for step in self.steps if (a := step.storage(item)) is not None), None)

    def host(self, host: str, url: str, initiator: str | None) -> Attribution | None:
        return next((a for step in self.steps if (a := step.host(host, url, initiator)) is not None), None)


def attribution_chain(
    registry: Registry | None,
    presets: Attributor | None = None,
    cookie_db: CookieDatabase | None = None,
) -> AttributionChain:
    """Registry vendor, then preset catalogue, then Open Cookie Database."""
    steps: list[Attributor] = []
    if registry is not None:
        steps.append(RegistryAttributor(registry))
    steps.append(presets if presets is not None else NoPresets())
    if cookie_db is not None:
        steps.append(CookieDatabaseAttributor(cookie_db))
    return AttributionChain(tuple(steps))


def _short(url: str | None) -> str:
    return (url or "")[:80]


def _host(url: str | None) -> str | None:
    return (urlsplit(url).hostname or None) if url else None


def _same_site(cookie_host: str, site_host: str) -> bool:
    return (
        cookie_host == site_host
        or site_host.endswith("." + cookie_host)
        or cookie_host.endswith("." + site_host)
    )


def _domain_rank(vendor: Vendor, declared: Cookie, cookie_host: str, site_host: str) -> int:
    if declared.domain and (cookie_host == declared.domain or cookie_host.endswith("." + declared.domain)):
        return 0
    if vendor.covers_host(cookie_host):
        return 1
    if declared.party == "first" and _same_site(cookie_host, site_host):
        return 2
    return 3
