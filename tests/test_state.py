"""ConsentState: decisions per purpose and vendor, and how they survive registry edits."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import registry_data

from consent.errors import UnknownIdError
from consent.registry import Registry, duration_seconds
from consent.state import (
    DEFAULT_LIFETIME,
    MAX_LIFETIME,
    ConsentState,
    Decision,
    Method,
    Policy,
    Signal,
    assemble,
    new_consent_id,
)

NOW = datetime(2025, 3, 14, 9, 26, 53, 589793, tzinfo=UTC)
CONSENT_ID = re.compile(r"^[a-z2-7]{16}$")
OPTIONAL = ("functional", "statistics", "marketing")


def build(data: dict[str, Any]) -> Registry:
    return Registry.model_validate(data)


def optional_ids(registry: Registry) -> list[str]:
    return [v.id for v in registry.optional_vendors()]


def required_ids(registry: Registry) -> list[str]:
    return [v.id for v in registry.vendors if registry.is_required(v)]


def random_choices(registry: Registry, seed: int) -> dict[str, bool]:
    """Grant, deny or leave unasked each optional vendor at random."""
    rng = random.Random(seed)
    choices: dict[str, bool] = {}
    for vendor_id in optional_ids(registry):
        pick = rng.randrange(3)
        if pick < 2:
            choices[vendor_id] = pick == 0
    return choices


def decisions(state: ConsentState) -> dict[str, Decision]:
    return {v.id: state.vendor_decision(v.id) for v in state.registry.vendors}


@pytest.fixture
def data40() -> dict[str, Any]:
    return registry_data(40)


@pytest.fixture
def reg40(data40: dict[str, Any]) -> Registry:
    return build(data40)


# -- an undecided visitor ------------------------------------------------------------------------


def test_undecided_state_is_not_decided(registry: Registry) -> None:
    state = ConsentState.undecided(registry)
    assert not state.is_decided
    assert state.needs_prompt()
    assert state.needs_prompt(registry)
    assert state.decided_at is None and state.method is None and state.consent_id is None


def test_undecided_state_allows_nothing_optional(registry: Registry) -> None:
    state = ConsentState.undecided(registry)
    assert not any(state.allows(v) for v in optional_ids(registry))
    assert all(state.vendor_decision(v) is Decision.UNASKED for v in optional_ids(registry))


def test_required_vendors_are_always_allowed(registry: Registry) -> None:
    required = required_ids(registry)
    assert required, "the seed registry has required vendors"
    for state in (
        ConsentState.undecided(registry),
        ConsentState.reject_all(registry),
        ConsentState.accept_all(registry).withdrawn(),
    ):
        assert all(state.allows(v) for v in required)
        assert state.allows_category("necessary")
        assert state.category_decision("necessary") is Decision.GRANTED


@pytest.mark.parametrize("category_id", OPTIONAL)
def test_optional_category_is_denied_until_granted(registry: Registry, category_id: str) -> None:
    state = ConsentState.undecided(registry)
    assert not state.allows_category(category_id)
    assert state.category_decision(category_id) is Decision.UNASKED
    granted = state.with_choices({}, {category_id: True}, method=Method.CUSTOM)
    assert granted.allows_category(category_id)
    assert [c for c in OPTIONAL if granted.allows_category(c)] == [category_id]


def test_undecided_granted_vendors_are_the_required_ones(registry: Registry) -> None:
    state = ConsentState.undecided(registry)
    assert [v.id for v in state.granted_vendors()] == required_ids(registry)


def test_new_vendors_is_empty_when_undecided(registry: Registry) -> None:
    assert ConsentState.undecided(registry).new_vendors() == ()


# -- immutability ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("consent_id", "aaaaaaaaaaaaaaaa"),
        ("decided_at", NOW),
        ("method", Method.ACCEPT_ALL),
        ("granted", 0xFF),
        ("categories", ()),
    ],
)
def test_state_is_immutable(registry: Registry, field: str, value: object) -> None:
    state = ConsentState.reject_all(registry, now=NOW)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(state, field, value)


def test_with_choices_returns_a_new_state(registry: Registry) -> None:
    before = ConsentState.reject_all(registry, now=NOW)
    vendor = optional_ids(registry)[0]
    after = before.with_choices({vendor: True}, method=Method.CUSTOM, now=NOW)
    assert after is not before
    assert not before.allows(vendor)
    assert after.allows(vendor)


# -- accept all / reject all / withdraw --------------------------------------------------------------


def test_accept_all_allows_every_vendor(registry: Registry) -> None:
    state = ConsentState.accept_all(registry, now=NOW)
    assert state.is_decided
    assert state.method is Method.ACCEPT_ALL
    assert state.granted_vendors() == registry.vendors
    assert all(state.allows_category(c.id) for c in registry.categories)
    assert not state.needs_prompt(registry)


def test_reject_all_allows_only_required_vendors(registry: Registry) -> None:
    state = ConsentState.reject_all(registry, now=NOW)
    assert state.is_decided
    assert state.method is Method.REJECT_ALL
    assert [v.id for v in state.granted_vendors()] == required_ids(registry)
    assert all(state.vendor_decision(v) is Decision.DENIED for v in optional_ids(registry))
    assert all(state.category_decision(c) is Decision.DENIED for c in OPTIONAL)
    assert not state.needs_prompt(registry)


def test_withdraw_denies_everything_optional(registry: Registry) -> None:
    state = ConsentState.accept_all(registry, now=NOW).withdrawn(now=NOW + timedelta(days=3))
    assert state.method is Method.WITHDRAW
    assert state.is_decided
    assert [v.id for v in state.granted_vendors()] == required_ids(registry)
    assert not any(state.allows_category(c) for c in OPTIONAL)
    assert state.decided_at == (NOW + timedelta(days=3)).replace(microsecond=0)


def test_withdraw_keeps_the_consent_id(registry: Registry) -> None:
    accepted = ConsentState.accept_all(registry, now=NOW)
    assert accepted.consent_id is not None
    assert accepted.withdrawn().consent_id == accepted.consent_id


# -- custom choices -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_with_choices_records_arbitrary_choices(registry: Registry, seed: int) -> None:
    choices = random_choices(registry, seed)
    state = ConsentState.undecided(registry).with_choices(choices, method=Method.CUSTOM, now=NOW)
    for vendor_id in optional_ids(registry):
        expected = (
            Decision.UNASKED
            if vendor_id not in choices
            else Decision.GRANTED
            if choices[vendor_id]
            else Decision.DENIED
        )
        assert state.vendor_decision(vendor_id) is expected, vendor_id
        assert state.allows(vendor_id) is (expected is Decision.GRANTED)


@pytest.mark.parametrize("seed", range(6))
def test_granted_vendors_are_the_granted_ones_in_registry_order(registry: Registry, seed: int) -> None:
    choices = random_choices(registry, seed)
    state = ConsentState.undecided(registry).with_choices(choices, method=Method.CUSTOM, now=NOW)
    expected = [v.id for v in registry.vendors if registry.is_required(v) or choices.get(v.id) is True]
    assert [v.id for v in state.granted_vendors()] == expected


def test_with_choices_keeps_earlier_decisions(registry: Registry) -> None:
    a, b, c, d = optional_ids(registry)[:4]
    first = ConsentState.undecided(registry).with_choices(
        {a: True, b: False}, {"statistics": True}, method=Method.CUSTOM, now=NOW
    )
    second = first.with_choices({c: True}, {"marketing": False}, method=Method.CUSTOM, now=NOW)
    assert second.vendor_decision(a) is Decision.GRANTED
    assert second.vendor_decision(b) is Decision.DENIED
    assert second.vendor_decision(c) is Decision.GRANTED
    assert second.vendor_decision(d) is Decision.UNASKED
    assert second.category_decision("statistics") is Decision.GRANTED
    assert second.category_decision("marketing") is Decision.DENIED
    assert second.category_decision("functional") is Decision.UNASKED


def test_with_choices_overrides_an_earlier_decision(registry: Registry) -> None:
    vendor = optional_ids(registry)[0]
    granted = ConsentState.accept_all(registry, now=NOW)
    denied = granted.with_choices({vendor: False}, {"marketing": False}, method=Method.CUSTOM)
    assert not denied.allows(vendor)
    assert not denied.allows_category("marketing")
    assert all(denied.allows(v) for v in optional_ids(registry)[1:])


def test_with_choices_ignores_required_vendors(registry: Registry) -> None:
    required = required_ids(registry)[0]
    state = ConsentState.undecided(registry).with_choices(
        {required: False}, {"necessary": False}, method=Method.CUSTOM
    )
    assert state.allows(required)
    assert state.allows_category("necessary")


@pytest.mark.parametrize("kind", ["vendor", "category"])
def test_with_choices_rejects_unknown_ids(registry: Registry, kind: str) -> None:
    vendors = {"no-such-vendor": True} if kind == "vendor" else {}
    categories = {"no-such-category": True} if kind == "category" else {}
    with pytest.raises(KeyError):
        ConsentState.undecided(registry).with_choices(vendors, categories, method=Method.CUSTOM)


def test_unknown_vendor_is_never_allowed(registry: Registry) -> None:
    state = ConsentState.accept_all(registry, now=NOW)
    assert not state.allows("no-such-vendor")
    assert state.vendor_decision("no-such-vendor") is not Decision.GRANTED


def test_unknown_category_is_never_allowed(registry: Registry) -> None:
    state = ConsentState.accept_all(registry, now=NOW)
    assert not state.allows_category("no-such-category")


def test_category_grant_does_not_grant_its_vendors(registry: Registry) -> None:
    state = ConsentState.undecided(registry).with_choices({}, {"marketing": True}, method=Method.CUSTOM)
    assert state.allows_category("marketing")
    assert not any(state.allows(v.id) for v in registry.vendors_in("marketing"))


# -- click-to-load ---------------------------------------------------------------------------------


def test_embed_grant_from_undecided_leaves_the_others_unasked(registry: Registry) -> None:
    vendor, *others = optional_ids(registry)
    state = ConsentState.undecided(registry).with_choices({vendor: True}, method=Method.EMBED, now=NOW)
    assert state.method is Method.EMBED
    assert state.allows(vendor)
    assert all(state.vendor_decision(v) is Decision.UNASKED for v in others)
    assert all(state.category_decision(c) is Decision.UNASKED for c in OPTIONAL)


def test_embed_grant_from_undecided_still_needs_the_banner(registry: Registry) -> None:
    vendor = optional_ids(registry)[0]
    state = ConsentState.undecided(registry).with_choices({vendor: True}, method=Method.EMBED, now=NOW)
    assert state.needs_prompt(registry)
    assert state.new_vendors() == ()


def test_embed_grant_after_reject_all_only_adds_that_vendor(registry: Registry) -> None:
    vendor, *others = optional_ids(registry)
    state = ConsentState.reject_all(registry, now=NOW).with_choices({vendor: True}, method=Method.EMBED)
    assert state.allows(vendor)
    assert all(state.vendor_decision(v) is Decision.DENIED for v in others)
    assert not state.needs_prompt(registry)


# -- consent id, times, method, signals ----------------------------------------------------------------


def test_new_consent_id_format() -> None:
    assert CONSENT_ID.match(new_consent_id())


def test_new_consent_ids_are_random() -> None:
    assert len({new_consent_id() for _ in range(1000)}) == 1000


@pytest.mark.parametrize(
    "make",
    [
        lambda r: ConsentState.accept_all(r),
        lambda r: ConsentState.reject_all(r),
        lambda r: ConsentState.undecided(r).with_choices({}, method=Method.CUSTOM),
    ],
    ids=["accept_all", "reject_all", "custom"],
)
def test_a_decision_gets_a_random_consent_id(
    registry: Registry, make: Callable[[Registry], ConsentState]
) -> None:
    first, second = make(registry), make(registry)
    assert first.consent_id is not None and CONSENT_ID.match(first.consent_id)
    assert first.consent_id != second.consent_id


def test_consent_id_is_kept_across_changes(registry: Registry) -> None:
    state = ConsentState.reject_all(registry)
    changed = state.with_choices({optional_ids(registry)[0]: True}, method=Method.CUSTOM)
    assert changed.consent_id == state.consent_id


def test_decided_at_is_now_to_the_second(registry: Registry) -> None:
    state = ConsentState.accept_all(registry, now=NOW)
    assert state.decided_at == NOW.replace(microsecond=0)


def test_default_lifetime_is_six_months(registry: Registry) -> None:
    state = ConsentState.accept_all(registry, now=NOW)
    assert state.decided_at is not None and state.expires_at is not None
    assert state.expires_at - state.decided_at == DEFAULT_LIFETIME
    assert 180 <= DEFAULT_LIFETIME.days <= 184


@pytest.mark.parametrize("lifetime", ["1d", "30d", "6mo", "12mo", "13mo"])
def test_lifetime_up_to_thirteen_months_is_accepted(registry: Registry, lifetime: str) -> None:
    seconds = duration_seconds(lifetime)
    assert seconds is not None
    state = ConsentState.accept_all(registry, now=NOW, lifetime=timedelta(seconds=seconds))
    assert state.decided_at is not None and state.expires_at is not None
    assert state.expires_at - state.decided_at == timedelta(days=timedelta(seconds=seconds).days)


@pytest.mark.parametrize(
    "lifetime",
    [
        timedelta(seconds=duration_seconds("14mo") or 0),
        MAX_LIFETIME + timedelta(days=1),
        timedelta(0),
        timedelta(days=-1),
    ],
    ids=["14mo", "max+1d", "zero", "negative"],
)
def test_lifetime_outside_thirteen_months_is_rejected(registry: Registry, lifetime: timedelta) -> None:
    with pytest.raises(ValueError):
        ConsentState.accept_all(registry, now=NOW, lifetime=lifetime)


@pytest.mark.parametrize("method", list(Method))
def test_method_is_recorded(registry: Registry, method: Method) -> None:
    state = ConsentState.undecided(registry).with_choices({}, method=method)
    assert state.method is method


def test_gpc_signal_is_recorded(registry: Registry) -> None:
    state = ConsentState.undecided(registry, signals=[Signal.GPC])
    assert state.signals == {Signal.GPC}
    decided = state.with_choices({}, dict.fromkeys(OPTIONAL, False), method=Method.SIGNAL)
    assert decided.signals == {Signal.GPC}
    assert decided.method is Method.SIGNAL
    assert ConsentState.reject_all(registry, signals=[Signal.GPC]).signals == {Signal.GPC}


def test_signals_and_policy_carry_over_to_later_choices(registry: Registry) -> None:
    state = ConsentState.undecided(registry, signals=[Signal.GPC], policy=Policy.OPT_OUT)
    decided = state.with_choices({}, method=Method.SIGNAL)
    assert decided.signals == {Signal.GPC}
    assert decided.policy is Policy.OPT_OUT
    assert decided.with_choices({}, method=Method.CUSTOM, signals=()).signals == frozenset()


# -- registry edits --------------------------------------------------------------------------------


def test_added_vendor_is_unasked_and_not_granted(data40: dict[str, Any], reg40: Registry) -> None:
    state = ConsentState.accept_all(reg40, now=NOW)
    added = {**registry_data(1, first_number=41)["vendors"][0], "category": "marketing"}
    edited = build({**data40, "vendors": [*data40["vendors"], added]})
    moved = state.rebind(edited)
    assert moved.vendor_decision("vendor-41") is Decision.UNASKED
    assert not moved.allows("vendor-41")
    assert moved.allows_category("marketing")
    assert all(moved.allows(f"vendor-{n}") for n in range(1, 41))


def test_added_vendor_needs_prompt_and_is_new(data40: dict[str, Any], reg40: Registry) -> None:
    state = ConsentState.accept_all(reg40, now=NOW)
    added = registry_data(1, first_number=41)["vendors"][0]
    edited = build({**data40, "vendors": [*data40["vendors"], added]})
    assert state.needs_prompt(edited)
    assert [v.id for v in state.rebind(edited).new_vendors()] == ["vendor-41"]


def test_removed_vendor_keeps_the_other_decisions(data40: dict[str, Any], reg40: Registry) -> None:
    choices = random_choices(reg40, 7)
    state = ConsentState.undecided(reg40).with_choices(choices, method=Method.CUSTOM, now=NOW)
    removed = optional_ids(reg40)[3]
    edited = build({**data40, "vendors": [v for v in data40["vendors"] if v["id"] != removed]})
    moved = state.rebind(edited)
    assert not moved.allows(removed)
    assert {k: v for k, v in decisions(state).items() if k != removed} == decisions(moved)


def test_removed_vendor_does_not_prompt(data40: dict[str, Any], reg40: Registry) -> None:
    state = ConsentState.reject_all(reg40, now=NOW)
    edited = build({**data40, "vendors": data40["vendors"][:-1]})
    assert edited.revision != reg40.revision
    assert not state.needs_prompt(edited)
    assert state.rebind(edited).new_vendors() == ()


def test_reordered_vendors_keep_their_decisions(data40: dict[str, Any], reg40: Registry) -> None:
    state = ConsentState.undecided(reg40).with_choices(
        random_choices(reg40, 3), method=Method.CUSTOM, now=NOW
    )
    shuffled = list(data40["vendors"])
    random.Random(1).shuffle(shuffled)
    edited = build({**data40, "vendors": shuffled})
    assert edited.revision == reg40.revision
    assert decisions(state.rebind(edited)) == decisions(state)


def test_reordered_vendors_do_not_prompt(data40: dict[str, Any], reg40: Registry) -> None:
    state = ConsentState.accept_all(reg40, now=NOW)
    edited = build({**data40, "vendors": list(reversed(data40["vendors"]))})
    assert not state.needs_prompt(edited)


def test_vendor_moved_to_another_category_is_asked_again(data40: dict[str, Any], reg40: Registry) -> None:
    state = ConsentState.accept_all(reg40, now=NOW)
    target = reg40.vendor("vendor-6")  # statistics
    assert target.category == "statistics"
    vendors = [{**v, "category": "marketing"} if v["id"] == target.id else v for v in data40["vendors"]]
    edited = build({**data40, "vendors": vendors})
    moved = state.rebind(edited)
    assert moved.vendor_decision(target.id) is Decision.UNASKED
    assert not moved.allows(target.id)
    assert moved.needs_prompt()
    assert [v.id for v in moved.new_vendors()] == [target.id]
    assert all(moved.allows(v.id) for v in edited.vendors if v.id != target.id)


def test_added_category_is_unasked(data40: dict[str, Any], reg40: Registry) -> None:
    state = ConsentState.accept_all(reg40, now=NOW)
    extra = {"id": "personalisation", "title": "Personalisation", "order": 4}
    added = {**registry_data(1, first_number=41)["vendors"][0], "category": "personalisation"}
    edited = build(
        {**data40, "categories": [*data40["categories"], extra], "vendors": [*data40["vendors"], added]}
    )
    moved = state.rebind(edited)
    assert moved.category_decision("personalisation") is Decision.UNASKED
    assert not moved.allows_category("personalisation")
    assert not moved.allows("vendor-41")
    assert moved.needs_prompt()
    assert [v.id for v in moved.new_vendors()] == ["vendor-41"]
    assert all(moved.allows(f"vendor-{n}") for n in range(1, 41))
    assert all(moved.allows_category(c) for c in OPTIONAL)


def test_added_empty_category_still_prompts(data40: dict[str, Any], reg40: Registry) -> None:
    state = ConsentState.reject_all(reg40, now=NOW)
    extra = {"id": "personalisation", "title": "Personalisation", "order": 0}
    edited = build({**data40, "categories": [*data40["categories"], extra]})
    assert state.needs_prompt(edited)
    assert state.rebind(edited).new_vendors() == ()


def test_choices_after_an_edit_keep_earlier_decisions(data40: dict[str, Any], reg40: Registry) -> None:
    choices = random_choices(reg40, 11)
    state = ConsentState.undecided(reg40).with_choices(
        choices, dict.fromkeys(OPTIONAL, True), method=Method.CUSTOM, now=NOW
    )
    added = registry_data(1, first_number=41)["vendors"][0]
    edited = build({**data40, "vendors": [added, *reversed(data40["vendors"])]})
    answered = state.rebind(edited).with_choices({"vendor-41": False}, method=Method.CUSTOM, now=NOW)
    assert not answered.needs_prompt(edited)
    assert answered.vendor_decision("vendor-41") is Decision.DENIED
    assert {k: v for k, v in decisions(answered).items() if k != "vendor-41"} == decisions(state)


def test_needs_prompt_with_registry_matches_rebind(data40: dict[str, Any], reg40: Registry) -> None:
    state = ConsentState.accept_all(reg40, now=NOW)
    edited = build(
        {**data40, "vendors": [*data40["vendors"], registry_data(1, first_number=41)["vendors"][0]]}
    )
    assert state.needs_prompt(edited) is state.rebind(edited).needs_prompt() is True
    assert state.needs_prompt(reg40) is state.needs_prompt() is False


# -- as_dict ---------------------------------------------------------------------------------------


def test_as_dict_of_a_custom_state(reg40: Registry) -> None:
    state = ConsentState.undecided(reg40, signals=[Signal.GPC]).with_choices(
        {"vendor-1": True, "vendor-2": False}, {"functional": True}, method=Method.CUSTOM, now=NOW
    )
    summary = state.as_dict()
    assert json.loads(json.dumps(summary)) == summary
    assert summary == {
        "decided": True,
        "needs_prompt": True,  # statistics and marketing were not answered
        "consent_id": state.consent_id,
        "decided_at": "2025-03-14T09:26:53+00:00",
        "expires_at": (NOW.replace(microsecond=0) + DEFAULT_LIFETIME).isoformat(),
        "method": "custom",
        "policy": "opt-in",
        "current_policy": "opt-in",
        "signals": ["gpc"],
        "revision": reg40.revision,
        "categories": {
            "necessary": "granted",
            "functional": "granted",
            "statistics": "unasked",
            "marketing": "unasked",
        },
        "vendors": {
            v.id: "granted"
            if v.id == "vendor-1" or v.category == "necessary"
            else "denied"
            if v.id == "vendor-2"
            else "unasked"
            for v in reg40.vendors
        },
    }


def test_as_dict_of_an_undecided_state(reg40: Registry) -> None:
    summary = ConsentState.undecided(reg40).as_dict()
    assert summary["decided"] is False
    assert summary["needs_prompt"] is True
    assert summary["consent_id"] is None
    assert summary["decided_at"] is None and summary["expires_at"] is None and summary["method"] is None
    assert summary["signals"] == []


def test_assemble_builds_what_the_constructor_builds(registry: Registry) -> None:
    # assemble() sets the slots in declaration order: every field gets a value of its own here.
    fields = dict(
        registry=registry,
        consent_id="abcdefghijklmnop",
        decided_at=datetime(2025, 1, 2, tzinfo=UTC),
        expires_at=datetime(2025, 7, 2, tzinfo=UTC),
        revision="0badcafe",
        method=Method.CUSTOM,
        policy=Policy.OPT_OUT,
        signals=frozenset({Signal.GPC}),
        categories=(("marketing", Decision.DENIED),),
        granted=1 << 3,
        decided=1 << 3 | 1 << 4,
        defaults=1 << 5,
        current_policy=Policy.NOTICE,
        suppressed=1 << 6,
        objections=1 << 7,
        objected_purposes=frozenset({2}),
    )
    built = assemble(**fields)  # type: ignore[arg-type]
    assert built == ConsentState(**fields)  # type: ignore[arg-type]
    assert {name: getattr(built, name) for name in fields} == fields
    assert built.allowed == ConsentState(**fields).allowed  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.granted = 0  # type: ignore[misc]


def test_objections_are_kept_until_replaced(registry: Registry) -> None:
    optional = [v.id for v in registry.optional_vendors()]
    state = ConsentState.undecided(registry).with_choices(
        {}, method=Method.CUSTOM, now=NOW, objections=optional[:2], objected_purposes=[2, 9]
    )
    assert state.objections == registry.mask_of(optional[:2])
    kept = state.with_choices({optional[3]: True}, method=Method.EMBED, now=NOW)
    assert (kept.objections, kept.objected_purposes) == (state.objections, state.objected_purposes)
    here = kept.in_region(Policy.OPT_OUT, defaults=registry.optional_mask)
    assert (here.objections, here.objected_purposes) == (state.objections, state.objected_purposes)
    replaced = kept.with_choices({}, method=Method.CUSTOM, now=NOW, objections=[], objected_purposes=[])
    assert (replaced.objections, replaced.objected_purposes) == (0, frozenset())


def test_objections_follow_a_vendor_that_keeps_its_number(registry: Registry) -> None:
    data = registry_data(10)
    before = Registry.model_validate(data)
    state = ConsentState.undecided(before).with_choices(
        {}, method=Method.CUSTOM, now=NOW, objections=["vendor-2", "vendor-3"]
    )
    vendors = [{**v, "number": 50} if v["id"] == "vendor-3" else v for v in data["vendors"]]
    after = Registry.model_validate({**data, "vendors": vendors})
    assert after.vendors_in_mask(state.rebind(after).objections) == (after.vendor("vendor-2"),)


@pytest.mark.parametrize("purposes", [[0], [25], [-1]])
def test_objected_purposes_are_iab_purpose_numbers(registry: Registry, purposes: list[int]) -> None:
    with pytest.raises(UnknownIdError):
        ConsentState.undecided(registry).with_choices({}, method=Method.CUSTOM, objected_purposes=purposes)
