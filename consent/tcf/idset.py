"""A set of TCF ids (vendors, purposes) kept as one integer bit mask: bit ``i`` set means id ``i`` is in.

TC strings carry vendor sets of up to 65,535 ids. As a Python integer such a set is joined, compared
and turned into the string's bit field with a few C-level operations instead of a loop over its ids,
which is what keeps encoding a 1,000-vendor string cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final

MAX_ID: Final = 0xFFFF  # a 16-bit vendor id


class IdSet:
    """An immutable set of positive integer ids (``1`` ... :data:`MAX_ID`)."""

    __slots__ = ("mask",)
    mask: int

    def __init__(self, ids: Iterable[int] = ()) -> None:
        mask = 0
        for i in ids:
            if not isinstance(i, int) or isinstance(i, bool) or not 1 <= i <= MAX_ID:
                raise ValueError(f"an id must be an integer from 1 to {MAX_ID}, got {i!r}")
            mask |= 1 << i
        object.__setattr__(self, "mask", mask)

    @classmethod
    def from_mask(cls, mask: int) -> IdSet:
        """The set whose bit ``i`` of ``mask`` says whether id ``i`` is in (bit 0 must be clear)."""
        if mask < 0 or mask & 1 or mask.bit_length() > MAX_ID + 1:
            raise ValueError("not an id mask")
        new = cls.__new__(cls)
        object.__setattr__(new, "mask", mask)
        return new

    @classmethod
    def from_bitfield(cls, bits: str) -> IdSet:
        """The set a TC string bit field describes: character ``k`` (``"0"``/``"1"``) is id ``k + 1``."""
        return cls.from_mask(int(bits[::-1] + "0", 2)) if bits else EMPTY

    def bitfield(self, width: int | None = None) -> str:
        """The TC string bit field of ids ``1 ... width`` (default: up to the highest id), id 1 first."""
        width = self.max_id if width is None else width
        if width < self.max_id:
            raise ValueError(f"id {self.max_id} does not fit in a field of {width} bits")
        if width == 0:
            return ""
        return bin(self.mask)[-2:1:-1].ljust(width, "0")

    @property
    def max_id(self) -> int:
        """The highest id in the set, 0 when empty."""
        return max(self.mask.bit_length() - 1, 0)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("IdSet is immutable")

    def __contains__(self, item: object) -> bool:
        return isinstance(item, int) and item > 0 and bool(self.mask >> item & 1)

    def __iter__(self) -> Iterator[int]:
        bits = bin(self.mask)[:1:-1]
        return (i for i, bit in enumerate(bits) if bit == "1")

    def __len__(self) -> int:
        return self.mask.bit_count()

    def __bool__(self) -> bool:
        return self.mask != 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, IdSet):
            return self.mask == other.mask
        if isinstance(other, set | frozenset):
            return frozenset(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.mask)

    def __or__(self, other: IdSet) -> IdSet:
        return IdSet.from_mask(self.mask | other.mask)

    def __and__(self, other: IdSet) -> IdSet:
        return IdSet.from_mask(self.mask & other.mask)

    def __sub__(self, other: IdSet) -> IdSet:
        return IdSet.from_mask(self.mask & ~other.mask)

    def __repr__(self) -> str:
        ids = list(self)
        shown = ", ".join(map(str, ids[:12])) + (", ..." if len(ids) > 12 else "")
        return f"IdSet({{{shown}}})"


EMPTY: Final = IdSet()


def id_set(ids: Iterable[int] | IdSet) -> IdSet:
    """``ids`` as an :class:`IdSet` (returned as is when it already is one)."""
    return ids if isinstance(ids, IdSet) else IdSet(ids)
