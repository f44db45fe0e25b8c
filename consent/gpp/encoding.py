"""Whole GPP strings: the header, then each section, joined by ``~`` (Consent String Specification).

The header is Type Int(6) = 3, Version Int(6) = 1 and the ids of the sections that follow as a
Range(Fibonacci), in the order the sections appear (ascending id, which the range coding enforces).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from ..errors import GPPStringError
from .bits import BitReader, BitWriter
from .sections import Section, decode_section

HEADER_TYPE = 3
GPP_VERSION = 1


@dataclass(frozen=True, slots=True)
class GppString:
    """A decoded GPP string: its sections in string order."""

    sections: tuple[Section, ...]

    @property
    def section_ids(self) -> tuple[int, ...]:
        return tuple(s.id for s in self.sections)

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def encode(self) -> str:
        return encode_gpp(self.sections)


@lru_cache(maxsize=256)
def encode_header(section_ids: tuple[int, ...]) -> str:
    """The header for these section ids (in the order given: ascending)."""
    header = BitWriter()
    header.uint(HEADER_TYPE, 6)
    header.uint(GPP_VERSION, 6)
    header.fibonacci_range(list(section_ids))
    return header.text()


def encode_gpp(sections: Iterable[Section]) -> str:
    """The GPP string carrying ``sections`` (in ascending id order, as the header requires)."""
    ordered = sorted(sections, key=lambda s: s.id)
    ids = [s.id for s in ordered]
    if len(set(ids)) != len(ids):
        raise ValueError(f"a GPP string carries each section once, got ids {ids}")
    return "~".join([encode_header(tuple(ids)), *(s.encode() for s in ordered)])


def decode_gpp(text: str) -> GppString:
    """Read a GPP string; :class:`~consent.errors.GPPStringError` says what is wrong with a bad one."""
    return GppString(tuple(decode_section(sid, part) for sid, part in split_gpp(text)))


def split_gpp(
    text: str, read_header: Callable[[str], tuple[int, ...]] | None = None
) -> list[tuple[int, str]]:
    """Each section's id (from the header) and text, in string order; the header is checked by
    ``read_header`` (default :func:`decode_header`)."""
    if not isinstance(text, str):
        raise GPPStringError(f"a GPP string is text, got {type(text).__name__}")
    if not text:
        raise GPPStringError("empty")
    header_text, *section_texts = text.split("~")
    ids = (read_header or decode_header)(header_text)
    if len(ids) != len(section_texts):
        raise GPPStringError(
            f"the header lists {len(ids)} section(s) but {len(section_texts)} follow", section="header"
        )
    return list(zip(ids, section_texts, strict=True))


def decode_header(text: str) -> tuple[int, ...]:
    """The section ids a header lists; :class:`~consent.errors.GPPStringError` when it is malformed."""
    header = BitReader(text, "header")
    kind = header.uint(6, "Type")
    if kind != HEADER_TYPE:
        raise GPPStringError(f"header type {kind} where 3 is expected", section="header")
    version = header.uint(6, "Version")
    if version != GPP_VERSION:
        raise GPPStringError(f"unsupported GPP version {version}", section="header")
    ids = header.fibonacci_range("SectionIds")
    header.finish()
    return tuple(ids)
