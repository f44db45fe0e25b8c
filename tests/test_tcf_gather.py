"""The per-registry byte tables (``consent.tcf.gather``) and the vendor sections built on them
(``consent.tcf.vendor_section.VendorSections``), each against a plain loop over the bits."""

from __future__ import annotations

import random

import pytest

from consent.tcf import IdSet
from consent.tcf.gather import BitGather, ByteFragments
from consent.tcf.vendor_section import VendorSections, vendor_section_bits


def naive_gather(pairs: list[tuple[int, int]], mask: int) -> int:
    out = 0
    for source, target in pairs:
        if mask >> source & 1:
            out |= 1 << target
    return out


def random_mask(rng: random.Random, top: int) -> int:
    return sum(1 << i for i in range(top) if rng.random() < rng.choice([0.05, 0.5, 0.95]))


def test_a_gather_moves_every_bit_to_its_place_as_a_loop_would() -> None:
    rng = random.Random(1)
    for _ in range(300):
        sources = rng.sample(range(0, 200), rng.randint(0, 60))
        pairs = [(s, rng.randint(1, 3000)) for s in sources]
        pairs += [(s, rng.randint(1, 3000)) for s in rng.sample(sources, len(sources) // 4)]  # many to one
        gather = BitGather(pairs)
        masks = [random_mask(rng, 260) for _ in range(3)]  # bits beyond the pairs are ignored
        assert gather.three(*masks) == tuple(naive_gather(pairs, m) for m in masks)
        assert gather(masks[0]) == naive_gather(pairs, masks[0])


def test_an_empty_gather_gives_nothing() -> None:
    assert BitGather([]).three(0b1110, 5, 1 << 90) == (0, 0, 0)


def test_fragments_spell_out_the_listed_bits_in_order() -> None:
    rng = random.Random(2)
    for _ in range(300):
        bits = sorted(rng.sample(range(1, 2000), rng.randint(0, 80)))
        fragments = ByteFragments(bits, lambda i, on: f'"{i}":{"true" if on else "false"}')
        mask = random_mask(rng, 2100)
        expected = ",".join(f'"{i}":{"true" if mask >> i & 1 else "false"}' for i in bits)
        assert fragments(mask) == expected
        other = random_mask(rng, 2100)
        assert fragments.pair(mask, other) == (expected, fragments(other))


@pytest.mark.parametrize("bit", [-1])
def test_negative_bits_are_refused(bit: int) -> None:
    with pytest.raises(ValueError, match="negative"):
        BitGather([(bit, 3)])
    with pytest.raises(ValueError, match="negative"):
        BitGather([(3, bit)])
    with pytest.raises(ValueError, match="negative"):
        ByteFragments([bit], lambda i, on: "")


def scattered(rng: random.Random, count: int, top: int = 3000) -> list[int]:
    """``count`` ids, no two consecutive, ascending."""
    return [2 * i + 1 for i in sorted(rng.sample(range(top // 2), count))]


def picked(ids: list[int], index_mask: int) -> IdSet:
    return IdSet(gvl_id for i, gvl_id in enumerate(ids) if index_mask >> i & 1)


def test_vendor_sections_of_scattered_ids_equal_the_general_encoder() -> None:
    rng = random.Random(3)
    encodings = {"ranges": 0, "bit field": 0}
    for _ in range(250):
        top = rng.choice([80, 400, 3000])
        ids = scattered(rng, rng.randint(0, min(120, top // 2)), top)
        sections = VendorSections(ids)
        index_mask = random_mask(rng, len(ids))
        bits = sections.bits(index_mask)
        assert bits == vendor_section_bits(picked(ids, index_mask))
        assert sections.ids_mask(index_mask) == picked(ids, index_mask).mask
        if index_mask:
            encodings["ranges" if bits[16] == "1" else "bit field"] += 1
    assert min(encodings.values()) > 50, encodings


def test_vendor_sections_at_the_tie_choose_the_bit_field_as_the_general_encoder_does() -> None:
    # count ids cost 12 + 17 * count bits as ranges: make that exactly MaxVendorId.
    for count in range(1, 30):
        top = 12 + 17 * count
        ids = sorted(top - 2 * k for k in range(count))  # scattered, the highest is MaxVendorId
        every = (1 << count) - 1
        assert VendorSections(ids).bits(every) == vendor_section_bits(IdSet(ids))
        assert vendor_section_bits(IdSet(ids))[16] == "0"  # the bit field on a tie
        further = [*ids[:-1], top + 2]  # the highest id one step further: ranges win
        assert VendorSections(further).bits(every) == vendor_section_bits(IdSet(further))
        assert vendor_section_bits(IdSet(further))[16] == "1"


def test_vendor_sections_of_neighbouring_ids_take_the_general_way() -> None:
    rng = random.Random(4)
    for _ in range(200):
        start = rng.randint(1, 2000)
        ids = [*range(start, start + rng.randint(2, 50)), *scattered(rng, 5, 1000)]
        ids = sorted(set(ids))
        index_mask = random_mask(rng, len(ids))
        assert VendorSections(ids).bits(index_mask) == vendor_section_bits(picked(ids, index_mask))


def test_vendor_sections_need_ascending_distinct_ids() -> None:
    with pytest.raises(ValueError, match="ascending"):
        VendorSections([5, 3])
    with pytest.raises(ValueError, match="ascending"):
        VendorSections([3, 3])
    assert VendorSections([]).bits(0) == vendor_section_bits(IdSet())
