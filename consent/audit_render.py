"""The audit report as a privacy officer reads it: plain text, JSON or Markdown.

Each renderer takes an :class:`~consent.audit.AuditReport` (the registry and its findings, worst first)
and lists every purpose and vendor with its cookies, then the findings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from .audit import AuditReport
from .lifetimes import describe_lifetime
from .registry import Cookie, Vendor


def report_data(report: AuditReport) -> dict[str, Any]:
    """The report as plain JSON-ready data (what :func:`render_json` prints)."""
    registry = report.registry
    return {
        "registry": {
            "name": registry.name,
            "version": registry.version,
            "revision": registry.revision,
            "default_locale": registry.default_locale,
            "locales": list(registry.all_locales),
            "privacy_policy_url": registry.privacy_policy_url,
        },
        "consent_cookie": _cookie_data(report.own_cookie) if report.own_cookie else None,
        "summary": {
            "vendors": len(registry.vendors),
            "categories": report.counts(),
            "findings": report.severity_counts(),
        },
        "findings": [
            {"severity": f.severity.value, "code": f.code, "vendor": f.vendor, "message": f.message}
            for f in report.findings
        ],
        "categories": [
            {
                "id": category.id,
                "title": category.title,
                "description": category.description,
                "required": category.required,
                "justification": category.justification,
                "vendors": [_vendor_data(v) for v in registry.vendors_in(category.id)],
            }
            for category in registry.ordered_categories()
        ],
    }


def _vendor_data(vendor: Vendor) -> dict[str, Any]:
    return {
        "id": vendor.id,
        "number": vendor.number,
        "name": vendor.name,
        "description": vendor.description,
        "policy_url": vendor.policy_url,
        "hosts": list(vendor.hosts),
        "cookies": [_cookie_data(c) for c in vendor.cookies],
        "without_consent": vendor.without_consent,
        "sale_share": vendor.sale_share,
    }


def _cookie_data(cookie: Cookie) -> dict[str, Any]:
    return {
        "name": cookie.name,
        "party": cookie.party,
        "lifetime": cookie.lifetime,
        "lifetime_text": describe_lifetime(cookie.lifetime),
        "purpose": cookie.purpose,
        "domain": cookie.domain,
    }


def _cookie_text(cookie: Cookie) -> str:
    """``name (third-party, on doubleclick.net, 400 days): purpose``: where it lives, not only how long."""
    where = f"{cookie.party}-party" + (f", on {cookie.domain}" if cookie.domain else "")
    purpose = f": {cookie.purpose}" if cookie.purpose else ""
    return f"{cookie.name} ({where}, {describe_lifetime(cookie.lifetime)}){purpose}"


def render_json(report: AuditReport) -> str:
    return json.dumps(report_data(report), indent=2, ensure_ascii=False) + "\n"


def render_text(report: AuditReport) -> str:
    registry = report.registry
    out: list[str] = []
    title = f"{registry.name} {registry.version}".strip()
    out.append(f"Cookie audit: {title} (revision {registry.revision})")
    out.append("")
    out.append(_summary_line(report))
    for category in registry.ordered_categories():
        out.append(f"  {category.title} [{category.id}]: {len(registry.vendors_in(category.id))}")
    out.append("")
    out.append("Findings:" if report.findings else "Findings: none")
    out.extend(f"  {f}" for f in report.findings)
    if report.own_cookie:
        out += ["", "The consent cookie (strictly necessary, set by this site):"]
        out.append(f"  {_cookie_text(report.own_cookie)}")
    for category in registry.ordered_categories():
        out.append("")
        kind = "required" if category.required else "optional"
        heading = f"== {category.title} ({kind}) =="
        out.append(heading)
        if category.description:
            out.append(category.description)
        if category.required and category.justification:
            out.append(f"Why required: {category.justification}")
        vendors = registry.vendors_in(category.id)
        if not vendors:
            out.append("  (no vendors)")
        for vendor in vendors:
            out.append("")
            out.append(f"  {vendor.name} [{vendor.id}, #{vendor.number}]")
            if vendor.description:
                out.append(f"    Purpose: {vendor.description}")
            out.append(f"    Privacy policy: {vendor.policy_url}")
            out.append(f"    Hosts: {', '.join(vendor.hosts) or 'none declared'}")
            if vendor.without_consent:
                out.append(f"    Without consent: {vendor.without_consent}")
            if vendor.sale_share:
                out.append("    Sells or shares personal data: yes")
            if vendor.cookies:
                out.append("    Cookies:")
                out.extend(f"      {_cookie_text(c)}" for c in vendor.cookies)
    return "\n".join(out) + "\n"


def _summary_line(report: AuditReport) -> str:
    registry = report.registry
    counts = ", ".join(f"{n} {s}" for s, n in report.severity_counts().items())
    return f"{len(registry.vendors)} vendors in {len(registry.categories)} categories; findings: {counts}"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def escape_markdown(text: str) -> str:
    """Registry text as literal Markdown: special characters escaped, kept on one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def render_markdown(report: AuditReport) -> str:
    registry = report.registry
    out: list[str] = []
    title = f"{registry.name} {registry.version}".strip()
    out.append(f"# Cookie audit: {escape_markdown(title)}")
    out.append("")
    out.append(f"Revision `{registry.revision}`. {_summary_line(report)}.")
    out.append("")
    out.append("| Category | Required | Vendors |")
    out.append("| --- | --- | ---: |")
    for category in registry.ordered_categories():
        required = "yes" if category.required else "no"
        out.append(
            f"| {escape_markdown(category.title)} | {required} | {len(registry.vendors_in(category.id))} |"
        )
    out.append("")
    out.append("## Findings")
    out.append("")
    if not report.findings:
        out.append("None.")
    for f in report.findings:
        where = f" ({escape_markdown(f.vendor)})" if f.vendor else ""
        out.append(f"- **{f.severity.value}** `{f.code}`{where}: {escape_markdown(f.message)}")
    if report.own_cookie:
        out += ["", "## The consent cookie (strictly necessary, set by this site)", ""]
        out.extend(_markdown_cookies([report.own_cookie]))
    for category in registry.ordered_categories():
        out.append("")
        kind = "required" if category.required else "optional"
        out.append(f"## {escape_markdown(category.title)} ({kind})")
        out.append("")
        if category.description:
            out.append(escape_markdown(category.description))
            out.append("")
        if category.required and category.justification:
            out.append(f"*Why required:* {escape_markdown(category.justification)}")
            out.append("")
        vendors = registry.vendors_in(category.id)
        if not vendors:
            out.append("No vendors.")
        for vendor in vendors:
            out.extend(_markdown_vendor(vendor))
    return "\n".join(out).rstrip("\n") + "\n"


