"""From the signed consent store to a TC string: a pure function of registry, state and settings.

The TC string is never a second source of truth: it is derived from the visitor's stored decisions
on each request that needs it. How registry decisions become TCF signals:

- **Purposes (consent)**: a registry category stands for TCF purposes, listed in the registry's
  ``[tcf.categories.<id>]`` table, or by default the consent purposes its TCF vendors declare. A
  purpose has consent when the visitor *granted* an optional category standing for it (required
  categories never give consent). Special features opt in the same way.
- **Purposes (legitimate interest)**: the legitimate-interest purposes a category's TCF vendors
  declare (never 1, 3, 4, 5, 6) are signalled once the visitor has decided, unless they objected to
  the purpose (``ConsentState.objected_purposes``) or *denied* a category standing for it (denying
  is objecting too).
- **Vendor consent**: a GVL vendor (``tcf_id``) has consent when every optional registry vendor
  carrying that id is granted by the visitor (a Global Privacy Control suppression counts as not
  granted). A vendor in a required category is never asked, so it never gets consent this way.
- **Vendor legitimate interest**: for GVL vendors declaring legitimate-interest purposes (or only
  special purposes), once the visitor has decided, objected to none of its registry vendors
  (``ConsentState.objections``: consent may stand beside an objection) and denied none of them.
- **Disclosed vendors**: every GVL vendor of the registry (they are all listed in the second layer).
- **Publisher TC**: the site's ``publisher_purposes`` follow the purpose signals above; each custom
  purpose follows its category. The segment is written when the site declares any of these.

Visitors who have not decided get no TC string (``None``): the CMP API then reports the banner.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Final

from ..errors import CmpSettingsError, TCStringError
from ..registry import Registry, TcfSettings
from ..state import ConsentState, Decision
from .gather import BitGather
from .gvl import GVL
from .idset import IdSet
from .model import NO_LEGITIMATE_INTEREST_PURPOSES, PublisherTC, TCModel
from .tcstring import decode_tc_string, encode_disclosed_vendors_segment, encode_tc_string
from .vendor_section import VendorSections

MAX_12_BITS = 4095  # the TC string gives CmpId and CmpVersion 12 bits each


@dataclass(frozen=True, slots=True)
class CmpSettings:
    """What the site's IAB CMP registration gives it, and how its UI was shown."""

    cmp_id: int
    cmp_version: int
    consent_language: str = "EN"
    consent_screen: int = 1
    is_service_specific: bool = True

    def __post_init__(self) -> None:
        if not 1 < self.cmp_id <= MAX_12_BITS:
            raise CmpSettingsError(
                "cmp_id",
                f"cmp_id must be the id IAB Europe assigned to the CMP (2 to 4095), not {self.cmp_id}",
            )
        if not 1 <= self.cmp_version <= MAX_12_BITS:
            raise CmpSettingsError("cmp_version", f"cmp_version must be 1 to 4095, not {self.cmp_version}")
        if not (
            len(self.consent_language) == 2
            and self.consent_language.isascii()
            and self.consent_language.isalpha()
        ):
            raise CmpSettingsError(
                "consent_language",
                f"consent_language must be two letters (ISO 639-1), not {self.consent_language!r}",
            )


