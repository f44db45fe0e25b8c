"""The gate: from a registry and a visitor's consent, what the page may contain.

Framework-free. Once per registry, :class:`GateTable` compiles every vendor's tags into markup fragments
(split where the response's nonce goes), its hosts and its Consent Mode types. :func:`decide` is then set
arithmetic on vendor masks, and :func:`render_scripts` a join of fragments with the nonce passed in.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Collection, Mapping
from fnmatch import translate
from functools import cached_property, lru_cache
from string import Formatter
from urllib.parse import quote

from markupsafe import Markup, escape

from .errors import ConsentError, UnknownIdError
from .registry import Embed, Pixel, Registry, Script, Vendor
from .state import ConsentState

Placement = str  # "head" or "body"
PLACEMENTS = ("head", "body")


class InvalidPlacement(ConsentError, ValueError):
    """A template asked for scripts of a placement other than ``"head"`` or ``"body"``."""


class MissingEmbedField(ConsentError, KeyError):
    """An embed's URL needs a ``{field}`` the template did not pass. ``fields`` lists them."""

    def __init__(self, embed: str, fields: list[str]) -> None:
        self.embed = embed
        self.fields = fields
        super().__init__(f"embed {embed!r} needs {', '.join(fields)}")

    def __str__(self) -> str:
        return str(self.args[0])


def _attributes(attrs: Mapping[str, str | bool | None]) -> str:
    parts = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        parts.append(f" {name}" if value is True else f' {name}="{escape(value)}"')
    return "".join(parts)


def _inline(code: str) -> str:
    # The registry is the site's own configuration, yet an inline script must never close its tag early.
    return code.replace("</", "<\\/")


class GateTable:
    """Everything the gate needs from a registry, compiled once: tag fragments and vendor masks.

    Immutable once built; one per registry (:func:`table_for`).
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        # Everything per placement and keyed by the vendor's bit number (``number - 1``), as a request
        # walks the bits of its masks.
        #: Each vendor's tags as (before nonce, after nonce) string pairs.
        self.scripts_at: dict[str, dict[int, tuple[tuple[str, str], ...]]] = {p: {} for p in PLACEMENTS}
        self.script_mask = dict.fromkeys(PLACEMENTS, 0)
        #: Vendors whose scripts are limited to some pages (``Script.paths``): each script's path
        #: matcher (None: every page) and its fragments. Checked per request, path by path.
        self.scoped_at: dict[str, dict[int, tuple[tuple[re.Pattern[str] | None, str, str], ...]]] = {
            p: {} for p in PLACEMENTS
        }
        #: Each vendor's pixels: they take no nonce, so one piece.
        self.pixels_at: dict[str, dict[int, str]] = {p: {} for p in PLACEMENTS}
        self.pixel_mask = dict.fromkeys(PLACEMENTS, 0)
        self.advanced_mask = 0
        bits = registry.vendor_bits
        for vendor in registry.vendors:
            bit = bits[vendor.id]
            at = vendor.number - 1
            if vendor.consent_mode_advanced:
                self.advanced_mask |= bit
            for placement in PLACEMENTS:
                placed = [(i, s) for i, s in enumerate(vendor.scripts) if s.placement == placement]
                tags = tuple(self._script(vendor, i, s.src, s.attributes, s.inline) for i, s in placed)
                if tags:
                    self.scripts_at[placement][at] = tags
                    self.script_mask[placement] |= bit
                if any(s.paths for _, s in placed):
                    self.scoped_at[placement][at] = tuple(
                        (_path_matcher(s.paths), *tag) for (_, s), tag in zip(placed, tags, strict=True)
                    )
                pixels = "".join(
                    self._pixel(vendor, i, pixel.src, noscript=pixel.noscript)
                    for i, pixel in enumerate(vendor.pixels)
                    if pixel.placement == placement
                )
                if pixels:
                    self.pixels_at[placement][at] = pixels
                    self.pixel_mask[placement] |= bit
        self.iframe_attributes = {
            (vendor.id, embed.name): _attributes(
                {
                    "width": str(embed.width) if embed.width else None,
                    "height": str(embed.height) if embed.height else None,
                    "allow": embed.allow,
                    "allowfullscreen": embed.allowfullscreen,
                    "loading": "lazy",
                    "referrerpolicy": "strict-origin-when-cross-origin",
                }
            )
            for vendor in registry.vendors
            for embed in vendor.embeds
        }

    @staticmethod
    def _script(
        vendor: Vendor, index: int, src: str | None, attributes: Mapping[str, str | bool], inline: str | None
    ) -> tuple[str, str]:
        attrs: dict[str, str | bool | None] = {"src": src, **attributes}
        before = "<script" + _attributes(attrs)
        after = _attributes({"data-consent-key": f"{vendor.id}:script:{index}"}) + ">"
        return before, after + (_inline(inline) if inline else "") + "</script>\n"

    @staticmethod
    def _pixel(vendor: Vendor, index: int, src: str, *, noscript: bool = False) -> str:
        # Not a style attribute: the Content-Security-Policy allows no inline styles. Hidden images are
        # still fetched (it is how vendors' own <noscript> pixels are written).
        attrs: dict[str, str | bool | None] = {
            "src": src,
            "alt": "",
            "width": "1",
            "height": "1",
            "hidden": True,
            "data-consent-key": f"{vendor.id}:pixel:{index}",
        }
        img = "<img" + _attributes(attrs) + ">"
        # A noscript pixel is the vendor's fallback for visitors without JavaScript: where the script
        # runs, the browser never fetches it, so the visit is not counted twice.
        return f"<noscript>{img}</noscript>\n" if noscript else img + "\n"


def _path_matcher(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One compiled matcher for a script's path patterns (``*`` is any run of characters)."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{translate(p)})" for p in patterns))


def table_for(registry: Registry) -> GateTable:
    """The registry's compiled gate, built on first use and kept with the registry."""
    return registry.derived(GateTable)


