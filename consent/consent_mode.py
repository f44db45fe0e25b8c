"""Google Consent Mode v2 from the registry's mapping and a visitor's consent.

The registry maps categories and vendors to Consent Mode storage types. A type is granted when any
allowed vendor or granted category maps to it (required categories count as granted; a category not yet
asked about counts where the visitor's region lets all its vendors run meanwhile), denied otherwise.

Which types are emitted: the four Google requires of every site (``ad_storage``, ``ad_user_data``,
``ad_personalization``, ``analytics_storage``), plus every other type the registry maps. A type nobody
maps (``functionality_storage``, say) is left out rather than sent as a "denied" the site never meant;
``security_storage`` mapped by a required category is granted for everyone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from markupsafe import Markup, escape

from .registry import ConsentModeType, Registry
from .state import ConsentState, Decision

#: The types Google requires in every Consent Mode v2 command, mapped or not.
GOOGLE_REQUIRED = (
    ConsentModeType.AD_STORAGE,
    ConsentModeType.AD_USER_DATA,
    ConsentModeType.AD_PERSONALIZATION,
    ConsentModeType.ANALYTICS_STORAGE,
)
_GRANTED = "granted"
_DENIED = "denied"


class ConsentModeTable:
    """Per registry: for each Consent Mode type, the vendors and categories that stand for it."""

    def __init__(self, registry: Registry) -> None:
        self.used = any(c.consent_mode for c in registry.categories) or any(
            v.consent_mode for v in registry.vendors
        )
        self.vendor_masks = {
            t: registry.mask_of(v.id for v in registry.vendors if t in v.consent_mode)
            for t in ConsentModeType
        }
        #: Types a required category maps: granted for everyone.
        self.always = frozenset(t for c in registry.categories if c.required for t in c.consent_mode)
        #: Optional category id to the types it maps.
        self.by_category = {c.id: c.consent_mode for c in registry.optional_categories if c.consent_mode}
        mapped = {t for c in registry.categories for t in c.consent_mode}
        mapped.update(t for v in registry.vendors for t in v.consent_mode)
        #: The types emitted, in a stable order: Google's four, then whatever else the registry maps.
        self.emitted = tuple(t for t in ConsentModeType if t in GOOGLE_REQUIRED or t in mapped)
        #: The emitted names in the order the default command lists them (by name), each with its
        #: member of the command's JSON when granted and when denied.
        self.members = tuple(
            (name, f'"{name}": "{_GRANTED}"', f'"{name}": "{_DENIED}"')
            for name in sorted(t.value for t in self.emitted)
        )
        # A visitor's answer is a set of granted types, as bits (bit i: ``emitted[i]``): worked out by
        # mask arithmetic, then looked up. There are at most 2**7 sets, each built on first use.
        bit = {t: 1 << i for i, t in enumerate(self.emitted)}
        self.always_bits = sum(bit[t] for t in self.always)
        self.category_bits = {c: sum(bit[t] for t in kinds) for c, kinds in self.by_category.items()}
        self.vendor_bits = tuple((bit[t], self.vendor_masks[t]) for t in self.emitted)
        self.ad_storage_bit = bit[ConsentModeType.AD_STORAGE]  # denied: ads data redaction
        self._values: dict[int, Mapping[str, str]] = {}
        self._commands: dict[int, str] = {}

    def values(self, granted: int) -> Mapping[str, str]:
        """``{"ad_storage": "granted", ...}`` for a set of granted types (shared: do not change it)."""
        values = self._values.get(granted)
        if values is None:
            values = self._values[granted] = {
                t.value: _GRANTED if granted >> i & 1 else _DENIED for i, t in enumerate(self.emitted)
            }
        return values

    def command(self, granted: int) -> str:
        """The default command's JSON for a set of granted types (names sorted, as Google documents)."""
        command = self._commands.get(granted)
        if command is None:
            values = self.values(granted)
            members = [granted_member if values[name] == _GRANTED else denied for name, granted_member, denied
                       in self.members]  # fmt: skip
            command = self._commands[granted] = ", ".join(members)
        return command


def registry_uses_consent_mode(registry: Registry) -> bool:
    return registry.derived(ConsentModeTable).used


def granted_types(registry: Registry, state: ConsentState) -> int:
    """The Consent Mode types ``state`` grants, as bits of the registry's emitted types (bit i:
    ``ConsentModeTable.emitted[i]``)."""
    table = registry.derived(ConsentModeTable)
    granted = table.always_bits
    by_category = table.category_bits
    if state.defaults:  # a purpose not asked yet may count as on where the region runs its vendors
        for category_id, bits in by_category.items():
            if state.allows_category(category_id):
                granted |= bits
    else:
        for category_id, decision in state.categories:
            if decision is Decision.GRANTED:
                granted |= by_category.get(category_id, 0)
    allowed = state.allowed
    for bit, mask in table.vendor_bits:
        if mask & allowed:
            granted |= bit
    return granted


def consent_mode_values(registry: Registry, state: ConsentState) -> dict[str, str]:
    """``{"ad_storage": "denied", ...}`` for the types emitted (module docstring), from what ``state``
    allows."""
    return dict(registry.derived(ConsentModeTable).values(granted_types(registry, state)))


def _json_value(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    if value in (_GRANTED, _DENIED):
        return f'"{value}"'
    return json.dumps(value).replace("<", "\\u003c")


def render_consent_mode_default(
    values: Mapping[str, str], nonce: str | None = None, wait_for_update: int | None = None
) -> Markup:
    """The inline script that sets the Consent Mode default; it must come before any Google tag."""
    settings: dict[str, object] = dict(values)
    if wait_for_update:
        settings["wait_for_update"] = int(wait_for_update)
    payload = "{" + ", ".join(f'"{key}": {_json_value(settings[key])}' for key in sorted(settings)) + "}"
    return _default_script(payload, values.get("ad_storage") == _DENIED, nonce)


def consent_mode_default(
    registry: Registry,
    values: Mapping[str, str] | int,
    nonce: str | None = None,
    wait_for_update: int | None = None,
) -> Markup:
    """:func:`render_consent_mode_default` for ``values`` worked out for ``registry`` (what
    :func:`consent_mode_values` gives, or the bits :func:`granted_types` gives): the command joined
    from the registry's precompiled members."""
    table = registry.derived(ConsentModeTable)
    if not isinstance(values, int):
        values = sum(1 << i for i, t in enumerate(table.emitted) if values[t.value] == _GRANTED)
    command = table.command(values)
    if wait_for_update:  # "wait_for_update" sorts after every storage type's name
        command += f', "wait_for_update": {int(wait_for_update)}'
    return _default_script("{" + command + "}", not values & table.ad_storage_bit, nonce)


def _default_script(payload: str, redact: bool, nonce: str | None) -> Markup:
    # The keys are Consent Mode's own names and the values "granted"/"denied" or a number: joined as
    # JSON directly (json.dumps costs more than the rest of the page's consent work).
    code = (
        "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
        f"gtag('consent','default',{payload});" + ("gtag('set','ads_data_redaction',true);" if redact else "")
    )
    nonce_attribute = f' nonce="{escape(nonce)}"' if nonce else ""
    return Markup(f'<script{nonce_attribute} data-consent-mode="default">{code}</script>')