@dataclass(frozen=True, slots=True)
class TcfTable:
    """What every visitor of one registry shares, computed once per registry."""

    settings: TcfSettings
    # (category id, consent purposes, special features, legitimate-interest purposes) per optional category
    category_purposes: tuple[tuple[str, frozenset[int], frozenset[int], frozenset[int]], ...]
    vendor_bits: tuple[tuple[str, int], ...]  # (registry vendor id, 1 << its GVL id)
    legitimate_interest_mask: int  # GVL ids whose vendors may rely on legitimate interest
    disclosed: IdSet
    disclosed_segment: str
    #: The registry vendors ``vendor_bits`` lists, as a mask over registry vendor numbers.
    optional_mask: int
    #: From registry vendor numbers to *GVL indexes*: bit ``i`` stands for the ``i``-th of the registry's
    #: GVL ids (ascending), so a visitor's masks stay small integers whatever the ids.
    to_index: BitGather
    #: ``legitimate_interest_mask`` as GVL indexes.
    legitimate_interest_indexes: int
    #: The TC string's vendor sections for GVL index masks (and their GVL ids: ``ids_mask``).
    vendor_sections: VendorSections
    #: The categories whose decisions the TCF signals read (those standing for TCF purposes or special
    #: features, and those the site's custom purposes follow), in a fixed order.
    decision_categories: tuple[str, ...]
    #: :class:`PurposeSignals` by (granted, denied) bits over ``decision_categories`` and the purposes
    #: objected to: a handful of combinations per site, each worked out once.
    purpose_signals: Callable[[int, int, frozenset[int]], PurposeSignals]

    @classmethod
    def build(cls, registry: Registry) -> TcfTable:
        settings = registry.tcf or TcfSettings()
        declared: dict[str, tuple[set[int], set[int], set[int]]] = defaultdict(lambda: (set(), set(), set()))
        slugs: dict[int, list[str]] = defaultdict(list)
        disclosed_ids: set[int] = set()
        legitimate: set[int] = set()
        for vendor in registry.vendors:
            if vendor.tcf_id is None:
                continue
            disclosed_ids.add(vendor.tcf_id)
            if not registry.is_required(vendor):  # required vendors were never asked: no consent
                slugs[vendor.tcf_id].append(vendor.id)
            if vendor.tcf is None:
                continue
            consent, features, li = declared[vendor.category]
            consent.update(vendor.tcf.purposes)
            features.update(vendor.tcf.special_features)
            li.update(vendor.tcf.legitimate_interest_purposes)
            only_special = not vendor.tcf.purposes and not vendor.tcf.legitimate_interest_purposes
            if vendor.tcf.legitimate_interest_purposes or (only_special and vendor.tcf.special_purposes):
                legitimate.add(vendor.tcf_id)
        categories = []
        for category in registry.ordered_categories():
            if category.required:
                continue
            consent, features, li = declared[category.id]
            named = settings.categories.get(category.id)
            purposes = frozenset(named.purposes) if named else frozenset(consent)
            special = frozenset(named.special_features) if named else frozenset(features)
            li_purposes = frozenset(li) - NO_LEGITIMATE_INTEREST_PURPOSES
            if purposes or special or li_purposes:
                categories.append((category.id, purposes, special, li_purposes))
        disclosed = IdSet(disclosed_ids)
        decision_categories = tuple(
            dict.fromkeys([c for c, *_ in categories] + [c.category for c in settings.custom_purposes])
        )
        registry_bits = registry.vendor_bits
        index = {tcf_id: i for i, tcf_id in enumerate(disclosed)}
        numbered = [(registry_bits[slug], tcf_id) for tcf_id, ids in sorted(slugs.items()) for slug in ids]
        return cls(
            settings,
            tuple(categories),
            tuple((slug, 1 << tcf_id) for tcf_id, ids in sorted(slugs.items()) for slug in ids),
            IdSet(legitimate).mask,
            disclosed,
            encode_disclosed_vendors_segment(disclosed),
            sum(bit for bit, _ in numbered),
            BitGather((bit.bit_length() - 1, index[tcf_id]) for bit, tcf_id in numbered),
            sum(1 << index[tcf_id] for tcf_id in legitimate),
            VendorSections(list(disclosed)),
            decision_categories,
            lru_cache(maxsize=256)(
                partial(_purpose_signals, settings, tuple(categories), decision_categories)
            ),
        )


@dataclass(frozen=True, slots=True)
class PurposeSignals:
    """What a visitor's category decisions say in TCF terms (shared by every visitor who decided alike)."""

    purposes: frozenset[int]
    purposes_li: frozenset[int]
    special_features: frozenset[int]
    publisher_tc: PublisherTC | None


PURPOSES_UNDECIDED: Final = PurposeSignals(frozenset(), frozenset(), frozenset(), None)


def _purpose_signals(
    settings: TcfSettings,
    categories: tuple[tuple[str, frozenset[int], frozenset[int], frozenset[int]], ...],
    decision_categories: tuple[str, ...],
    granted: int,
    denied: int,
    objected_purposes: frozenset[int] = frozenset(),
) -> PurposeSignals:
    """The purpose signals of the decisions ``granted``/``denied`` (bit ``i``: ``decision_categories[i]``)
    and the purposes whose legitimate interest the visitor objected to."""

    def decision(category_id: str) -> Decision:
        bit = 1 << decision_categories.index(category_id)
        return Decision.GRANTED if granted & bit else Decision.DENIED if denied & bit else Decision.UNASKED

    purposes: set[int] = set()
    special: set[int] = set()
    objected: set[int] = set()
    li_candidates: set[int] = set()
    for category_id, consent_ids, feature_ids, li_ids in categories:
        answer = decision(category_id)
        if answer is Decision.GRANTED:
            purposes |= consent_ids
            special |= feature_ids
        elif answer is Decision.DENIED:
            objected |= consent_ids | li_ids
        li_candidates |= li_ids
    objected |= objected_purposes
    return PurposeSignals(
        frozenset(purposes),
        frozenset(li_candidates - objected),
        frozenset(special),
        _publisher_tc(settings, decision, frozenset(purposes), frozenset(objected)),
    )


def decision_bits(table: TcfTable, state: ConsentState) -> tuple[int, int, frozenset[int]]:
    """The visitor's (granted, denied) bits over ``table.decision_categories``, and the purposes they
    objected to."""
    granted = denied = 0
    yes, no = Decision.GRANTED, Decision.DENIED
    for i, category_id in enumerate(table.decision_categories):
        answer = state.category_decision(category_id)
        if answer is yes:
            granted |= 1 << i
        elif answer is no:
            denied |= 1 << i
    return granted, denied, state.objected_purposes


