"""The notice a visitor was shown, as one document: what a record's ``notice`` hash points to.

The document holds every text of the banner, the preferences panel and the click-to-load placeholder
in the visitor's locale (the widget's own strings through :func:`consent.i18n.translations`, the
registry's through :meth:`Registry.localized`), and the full list of purposes and vendors with their
descriptions, policy links and cookies. Its SHA-256 over the canonical JSON is its address: each
distinct notice is stored once and any number of records point to it.

It records the package's texts; a site that overrides the widget's templates with other wording should
pass that wording in ``extra`` so that the notice stays what visitors read.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
import threading
from collections.abc import Callable, Mapping
from typing import Any

from ..i18n import translations
from ..lifetimes import describe_lifetime
from ..registry import Cookie, Registry
from .records import canonical_json

NOTICE_FORMAT = 1


def build_notice(
    registry: Registry,
    locale: str,
    *,
    policy_url: str | None = None,
    policy: str = "opt-in",
    gpc: bool = False,
    extra: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The notice document for visitors of ``registry`` in ``locale``.

    The first layer is the one the visitor's region gets (``policy``: the opt-in banner, the opt-out
    notice or the notice-only layer), with the Global Privacy Control wording when ``gpc``.
    """
    catalog = translations(locale)
    _ = catalog.gettext
    texts = registry.localized(locale)

    def lifetime(cookie: Cookie) -> str:
        return describe_lifetime(cookie.lifetime, catalog.ngettext, catalog.gettext)

    return {
        "format": NOTICE_FORMAT,
        "locale": locale,
        "site": registry.name,
        "registry_version": registry.version,
        "revision": registry.revision,
        "policy_url": policy_url or registry.privacy_policy_url,
        "policy": policy,
        "banner": _first_layer(texts.notice, policy, gpc, _),
        "preferences": {
            "title": _("Privacy preferences"),
            "intro": _(
                "Choose which purposes and partners may use cookies and similar technologies on this site. "
                "Strictly necessary ones are always on."
            ),
            "always_on": _("Always on"),
            "save": _("Save choices"),
            "accept_all": _("Accept all"),
            "reject_all": _("Reject all"),
            "withdraw": _("Withdraw consent"),
            "settings_link": _("Your Privacy Choices") if policy == "opt-out" else _("Cookie settings"),
            **({"opt_out": _("Do not sell or share my personal information")} if policy == "opt-out" else {}),
        },
        "placeholder": {
            "blocked": _("%(name)s content is blocked"),
            "explanation": _("Loading it lets %(name)s set cookies and receive data (purpose: %(purpose)s)."),
            "load": _("Load content from %(name)s"),
        },
        "categories": [
            {
                "id": c.id,
                "title": c.title,
                "description": c.description,
                "required": c.required,
                "justification": c.justification if c.required else None,
            }
            for c in texts.ordered_categories()
        ],
        "vendors": [
            {
                "id": v.id,
                "name": v.name,
                "category": v.category,
                "description": v.description,
                "without_consent": v.without_consent,
                "policy_url": v.policy_url,
                "cookies": [
                    {"name": c.name, "party": c.party, "lifetime": lifetime(c), "purpose": c.purpose}
                    for c in v.cookies
                ],
            }
            for v in texts.vendors
        ],
        "extra": dict(sorted((extra or {}).items())),
    }


def _first_layer(statement: str | None, policy: str, gpc: bool, _: Callable[[str], str]) -> dict[str, str]:
    # The same strings, and the same choice between them, as the templates in FIRST_LAYERS.
    honoured = _(
        "Your browser sent a Global Privacy Control signal and we honour it: we do not sell or share "
        "your personal information."
    )
    if policy == "opt-out":
        layer = {
            "title": _("Your privacy choices"),
            "statement": honoured
            if gpc
            else _(
                "We and our partners use cookies to run this site, to measure its audience and to show ads. "
                "Some of this may count as selling or sharing your personal information, or as targeted "
                "advertising. You can opt out at any time."
            ),
            "policy_link": _("Privacy policy"),
        }
        if not gpc:
            layer["opt_out"] = _("Do not sell or share my personal information")
        return layer | {"ok": _("OK"), "privacy_choices": _("Your Privacy Choices")}
    if policy == "notice":
        return {
            "title": _("This website uses cookies"),
            "statement": statement
            or _(
                "We and our partners use cookies and similar technologies to run this site, to measure its "
                "audience, to show embedded content and to personalise ads."
            ),
            "policy_link": _("Privacy policy"),
            "ok": _("OK"),
            "settings_link": _("Cookie settings"),
        }
    layer = {
        "title": _("This website uses cookies"),
        "statement": statement
        or _(
            "We and our partners use cookies and similar technologies to run this site, to measure its "
            "audience, to show embedded content and to personalise ads. Nothing optional is used unless "
            "you agree. You can change your mind at any time under “Cookie settings”."
        ),
        "new_vendors": _("New since your last choice:"),
        "policy_link": _("Privacy policy"),
        "accept_all": _("Accept all"),
        "reject_all": _("Reject all"),
        "customize": _("Customize"),
    }
    if gpc:
        layer["gpc"] = _(
            "Your browser sent a Global Privacy Control signal: nothing is shared until you choose."
        )
    return layer


