"""Bit masks renumbered, and bit masks spelled out, a byte at a time through per-registry tables.

A visitor's choices are bit masks over registry vendor numbers; the TCF speaks of GVL ids. A
:class:`BitGather` moves each set bit of a source mask to its place in a target numbering (several
sources may land on one target: the result is their union), and a :class:`ByteFragments` turns a mask
into text, one precomputed piece per byte. Both cost one table lookup per byte that holds a mapped bit,
whatever the bits set, instead of one step per vendor.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Final

_BYTE: Final = 256


def _by_byte(bits: Iterable[int]) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = defaultdict(list)
    for bit in bits:
        if bit < 0:
            raise ValueError(f"bit {bit} is negative")
        grouped[bit >> 3].append(bit)
    return dict(sorted(grouped.items()))


class BitGather:
    """Maps a mask in one numbering to a mask in another: bit ``s`` set in the source sets bit ``t``
    of the result, for every ``(s, t)`` pair given. Source bits without a pair are ignored."""

    __slots__ = ("_length", "_tables")

    def __init__(self, pairs: Iterable[tuple[int, int]]) -> None:
        targets: dict[int, int] = defaultdict(int)
        for source, target in pairs:
            if target < 0:
                raise ValueError(f"bit {target} is negative")
            targets[source] |= 1 << target
        tables: list[tuple[int, tuple[int, ...]]] = []
        for byte, sources in _by_byte(targets).items():
            single = [0] * 8
            for source in sources:
                single[source & 7] |= targets[source]
            table = [0] * _BYTE
            for value in range(1, _BYTE):  # each value: the value without its lowest bit, plus that bit
                low = value & -value
                table[value] = table[value ^ low] | single[low.bit_length() - 1]
            tables.append((byte, tuple(table)))
        self._tables = tuple(tables)
        self._length = tables[-1][0] + 1 if tables else 0

    def __call__(self, mask: int) -> int:
        length = self._length
        if not length:
            return 0
        raw = (mask & ((1 << (8 * length)) - 1)).to_bytes(length, "little")
        out = 0
        for byte, table in self._tables:
            out |= table[raw[byte]]
        return out

    def three(self, first: int, second: int, third: int) -> tuple[int, int, int]:
        """Three masks mapped in one pass over the tables (what a TC string needs per visitor)."""
        length = self._length
        if not length:
            return 0, 0, 0
        keep = (1 << (8 * length)) - 1
        raw_1 = (first & keep).to_bytes(length, "little")
        raw_2 = (second & keep).to_bytes(length, "little")
        raw_3 = (third & keep).to_bytes(length, "little")
        out_1 = out_2 = out_3 = 0
        for byte, table in self._tables:
            out_1 |= table[raw_1[byte]]
            out_2 |= table[raw_2[byte]]
            out_3 |= table[raw_3[byte]]
        return out_1, out_2, out_3


class ByteFragments:
    """Spells a mask out as text: one piece per listed bit, ``piece(bit, is_set)``, joined by ``sep``
    in ascending bit order (bits not listed are ignored). Each byte's pieces are joined in advance for
    all 256 values of that byte."""

    __slots__ = ("_length", "_sep", "_tables")

    def __init__(self, bits: Iterable[int], piece: Callable[[int, bool], str], sep: str = ",") -> None:
        tables: list[tuple[int, tuple[str, ...]]] = []
        for byte, members in _by_byte(set(bits)).items():
            members.sort()
            table = tuple(
                sep.join(piece(bit, bool(value >> (bit & 7) & 1)) for bit in members)
                for value in range(_BYTE)
            )
            tables.append((byte, table))
        self._tables = tuple(tables)
        self._length = tables[-1][0] + 1 if tables else 0
        self._sep = sep

    def __call__(self, mask: int) -> str:
        length = self._length
        if not length:
            return ""
        raw = (mask & ((1 << (8 * length)) - 1)).to_bytes(length, "little")
        pieces = []  # a loop, not a comprehension: no extra frame (this runs on every page)
        for byte, table in self._tables:
            pieces.append(table[raw[byte]])
        return self._sep.join(pieces)

    def pair(self, first: int, second: int) -> tuple[str, str]:
        """Two masks spelled out in one pass over the tables (TCData's two vendor maps)."""
        length = self._length
        if not length:
            return "", ""
        keep = (1 << (8 * length)) - 1
        raw_1 = (first & keep).to_bytes(length, "little")
        raw_2 = (second & keep).to_bytes(length, "little")
        pieces_1, pieces_2 = [], []
        for byte, table in self._tables:
            pieces_1.append(table[raw_1[byte]])
            pieces_2.append(table[raw_2[byte]])
        sep = self._sep
        return sep.join(pieces_1), sep.join(pieces_2)
