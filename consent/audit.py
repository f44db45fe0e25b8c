"""Audit a vendor registry: what a privacy officer reads, and what a CI job fails on.

:func:`audit` never raises on a loaded registry; it returns an :class:`AuditReport` holding the
registry (for the per-category listing) and a list of :class:`Finding` sorted worst first;
:mod:`consent.audit_render` turns a report into plain text, JSON or Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeVar
from urllib.parse import urlsplit

from ._bulk import without_collector_pauses
from .csp import serves_arbitrary_code, url_host
from .inline_urls import inline_urls
from .lifetimes import describe_lifetime
from .own_cookie import consent_cookie
from .registry import Category, ConsentModeType, Cookie, Registry, Vendor, duration_seconds
from .registry_texts import untranslated_locales

#: The CNIL (and most EU regulators) expect consent cookies to live no longer than 13 months.
THIRTEEN_MONTHS = duration_seconds("13mo") or 0
#: Chrome caps every cookie at 400 days; a longer declared lifetime is simply false.
FOUR_HUNDRED_DAYS = 400 * 86400

_AD_WORDS = re.compile(r"\b(?:marketing|advertising|advertisement|ads?)\b")
_AD_MODES = frozenset(
    {ConsentModeType.AD_STORAGE, ConsentModeType.AD_USER_DATA, ConsentModeType.AD_PERSONALIZATION}
)


class Severity(StrEnum):
    """How bad a finding is; compares by weight (info < warning < error), not alphabetically."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    # StrEnum would compare the strings ("error" < "info"), which is the wrong order.
    def __lt__(self, other: object) -> bool:
        return self.rank < _rank(other)

    def __le__(self, other: object) -> bool:
        return self.rank <= _rank(other)

    def __gt__(self, other: object) -> bool:
        return self.rank > _rank(other)

    def __ge__(self, other: object) -> bool:
        return self.rank >= _rank(other)


_RANKS = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


def _rank(other: object) -> int:
    if isinstance(other, str):
        return _RANKS[Severity(other)]
    raise TypeError(f"cannot compare a severity with {type(other).__name__}")


@dataclass(frozen=True)
class Finding:
    """One thing worth a look; ``code`` is a stable slug that tooling may match on."""

    severity: Severity
    code: str
    vendor: str | None
    message: str

    def __str__(self) -> str:
        where = f" [{self.vendor}]" if self.vendor else ""
        return f"{self.severity.upper()} {self.code}{where}: {self.message}"


class _Graded(Protocol):
    @property
    def severity(self) -> Severity: ...


GradedT = TypeVar("GradedT", bound=_Graded)


class SeverityTally(Generic[GradedT]):
    """What every report with severities answers (``consent audit``, ``consent scan``)."""

    findings: tuple[GradedT, ...]

    @property
    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def at_least(self, severity: Severity | str) -> tuple[GradedT, ...]:
        """Findings at or above ``severity``."""
        floor = Severity(severity)
        return tuple(f for f in self.findings if f.severity >= floor)

    def severity_counts(self) -> dict[str, int]:
        return {s.value: sum(1 for f in self.findings if f.severity is s) for s in reversed(Severity)}


@dataclass(frozen=True)
class AuditReport(SeverityTally[Finding]):
    """The audited registry and every finding about it, worst first."""

    registry: Registry
    findings: tuple[Finding, ...]
    #: The consent cookie itself, declared like a vendor's (strictly necessary, set by the site).
    own_cookie: Cookie | None = None

    def counts(self) -> dict[str, int]:
        """Vendors per category id, in category order."""
        return {c.id: len(self.registry.vendors_in(c.id)) for c in self.registry.ordered_categories()}


def audit(
    registry: Registry, offered_locales: Iterable[str] = (), *, own_cookie: Cookie | None = None
) -> AuditReport:
    """Check ``registry`` for what validation cannot reject but a privacy review would question.

    ``own_cookie`` is the consent cookie's declaration for the site's settings
    (:func:`consent.own_cookie.consent_cookie`); the defaults' (``__Host-consent``, 400 days) when omitted.

    ``offered_locales`` are the languages the site offers visitors (``CONSENT_LOCALES``): those the
    registry does not translate are listed, since their visitors read its texts in the default locale.
    """
    with without_collector_pauses():
        findings = [
            *_check_site(registry),
            *_check_categories(registry),
            *_check_vendors(registry),
            *_check_shared_hosts(registry),
            *_check_translations(registry),
            *_check_offered_locales(registry, offered_locales),
            *_check_presets(registry),
            *_check_inline_urls(registry),
        ]
    # Stable sort: within one severity the findings keep registry order, which reads naturally.
    findings.sort(key=lambda f: f.severity.rank, reverse=True)
    return AuditReport(registry, tuple(findings), own_cookie or consent_cookie())


# -- checks -------------------------------------------------------------------------------------------


def _check_site(registry: Registry) -> Iterator[Finding]:
    if not registry.privacy_policy_url:
        yield Finding(
            Severity.INFO,
            "site-policy-missing",
            None,
            "the registry names no privacy_policy_url: the banner cannot link to the site's own policy",
        )


