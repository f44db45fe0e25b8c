"""Vendor presets: a reviewed catalogue of common services, and their expansion in a registry.

The catalogue is the TOML files next to this module, one per family of services (``analytics.toml``,
``advertising.toml``…). Each top-level table is one preset, keyed by its id: the fields of a registry
vendor except ``id`` and ``number`` (those belong to the site), plus

- ``reviewed``: the date the facts were last checked (a preset is a snapshot, not a guarantee);
- ``params``: the **site parameters**, name to an example value (``measurement_id = "G-XXXXXXXXXX"``);
  ``{name}`` in hosts, scripts, pixels and embeds is replaced by the site's value when the registry loads;
- ``defaults``: values for site parameters a site may leave out (``locale = "en_US"``);
- ``render_params``: the **render-time parameters** of embeds (``video_id``): ``{name}`` stays in the
  embed's ``src`` and is filled per embed instance by :func:`consent.gate.embed_src`;
- ``required_reason``: only for services strictly necessary by nature (payments, captcha, CDNs), why.

A registry vendor uses a preset with ``preset = "<id>"`` and ``params = {...}``; any vendor field it
writes itself replaces the preset's (a whole field: ``hosts = [...]`` replaces the preset's list).
:func:`expand_presets` is the loader's hook; its problems carry the file's lines like any other.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from ..errors import ConsentError, Problem
from ..registry import (
    SLUG_PATTERN,
    ConsentModeType,
    Cookie,
    Embed,
    Pixel,
    RegistryModel,
    Script,
    Slug,
    Vendor,
    VendorTcf,
)

Locator = Callable[[tuple[str | int, ...]], int | None]

#: The categories presets suggest; a site whose categories are named otherwise sets ``category``.
SUGGESTED_CATEGORIES = ("necessary", "functional", "statistics", "marketing")

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: Site parameters are identifiers, never free text, so a value cannot leave its slot in a URL or
#: inline script.
PARAM_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
_SLUG = re.compile(SLUG_PATTERN)
#: Vendor fields whose strings may hold site ``{placeholders}``.
_TEMPLATED = ("hosts", "scripts", "pixels", "embeds")
#: Keys of a registry vendor entry that belong to the preset mechanism, not to the vendor.
_ENTRY_KEYS = ("preset", "params")


class Preset(RegistryModel):
    """One catalogue entry: a registry vendor without the site's identity, with its parameters."""

    id: Slug
    name: str = Field(min_length=1)
    category: Slug
    description: str = Field(min_length=1)
    policy_url: str
    hosts: tuple[str, ...] = ()
    cookies: tuple[Cookie, ...] = ()
    scripts: tuple[Script, ...] = ()
    pixels: tuple[Pixel, ...] = ()
    embeds: tuple[Embed, ...] = ()
    without_consent: str | None = None
    tcf_id: StrictInt | None = Field(default=None, ge=1)
    tcf: VendorTcf | None = None
    google_atp_id: StrictInt | None = Field(default=None, ge=1)
    consent_mode: tuple[ConsentModeType, ...] = ()
    consent_mode_advanced: StrictBool = False
    sale_share: StrictBool = False
    reviewed: date
    params: dict[str, str] = Field(default_factory=dict)
    defaults: dict[str, str] = Field(default_factory=dict)
    render_params: tuple[str, ...] = ()
    required_reason: str | None = None
    family: str = ""

    @field_validator("params", "defaults")
    @classmethod
    def _check_params(cls, value: dict[str, str]) -> dict[str, str]:
        for name, example in value.items():
            if not _PARAM_NAME.match(name):
                raise ValueError(f"{name!r} is not a parameter name (lower case, digits, underscores)")
            if not PARAM_VALUE.match(example):
                raise ValueError(f"{name}: {example!r} is not a valid parameter value")
        return value

    @model_validator(mode="after")
    def _check_placeholders(self) -> Preset:
        site, render = set(self.params), set(self.render_params)
        if site & render:
            raise ValueError(f"{', '.join(sorted(site & render))}: both a site and a render parameter")
        if not set(self.defaults) <= site:
            raise ValueError(f"defaults for undeclared parameters: {sorted(set(self.defaults) - site)}")
        data = self.model_dump(mode="json", include=set(_TEMPLATED))
        used: set[str] = set()
        for kind in _TEMPLATED:
            allowed = site | render if kind == "embeds" else site
            for name in _placeholders(data[kind]):
                if name not in allowed:
                    raise ValueError(f"{kind} use {{{name}}}, which is not a declared parameter")
                used.add(name)
        if unused := (site | render) - used:
            raise ValueError(f"parameters never used: {', '.join(sorted(unused))}")
        return self

    @property
    def required_params(self) -> tuple[str, ...]:
        return tuple(name for name in self.params if name not in self.defaults)

    def entry(self, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The registry vendor fields of this preset (no id, no number), site parameters filled.

        A parameter missing from ``params`` and ``defaults`` keeps its ``{placeholder}``.
        """
        values = {**self.defaults, **(params or {})}
        data = self.model_dump(
            mode="json",
            exclude_none=True,
            exclude={"id", "reviewed", "params", "defaults", "render_params", "required_reason", "family"},
        )
        for kind in _TEMPLATED:
            data[kind] = _fill(data[kind], values)
        data["hosts"] = [host.lower() for host in data["hosts"]]  # host names are case-insensitive
        return {key: value for key, value in data.items() if value not in ((), [], False)}

    def vendor(self, vendor_id: str, number: int, params: Mapping[str, str] | None = None) -> Vendor:
        """This preset as a registry vendor, with the example parameters where ``params`` has none."""
        values = {**self.params, **(params or {})}
        return Vendor.model_validate({**self.entry(values), "id": vendor_id, "number": number})


def _placeholders(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield from _PLACEHOLDER.findall(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _placeholders(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _placeholders(item)


def _fill(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), value)
    if isinstance(value, Mapping):
        return {key: _fill(item, values) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_fill(item, values) for item in value]
    return value


# -- the catalogue ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Catalogue:
    """Every preset, by id, in file then file order."""

    presets: Mapping[str, Preset]

    def __iter__(self) -> Iterator[Preset]:
        return iter(self.presets.values())

    def __len__(self) -> int:
        return len(self.presets)

    def get(self, preset_id: str) -> Preset | None:
        return self.presets.get(preset_id)

    def search(self, text: str = "", category: str | None = None) -> tuple[Preset, ...]:
        """Presets whose id, name, description, family or hosts contain ``text`` (case-insensitive)."""
        needle = text.casefold()
        return tuple(
            p
            for p in self
            if (category is None or p.category == category)
            and (
                not needle
                or any(needle in field.casefold() for field in (p.id, p.name, p.description, p.family))
                or any(needle in host for host in p.hosts)
            )
        )

    def close_matches(self, preset_id: str) -> list[str]:
        return difflib.get_close_matches(preset_id, list(self.presets), n=3, cutoff=0.6)


class CatalogueError(ConsentError, ValueError):
    """A catalogue file is broken: a bug in the package, reported with the file and preset."""


def parse_catalogue(files: Mapping[str, str]) -> Catalogue:
    """Presets from TOML texts keyed by file name (the file's stem is the preset's ``family``)."""
    presets: dict[str, Preset] = {}
    for file_name, text in files.items():
        family = file_name.removesuffix(".toml")
        for preset_id, fields in tomllib.loads(text).items():
            if preset_id in presets:
                raise CatalogueError(f"{file_name}: preset {preset_id!r} is defined twice")
            try:
                presets[preset_id] = Preset.model_validate({**fields, "id": preset_id, "family": family})
            except ValueError as exc:
                raise CatalogueError(f"{file_name}: preset {preset_id!r}: {exc}") from exc
    return Catalogue(presets)


@cache
def catalogue() -> Catalogue:
    """The package's catalogue, read once."""
    folder = resources.files(__name__)
    files = {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml")
    }
    return parse_catalogue(files)


# -- expansion in a registry (the loader's hook) -----------------------------------------------------


def expand_presets(
    data: Mapping[str, Any], source: str, locate: Locator, presets: Catalogue | None = None
) -> tuple[Mapping[str, Any], list[Problem]]:
    """``data`` with every ``preset = …`` vendor entry merged over its preset, and what was wrong.

    The entry's own fields win over the preset's; ``preset`` stays on the vendor (audit compares
    against it), ``params`` is consumed. A broken entry is still merged as far as possible, so the
    other checks run too and the file gets every problem in one pass.
    """
    vendors = data.get("vendors")
    if not isinstance(vendors, list) or not any(
        isinstance(v, Mapping) and ("preset" in v or "params" in v) for v in vendors
    ):
        return data, []
    book = presets or catalogue()
    problems: list[Problem] = []

    def problem(path: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(source, locate(path), ".".join(map(str, path)), message))

    expanded: list[Any] = []
    for index, entry in enumerate(vendors):
        if not isinstance(entry, Mapping) or not ("preset" in entry or "params" in entry):
            expanded.append(entry)
            continue
        own = {key: value for key, value in entry.items() if key not in _ENTRY_KEYS}
        at = ("vendors", index)
        preset_id = entry.get("preset")
        preset = book.get(preset_id) if isinstance(preset_id, str) else None
        if preset is None:
            if "preset" not in entry:
                problem((*at, "params"), "'params' without a 'preset'")
            else:
                hint = book.close_matches(preset_id) if isinstance(preset_id, str) else []
                also = f" (did you mean {', '.join(map(repr, hint))}?)" if hint else ""
                problem((*at, "preset"), f"unknown preset {preset_id!r}{also}; see 'consent presets list'")
            expanded.append(own)
            continue
        params = _entry_params(entry, preset, at, problem)
        expanded.append({**preset.entry(params), **own, "preset": preset.id})
    return {**data, "vendors": expanded}, problems


def _entry_params(
    entry: Mapping[str, Any],
    preset: Preset,
    at: tuple[str | int, ...],
    problem: Callable[[tuple[str | int, ...], str], None],
) -> dict[str, str]:
    raw = entry.get("params", {})
    if not isinstance(raw, Mapping):
        problem((*at, "params"), "'params' must be a table of parameter values")
        return {}
    params: dict[str, str] = {}
    for name, value in raw.items():
        where = (*at, "params", name)
        if name not in preset.params:
            known = ", ".join(preset.params) or "none"
            problem(where, f"preset {preset.id!r} has no parameter {name!r} (its parameters: {known})")
        elif isinstance(value, bool) or not isinstance(value, str | int):
            problem(where, f"parameter {name!r} must be a string or a number")
        elif not PARAM_VALUE.match(str(value)):
            problem(where, f"parameter {name!r}: {value!r} is not an identifier (letters, digits, ._:@-)")
        else:
            params[name] = str(value)
    for name in preset.required_params:
        if name not in raw:
            example = preset.params[name]
            path = (*at, "params") if "params" in entry else (*at, "preset")
            problem(path, f"preset {preset.id!r} needs the parameter {name!r} (for example {example!r})")
    return params


def is_slug(value: str) -> bool:
    return bool(_SLUG.match(value))


def schema_with_presets(schema: Mapping[str, Any], presets: Catalogue | None = None) -> dict[str, Any]:
    """The registry's JSON Schema (``consent schema``) accepting ``preset`` entries, for editors.

    A vendor with a ``preset`` needs only ``id`` and ``number`` (the rest comes from the preset) and may
    have ``params``; ``preset`` is one of the catalogue's ids. Other vendors need every field, as before.
    """
    result: dict[str, Any] = json.loads(json.dumps(schema))  # a deep copy of plain JSON data
    vendor = result["$defs"]["Vendor"]
    required = [name for name in vendor.get("required", []) if name not in ("id", "number")]
    vendor["required"] = ["id", "number"]
    vendor["if"] = {"required": ["preset"]}
    vendor["else"] = {"required": required, "not": {"required": ["params"]}}
    ids = sorted(p.id for p in (presets or catalogue()))
    vendor["properties"]["preset"] = {
        "enum": ids,
        "description": "A vendor preset ('consent presets list'); the entry's own fields replace its.",
    }
    vendor["properties"]["params"] = {
        "type": "object",
        "additionalProperties": {
            "anyOf": [{"type": "string", "pattern": PARAM_VALUE.pattern}, {"type": "integer"}]
        },
        "description": "The preset's site parameters ('consent presets show ID' lists them).",
    }
    return result