def notice_bytes(document: Mapping[str, Any]) -> bytes:
    return canonical_json(document)


def notice_hash(document: Mapping[str, Any]) -> str:
    """The notice's address: SHA-256 (hex) of its canonical JSON."""
    return hashlib.sha256(notice_bytes(document)).hexdigest()


class _RegistryNotices(dict[tuple[Any, ...], tuple[str, bytes]]):
    """Per registry: each notice it has been shown in (locale, policy link, policy, GPC, wording),
    with its hash and stored form. Bounded by the site's configuration, never by its visitors."""

    def __init__(self, registry: Registry) -> None:
        super().__init__()
        self.lock = threading.Lock()


class NoticeBook:
    """Builds each notice once per registry, locale and policy link, with its hash and stored form
    (kept with the registry: an edited registry is a new one, with notices of its own)."""

    def get(
        self,
        registry: Registry,
        locale: str,
        policy_url: str | None = None,
        policy: str = "opt-in",
        gpc: bool = False,
        extra: Mapping[str, str] | None = None,
    ) -> tuple[str, bytes]:
        notices = registry.derived(_RegistryNotices)
        key = (locale, policy_url, policy, gpc, tuple(sorted((extra or {}).items())))
        hit = notices.get(key)
        if hit is None:
            document = build_notice(
                registry, locale, policy_url=policy_url, policy=policy, gpc=gpc, extra=extra
            )
            body = notice_bytes(document)
            hit = (hashlib.sha256(body).hexdigest(), body)
            with notices.lock:
                notices[key] = hit
        return hit


def render_notice(document: Mapping[str, Any], width: int = 100) -> str:
    """The notice as plain text, the way ``consent ledger show`` prints it."""
    lines: list[str] = []

    def para(text: str | None, indent: str = "") -> None:
        if text:
            lines.extend(
                textwrap.wrap(" ".join(text.split()), width, initial_indent=indent, subsequent_indent=indent)
                or [indent]
            )

    banner = document.get("banner", {})
    prefs = document.get("preferences", {})
    lines.append(f"[{document.get('locale')}] {banner.get('title', '')}")
    para(banner.get("statement"), "  ")
    keys = ("accept_all", "reject_all", "customize", "opt_out", "ok", "privacy_choices", "settings_link")
    buttons = " ".join(f"[{banner[k]}]" for k in keys if k in banner)
    lines.append(f"  {buttons}")
    if document.get("policy_url"):
        lines.append(f"  {banner.get('policy_link', 'Privacy policy')}: {document['policy_url']}")
    lines.append(f"{prefs.get('title', '')}")
    para(prefs.get("intro"), "  ")
    vendors = document.get("vendors", [])
    for category in document.get("categories", []):
        always = f" ({prefs.get('always_on', 'Always on')})" if category.get("required") else ""
        lines.append(f"  {category.get('title')}{always}")
        para(category.get("description"), "    ")
        para(category.get("justification"), "    ")
        for vendor in vendors:
            if vendor.get("category") != category.get("id"):
                continue
            lines.append(f"    - {vendor.get('name')} <{vendor.get('policy_url')}>")
            para(vendor.get("description"), "      ")
            para(vendor.get("without_consent"), "      ")
            for cookie in vendor.get("cookies", []):
                purpose = f": {cookie['purpose']}" if cookie.get("purpose") else ""
                lines.append(
                    f"      cookie {cookie.get('name')} ({cookie.get('party')}-party, "
                    f"{cookie.get('lifetime')}){purpose}"
                )
    buttons = " ".join(
        f"[{prefs[k]}]" for k in ("save", "accept_all", "reject_all", "withdraw") if k in prefs
    )
    lines.append(f"  {buttons}")
    for key, value in (document.get("extra") or {}).items():
        lines.append(f"  {key}: {value}")
    return "\n".join(lines) + "\n"


def load_notice(body: str | bytes) -> dict[str, Any]:
    value = json.loads(body)
    if not isinstance(value, dict):
        raise ValueError("a notice is a JSON object")
    return value


__all__ = ["NoticeBook", "build_notice", "load_notice", "notice_bytes", "notice_hash", "render_notice"]
