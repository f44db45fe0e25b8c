"""The discrete GPP sections this package writes and reads, field by field.

Section ids and API prefixes are IAB's ("Section Information"). Field lists, widths and order follow
the IAB section specifications and match IAB's reference library ``@iabgpp/cmpapi`` 3.2:

``usnat`` (7), version 2 (October 2024, current; written by default), and version 1 (read, and written
on request). Core fields, each Int(2) unless stated: Version Int(6), SharingNotice, SaleOptOutNotice,
SharingOptOutNotice, TargetedAdvertisingOptOutNotice, SensitiveDataProcessingOptOutNotice,
SensitiveDataLimitUseNotice, SaleOptOut, SharingOptOut, TargetedAdvertisingOptOut,
SensitiveDataProcessing N-Bitfield(2,16) (v1: 12), KnownChildSensitiveDataConsents N-Bitfield(2,3)
(v1: 2), PersonalDataConsents, MspaCoveredTransaction, MspaOptOutOptionMode, MspaServiceProviderMode:
70 bits in v2, 60 in v1. Then an optional GPC subsection. A "version 1" core of 70 bits or more is read
with the version 2 widths and cut to version 1's entries, as IAB's decoder does: IAB's library wrote
such strings from November 2024 to February 2026.

``usca`` (8) v1: SaleOptOutNotice, SharingOptOutNotice, SensitiveDataLimitUseNotice, SaleOptOut,
SharingOptOut, SensitiveDataProcessing (2,9), KnownChildSensitiveDataConsents (2,2),
PersonalDataConsents, the three Mspa fields; GPC subsection.
``usva`` (9) v1: SharingNotice, SaleOptOutNotice, TargetedAdvertisingOptOutNotice, SaleOptOut,
TargetedAdvertisingOptOut, SensitiveDataProcessing (2,8), KnownChildSensitiveDataConsents Int(2), the
three Mspa fields; no GPC subsection (Virginia's law has no universal opt-out signal).
``usco`` (10) v1: as Virginia with SensitiveDataProcessing (2,7); GPC subsection.
``usct`` (12) v1: as Virginia with KnownChildSensitiveDataConsents (2,3); GPC subsection.

The GPC subsection is SubsectionType Int(2) = 1, then Gpc Boolean.

Values: every Int(2) field means 0 not applicable, 1 yes (opted out / notice given / no consent for
the data lists), 2 no; 3 is undefined and rejected. MspaCoveredTransaction is 1 or 2 only. These are
the values IAB's library accepts when a field is set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..errors import GPPStringError
from .bits import BitReader, BitWriter

FieldValue = int | tuple[int, ...]

#: Every section id IAB has assigned (``3`` is the header itself, ``4`` the unused signal-integrity id).
SECTION_NAMES: Mapping[int, str] = {
    1: "tcfeuv1",
    2: "tcfeuv2",
    5: "tcfcav1",
    6: "uspv1",
    7: "usnat",
    8: "usca",
    9: "usva",
    10: "usco",
    11: "usut",
    12: "usct",
    13: "usfl",
    14: "usmt",
    15: "usor",
    16: "ustx",
    17: "usde",
    18: "usia",
    19: "usne",
    20: "usnh",
    21: "usnj",
    22: "ustn",
    23: "usmn",
    24: "usmd",
    25: "usin",
    26: "usky",
    27: "usri",
}
SECTION_IDS: Mapping[str, int] = {name: sid for sid, name in SECTION_NAMES.items()}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One core field after Version: an Int(2), or an N-Bitfield(2, ``count``) when ``count`` is set."""

    name: str
    count: int | None = None
    lowest: int = 0  # MspaCoveredTransaction has no "not applicable"

    @property
    def bits(self) -> int:
        return 2 * (self.count or 1)

    def default(self) -> FieldValue:
        if self.count is not None:
            return (0,) * self.count
        return 2 if self.lowest else 0

    def check(self, value: object) -> FieldValue:
        """``value`` as stored, or ``ValueError`` saying what is wrong with it."""
        if self.count is None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{self.name} must be an integer, got {value!r}")
            if not self.lowest <= value <= 2:
                allowed = "1 or 2" if self.lowest else "0, 1 or 2"
                raise ValueError(f"{self.name} must be {allowed}, got {value}")
            return value
        if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
            raise ValueError(f"{self.name} must be a list of {self.count} integers, got {value!r}")
        items = tuple(value)
        if len(items) != self.count:
            raise ValueError(f"{self.name} must have {self.count} entries, got {len(items)}")
        for item in items:
            if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item <= 2:
                raise ValueError(f"{self.name} entries must be 0, 1 or 2, got {item!r}")
        return items


