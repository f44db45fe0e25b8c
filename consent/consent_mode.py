"""Google Consent Mode v2 from the registry's mapping and a visitor's consent.

The registry maps categories and vendors to Consent Mode storage types. A type is granted when any
allowed vendor or granted category maps to it (required categories count as granted; a category not yet
asked about counts where the visitor's region lets all its vendors run meanwhile), denied otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from markupsafe import Markup

from .registry import ConsentModeType, Registry
from .state import ConsentState


def registry_uses_consent_mode(registry: Registry) -> bool:
    return any(c.consent_mode for c in registry.categories) or any(v.consent_mode for v in registry.vendors)


def consent_mode_values(registry: Registry, state: ConsentState) -> dict[str, str]:
    """``{"ad_storage": "denied", ...}`` for every Consent Mode type, from what ``state`` allows."""
    granted: set[ConsentModeType] = set()
    for category in registry.categories:
        if state.allows_category(category.id):
            granted.update(category.consent_mode)
    for vendor in registry.vendors:
        if vendor.consent_mode and state.allows(vendor.id):
            granted.update(vendor.consent_mode)
    return {t.value: "granted" if t in granted else "denied" for t in ConsentModeType}


def render_consent_mode_default(
    values: Mapping[str, str], nonce: str | None = None, wait_for_update: int | None = None
) -> Markup:
    """The inline script that sets the Consent Mode default; it must come before any Google tag."""
    settings: dict[str, object] = dict(values)
    if wait_for_update:
        settings["wait_for_update"] = int(wait_for_update)
    # json.dumps of str/int values cannot close the script element; "<" is escaped all the same.
    payload = json.dumps(settings, sort_keys=True).replace("<", "\\u003c")
    redact = values.get("ad_storage") == "denied"
    code = (
        "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
        f"gtag('consent','default',{payload});" + ("gtag('set','ads_data_redaction',true);" if redact else "")
    )
    nonce_attribute = Markup(' nonce="{}"').format(nonce) if nonce else Markup("")
    return Markup('<script{} data-consent-mode="default">{}</script>').format(nonce_attribute, Markup(code))
