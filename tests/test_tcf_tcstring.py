"""The TC string codec on its own: round trips, the shorter vendor encoding, and a table of malformed
strings, each refused with TCStringError (and, where IAB's library refuses it too, checked there)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from tcf_support.iab import IabTcf

from consent.errors import ConsentError, TCStringError
from consent.tcf import IdSet, PublisherTC, TCModel, decode_tc_string, encode_tc_string
from consent.tcf.bits import encode_segment, to_bits
from consent.tcf.tcstring import vendor_section_bits

WHEN = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)


@pytest.fixture(scope="module")
def iab() -> Iterator[IabTcf]:
    judge = IabTcf()
    yield judge
    judge.close()


def model(**changes: object) -> TCModel:
    base: dict[str, object] = {
        "created": WHEN,
        "last_updated": WHEN,
        "cmp_id": 300,
        "cmp_version": 2,
        "vendor_list_version": 140,
        "purpose_consents": frozenset({1, 2, 3}),
        "vendor_consents": IdSet([2, 6, 755]),
        "disclosed_vendors": IdSet([2, 6, 8, 755]),
    }
    return TCModel(**(base | changes))  # type: ignore[arg-type]


def test_round_trip_keeps_every_field() -> None:
    original = model(
        publisher_tc=PublisherTC(frozenset({1}), frozenset({2}), 3, frozenset({1, 3}), frozenset({2})),
        special_feature_optins=frozenset({1, 2}),
        purpose_legitimate_interests=frozenset({2, 7}),
        publisher_cc="DE",
        consent_language="FR",
    )
    decoded = decode_tc_string(encode_tc_string(original))
    midnight = WHEN.replace(hour=0, minute=0, second=0)
    assert decoded == model(
        publisher_tc=original.publisher_tc,
        special_feature_optins=frozenset({1, 2}),
        purpose_legitimate_interests=frozenset({2, 7}),
        publisher_cc="DE",
        consent_language="FR",
        created=midnight,
        last_updated=midnight,
    )


def test_created_and_last_updated_are_written_at_midnight_utc() -> None:
    decoded = decode_tc_string(encode_tc_string(model()))
    assert decoded.created == datetime(2026, 3, 14, tzinfo=UTC) == decoded.last_updated


def test_legitimate_interest_never_set_for_purposes_1_and_3_to_6() -> None:
    string = encode_tc_string(model(purpose_legitimate_interests=frozenset(range(1, 12))))
    assert decode_tc_string(string).purpose_legitimate_interests == frozenset({2, 7, 8, 9, 10, 11})


@pytest.mark.parametrize(
    ("vendors", "encoding"),
    [
        (IdSet(range(1, 3001)), "range"),  # one run: 12 + 33 bits beat 3,000
        (IdSet([3000]), "range"),
        (IdSet(range(1, 3001, 2)), "bitfield"),
        (IdSet([1, 2, 3]), "bitfield"),  # 3 bits beat any range entry
        (IdSet(), "bitfield"),
    ],
)
def test_vendor_sections_take_the_shorter_encoding(vendors: IdSet, encoding: str) -> None:
    bits = vendor_section_bits(vendors)
    assert bits[16] == ("1" if encoding == "range" else "0")
    assert IdSet.from_bitfield(vendors.bitfield()) == vendors


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"cmp_id": 1}, "CmpId"),
        ({"cmp_id": 0}, "CmpId"),
        ({"cmp_version": 0}, "CmpVersion"),
        ({"cmp_id": 4096}, "CmpId 4096 does not fit"),
        ({"consent_language": "E1"}, "ConsentLanguage"),
        ({"publisher_cc": "DEU"}, "PublisherCC"),
        ({"purpose_consents": frozenset({25})}, "PurposesConsent"),
        ({"created": datetime(2026, 1, 1)}, "aware"),
    ],
)
def test_encoding_refuses_what_no_valid_string_holds(changes: dict[str, object], reason: str) -> None:
    with pytest.raises(TCStringError, match=reason):
        encode_tc_string(model(**changes))


def test_errors_are_consent_errors_with_the_reason_and_string() -> None:
    with pytest.raises(ConsentError) as info:
        decode_tc_string("C!")
    assert isinstance(info.value, TCStringError)
    assert "outside base64url" in info.value.reason and info.value.tc_string == "C!"


# -- malformed strings ------------------------------------------------------------------------------------


def core(**fields: int) -> str:
    """Core segment bits with some fields replaced: every value is given as (int)."""
    values = {
        "version": 2,
        "created": 17_000_000_000,
        "updated": 17_000_000_000,
        "cmp_id": 300,
        "cmp_version": 2,
        "screen": 0,
        "lang1": 4,
        "lang2": 13,
        "gvl": 140,
        "policy": 5,
    } | fields
    return "".join(
        (
            to_bits(values["version"], 6, "v"),
            to_bits(values["created"], 36, "c"),
            to_bits(values["updated"], 36, "u"),
            to_bits(values["cmp_id"], 12, "id"),
            to_bits(values["cmp_version"], 12, "ver"),
            to_bits(values["screen"], 6, "s"),
            to_bits(values["lang1"], 6, "l"),
            to_bits(values["lang2"], 6, "l"),
            to_bits(values["gvl"], 12, "g"),
            to_bits(values["policy"], 6, "p"),
            "00",
            "0" * 12 + "1" * 24 + "0" * 24 + "0",
            to_bits(3, 6, "c"),
            to_bits(4, 6, "c"),  # PublisherCC "DE"
        )
    )


EMPTY_VENDORS = "0" * 16 + "0"
NO_RESTRICTIONS = "0" * 12
GOOD_CORE = core() + EMPTY_VENDORS + EMPTY_VENDORS + NO_RESTRICTIONS
GOOD = encode_segment(GOOD_CORE) + "." + encode_segment("001" + vendor_section_bits(IdSet([2, 5])))


def vendors_range(max_id: int, *entries: tuple[int, int]) -> str:
    bits = format(max_id, "016b") + "1" + format(len(entries), "012b")
    for start, end in entries:
        bits += f"0{start:016b}" if start == end else f"1{start:016b}{end:016b}"
    return bits


def restriction(purpose: int, kind: int, *entries: tuple[int, int]) -> str:
    bits = format(1, "012b") + format(purpose, "06b") + format(kind, "02b") + format(len(entries), "012b")
    for start, end in entries:
        bits += f"0{start:016b}" if start == end else f"1{start:016b}{end:016b}"
    return bits


def with_core(bits: str) -> str:
    return encode_segment(bits) + "." + GOOD.split(".")[1]


# (string, reason matched, IAB's library refuses it too)
MALFORMED = [
    ("", "empty", True),
    (GOOD + "=", "outside base64url", True),
    (GOOD.replace("A", "+", 1), "outside base64url", True),
    (GOOD.replace("A", "/", 1), "outside base64url", True),
    (" " + GOOD, "outside base64url", True),
    (GOOD + ".", "empty segment", True),
    (GOOD.replace(".", "..", 1), "empty segment", True),
    (GOOD[:20], "truncated", True),
    (with_core(core()[:-3]), "truncated", True),  # a segment is padded with zeros: cut into non-zero bits
    (with_core(core(version=3) + EMPTY_VENDORS * 2 + NO_RESTRICTIONS), "version 3", True),
    (with_core(core(cmp_id=1) + EMPTY_VENDORS * 2 + NO_RESTRICTIONS), "CmpId 1", True),
    (with_core(core(cmp_id=0) + EMPTY_VENDORS * 2 + NO_RESTRICTIONS), "CmpId 0", True),
    (with_core(core() + format(40, "016b") + "0" + "1" * 20), "truncated", True),  # bit field < MaxVendorId
    (with_core(core() + vendors_range(9, (0, 3)) + EMPTY_VENDORS + NO_RESTRICTIONS), "vendor id 0", True),
    (with_core(core() + EMPTY_VENDORS * 2 + restriction(2, 3, (4, 4))), "restriction type 3", True),
    (with_core(core() + EMPTY_VENDORS * 2 + restriction(0, 1, (4, 4))), "purpose 0", True),
    (with_core(core() + EMPTY_VENDORS * 2 + restriction(2, 1, (9, 4))), "ends before", True),
    (GOOD + "." + encode_segment("101" + "0" * 21), "unknown segment type 5", True),
    (
        GOOD + "." + encode_segment("011" + "0" * 48 + "111111" + "01"),
        "truncated",
        True,
    ),  # 63 custom purposes
    (
        GOOD.split(".")[0] + "." + encode_segment("001" + format(30, "016b") + "0" + "1" * 5),
        "truncated",
        True,
    ),
    # IAB's own test (#142): the bit field is shorter than its MaxVendorId.
    (
        "CLSYjTaOngnCIAOABBENAXCMAGOAABBAAA7IA5n-m7fP6_3fbqVv6E__PoA5Aqff3aJx8tv_1967rfnQEQoAIAAQCrwkAEABAcACABIMACAAuApEVABABUSABgBCAVSAtIoACACIArYQAHACgAFgAVwBJgDcAI7AWgMAAgBiKgAgBMgFfKQAQBRkQAQA4AFiBAAoA-AEVAJlAVgAtYcACAJcAr4eABAK8OgBgFzAOmAqwgABAWyA.IFukWSQh",
        "truncated",
        True,
    ),
    # Stricter than IAB's library, for strings that can only be wrong (or are no longer v2.3):
    (
        "BOhwdphOxFC7tAHABBFRC--AAAAuhr_7__7-_9_-_f__9uj3Or_v_f__32ccL59v_h_7v-_7fi_20nV4u_1vft9yfk1-5ctDztp507iakivXmqdeb9v_nz3_5pxP78k89r7337Ew_v8_v-b7BCON_YxEiA",
        "version 1",
        False,
    ),
    (GOOD.split(".")[0], "Disclosed Vendors segment is missing", False),
    (GOOD + "." + GOOD.split(".")[1], "appears twice", False),
    (GOOD + "." + encode_segment("010" + EMPTY_VENDORS), "Vendors Allowed", False),
    (GOOD + "." + GOOD.split(".")[0], "second core", False),
    (".".join(reversed(GOOD.split("."))), "type 1 \\(Disclosed Vendors\\), not the core's", False),
    (with_core(core() + vendors_range(9, (7, 3)) + EMPTY_VENDORS + NO_RESTRICTIONS), "ends before", False),
    (
        with_core(core() + vendors_range(9, (12, 12)) + EMPTY_VENDORS + NO_RESTRICTIONS),
        "above MaxVendorId",
        False,
    ),
    (with_core(core(lang1=30) + EMPTY_VENDORS * 2 + NO_RESTRICTIONS), "outside A-Z", False),
]


def test_the_good_string_of_the_table_is_good(iab: IabTcf) -> None:
    assert decode_tc_string(GOOD).disclosed_vendors == IdSet([2, 5])
    assert iab.decode(GOOD)["ok"]


@pytest.mark.parametrize(("string", "reason", "iab_refuses"), MALFORMED)
def test_malformed_strings_are_refused(iab: IabTcf, string: str, reason: str, iab_refuses: bool) -> None:
    with pytest.raises(TCStringError, match=reason):
        decode_tc_string(string)
    assert (not iab.decode(string)["ok"]) is iab_refuses


# -- dates ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("created", "day"),
    [
        (
            datetime(2026, 5, 4, 23, 30, tzinfo=timezone(timedelta(hours=-2))),
            datetime(2026, 5, 5, tzinfo=UTC),
        ),
        (datetime(2026, 5, 5, 1, 30, tzinfo=timezone(timedelta(hours=3))), datetime(2026, 5, 4, tzinfo=UTC)),
        (datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC)),
    ],
)
def test_dates_are_written_at_midnight_utc_of_their_utc_day(created: datetime, day: datetime) -> None:
    decoded = decode_tc_string(encode_tc_string(model(created=created, last_updated=WHEN)))
    assert (decoded.created, decoded.last_updated) == (day, datetime(2026, 3, 14, tzinfo=UTC))


@pytest.mark.parametrize(
    ("created", "reason"),
    [
        (datetime(2026, 5, 4), "Created must be an aware datetime"),  # naive: the point of the test
        (datetime(1969, 12, 31, tzinfo=UTC), "Created 1969-12-31 does not fit in 36 bits"),
    ],
)
def test_dates_that_cannot_be_written_are_refused(created: datetime, reason: str) -> None:
    with pytest.raises(TCStringError, match=reason):
        encode_tc_string(model(created=created))