def vendor_masks(table: TcfTable, state: ConsentState) -> tuple[int, int]:
    """The GVL ids with the visitor's consent, and those that may rely on legitimate interest, as GVL
    index masks (``table.vendor_sections.ids_mask`` turns them into GVL id masks).

    Bit masks over registry vendor numbers, renumbered to GVL indexes a byte at a time. A vendor counts
    as granted only while it may run (a Global Privacy Control suppression counts as not granted); a
    GVL id has consent only when every registry vendor carrying it is granted, and loses its legitimate
    interest when the visitor objected to or denied any of them.
    """
    optional, decided, granted = table.optional_mask, state.decided, state.granted
    ok = granted & decided & state.allowed & optional
    objecting = (decided & ~granted) | state.objections
    allowed, refused, denied = table.to_index.three(ok, optional & ~ok, optional & objecting)
    return allowed & ~refused, table.legitimate_interest_indexes & ~denied


def tcf_table(registry: Registry) -> TcfTable:
    """The registry's :class:`TcfTable`, built on first use and kept with the registry."""
    return registry.derived(TcfTable.build)


def tc_model_for(
    registry: Registry, state: ConsentState, cmp: CmpSettings, *, now: datetime | None = None
) -> TCModel | None:
    """The TC model of the visitor's stored decisions (``None`` when they have not decided)."""
    if not state.is_decided:
        return None
    if state.registry is not registry:
        state = state.rebind(registry)  # as the gate reads a state against another registry
    table = tcf_table(registry)
    settings = table.settings
    signals = table.purpose_signals(*decision_bits(table, state))
    consents, legitimate = vendor_masks(table, state)
    to_ids = table.vendor_sections.ids_mask
    when = state.decided_at or now or datetime.now(UTC)
    return TCModel(
        created=when,
        last_updated=when,
        cmp_id=cmp.cmp_id,
        cmp_version=cmp.cmp_version,
        consent_screen=cmp.consent_screen,
        consent_language=cmp.consent_language,
        vendor_list_version=settings.vendor_list_version,
        tcf_policy_version=settings.tcf_policy_version,
        is_service_specific=cmp.is_service_specific,
        use_non_standard_texts=settings.use_non_standard_texts,
        special_feature_optins=signals.special_features,
        purpose_consents=signals.purposes,
        purpose_legitimate_interests=signals.purposes_li,
        purpose_one_treatment=settings.purpose_one_treatment,
        publisher_cc=settings.publisher_country,
        vendor_consents=IdSet.from_mask(to_ids(consents)),
        vendor_legitimate_interests=IdSet.from_mask(to_ids(legitimate)),
        disclosed_vendors=table.disclosed,
        publisher_tc=signals.publisher_tc,
    )


def _publisher_tc(
    settings: TcfSettings,
    decision: Callable[[str], Decision],
    purposes: frozenset[int],
    objected: frozenset[int],
) -> PublisherTC | None:
    if not (
        settings.publisher_purposes
        or settings.publisher_legitimate_interest_purposes
        or settings.custom_purposes
    ):
        return None
    custom_count = max((c.id for c in settings.custom_purposes), default=0)
    custom_consents = frozenset(
        c.id
        for c in settings.custom_purposes
        if c.legal_basis == "consent" and decision(c.category) is Decision.GRANTED
    )
    custom_li = frozenset(
        c.id
        for c in settings.custom_purposes
        if c.legal_basis == "legitimate_interest" and decision(c.category) is not Decision.DENIED
    )
    li = (
        frozenset(settings.publisher_legitimate_interest_purposes)
        - objected
        - NO_LEGITIMATE_INTEREST_PURPOSES
    )
    return PublisherTC(
        frozenset(settings.publisher_purposes) & purposes, li, custom_count, custom_consents, custom_li
    )


def tc_string_for(
    registry: Registry, state: ConsentState, cmp: CmpSettings, *, now: datetime | None = None
) -> str | None:
    """The TC string of the visitor's stored decisions (``None`` when they have not decided)."""
    model = tc_model_for(registry, state, cmp, now=now)
    if model is None:
        return None
    return encode_tc_string(model, disclosed_segment=tcf_table(registry).disclosed_segment)


def policy_version_changed(current: GVL | int, shown: str | int | TCModel) -> bool:
    """Whether the TCF policy version moved on since ``shown`` (a TC string, its model, or a version).

    A new ``tcfPolicyVersion`` in the GVL invalidates every TC string written under the old one: the
    visitor must be asked again. A TC string that does not decode counts as changed.
    """
    version = current.tcf_policy_version if isinstance(current, GVL) else current
    if isinstance(shown, str):
        try:
            shown = decode_tc_string(shown, require_disclosed_vendors=False)
        except TCStringError:
            return True
    shown_version = shown.tcf_policy_version if isinstance(shown, TCModel) else shown
    return shown_version != version


def tcf_needs_prompt(registry: Registry, state: ConsentState) -> bool:
    """Whether the visitor decided before the site began showing its current ``tcfPolicyVersion``."""
    settings = registry.tcf
    if settings is None or settings.policy_version_since is None:
        return False
    return state.decided_at is None or state.decided_at < settings.policy_version_since