def _check_categories(registry: Registry) -> Iterator[Finding]:
    for category in registry.ordered_categories():
        if category.required and not registry.vendors_in(category.id):
            yield Finding(
                Severity.INFO,
                "required-category-empty",
                None,
                f"required category {category.id!r} has no vendors",
            )


def _check_vendors(registry: Registry) -> Iterator[Finding]:
    site = _site_domain(registry)
    for vendor in registry.vendors:
        category = registry.category(vendor.category)
        yield from _check_policy(vendor)
        for cookie in vendor.cookies:
            yield from _check_cookie(vendor, cookie)
        if category.required:
            yield from _check_required(vendor, category, site)
        yield from _check_script_hosts(vendor)
        if not vendor.hosts:
            if _first_party_only(vendor):
                yield Finding(
                    Severity.INFO,
                    "vendor-without-hosts",
                    vendor.id,
                    f"{vendor.name} lists no hosts; it sets only first-party cookies and loads nothing",
                )
            else:
                yield Finding(
                    Severity.WARNING,
                    "vendor-without-hosts",
                    vendor.id,
                    f"{vendor.name} lists no hosts: the gate and a scanner cannot check them",
                )


def _check_script_hosts(vendor: Vendor) -> Iterator[Finding]:
    """A script from a host where anyone can publish code puts that host in the CSP's ``script-src``."""
    for host in dict.fromkeys(url_host(s.src) for s in vendor.scripts if s.src):
        shared = serves_arbitrary_code(host) if host else None
        if shared:
            yield Finding(
                Severity.WARNING,
                "csp-arbitrary-code-host",
                vendor.id,
                f"{vendor.name} loads a script from {host} ({shared}), where anyone can publish code: "
                "allowing it in the Content-Security-Policy allows their scripts too; self-host the "
                "file or load it from the vendor's own host",
            )


def _check_policy(vendor: Vendor) -> Iterator[Finding]:
    # The model already insists on https; kept so that a registry built another way is still checked.
    if not vendor.policy_url.strip():
        yield Finding(
            Severity.ERROR, "policy-missing", vendor.id, f"{vendor.name} has no privacy policy link"
        )
    elif urlsplit(vendor.policy_url).scheme != "https":
        yield Finding(
            Severity.ERROR,
            "policy-not-https",
            vendor.id,
            f"{vendor.name}'s privacy policy link is not https: {vendor.policy_url}",
        )


def _check_cookie(vendor: Vendor, cookie: Cookie) -> Iterator[Finding]:
    if cookie.lifetime is None:
        yield Finding(
            Severity.WARNING,
            "cookie-lifetime-missing",
            vendor.id,
            f"cookie {cookie.name!r} of {vendor.name} declares no lifetime",
        )
        return
    seconds = cookie.lifetime_seconds
    if seconds is None:  # a session cookie
        return
    if seconds > FOUR_HUNDRED_DAYS:
        yield Finding(
            Severity.ERROR,
            "cookie-lifetime-over-400-days",
            vendor.id,
            f"cookie {cookie.name!r} of {vendor.name} claims {describe_lifetime(cookie.lifetime)}: "
            "browsers cap cookies at 400 days, so the declaration is wrong",
        )
    elif seconds > THIRTEEN_MONTHS:
        yield Finding(
            Severity.WARNING,
            "cookie-lifetime-over-13-months",
            vendor.id,
            f"cookie {cookie.name!r} of {vendor.name} lives {describe_lifetime(cookie.lifetime)}, "
            "longer than the 13 months regulators (CNIL) accept",
        )


def _check_required(vendor: Vendor, category: Category, site: str | None) -> Iterator[Finding]:
    reasons = []
    if _AD_WORDS.search(category.id.replace("-", " ")) or _AD_WORDS.search(category.title.lower()):
        reasons.append(f"its category {category.id!r} is about advertising")
    if vendor.sale_share:
        reasons.append("it sells or shares personal data")
    ad_modes = sorted(m.value for m in _AD_MODES.intersection((*vendor.consent_mode, *category.consent_mode)))
    if ad_modes:
        reasons.append(f"it uses consent mode {', '.join(ad_modes)}")
    if reasons:
        yield Finding(
            Severity.ERROR,
            "marketing-in-required",
            vendor.id,
            f"{vendor.name} is in required category {category.id!r} but {'; '.join(reasons)}: "
            "advertising is never strictly necessary",
        )
    for script in vendor.scripts:
        host = urlsplit(script.src).hostname if script.src else None
        # A script limited to the pages that need it (a payment form's) loads before consent only there.
        if host and not _same_site(host, site) and not script.paths:
            yield Finding(
                Severity.WARNING,
                "required-third-party-script",
                vendor.id,
                f"{vendor.name} is required, so its script from {host} loads before any consent",
            )


def _check_inline_urls(registry: Registry) -> Iterator[Finding]:
    # URLs the text decides are checked at load (registry_checks.semantic_problems); these it cannot decide.
    for vendor in registry.vendors:
        for index, script in enumerate(vendor.scripts):
            for url in inline_urls(script.inline or ""):
                if url.host is None:
                    yield Finding(
                        Severity.WARNING,
                        "inline-url-unchecked",
                        vendor.id,
                        f"inline script {index} of {vendor.name} builds a URL ({url.text!r}) whose host "
                        f"cannot be checked against its hosts: {url.reason}",
                    )


