"""The gate: from a registry and a visitor's consent, what the page may contain.

Framework-free: :func:`decide` answers with a :class:`Gate`, and the ``render_*`` functions turn it into
markup. The Flask extension wraps these; another framework can do the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable, Mapping, MutableMapping
from dataclasses import dataclass
from functools import cached_property
from string import Formatter
from typing import Literal

from markupsafe import Markup, escape

from .registry import Embed, Pixel, Registry, Script, Vendor
from .state import ConsentState

Placement = Literal["head", "body"]


@dataclass(frozen=True)
class Gate:
    """What may load for one visitor."""

    registry: Registry
    state: ConsentState
    allowed: tuple[Vendor, ...]
    allowed_ids: frozenset[str]
    #: Vendors whose tags the page contains: the allowed ones, plus Consent Mode "advanced" vendors,
    #: whose tags load before consent with every storage type denied (only when Consent Mode is on).
    loaded: tuple[Vendor, ...]

    @property
    def blocked(self) -> tuple[Vendor, ...]:
        return tuple(v for v in self.registry.vendors if v.id not in self.allowed_ids)

    def allows(self, vendor_id: str) -> bool:
        return vendor_id in self.allowed_ids

    def scripts(self, placement: Placement | None = None) -> tuple[tuple[Vendor, int, Script], ...]:
        return tuple(
            (vendor, i, script)
            for vendor in self.loaded
            for i, script in enumerate(vendor.scripts)
            if placement is None or script.placement == placement
        )

    def pixels(self, placement: Placement | None = None) -> tuple[tuple[Vendor, int, Pixel], ...]:
        return tuple(
            (vendor, i, pixel)
            for vendor in self.allowed
            for i, pixel in enumerate(vendor.pixels)
            if placement is None or pixel.placement == placement
        )

    @cached_property
    def hosts(self) -> tuple[str, ...]:
        """Every host an allowed vendor loads from or sends to, for the Content-Security-Policy."""
        return tuple(dict.fromkeys(h for v in self.loaded for h in v.hosts))


def decide(
    registry: Registry,
    state: ConsentState,
    cache: MutableMapping[Hashable, tuple[tuple[Vendor, ...], frozenset[str], tuple[Vendor, ...]]]
    | None = None,
    *,
    consent_mode: bool = False,
) -> Gate:
    """What the page may contain for a visitor in ``state``.

    ``cache`` (any mapping the caller keeps per registry) remembers the answer for each distinct set of
    choices, which many visitors share (keep one cache per ``consent_mode`` setting).
    """
    if state.registry is not registry:
        state = state.rebind(registry)
    key = state.choice_key
    answer = cache.get(key) if cache is not None else None
    if answer is None:
        allowed = state.granted_vendors()
        ids = frozenset(v.id for v in allowed)
        advanced = tuple(
            v for v in registry.vendors if consent_mode and v.consent_mode_advanced and v.id not in ids
        )
        answer = (allowed, ids, allowed + advanced)
        if cache is not None:
            if len(cache) >= 1024:
                cache.clear()
            cache[key] = answer
    return Gate(registry, state, *answer)


# -- markup -----------------------------------------------------------------------------------------


def _attributes(attrs: Mapping[str, str | bool | None]) -> Markup:
    parts = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        parts.append(Markup(" {}").format(name) if value is True else Markup(' {}="{}"').format(name, value))
    return Markup("").join(parts)


def _inline(code: str) -> Markup:
    # The registry is the site's own configuration, yet an inline script must never close its tag early.
    return Markup(code.replace("</", "<\\/"))


def render_scripts(gate: Gate, placement: Placement, nonce: str | None = None) -> Markup:
    """The ``<script>`` and pixel tags of allowed vendors for one placement, each carrying the nonce."""
    out: list[Markup] = []
    for vendor, index, script in gate.scripts(placement):
        attrs: dict[str, str | bool | None] = {
            "src": script.src,
            **script.attributes,
            "nonce": nonce,
            "data-consent-key": f"{vendor.id}:script:{index}",
        }
        body = _inline(script.inline) if script.inline else Markup("")
        out.append(Markup("<script{}>{}</script>").format(_attributes(attrs), body))
    for vendor, index, pixel in gate.pixels(placement):
        attrs = {
            "src": pixel.src,
            "alt": "",
            "width": "1",
            "height": "1",
            # Not a style attribute: the Content-Security-Policy allows no inline styles. Hidden images
            # are still fetched (it is how vendors' own <noscript> pixels are written).
            "hidden": True,
            "data-consent-key": f"{vendor.id}:pixel:{index}",
        }
        out.append(Markup("<img{}>").format(_attributes(attrs)))
    return Markup("\n").join(out)


def embed_src(embed: Embed, params: Mapping[str, object]) -> str:
    """The iframe URL with ``{field}``s filled, each value URL-quoted so it stays in its slot."""
    from urllib.parse import quote

    needed = {name for _, name, _, _ in Formatter().parse(embed.src) if name}
    missing = needed - params.keys()
    if missing:
        raise KeyError(f"embed {embed.name!r} needs {', '.join(sorted(missing))}")
    return embed.src.format(**{k: quote(str(v), safe="") for k, v in params.items() if k in needed})


def embed_slot(vendor_id: str, embed: Embed, params: Mapping[str, object]) -> str:
    """A stable id for one embed on a page, so script can swap a placeholder for the real thing."""
    blob = json.dumps([vendor_id, embed.name, sorted((k, str(v)) for k, v in params.items())])
    return f"embed-{vendor_id}-{hashlib.sha1(blob.encode()).hexdigest()[:8]}"


def render_iframe(embed: Embed, params: Mapping[str, object], title: str | None = None) -> Markup:
    attrs: dict[str, str | bool | None] = {
        "src": embed_src(embed, params),
        "title": title or embed.title,
        "width": str(embed.width) if embed.width else None,
        "height": str(embed.height) if embed.height else None,
        "allow": embed.allow,
        "allowfullscreen": embed.allowfullscreen,
        "loading": "lazy",
        "referrerpolicy": "strict-origin-when-cross-origin",
    }
    return Markup("<iframe{}></iframe>").format(_attributes(attrs))


__all__ = ["Gate", "decide", "embed_slot", "embed_src", "escape", "render_iframe", "render_scripts"]