class Gate:
    """What may load for one visitor: masks of the allowed and the loaded vendors."""

    __slots__ = ("__dict__", "allowed_mask", "loaded_mask", "registry", "state", "table")

    def __init__(self, registry: Registry, state: ConsentState, allowed: int, loaded: int) -> None:
        self.registry = registry
        self.state = state
        self.table = table_for(registry)
        #: Vendors that may run.
        self.allowed_mask = allowed
        #: Vendors whose tags the page contains: the allowed ones, plus Consent Mode "advanced" vendors,
        #: whose tags load before consent with every storage type denied (only when Consent Mode is on).
        self.loaded_mask = loaded

    def allows(self, vendor_id: str) -> bool:
        bit = self.registry.vendor_bits.get(vendor_id)
        return bit is not None and bool(bit & self.allowed_mask)

    @cached_property
    def allowed(self) -> tuple[Vendor, ...]:
        return self.registry.vendors_in_mask(self.allowed_mask)

    @cached_property
    def allowed_ids(self) -> frozenset[str]:
        return frozenset(v.id for v in self.allowed)

    @cached_property
    def loaded(self) -> tuple[Vendor, ...]:
        return self.registry.vendors_in_mask(self.loaded_mask)

    @property
    def blocked(self) -> tuple[Vendor, ...]:
        return self.registry.vendors_in_mask(~self.allowed_mask & _all(self.registry))

    def scripts(self, placement: Placement | None = None) -> tuple[tuple[Vendor, int, Script], ...]:
        """The loaded vendors' scripts (for one placement), with their index in the vendor's list."""
        return tuple(
            (vendor, i, script)
            for vendor in self.loaded
            for i, script in enumerate(vendor.scripts)
            if placement is None or script.placement == placement
        )

    def pixels(self, placement: Placement | None = None) -> tuple[tuple[Vendor, int, Pixel], ...]:
        """The allowed vendors' pixels (for one placement)."""
        return tuple(
            (vendor, i, pixel)
            for vendor in self.allowed
            for i, pixel in enumerate(vendor.pixels)
            if placement is None or pixel.placement == placement
        )

    @cached_property
    def hosts(self) -> tuple[str, ...]:
        """Every host a loaded vendor loads from or sends to."""
        return tuple(dict.fromkeys(h for v in self.loaded for h in v.hosts))


def _all(registry: Registry) -> int:
    return registry.required_mask | registry.optional_mask


