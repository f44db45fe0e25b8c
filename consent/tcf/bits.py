"""Bits to base64url and back, and a reader that refuses to run past the end of a segment.

TC string segments are sequences of big-endian bit fields written as unpadded base64url. Fields are
handled as strings of ``"0"``/``"1"``: joining, slicing and ``int(bits, 2)`` all run in C, which beats
shifting Python integers bit by bit.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Final

from ..errors import TCStringError

_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]+")
# IAB's library pads every segment to a multiple of 24 bits (whole base64 quanta): so do we, so that
# the same model gives the same text.
_QUANTUM: Final = 24
_URLSAFE: Final = bytes.maketrans(b"+/", b"-_")


def to_bits(value: int, width: int, field: str) -> str:
    """``value`` as ``width`` bits, most significant first; a value that does not fit is an error."""
    if not 0 <= value < 1 << width:
        raise TCStringError(f"{field} {value} does not fit in {width} bits")
    return format(value, f"0{width}b")


def encode_segment(bits: str) -> str:
    """A segment's bits as base64url, zero-padded to whole 24-bit groups."""
    padded = bits.ljust(-(-len(bits) // _QUANTUM) * _QUANTUM, "0")
    raw = int(padded, 2).to_bytes(len(padded) // 8, "big")
    # Whole 24-bit groups: no "=" padding. binascii directly (base64's wrappers add two calls).
    return binascii.b2a_base64(raw, newline=False).translate(_URLSAFE).decode("ascii")


def decode_segment(text: str) -> str:
    """A base64url segment's bits (6 per character); padding ``=`` and other characters are refused."""
    if not _BASE64URL.fullmatch(text):
        bad = sorted({c for c in text if not (c.isascii() and (c.isalnum() or c in "-_"))})
        reason = "an empty segment" if not text else f"characters outside base64url: {''.join(bad)!r}"
        raise TCStringError(reason)
    try:
        raw = base64.urlsafe_b64decode(text + "A" * (-len(text) % 4))
    except binascii.Error as exc:  # pragma: no cover - the pattern above already rules this out
        raise TCStringError(f"not base64url: {exc}") from exc
    bits = format(int.from_bytes(raw, "big"), f"0{len(raw) * 8}b")
    return bits[: len(text) * 6]


class BitReader:
    """Reads fields in order from one segment's bits; reading past the end raises :class:`TCStringError`."""

    __slots__ = ("bits", "pos", "segment")

    def __init__(self, bits: str, segment: str) -> None:
        self.bits = bits
        self.pos = 0
        self.segment = segment

    def take(self, width: int, field: str) -> str:
        end = self.pos + width
        if end > len(self.bits):
            raise TCStringError(
                f"{self.segment} segment is truncated: {field} needs bits {self.pos}-{end - 1}, "
                f"the segment has {len(self.bits)}"
            )
        chunk = self.bits[self.pos : end]
        self.pos = end
        return chunk

    def int(self, width: int, field: str) -> int:
        return int(self.take(width, field), 2)

    def bool(self, field: str) -> bool:
        return self.take(1, field) == "1"
