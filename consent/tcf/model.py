"""What a TCF v2.3 TC string says, as plain immutable data (field names follow the TCF specification).

Purpose, special-feature and publisher sets are small ``frozenset``\\ s; vendor sets, which run to
thousands of ids, are :class:`~consent.tcf.idset.IdSet`\\ s. :func:`consent.tcf.tcstring.encode_tc_string`
turns a :class:`TCModel` into text and :func:`~consent.tcf.tcstring.decode_tc_string` back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum

from .idset import EMPTY, IdSet

#: Purposes 1, 3, 4, 5 and 6 can never rest on legitimate interest (TCF policy since v2.2): IAB's
#: library clears these bits before encoding, and so do we.
NO_LEGITIMATE_INTEREST_PURPOSES = frozenset({1, 3, 4, 5, 6})


class RestrictionType(IntEnum):
    """A publisher restriction on a purpose for some vendors (two bits in the string)."""

    NOT_ALLOWED = 0
    REQUIRE_CONSENT = 1
    REQUIRE_LEGITIMATE_INTEREST = 2


@dataclass(frozen=True, slots=True)
class PublisherRestriction:
    """``vendors`` may use ``purpose_id`` only as ``restriction_type`` says."""

    purpose_id: int
    restriction_type: RestrictionType
    vendors: IdSet


@dataclass(frozen=True, slots=True)
class PublisherTC:
    """The optional Publisher TC segment: the site's own purposes and its custom ones."""

    purpose_consents: frozenset[int] = frozenset()
    purpose_legitimate_interests: frozenset[int] = frozenset()
    num_custom_purposes: int = 0
    custom_purpose_consents: frozenset[int] = frozenset()
    custom_purpose_legitimate_interests: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class TCModel:
    """Every field of a TC string's core, Disclosed Vendors and Publisher TC segments.

    ``disclosed_vendors`` is ``None`` only for a decoded pre-v2.3 string that lacks the segment; the
    encoder always writes it (an empty set still gives the segment).
    """

    created: datetime
    last_updated: datetime
    cmp_id: int
    cmp_version: int
    consent_screen: int = 0
    consent_language: str = "EN"
    vendor_list_version: int = 0
    tcf_policy_version: int = 5
    is_service_specific: bool = True
    use_non_standard_texts: bool = False
    special_feature_optins: frozenset[int] = frozenset()
    purpose_consents: frozenset[int] = frozenset()
    purpose_legitimate_interests: frozenset[int] = frozenset()
    purpose_one_treatment: bool = False
    publisher_cc: str = "AA"
    vendor_consents: IdSet = EMPTY
    vendor_legitimate_interests: IdSet = EMPTY
    publisher_restrictions: tuple[PublisherRestriction, ...] = ()
    disclosed_vendors: IdSet | None = EMPTY
    publisher_tc: PublisherTC | None = None
    version: int = field(default=2)
