"""From what the browser saw to findings: violations, undeclared, stale, lifetimes, contradictions.

Severities reuse the audit's: ``error`` for violations (something that needs consent happened without
it), ``warning`` for a registry that does not describe the site (undeclared, stale, longer lifetime,
contradicting attributes, a state the scanner could not reach).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import urlsplit

from ..audit import Severity, SeverityTally
from ..registry import Registry
from .attribute import Attribution, AttributionChain
from .observations import ScanRun, SeenCookie, SeenRequest, SeenStorage, StateVisit
from .states import ACCEPT, BEFORE, REJECT, ConsentState

Kind = Literal["cookie", "storage", "host", "vendor", "state"]
_VIOLATION_CODES = {BEFORE: "before-consent", REJECT: "after-reject"}
_CATEGORY_WORDS = {
    "analytics": ("statistic", "analytic", "measure", "performance"),
    "statistics": ("statistic", "analytic", "measure", "performance"),
    "marketing": ("marketing", "advertis", "ads", "targeting"),
    "functional": ("functional", "feature", "preference"),
    "personalization": ("personali", "preference", "functional"),
}
# How much longer than declared a cookie may live before it is a finding (clock skew, rounding).
_LIFETIME_SLACK = 0.02


@dataclass(frozen=True)
class SuggestedCookie:
    name: str
    party: Literal["first", "third"]
    lifetime: str
    domain: str | None = None
    purpose: str = ""


@dataclass(frozen=True)
class Suggestion:
    """A registry entry the scan proposes: new hosts/cookies for a vendor, or a whole new vendor."""

    vendor_id: str
    new_vendor: bool
    name: str
    category: str | None  # never a required category; None when the registry has no optional one
    policy_url: str | None
    hosts: tuple[str, ...] = ()
    cookies: tuple[SuggestedCookie, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    kind: Kind
    subject: str
    message: str
    vendor: str | None = None
    states: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    suggestion: Suggestion | None = None

    def __str__(self) -> str:
        where = f" [{self.vendor}]" if self.vendor else ""
        return f"{self.severity.upper()} {self.code}{where}: {self.message}"


@dataclass(frozen=True)
class Row:
    """One observation in a state's table of the report."""

    kind: Kind
    name: str
    where: str
    time: float
    attribution: Attribution | None
    verdict: str  # "ok", "violation", "undeclared", "unknown"
    detail: str = ""


@dataclass
class ScanReport(SeverityTally[Finding]):
    run: ScanRun
    registry_name: str | None
    findings: tuple[Finding, ...]
    rows: dict[tuple[str, str], list[Row]]  # (page, state) -> rows
    unseen_required: tuple[str, ...] = ()  # required vendors never observed (server-side, sign-in...)

    def suggestions(self) -> list[Suggestion]:
        """Every suggested entry, merged per vendor."""
        merged: dict[str, Suggestion] = {}
        for finding in self.findings:
            s = finding.suggestion
            if s is None:
                continue
            old = merged.get(s.vendor_id)
            if old is None:
                merged[s.vendor_id] = s
                continue
            cookies = old.cookies + tuple(c for c in s.cookies if c.name not in {o.name for o in old.cookies})
            hosts = old.hosts + tuple(h for h in s.hosts if h not in old.hosts)
            merged[s.vendor_id] = replace(old, hosts=hosts, cookies=cookies)
        return list(merged.values())


@dataclass
class _Collect:
    """Findings keyed by what they are about, so that one problem seen on many pages is one finding."""

    found: dict[tuple[str, ...], Finding] = field(default_factory=dict)

    def add(self, key: tuple[str, ...], finding: Finding, page: str, state: str) -> None:
        old = self.found.get(key, finding)
        pages = old.pages + ((page,) if page not in old.pages else ())
        states = old.states + ((state,) if state not in old.states else ())
        self.found[key] = replace(old, pages=pages, states=states)