def _layout(*names: str, sensitive: int, child: int | None) -> tuple[FieldSpec, ...]:
    """A US section's core fields: the notices and opt-outs named, the two data lists, then MSPA."""
    specs = [FieldSpec(n) for n in names]
    specs.append(FieldSpec("SensitiveDataProcessing", sensitive))
    specs.append(FieldSpec("KnownChildSensitiveDataConsents", child))
    return tuple(specs)


_MSPA = (
    FieldSpec("MspaCoveredTransaction", lowest=1),
    FieldSpec("MspaOptOutOptionMode"),
    FieldSpec("MspaServiceProviderMode"),
)
_USNAT_HEAD = (
    "SharingNotice",
    "SaleOptOutNotice",
    "SharingOptOutNotice",
    "TargetedAdvertisingOptOutNotice",
    "SensitiveDataProcessingOptOutNotice",
    "SensitiveDataLimitUseNotice",
    "SaleOptOut",
    "SharingOptOut",
    "TargetedAdvertisingOptOut",
)
_STATE_HEAD = (
    "SharingNotice",
    "SaleOptOutNotice",
    "TargetedAdvertisingOptOutNotice",
    "SaleOptOut",
    "TargetedAdvertisingOptOut",
)
_PERSONAL = (FieldSpec("PersonalDataConsents"),)


@dataclass(frozen=True, slots=True)
class SectionLayout:
    """How one US section is laid out, per version of its specification."""

    id: int
    name: str
    versions: Mapping[int, tuple[FieldSpec, ...]]
    current: int
    gpc: bool  # whether the specification defines a GPC subsection

    def fields(self, version: int) -> tuple[FieldSpec, ...]:
        return self.versions[version]


LAYOUTS: Mapping[str, SectionLayout] = {
    layout.name: layout
    for layout in (
        SectionLayout(
            7,
            "usnat",
            {
                1: (*_layout(*_USNAT_HEAD, sensitive=12, child=2), *_PERSONAL, *_MSPA),
                2: (*_layout(*_USNAT_HEAD, sensitive=16, child=3), *_PERSONAL, *_MSPA),
            },
            current=2,
            gpc=True,
        ),
        SectionLayout(
            8,
            "usca",
            {
                1: (
                    *_layout(
                        "SaleOptOutNotice",
                        "SharingOptOutNotice",
                        "SensitiveDataLimitUseNotice",
                        "SaleOptOut",
                        "SharingOptOut",
                        sensitive=9,
                        child=2,
                    ),
                    *_PERSONAL,
                    *_MSPA,
                )
            },
            current=1,
            gpc=True,
        ),
        SectionLayout(9, "usva", {1: (*_layout(*_STATE_HEAD, sensitive=8, child=None), *_MSPA)}, 1, False),
        SectionLayout(10, "usco", {1: (*_layout(*_STATE_HEAD, sensitive=7, child=None), *_MSPA)}, 1, True),
        SectionLayout(12, "usct", {1: (*_layout(*_STATE_HEAD, sensitive=8, child=3), *_MSPA)}, 1, True),
    )
}
_LAYOUT_BY_ID = {layout.id: layout for layout in LAYOUTS.values()}
GPC_SUBSECTION_TYPE = 1


@dataclass(frozen=True, slots=True)
class UsSection:
    """One US section (national or state): its core fields and, where defined, its GPC subsection.

    ``fields`` holds every core field but Version, by specification name; ``gpc`` is ``None`` when the
    string carries no GPC subsection. Build one with :meth:`build`, which fills defaults and checks
    values; read one with :func:`decode_section`.
    """

    name: str
    version: int
    fields: Mapping[str, FieldValue]
    gpc: bool | None = None

    @classmethod
    def build(
        cls,
        name: str,
        values: Mapping[str, object] | None = None,
        *,
        version: int | None = None,
        gpc: bool | None = None,
    ) -> UsSection:
        layout = LAYOUTS.get(name)
        if layout is None:
            raise ValueError(f"no US section called {name!r} (known: {', '.join(LAYOUTS)})")
        version = layout.current if version is None else version
        if version not in layout.versions:
            raise ValueError(f"{name} has no version {version}")
        if gpc is not None and not layout.gpc:
            raise ValueError(f"{name} has no GPC subsection")
        values = values or {}
        specs = layout.fields(version)
        unknown = set(values) - {s.name for s in specs}
        if unknown:
            raise ValueError(f"{name} v{version} has no field {', '.join(sorted(unknown))}")
        fields = {s.name: s.check(values[s.name]) if s.name in values else s.default() for s in specs}
        return cls(name, version, MappingProxyType(fields), gpc)

    @property
    def id(self) -> int:
        return LAYOUTS[self.name].id

    def encode(self) -> str:
        core = BitWriter()
        core.uint(self.version, 6)
        for spec in LAYOUTS[self.name].fields(self.version):
            value = self.fields[spec.name]
            for item in value if isinstance(value, tuple) else (value,):
                core.uint(item, 2)
        if self.gpc is None:
            return core.text()
        sub = BitWriter()
        sub.uint(GPC_SUBSECTION_TYPE, 2)
        sub.flag(self.gpc)
        return f"{core.text()}.{sub.text()}"

    def parsed(self) -> list[dict[str, Any]]:
        """The CMP API representation (``getSection``): one object per subsection, in string order."""
        core: dict[str, Any] = {"Version": self.version}
        for key, value in self.fields.items():
            core[key] = list(value) if isinstance(value, tuple) else value
        if self.gpc is None:
            return [core]
        return [core, {"SubsectionType": GPC_SUBSECTION_TYPE, "Gpc": self.gpc}]