def _markdown_vendor(vendor: Vendor) -> Iterable[str]:
    yield f"### {escape_markdown(vendor.name)}"
    yield ""
    if vendor.description:
        yield escape_markdown(vendor.description)
        yield ""
    yield f"- Privacy policy: <{vendor.policy_url}>"
    hosts = ", ".join(f"`{h}`" for h in vendor.hosts) or "none declared"
    yield f"- Hosts: {hosts}"
    if vendor.without_consent:
        yield f"- Without consent: {escape_markdown(vendor.without_consent)}"
    if vendor.sale_share:
        yield "- Sells or shares personal data: **yes**"
    yield ""
    if vendor.cookies:
        yield from _markdown_cookies(vendor.cookies)
        yield ""


def _markdown_cookies(cookies: Iterable[Cookie]) -> Iterator[str]:
    yield "| Cookie | Party | Domain | Lifetime | Purpose |"
    yield "| --- | --- | --- | --- | --- |"
    for c in cookies:
        domain = escape_markdown(c.domain) if c.domain else ""
        yield (
            f"| {escape_markdown(c.name)} | {c.party} | {domain} | {describe_lifetime(c.lifetime)} "
            f"| {escape_markdown(c.purpose)} |"
        )


__all__ = ["escape_markdown", "render_json", "render_markdown", "render_text", "report_data"]