def analyse(run: ScanRun, registry: Registry | None, chain: AttributionChain) -> ScanReport:
    site_host = (urlsplit(run.origin).hostname or "").lower()
    collect = _Collect()
    rows: dict[tuple[str, str], list[Row]] = {}
    seen_vendors: set[str] = set()
    accept_reached = False
    for visit in run.visits:
        state = ConsentState(visit.state)
        if visit.problem:
            collect.add(
                ("state", visit.state),
                Finding(
                    Severity.WARNING,
                    "state-unreached",
                    "state",
                    visit.state,
                    f"could not scan {state.label}: {visit.problem}",
                ),
                visit.page,
                visit.state,
            )
            if visit.state != BEFORE:
                continue
        accept_reached |= visit.state == ACCEPT
        checker = _Checker(registry, chain, site_host, state, visit, collect, seen_vendors)
        rows[(visit.page, visit.state)] = checker.rows()
    if registry is not None and accept_reached:
        for vendor in registry.optional_vendors():
            # A vendor that declares nothing a browser could see (a server-side service) is never stale.
            visible = vendor.hosts or vendor.cookies or vendor.scripts or vendor.pixels or vendor.embeds
            if visible and vendor.id not in seen_vendors:
                collect.add(
                    ("stale", vendor.id),
                    Finding(
                        Severity.WARNING,
                        "stale-vendor",
                        "vendor",
                        vendor.id,
                        f"{vendor.name} is declared but none of its hosts or cookies was seen, even after "
                        "Accept all: remove it if the site no longer uses it",
                        vendor.id,
                    ),
                    run.pages[0] if run.pages else run.start_url,
                    ACCEPT,
                )
    unseen_required: tuple[str, ...] = ()
    if registry is not None:
        unseen_required = tuple(
            v.id for v in registry.vendors if registry.is_required(v) and v.id not in seen_vendors
        )
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    findings = sorted(collect.found.values(), key=lambda f: (order[f.severity], f.code, f.subject))
    return ScanReport(run, registry.name if registry else None, tuple(findings), rows, unseen_required)