def decide(registry: Registry, state: ConsentState, *, consent_mode: bool = False) -> Gate:
    """What the page may contain for a visitor in ``state`` (read where they are, see ``in_region``)."""
    if state.registry is not registry:
        state = state.rebind(registry)
    allowed = state.allowed
    loaded = allowed | (table_for(registry).advanced_mask if consent_mode else 0)
    return Gate(registry, state, allowed, loaded)


def render_scripts(
    gate: Gate,
    placement: Placement,
    nonce: str | None = None,
    *,
    path: str | None = None,
    only: Collection[str] | None = None,
) -> Markup:
    """The ``<script>`` and pixel tags of loaded vendors for one placement, each script with the nonce.

    ``path`` is the page's path: a script limited to some pages (``Script.paths``) is rendered only
    where it matches (never when ``path`` is None). ``only`` narrows the output to these vendor ids (a
    template asking for one vendor's tags where it needs them); unknown ids raise ``UnknownIdError``.
    """
    if placement not in PLACEMENTS:
        raise InvalidPlacement(f"placement is 'head' or 'body', not {placement!r}")
    table = gate.table
    registry = gate.registry
    wanted = -1 if only is None else registry.mask_of(only)
    nonce_attribute = f' nonce="{escape(nonce)}"' if nonce else ""
    out: list[str] = []
    scripts = table.scripts_at[placement]
    scoped = table.scoped_at[placement]
    bits_in = registry.bits_in
    for at in bits_in(gate.loaded_mask & table.script_mask[placement] & wanted):
        limited = scoped.get(at)
        if limited is None:
            for before, after in scripts[at]:
                out += (before, nonce_attribute, after)
            continue
        for matcher, before, after in limited:
            if matcher is None or (path is not None and matcher.fullmatch(path)):
                out += (before, nonce_attribute, after)
    pixels = table.pixels_at[placement]
    out += [pixels[at] for at in bits_in(gate.allowed_mask & table.pixel_mask[placement] & wanted)]
    return Markup("".join(out).rstrip("\n"))


# -- embeds ---------------------------------------------------------------------------------------------


def find_embed(registry: Registry, vendor_id: str, name: str | None = None) -> Embed:
    vendor = registry.get_vendor(vendor_id)
    if vendor is None:
        raise UnknownIdError("vendor", vendor_id)
    embed = vendor.embed(name)
    if embed is None:
        raise UnknownIdError("embed", f"{vendor_id}:{name or 'default'}")
    return embed


def embed_src(embed: Embed, params: Mapping[str, object]) -> str:
    """The iframe URL with ``{field}``s filled, each value URL-quoted so it stays in its slot."""
    needed = _fields(embed.src)
    missing = sorted(needed - params.keys())
    if missing:
        raise MissingEmbedField(embed.name, missing)
    return embed.src.format(**{k: quote(str(v), safe="") for k, v in params.items() if k in needed})


@lru_cache(maxsize=1024)
def _fields(src: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in Formatter().parse(src) if name)


def embed_slot(vendor_id: str, embed: Embed, params: Mapping[str, object]) -> str:
    """A stable id for one embed on a page, so script can swap a placeholder for the real thing."""
    return f"embed-{vendor_id}-{embed_digest(vendor_id, embed, params)}"


def embed_digest(vendor_id: str, embed: Embed, params: Mapping[str, object]) -> str:
    """What tells one embed of a vendor from another on a page (its fields' values): the end of its slot id."""
    blob = "\0".join([vendor_id, embed.name, *sorted(f"{k}={v}" for k, v in params.items())])
    return f"{zlib.crc32(blob.encode()):08x}"


def render_iframe(
    registry: Registry, vendor_id: str, embed: Embed, params: Mapping[str, object], title: str | None = None
) -> Markup:
    """The vendor's iframe with its fields filled."""
    rest = table_for(registry).iframe_attributes[(vendor_id, embed.name)]
    src = escape(embed_src(embed, params))
    return Markup(f'<iframe src="{src}" title="{escape(title or embed.title)}"{rest}></iframe>')


__all__ = [
    "Gate",
    "GateTable",
    "InvalidPlacement",
    "MissingEmbedField",
    "decide",
    "embed_digest",
    "embed_slot",
    "embed_src",
    "find_embed",
    "render_iframe",
    "render_scripts",
    "table_for",
]
