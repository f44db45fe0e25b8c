"""A TC string's vendor sections: MaxVendorId, then a bit field or range entries, whichever is shorter
(the bit field on a tie), as the TCF's "Consent string and vendor list formats" lays them out.

:func:`vendor_section_bits` encodes any set of vendor ids; :class:`VendorSections` the sets of one
registry's GVL ids, given as small index masks and spelled out from per-byte tables, for what a page
computes per visitor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from .gather import BitGather, ByteFragments
from .idset import IdSet

#: Above this MaxVendorId a sparse vendor set is encoded from its mask's runs, not from a bit string.
_LONG_FIELD: Final = 8192
_EMPTY_SECTION: Final = "0" * 17  # MaxVendorId 0, a bit field of no bits


def vendor_section_bits(vendors: IdSet) -> str:
    """MaxVendorId, IsRangeEncoding and the bit field or the ranges, whichever is shorter."""
    max_id = vendors.max_id
    head = format(max_id, "016b")
    mask = vendors.mask
    # The runs of consecutive ids, counted with whole-mask operations: a run starts at a set bit whose
    # lower neighbour is clear; it is a single id when its upper neighbour is clear too. A range entry
    # costs 17 bits for a single id, 33 for a longer run, after a 12-bit count.
    starts = mask & ~(mask << 1)
    runs_count = starts.bit_count()
    singles = (starts & ~(mask >> 1)).bit_count()
    if 12 + 33 * runs_count - 16 * singles >= max_id:
        return head + "0" + vendors.bitfield(max_id)
    if max_id > _LONG_FIELD:  # few ids among very high ones: walk the mask, build no max_id-bit string
        return head + "1" + range_entries(_mask_runs(mask))
    return head + "1" + range_entries(field_runs(vendors.bitfield(max_id)))


class VendorSections:
    """:func:`vendor_section_bits` for sets of one registry's GVL ids, given as *index masks*: bit ``i``
    stands for ``ids[i]`` (the registry's GVL ids, ascending). Small integers instead of masks up to
    the highest GVL id, for what a page computes per visitor.

    Where no two of the ids are consecutive (the usual case: a site's ad partners are scattered over
    the vendor list) every run is a single id, whose range entry is precomputed a byte of the index
    mask at a time; otherwise the general encoder runs on the ids.
    """

    __slots__ = ("_entries", "_ids", "_to_ids")

    def __init__(self, ids: Sequence[int]) -> None:
        self._ids = tuple(ids)
        if list(self._ids) != sorted(set(self._ids)):
            raise ValueError("the ids must be distinct and ascending")
        self._to_ids = BitGather(enumerate(self._ids))
        self._entries: ByteFragments | None = None
        if all(b - a > 1 for a, b in zip(self._ids, self._ids[1:], strict=False)):
            entries = [f"0{i:016b}" for i in self._ids]
            self._entries = ByteFragments(range(len(entries)), lambda i, on: entries[i] if on else "", sep="")

    def ids_mask(self, index_mask: int) -> int:
        """The ids of ``index_mask`` as an id mask (bit ``ids[i]`` for each bit ``i``)."""
        return self._to_ids(index_mask)

    def bits(self, index_mask: int) -> str:
        """The vendor section of the ids of ``index_mask``."""
        entries = self._entries
        if entries is None:
            return vendor_section_bits(IdSet.from_mask(self._to_ids(index_mask)))
        if not index_mask:
            return _EMPTY_SECTION
        max_id = self._ids[index_mask.bit_length() - 1]
        count = index_mask.bit_count()
        if 12 + 17 * count >= max_id:  # one 17-bit entry per id (no two are consecutive) against max_id bits
            return f"{max_id:016b}0{IdSet.from_mask(self._to_ids(index_mask)).bitfield(max_id)}"
        return f"{max_id:016b}1{count:012b}{entries(index_mask)}"


def field_runs(field: str) -> list[tuple[int, int]]:
    """The (first, last) ids of each run of ones in a bit field (character ``k`` is id ``k + 1``)."""
    runs = []
    find = field.find
    start = find("1")
    while start >= 0:
        end = find("0", start)
        if end < 0:
            end = len(field)
        runs.append((start + 1, end))
        start = find("1", end)
    return runs


def _mask_runs(mask: int) -> list[tuple[int, int]]:
    """The (first, last) ids of each run of consecutive ids in ``mask``, ascending."""
    runs = []
    while mask:
        start = (mask & -mask).bit_length() - 1
        shifted = mask >> start
        length = (~shifted & (shifted + 1)).bit_length() - 1  # the run's count of consecutive ones
        runs.append((start, start + length - 1))
        mask &= ~(((1 << length) - 1) << start)
    return runs


def range_entries(runs: list[tuple[int, int]]) -> str:
    """NumEntries and the entries (IsARange, StartOrOnlyVendorId, EndVendorId), built as one integer."""
    value, width = len(runs), 12
    for start, end in runs:
        if start == end:
            value = value << 17 | start
            width += 17
        else:
            value = (value << 17 | 1 << 16 | start) << 16 | end
            width += 33
    return format(value, f"0{width}b")