@dataclass
class _Checker:
    registry: Registry | None
    chain: AttributionChain
    site_host: str
    state: ConsentState
    visit: StateVisit
    collect: _Collect
    seen_vendors: set[str]

    def rows(self) -> list[Row]:
        rows = [
            *(self._cookie(c) for c in self.visit.cookies if c.after_choice),
            *(self._storage(s) for s in self.visit.storage if s.after_choice),
            *self._requests([r for r in self.visit.requests if r.after_choice]),
        ]
        return sorted(rows, key=lambda r: r.time)

    def _add(self, key: tuple[str, ...], finding: Finding) -> None:
        self.collect.add(key, finding, self.visit.page, self.visit.state)

    def _seen(self, attribution: Attribution | None) -> None:
        """Credit the vendor (of a shared host: every one this state allows) with being seen."""
        if attribution is None or not attribution.declared:
            return
        allowed = [a for a in attribution.candidates if self._allowed(a)] or [attribution]
        self.seen_vendors.update(a.vendor_id for a in allowed if a.vendor_id)

    def _category(self, found: Attribution) -> str | None:
        """The registry category an attribution falls in: its own, or the closest optional one."""
        if found.source == "registry" or (
            self.registry is not None and found.category and self.registry.get_category(found.category)
        ):
            return found.category
        return suggest_category(self.registry, found.category)

    def _allowed(self, found: Attribution) -> bool:
        if found.required is not False:
            return True
        category = self._category(found)
        if category is None or self.registry is None:
            return self.state.name == ACCEPT
        known = self.registry.get_category(category)
        return self.state.allows(category, known is not None and known.required)

    # -- cookies -------------------------------------------------------------------------------------

    def _cookie(self, cookie: SeenCookie) -> Row:
        found = self.chain.cookie(cookie, self.site_host)
        self._seen(found)
        subject = f"{cookie.name} ({cookie.host})"
        third = not _same_site(cookie.host, self.site_host)
        verdict = self._judge("cookie", subject, found, f"cookie {cookie.name} on {cookie.host}")
        if found is None or not found.declared:
            lifetime = _lifetime_text(cookie.lifetime_seconds)
            suggested = SuggestedCookie(
                cookie.name,
                "third" if third else "first",
                lifetime,
                cookie.host if third else None,
                _purpose(found),
            )
            suggestion = self._suggest(found, cookie.host, cookies=(suggested,))
            self._add(
                ("undeclared-cookie", cookie.name, cookie.host),
                Finding(
                    Severity.WARNING,
                    "undeclared-cookie",
                    "cookie",
                    subject,
                    f"cookie {cookie.name} on {cookie.host} ({lifetime}) is not in the registry"
                    + (f"; {found.name} by {found.how}" if found else ""),
                    found.vendor_id if found else None,
                    suggestion=suggestion,
                ),
            )
            verdict = "undeclared" if verdict == "ok" else verdict
        elif found.cookie is not None:
            self._check_declaration(cookie, found, subject, third)
        return Row(
            "cookie",
            cookie.name,
            cookie.domain,
            cookie.time,
            found,
            verdict,
            (f"{cookie.set_via}: {cookie.set_by}" if cookie.set_by else "")
            + (f" (refused by the scanning browser: {cookie.blocked})" if cookie.blocked else ""),
        )

    def _check_declaration(self, cookie: SeenCookie, found: Attribution, subject: str, third: bool) -> None:
        declared = found.cookie
        assert declared is not None
        lives = cookie.lifetime_seconds
        allowed = declared.lifetime_seconds
        if declared.lifetime is not None and lives is not None:
            too_long = allowed is None or lives > allowed * (1 + _LIFETIME_SLACK) + 60
            if too_long:
                self._add(
                    ("lifetime", found.vendor_id or "", cookie.name),
                    Finding(
                        Severity.WARNING,
                        "lifetime-longer",
                        "cookie",
                        subject,
                        f"cookie {cookie.name} lives {_lifetime_text(lives)}, longer than the declared "
                        f"{declared.lifetime}",
                        found.vendor_id,
                    ),
                )
        problem = None
        if declared.party == "first" and third:
            problem = f"declared first-party but set on the third-party domain {cookie.host}"
        elif declared.party == "third" and not third:
            problem = f"declared third-party but set on the site's own domain {cookie.host}"
        elif declared.party == "third" and declared.domain and not _within(cookie.host, declared.domain):
            problem = f"declared on {declared.domain} but set on {cookie.host}"
        if problem:
            self._add(
                ("attributes", found.vendor_id or "", cookie.name),
                Finding(
                    Severity.WARNING,
                    "attributes-contradict",
                    "cookie",
                    subject,
                    f"cookie {cookie.name}: {problem}",
                    found.vendor_id,
                ),
            )

    # -- storage -------------------------------------------------------------------------------------

    def _storage(self, item: SeenStorage) -> Row:
        found = self.chain.storage(item)
        self._seen(found)
        subject = f"{item.area}Storage {item.key} ({item.host})"
        verdict = self._judge(
            "storage", subject, found, f"{item.area}Storage key {item.key} of {item.origin}"
        )
        if found is None or not found.declared:
            suggestion = self._suggest(
                found,
                item.host,
                cookies=(SuggestedCookie(item.key, "first", "session", None, "storage key"),),
            )
            self._add(
                ("undeclared-storage", item.area, item.key, item.host),
                Finding(
                    Severity.WARNING,
                    "undeclared-storage",
                    "storage",
                    subject,
                    f"{item.area}Storage key {item.key} of {item.origin} is not in the registry"
                    + (f"; {found.name} by {found.how}" if found else ""),
                    found.vendor_id if found else None,
                    suggestion=suggestion,
                ),
            )
            verdict = "undeclared" if verdict == "ok" else verdict
        return Row("storage", item.key, f"{item.area}Storage {item.origin}", item.time, found, verdict)

    # -- requests ------------------------------------------------------------------------------------

    def _requests(self, requests: Iterable[SeenRequest]) -> list[Row]:
        by_host: dict[str, Attribution | None] = {}
        shown: set[tuple[str, str | None]] = set()
        rows = []
        for request in sorted(requests, key=lambda r: r.time):
            host = request.host
            if host == self.site_host:
                continue  # the site itself
            found = self.chain.host(host, request.url, request.initiator)
            if found is None and request.initiator:
                parent = by_host.get((urlsplit(request.initiator).hostname or "").lower())
                if parent is not None:
                    origin = urlsplit(request.initiator).hostname
                    found = replace(parent, declared=False, alternatives=(), how=f"requested by {origin}")
            by_host.setdefault(host, found)
            self._seen(found)
            verdict = self._judge("host", host, found, f"a request to {host}")
            if found is None or not found.declared:
                self._add(
                    ("undeclared-host", host),
                    Finding(
                        Severity.WARNING,
                        "undeclared-host",
                        "host",
                        host,
                        f"requests to {host} ({request.resource_type}) come from no declared host"
                        + (f"; {found.name} by {found.how}" if found else ""),
                        found.vendor_id if found else None,
                        suggestion=self._suggest(found, host, hosts=(host,)),
                    ),
                )
                verdict = "undeclared" if verdict == "ok" else verdict
            if (host, found.vendor_id if found else None) in shown:
                continue  # one row per host and vendor in a state's table
            shown.add((host, found.vendor_id if found else None))
            rows.append(
                Row(
                    "host", host, request.resource_type, request.time, found, verdict, request.initiator or ""
                )
            )
        return rows

    # -- judgements ----------------------------------------------------------------------------------

    def _judge(self, kind: Kind, subject: str, found: Attribution | None, what: str) -> str:
        """Report a violation when ``found`` needs a consent this state did not give."""
        if found is None:
            return "unknown"
        if any(self._allowed(a) for a in found.candidates):
            return "ok"
        category = self._category(found)
        code = _VIOLATION_CODES.get(self.state.name, "not-accepted")
        label = found.name + (f" ({category})" if category else "")
        self._add(
            (code, kind, subject, self.state.name),
            Finding(
                Severity.ERROR,
                code,
                kind,
                subject,
                f"{what} ({label}) {self.state.label}",
                found.vendor_id,
            ),
        )
        return "violation"

    def _suggest(
        self,
        found: Attribution | None,
        host: str,
        *,
        hosts: tuple[str, ...] = (),
        cookies: tuple[SuggestedCookie, ...] = (),
    ) -> Suggestion | None:
        if self.registry is None:
            return None
        if found is not None and found.source == "registry" and found.vendor_id:
            vendor = self.registry.vendor(found.vendor_id)
            if self.registry.is_required(vendor):
                return None  # never add to a required category: a person must decide that
            reason = f"seen on {self.visit.page} {self.state.label}; attributed by {found.how}"
            return Suggestion(vendor.id, False, vendor.name, vendor.category, None, hosts, cookies, reason)
        category = self._category(found) if found else suggest_category(self.registry, None)
        if category is None or self.registry.category(category).required:
            return None
        name = found.name if found else f"Unknown service ({host})"
        policy = found.policy_url if found and _https(found.policy_url) else f"https://{host}/"
        reason = f"seen on {self.visit.page} {self.state.label}" + (f"; {found.how}" if found else "")
        vendor_id = found.vendor_id if found and found.vendor_id else slugify(name if found else host)
        return Suggestion(vendor_id, True, name, category, policy, hosts, cookies, reason)


def suggest_category(registry: Registry | None, hint: str | None) -> str | None:
    """The registry's optional category that best fits ``hint`` (a database category), else the
    strictest guess: the last optional category, usually marketing. Never a required one."""
    if registry is None:
        return None
    optional = [c for c in registry.ordered_categories() if not c.required]
    if not optional:
        return None
    words = _CATEGORY_WORDS.get((hint or "").lower(), ())
    for word in words:
        for category in optional:
            if word in category.id.lower() or word in category.title.lower():
                return category.id
    return optional[-1].id


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:64].strip("-") or "unknown"


def _purpose(found: Attribution | None) -> str:
    return (
        f"{found.name}: review (suggested by consent scan)" if found else "review (suggested by consent scan)"
    )


def _https(url: str | None) -> bool:
    return bool(url) and str(url).startswith("https://")


def _lifetime_text(seconds: float | None) -> str:
    if seconds is None:
        return "session"
    if seconds < 86400:
        return f"{max(1, math.ceil(seconds / 3600))}h"
    return f"{math.ceil(seconds / 86400)}d"


def _within(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def _same_site(host: str, site_host: str) -> bool:
    return _within(host, site_host) or _within(site_host, host)
