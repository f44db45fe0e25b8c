"""Microsoft's consent signals: UET consent mode (Microsoft Advertising) and Clarity's Consent API v2.

Both are derived from the registry's Google Consent Mode mapping, so a site maps its purposes once:

- UET ``ad_storage`` is Consent Mode's ``ad_storage``;
- Clarity ``ad_Storage`` is ``ad_storage`` and ``analytics_Storage`` is ``analytics_storage``.

A type is granted when the visitor allows a category or vendor mapped to it (see
:func:`consent.consent_mode.consent_mode_values`); the ``microsoft-uet`` and ``microsoft-clarity``
presets map themselves (``ad_storage``, ``analytics_storage``), so allowing the vendor grants its type.

The default must run in ``<head>`` before the vendors' tags (it queues the call: ``window.uetq`` is the
queue UET reads when ``bat.js`` loads, and Clarity's standard stub keeps calls in ``window.clarity.q``).
After a choice made with JavaScript, the widget sends :func:`microsoft_consent_update` values with
the same calls and ``'update'`` (UET) or a new ``consentv2`` call (Clarity).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from markupsafe import Markup, escape

from .consent_mode import consent_mode_values
from .errors import ConfigurationError
from .registry import Registry, Vendor
from .state import ConsentState

UET_PRESET = "microsoft-uet"
CLARITY_PRESET = "microsoft-clarity"
UET_HOST = "bat.bing.com"
CLARITY_HOST = "www.clarity.ms"


class MicrosoftConsent(NamedTuple):
    """The values to send; ``None`` where the registry has no such vendor."""

    uet: dict[str, str] | None
    clarity: dict[str, str] | None

    def as_dict(self) -> dict[str, dict[str, str]]:
        """For a JSON answer to the widget: only the signals this site uses."""
        return {name: values for name, values in self._asdict().items() if values is not None}


def _is(vendor: Vendor, preset: str, host: str) -> bool:
    return vendor.preset == preset or vendor.covers_host(host)


def _find_microsoft_vendors(registry: Registry) -> tuple[bool, bool]:
    return (
        any(_is(v, UET_PRESET, UET_HOST) for v in registry.vendors),
        any(_is(v, CLARITY_PRESET, CLARITY_HOST) for v in registry.vendors),
    )


def _microsoft_vendors(registry: Registry) -> tuple[bool, bool]:
    """Whether the registry has a UET and a Clarity vendor, worked out once per registry."""
    return registry.derived(_find_microsoft_vendors)


def uses_uet(registry: Registry) -> bool:
    """Whether a vendor is Microsoft UET (its preset, or a vendor loading from ``bat.bing.com``)."""
    return _microsoft_vendors(registry)[0]


def uses_clarity(registry: Registry) -> bool:
    """Whether a vendor is Microsoft Clarity (its preset, or a vendor loading from ``www.clarity.ms``)."""
    return _microsoft_vendors(registry)[1]


def _uet(google: Mapping[str, str]) -> dict[str, str]:
    return {"ad_storage": google["ad_storage"]}


def _clarity(google: Mapping[str, str]) -> dict[str, str]:
    return {"ad_Storage": google["ad_storage"], "analytics_Storage": google["analytics_storage"]}


def uet_consent_values(registry: Registry, state: ConsentState) -> dict[str, str]:
    """``{"ad_storage": "granted" | "denied"}`` for UET consent mode."""
    return _uet(consent_mode_values(registry, state))


def clarity_consent_values(registry: Registry, state: ConsentState) -> dict[str, str]:
    """``{"ad_Storage": …, "analytics_Storage": …}`` for Clarity's ``consentv2`` call."""
    return _clarity(consent_mode_values(registry, state))


def microsoft_consent_update(
    registry: Registry, state: ConsentState, google: Mapping[str, str] | None = None
) -> MicrosoftConsent:
    """What the page should signal for ``state``: the default at render time, the update after a choice.

    ``google`` is the state's Google Consent Mode values, when the caller has them already.
    """
    uet, clarity = _microsoft_vendors(registry)
    if not (uet or clarity):
        return MicrosoftConsent(None, None)
    if google is None:
        google = consent_mode_values(registry, state)
    return MicrosoftConsent(_uet(google) if uet else None, _clarity(google) if clarity else None)


def _payload(values: Mapping[str, str]) -> str:
    # Only "granted"/"denied" are ever sent, under the fixed key names of the two APIs: written as JSON
    # directly (json.dumps costs more than the rest of the page's consent work).
    for key in values:
        if not _KEY.match(key):
            raise ConfigurationError(f"{key!r} is not a consent signal name")
    parts = (f'"{key}": "{"granted" if values[key] == "granted" else "denied"}"' for key in sorted(values))
    return "{" + ", ".join(parts) + "}"


_KEY = re.compile(r"^[A-Za-z_]+$")


def uet_call(values: Mapping[str, str], command: str = "default") -> str:
    """``window.uetq.push('consent', 'default'|'update', {...})``, creating the queue if needed."""
    if command not in ("default", "update"):
        raise ConfigurationError(f"UET consent commands are 'default' and 'update', not {command!r}")
    return f"window.uetq=window.uetq||[];window.uetq.push('consent','{command}',{_payload(values)});"


def clarity_call(values: Mapping[str, str]) -> str:
    """``window.clarity('consentv2', {...})``, through Clarity's queue stub until its tag has loaded."""
    stub = (
        "window.clarity=window.clarity||function(){(window.clarity.q=window.clarity.q||[]).push(arguments);};"
    )
    return stub + f"window.clarity('consentv2',{_payload(values)});"


def render_microsoft_consent_default(
    registry: Registry, state: ConsentState, nonce: str | None = None, google: Mapping[str, str] | None = None
) -> Markup:
    """The inline ``<script>`` with UET's and Clarity's defaults; empty when the site uses neither.

    Place it in ``<head>`` before any Microsoft tag, next to the Google Consent Mode default.
    """
    if google is None:
        google = consent_mode_values(registry, state)
    code = registry.derived(_DefaultCalls)[google["ad_storage"], google["analytics_storage"]]
    if not code:
        return Markup("")
    nonce_attribute = f' nonce="{escape(nonce)}"' if nonce else ""
    return Markup(f'<script{nonce_attribute} data-consent-microsoft="default">{code}</script>')


class _DefaultCalls(dict[tuple[str, str], str]):
    """Per registry: the default calls for each of the four (ad_storage, analytics_storage) answers
    both signals derive from (empty where the site has neither vendor)."""

    def __init__(self, registry: Registry) -> None:
        super().__init__()
        uet, clarity = _microsoft_vendors(registry)
        for ad in ("granted", "denied"):
            for analytics in ("granted", "denied"):
                google = {"ad_storage": ad, "analytics_storage": analytics}
                self[ad, analytics] = (uet_call(_uet(google)) if uet else "") + (
                    clarity_call(_clarity(google)) if clarity else ""
                )


def update_script(signals: MicrosoftConsent) -> str:
    """The JavaScript the widget runs after a choice (the same calls the widget can make from JSON)."""
    return (uet_call(signals.uet, "update") if signals.uet is not None else "") + (
        clarity_call(signals.clarity) if signals.clarity is not None else ""
    )
