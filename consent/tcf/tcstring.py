"""Encode and decode TCF v2.3 TC strings: core segment, Disclosed Vendors, Publisher TC.

Layout (bits, from the TCF "Consent string and vendor list formats" v2.3 and IAB's reference library):

========================  =====  ============================================================
core                      bits
========================  =====  ============================================================
Version                   6      always 2
Created, LastUpdated      36+36  deciseconds since the epoch; written at midnight UTC of the day
CmpId, CmpVersion         12+12  CmpId <= 1 is refused (IAB's library does the same)
ConsentScreen             6
ConsentLanguage           12     two letters, 6 bits each, A = 0
VendorListVersion         12
TcfPolicyVersion          6
IsServiceSpecific         1
UseNonStandardTexts       1
SpecialFeatureOptIns      12     bit k = special feature k + 1
PurposesConsent           24
PurposesLITransparency    24
PurposeOneTreatment       1
PublisherCC               12     like ConsentLanguage
vendor consents           var    MaxVendorId 16, IsRangeEncoding 1, then a bit field of MaxVendorId
vendor LI                 var    bits or NumEntries 12 and entries (IsARange 1, Start 16, [End 16])
publisher restrictions    var    NumPubRestrictions 12, each PurposeId 6, RestrictionType 2, and
                                 NumEntries 12 range entries
========================  =====  ============================================================

Other segments start with a 3-bit SegmentType: 1 Disclosed Vendors (a vendor section as above,
mandatory since v2.3), 3 Publisher TC (PubPurposesConsent 24, PubPurposesLITransparency 24,
NumCustomPurposes 6, then two fields of NumCustomPurposes bits). Segments are joined with ``.``.

Vendor sections are written as a bit field or as ranges, whichever is shorter (the bit field on a tie).

Decoding refuses, with :class:`~consent.errors.TCStringError`, everything IAB's ``@iabtechlabtcf/core``
refuses: characters outside base64url (padding ``=`` included), empty segments, truncated fields,
bit fields shorter than MaxVendorId, a version other than 2 (IAB's also reads version 1), unknown
segment types, CmpId <= 1, vendor id 0 in a range, restriction types other than 0-2, purpose id 0
in a restriction. It is stricter in a few places a string can only be wrong: a range whose end is
before its start or beyond MaxVendorId, letters outside A-Z in the language or country, a repeated
segment, a first segment that is not the core, and (unless ``require_disclosed_vendors=False``) a
string without the Disclosed Vendors segment that v2.3 makes mandatory, or the removed Vendors
Allowed segment.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Final

from ..errors import TCStringError
from .bits import BitReader, decode_segment, encode_segment, to_bits
from .idset import IdSet
from .model import (
    NO_LEGITIMATE_INTEREST_PURPOSES,
    PublisherRestriction,
    PublisherTC,
    RestrictionType,
    TCModel,
)
from .vendor_section import VendorSections as VendorSections
from .vendor_section import field_runs, range_entries
from .vendor_section import vendor_section_bits as vendor_section_bits

VERSION: Final = 2
SEGMENT_DISCLOSED_VENDORS: Final = 1
SEGMENT_VENDORS_ALLOWED: Final = 2
SEGMENT_PUBLISHER_TC: Final = 3
_SEGMENT_NAMES: Final = {
    0: "core",
    SEGMENT_DISCLOSED_VENDORS: "Disclosed Vendors",
    SEGMENT_VENDORS_ALLOWED: "Vendors Allowed",
    SEGMENT_PUBLISHER_TC: "Publisher TC",
}

_LETTERS: Final = re.compile("[A-Z]{2}")
_DECISECONDS: Final = 10
_DAY: Final = 86_400
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_VERSION_BITS: Final = "000010"  # Version 2, 6 bits
#: NumPubRestrictions 0: what a string without publisher restrictions carries.
NO_RESTRICTIONS: Final = "0" * 12


# -- encoding ---------------------------------------------------------------------------------------------


def encode_tc_string(model: TCModel, *, disclosed_segment: str | None = None) -> str:
    """The TC string of ``model``: core, Disclosed Vendors and, when present, Publisher TC segments.

    Created and LastUpdated are written at midnight UTC of their day, as the policy requires; the
    legitimate-interest bits of purposes 1, 3, 4, 5 and 6 are never set. ``disclosed_segment`` is
    :func:`encode_disclosed_vendors_segment` of ``model.disclosed_vendors`` when the caller keeps it
    precomputed (it depends on the registry only).
    """
    if model.version != VERSION:
        raise TCStringError(f"only version 2 strings are written, not {model.version}")
    if model.cmp_id <= 1:
        raise TCStringError(f"CmpId must be an IAB-assigned id above 1, not {model.cmp_id}")
    if model.cmp_version < 1:
        raise TCStringError(f"CmpVersion must be 1 or more, not {model.cmp_version}")
    core = core_bits(
        dates_bits(model.created, model.last_updated),
        cmp_bits(
            model.cmp_id,
            model.cmp_version,
            model.consent_screen,
            model.consent_language,
            model.vendor_list_version,
            model.tcf_policy_version,
            model.is_service_specific,
            model.use_non_standard_texts,
        ),
        purpose_bits(
            model.special_feature_optins,
            model.purpose_consents,
            model.purpose_legitimate_interests,
            model.purpose_one_treatment,
            model.publisher_cc,
        ),
        vendor_section_bits(model.vendor_consents),
        vendor_section_bits(model.vendor_legitimate_interests),
        _restrictions_bits(model.publisher_restrictions),
    )
    if disclosed_segment is None:
        disclosed = model.disclosed_vendors if model.disclosed_vendors is not None else IdSet()
        disclosed_segment = encode_disclosed_vendors_segment(disclosed)
    segments = [encode_segment(core), disclosed_segment]
    if model.publisher_tc is not None:
        segments.append(publisher_tc_segment(model.publisher_tc))
    return ".".join(segments)


def core_bits(dates: str, cmp: str, purposes: str, consents: str, legitimate: str, restrictions: str) -> str:
    """The core segment's bits from its parts: :func:`dates_bits`, :func:`cmp_bits`,
    :func:`purpose_bits`, the two vendor sections and the publisher restrictions."""
    return "".join((_VERSION_BITS, dates, cmp, purposes, consents, legitimate, restrictions))


def dates_bits(created: datetime, last_updated: datetime) -> str:
    """Created and LastUpdated, each at midnight UTC of its day."""
    created_bits = _day_bits(created, "Created")
    if last_updated is created:  # a string derived from one decision: one date for both
        return created_bits + created_bits
    return created_bits + _day_bits(last_updated, "LastUpdated")


@lru_cache(maxsize=256)
def purpose_bits(
    special_features: frozenset[int],
    purposes: frozenset[int],
    purposes_li: frozenset[int],
    purpose_one_treatment: bool,
    publisher_cc: str,
) -> str:
    """SpecialFeatureOptIns ... PublisherCC (memoised: few combinations of choices per site). The
    legitimate-interest bits of purposes 1, 3, 4, 5 and 6 are never set."""
    return "".join(
        (
            _flags(special_features, 12, "SpecialFeatureOptIns"),
            _flags(purposes, 24, "PurposesConsent"),
            _flags(purposes_li - NO_LEGITIMATE_INTEREST_PURPOSES, 24, "PurposesLITransparency"),
            "1" if purpose_one_treatment else "0",
            _letters_bits(publisher_cc, "PublisherCC"),
        )
    )


def encode_disclosed_vendors_segment(vendors: IdSet) -> str:
    """The Disclosed Vendors segment on its own (it depends only on the registry: worth caching)."""
    return encode_segment("001" + vendor_section_bits(vendors))


def _restrictions_bits(restrictions: tuple[PublisherRestriction, ...]) -> str:
    if not restrictions:
        return NO_RESTRICTIONS
    parts = [to_bits(len(restrictions), 12, "NumPubRestrictions")]
    for restriction in sorted(restrictions, key=lambda r: (r.purpose_id, r.restriction_type)):
        if not 1 <= restriction.purpose_id <= 24:
            raise TCStringError(f"restriction purpose {restriction.purpose_id} is not 1-24")
        runs = field_runs(restriction.vendors.bitfield())
        parts.append(to_bits(restriction.purpose_id, 6, "PurposeId"))
        parts.append(to_bits(int(RestrictionType(restriction.restriction_type)), 2, "RestrictionType"))
        parts.append(range_entries(runs))
    return "".join(parts)


def publisher_tc_segment(publisher: PublisherTC) -> str:
    """The Publisher TC segment, encoded."""
    count = publisher.num_custom_purposes
    bits = "".join(
        (
            "011",
            _flags(publisher.purpose_consents, 24, "PubPurposesConsent"),
            _flags(publisher.purpose_legitimate_interests, 24, "PubPurposesLITransparency"),
            to_bits(count, 6, "NumCustomPurposes"),
            _flags(publisher.custom_purpose_consents, count, "CustomPurposesConsent"),
            _flags(publisher.custom_purpose_legitimate_interests, count, "CustomPurposesLITransparency"),
        )
    )
    return encode_segment(bits)


def _flags(ids: frozenset[int], width: int, field: str) -> str:
    """A fixed-width field where bit k stands for id k + 1."""
    if not ids:
        return "0" * width
    if min(ids) < 1 or max(ids) > width:
        raise TCStringError(f"{field} holds ids outside 1-{width}: {sorted(ids)}")
    return format(sum(1 << (width - i) for i in ids), f"0{width}b")  # id 1 is the leftmost bit


def _day_bits(moment: datetime, field: str) -> str:
    if moment.tzinfo is None:
        raise TCStringError(f"{field} must be an aware datetime (UTC)")
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return _midnight_bits(moment.toordinal(), field)


@lru_cache(maxsize=64)
def _midnight_bits(day: int, field: str) -> str:
    """00:00 UTC of the ``day``-th day (proleptic Gregorian ordinal) in deciseconds, 36 bits (memoised:
    a string's dates are days, and the strings of a day share them)."""
    deciseconds = (day - _EPOCH_ORDINAL) * _DAY * _DECISECONDS
    if not 0 <= deciseconds < 1 << 36:
        raise TCStringError(f"{field} {date.fromordinal(day)} does not fit in 36 bits")
    return f"{deciseconds:036b}"


@lru_cache(maxsize=64)
def cmp_bits(
    cmp_id: int,
    cmp_version: int,
    consent_screen: int,
    consent_language: str,
    vendor_list_version: int,
    tcf_policy_version: int,
    is_service_specific: bool,
    use_non_standard_texts: bool,
) -> str:
    """CmpId ... UseNonStandardTexts: what a site's CMP and vendor list fix (memoised: one per language)."""
    return "".join(
        (
            to_bits(cmp_id, 12, "CmpId"),
            to_bits(cmp_version, 12, "CmpVersion"),
            to_bits(consent_screen, 6, "ConsentScreen"),
            _letters_bits(consent_language, "ConsentLanguage"),
            to_bits(vendor_list_version, 12, "VendorListVersion"),
            to_bits(tcf_policy_version, 6, "TcfPolicyVersion"),
            "1" if is_service_specific else "0",
            "1" if use_non_standard_texts else "0",
        )
    )


def _letters_bits(code: str, field: str) -> str:
    upper = code.upper()
    if not _LETTERS.fullmatch(upper):
        raise TCStringError(f"{field} must be two letters A-Z, not {code!r}")
    return format(ord(upper[0]) - 65, "06b") + format(ord(upper[1]) - 65, "06b")


# -- decoding ---------------------------------------------------------------------------------------------


def decode_tc_string(text: str, *, require_disclosed_vendors: bool = True) -> TCModel:
    """The :class:`TCModel` of a TC string; :class:`~consent.errors.TCStringError` says what is wrong.

    ``require_disclosed_vendors=False`` also reads pre-v2.3 strings (``disclosed_vendors`` is then
    ``None``), such as the examples in IAB's older test suites.
    """
    if not isinstance(text, str):
        raise TCStringError(f"a TC string is text, not {type(text).__name__}")
    try:
        return _decode(text, require_disclosed_vendors)
    except TCStringError as exc:
        exc.tc_string = text
        raise


def _decode(text: str, require_disclosed_vendors: bool) -> TCModel:
    if not text:
        raise TCStringError("the string is empty")
    first, *others = text.split(".")
    reader = BitReader(decode_segment(first), "core")
    version = reader.int(6, "Version")
    if version >> 3:  # a core segment has no type; its version's top three bits are zero
        kind = version >> 3
        raise TCStringError(
            f"the first segment has type {kind} ({_SEGMENT_NAMES.get(kind, 'unknown')}), not the core's"
        )
    if version != VERSION:
        raise TCStringError(f"version {version} is not 2")
    created = _read_date(reader, "Created")
    last_updated = _read_date(reader, "LastUpdated")
    cmp_id = reader.int(12, "CmpId")
    if cmp_id <= 1:
        raise TCStringError(f"CmpId {cmp_id} is not a valid CMP id (must be above 1)")
    cmp_version = reader.int(12, "CmpVersion")
    consent_screen = reader.int(6, "ConsentScreen")
    consent_language = _read_letters(reader, "ConsentLanguage")
    vendor_list_version = reader.int(12, "VendorListVersion")
    tcf_policy_version = reader.int(6, "TcfPolicyVersion")
    is_service_specific = reader.bool("IsServiceSpecific")
    use_non_standard_texts = reader.bool("UseNonStandardTexts")
    special_features = _read_flags(reader, 12, "SpecialFeatureOptIns")
    purpose_consents = _read_flags(reader, 24, "PurposesConsent")
    purpose_li = _read_flags(reader, 24, "PurposesLITransparency")
    purpose_one_treatment = reader.bool("PurposeOneTreatment")
    publisher_cc = _read_letters(reader, "PublisherCC")
    vendor_consents = read_vendor_section(reader, "vendor consents")
    vendor_li = read_vendor_section(reader, "vendor legitimate interests")
    restrictions = _read_restrictions(reader)

    disclosed: IdSet | None = None
    publisher: PublisherTC | None = None
    seen: set[int] = set()
    for segment in others:
        bits = decode_segment(segment)
        kind = int(bits[:3], 2)
        name = _SEGMENT_NAMES.get(kind)
        if name is None:
            raise TCStringError(f"unknown segment type {kind}")
        if kind == 0:
            raise TCStringError("a second core segment")
        if kind == SEGMENT_VENDORS_ALLOWED:
            raise TCStringError("the Vendors Allowed segment is not part of TCF v2.3")
        if kind in seen:
            raise TCStringError(f"the {name} segment appears twice")
        seen.add(kind)
        segment_reader = BitReader(bits, name)
        segment_reader.pos = 3
        if kind == SEGMENT_DISCLOSED_VENDORS:
            disclosed = read_vendor_section(segment_reader, "disclosed vendors")
        else:
            publisher = _read_publisher_tc(segment_reader)
    if disclosed is None and require_disclosed_vendors:
        raise TCStringError("the Disclosed Vendors segment is missing (mandatory since TCF v2.3)")
    return TCModel(
        created=created,
        last_updated=last_updated,
        cmp_id=cmp_id,
        cmp_version=cmp_version,
        consent_screen=consent_screen,
        consent_language=consent_language,
        vendor_list_version=vendor_list_version,
        tcf_policy_version=tcf_policy_version,
        is_service_specific=is_service_specific,
        use_non_standard_texts=use_non_standard_texts,
        special_feature_optins=special_features,
        purpose_consents=purpose_consents,
        purpose_legitimate_interests=purpose_li,
        purpose_one_treatment=purpose_one_treatment,
        publisher_cc=publisher_cc,
        vendor_consents=vendor_consents,
        vendor_legitimate_interests=vendor_li,
        publisher_restrictions=restrictions,
        disclosed_vendors=disclosed,
        publisher_tc=publisher,
        version=version,
    )


def read_vendor_section(reader: BitReader, field: str) -> IdSet:
    """A vendor section (MaxVendorId, IsRangeEncoding, bit field or ranges) from ``reader``."""
    max_id = reader.int(16, f"{field} MaxVendorId")
    if not reader.bool(f"{field} IsRangeEncoding"):
        return IdSet.from_bitfield(reader.take(max_id, f"{field} bit field")) if max_id else IdSet()
    mask = 0
    for _ in range(reader.int(12, f"{field} NumEntries")):
        start, end = _read_range(reader, field)
        if end > max_id:
            raise TCStringError(f"{field}: vendor {end} is above MaxVendorId {max_id}")
        mask |= ((1 << (end - start + 1)) - 1) << start
    return IdSet.from_mask(mask)


def _read_range(reader: BitReader, field: str) -> tuple[int, int]:
    is_range = reader.bool(f"{field} IsARange")
    start = reader.int(16, f"{field} StartOrOnlyVendorId")
    end = reader.int(16, f"{field} EndVendorId") if is_range else start
    if start == 0:
        raise TCStringError(f"{field}: vendor id 0 in a range entry")
    if end < start:
        raise TCStringError(f"{field}: range {start}-{end} ends before it starts")
    return start, end


def _read_restrictions(reader: BitReader) -> tuple[PublisherRestriction, ...]:
    restrictions = []
    for _ in range(reader.int(12, "NumPubRestrictions")):
        purpose = reader.int(6, "restriction PurposeId")
        kind = reader.int(2, "RestrictionType")
        if purpose == 0:
            raise TCStringError("a publisher restriction on purpose 0")
        if kind > RestrictionType.REQUIRE_LEGITIMATE_INTEREST:
            raise TCStringError(f"restriction type {kind} is undefined")
        mask = 0
        for _ in range(reader.int(12, "restriction NumEntries")):
            start, end = _read_range(reader, "publisher restriction")
            mask |= ((1 << (end - start + 1)) - 1) << start
        restrictions.append(PublisherRestriction(purpose, RestrictionType(kind), IdSet.from_mask(mask)))
    return tuple(restrictions)


def _read_publisher_tc(reader: BitReader) -> PublisherTC:
    consents = _read_flags(reader, 24, "PubPurposesConsent")
    legitimate = _read_flags(reader, 24, "PubPurposesLITransparency")
    count = reader.int(6, "NumCustomPurposes")
    custom_consents = _read_flags(reader, count, "CustomPurposesConsent") if count else frozenset[int]()
    custom_li = _read_flags(reader, count, "CustomPurposesLITransparency") if count else frozenset[int]()
    return PublisherTC(consents, legitimate, count, custom_consents, custom_li)


def _read_flags(reader: BitReader, width: int, field: str) -> frozenset[int]:
    bits = reader.take(width, field)
    return frozenset(i for i, bit in enumerate(bits, start=1) if bit == "1")


def _read_date(reader: BitReader, field: str) -> datetime:
    deciseconds = reader.int(36, field)
    return datetime.fromtimestamp(deciseconds / _DECISECONDS, UTC)


def _read_letters(reader: BitReader, field: str) -> str:
    first, second = reader.int(6, field), reader.int(6, field)
    if first > 25 or second > 25:
        raise TCStringError(f"{field} holds a letter outside A-Z")
    return chr(65 + first) + chr(65 + second)