def _check_shared_hosts(registry: Registry) -> Iterator[Finding]:
    # One finding per host listing every claimant, then one per pair whose wildcards overlap.
    claimants: dict[str, list[Vendor]] = {}
    for vendor in registry.vendors:
        for pattern in dict.fromkeys(vendor.hosts):
            claimants.setdefault(pattern, []).append(vendor)
    reported: set[frozenset[str]] = set()
    for pattern, vendors in claimants.items():
        if len(vendors) > 1:
            ids = [v.id for v in vendors]
            reported.update(frozenset(pair) for pair in _pairs(ids))
            yield Finding(
                Severity.WARNING,
                "host-claimed-twice",
                ids[0],
                f"host {pattern} is claimed by {_and(ids)}: a request to it cannot be told apart",
            )
    # A wildcard overlaps what lies under its base: look each pattern's parent domains up as wildcards
    # (a few lookups per pattern, where comparing every pair grew with the square of the registry).
    for second in claimants:
        labels = second.removeprefix("*.").split(".")
        for i in range(len(labels) - 1):
            first = "*." + ".".join(labels[i:])
            if first == second or first not in claimants:
                continue
            for a in claimants[first]:
                for b in claimants[second]:
                    if a.id != b.id and frozenset((a.id, b.id)) not in reported:
                        reported.add(frozenset((a.id, b.id)))
                        yield Finding(
                            Severity.WARNING,
                            "host-claimed-twice",
                            a.id,
                            f"hosts {first} and {second} overlap, claimed by {a.id!r} and {b.id!r}: "
                            "a request to them cannot be told apart",
                        )


def _check_presets(registry: Registry) -> Iterator[Finding]:
    """Hosts or cookies the preset of the same service lists and the vendor does not (consent.presets)."""
    from .presets.compare import preset_gaps

    for gap in preset_gaps(registry):
        severity = Severity.WARNING if gap.matched_by == "preset" else Severity.INFO
        vendor = registry.vendor(gap.vendor)
        yield Finding(severity, "preset-differs", vendor.id, gap.message(vendor.name))


def _pairs(items: list[str]) -> Iterator[tuple[str, str]]:
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            yield a, b


def _and(ids: list[str]) -> str:
    quoted = [repr(i) for i in ids]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def _check_translations(registry: Registry) -> Iterator[Finding]:
    for locale in registry.locales:
        if locale == registry.default_locale:
            continue
        missing = list(_untranslated(registry, locale))
        if missing:
            yield Finding(
                Severity.WARNING,
                "translation-missing",
                None,
                f"locale {locale!r} lacks {len(missing)} text{'s' if len(missing) != 1 else ''}: "
                + ", ".join(missing),
            )


def _check_offered_locales(registry: Registry, offered: Iterable[str]) -> Iterator[Finding]:
    fallback = untranslated_locales(registry, offered)
    if fallback:
        yield Finding(
            Severity.INFO,
            "locale-falls-back",
            None,
            f"visitors reading {', '.join(fallback)} get the widget in their language but the registry's "
            f"texts in {registry.default_locale!r}: translate them with 'consent i18n extract'",
        )


def _untranslated(registry: Registry, locale: str) -> Iterator[str]:
    """Dotted names of visible texts with no translation, looked up the way ``localized`` does."""
    base = locale.replace("_", "-").split("-")[0]
    texts = registry.translations.get(locale) or registry.translations.get(base)

    def needs(value: str | None, translated: str | None) -> bool:
        # Only texts that exist in the default locale need a translation.
        return bool(value and value.strip()) and not (translated and translated.strip())

    if needs(registry.notice, texts.notice if texts else None):
        yield "notice"
    for category in registry.ordered_categories():
        ctext = texts.categories.get(category.id) if texts else None
        for field in ("title", "description", *(("justification",) if category.required else ())):
            if needs(getattr(category, field), getattr(ctext, field, None)):
                yield f"categories.{category.id}.{field}"
    for vendor in registry.vendors:
        vtext = texts.vendors.get(vendor.id) if texts else None
        for field in ("description", "without_consent"):
            if needs(getattr(vendor, field), getattr(vtext, field, None)):
                yield f"vendors.{vendor.id}.{field}"


# -- helpers ------------------------------------------------------------------------------------------


def _first_party_only(vendor: Vendor) -> bool:
    return (
        all(c.party == "first" for c in vendor.cookies)
        and not vendor.scripts
        and not vendor.pixels
        and not vendor.embeds
    )


def _site_domain(registry: Registry) -> str | None:
    """The site's own domain, guessed from its privacy policy link (the last two labels)."""
    host = urlsplit(registry.privacy_policy_url or "").hostname
    return ".".join(host.split(".")[-2:]) if host else None


def _same_site(host: str, site: str | None) -> bool:
    return site is not None and (host == site or host.endswith("." + site))