_TC_STRING = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
#: A version 2 core segment starts with the bits 000010: the base64url character "C".
_VERSION_2_START = "C"
_WEB_SAFE = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass(frozen=True, slots=True)
class TcfEuV2Section:
    """Section 2: an IAB TCF EU v2 TC string, carried as it is (its encoder lives in ``consent.tcf``)."""

    text: str

    id = 2
    name = "tcfeuv2"

    def __post_init__(self) -> None:
        if not _TC_STRING.fullmatch(self.text):
            raise GPPStringError("a TC string is base64url segments joined by '.'", section=self.name)
        if self.text[0] != _VERSION_2_START:
            raise GPPStringError("the TC string's core segment is not version 2", section=self.name)

    def encode(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class OtherSection:
    """A section IAB has assigned but this package does not read (``tcfcav1``, ``usut``...): kept as text,
    so a string decoded and encoded again loses nothing."""

    id: int
    text: str
    name: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", SECTION_NAMES[self.id])

    def encode(self) -> str:
        return self.text


Section = UsSection | TcfEuV2Section | OtherSection


def decode_section(section_id: int, text: str) -> Section:
    """One section's text, read by its id; ``GPPStringError`` when it is malformed."""
    name = SECTION_NAMES.get(section_id)
    if name is None:
        raise GPPStringError(f"unknown section id {section_id}")
    if not text.strip():
        raise GPPStringError("blank section", section=name)
    if not _WEB_SAFE.fullmatch(text):
        raise GPPStringError("a section is made of URL-safe characters (A-Z a-z 0-9 - _ .)", section=name)
    if section_id == TcfEuV2Section.id:
        return TcfEuV2Section(text)
    layout = _LAYOUT_BY_ID.get(section_id)
    if layout is None:
        return OtherSection(section_id, text)
    return _decode_us(layout, text)


def _bit_count(specs: tuple[FieldSpec, ...]) -> int:
    return 6 + sum(spec.bits for spec in specs)


def _decode_us(layout: SectionLayout, text: str) -> UsSection:
    name = layout.name
    core_text, *subsections = text.split(".")
    core = BitReader(core_text, name)
    version = core.uint(6, "Version")
    if version not in layout.versions:
        raise GPPStringError(f"unsupported version {version}", section=name)
    specs = layout.fields(version)
    if version < layout.current and core.length >= _bit_count(layout.fields(layout.current)):
        # IAB's library wrote usnat "version 1" with the version 2 field widths from November 2024 to
        # February 2026 (3.1.x); like IAB's current decoder, read those widths and keep version 1's entries.
        wide = {spec.name: spec for spec in layout.fields(layout.current)}
        reads = [wide[spec.name] for spec in specs]
    else:
        reads = list(specs)
    fields: dict[str, FieldValue] = {}
    for spec, read in zip(specs, reads, strict=True):
        items = tuple(core.uint(2, spec.name) for _ in range(read.count or 1))[: spec.count or 1]
        value: FieldValue = items if spec.count is not None else items[0]
        try:
            fields[spec.name] = spec.check(value)
        except ValueError as error:
            raise GPPStringError(str(error), section=name) from None
    core.finish()
    gpc: bool | None = None
    if subsections:
        if not layout.gpc:
            raise GPPStringError("this section has no subsections", section=name)
        if len(subsections) > 1:
            raise GPPStringError(
                f"{len(subsections)} subsections where at most one (GPC) is defined", section=name
            )
        sub = BitReader(subsections[0], name)
        kind = sub.uint(2, "SubsectionType")
        if kind != GPC_SUBSECTION_TYPE:
            raise GPPStringError(f"subsection type {kind} where 1 (GPC) is expected", section=name)
        gpc = sub.flag("Gpc")
        sub.finish()
    return UsSection(name, version, MappingProxyType(fields), gpc)
