"""What each visitor action does to a state: the domain rules of ``consent.decisions``, without Flask."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from conftest import vendor

from consent.decisions import Action, InvalidChoice, apply, custom_grants
from consent.errors import UnknownIdError
from consent.regions import resolve_region
from consent.registry import Registry
from consent.state import ConsentState, Decision, Method, Policy, Signal

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def reg() -> Registry:
    return Registry.model_validate(
        {
            "name": "Decisions",
            "categories": [
                {"id": "necessary", "title": "Necessary", "required": True, "justification": "Security."},
                {"id": "statistics", "title": "Statistics", "order": 1},
                {"id": "marketing", "title": "Marketing", "order": 2},
            ],
            "vendors": [
                vendor("session", 1, "necessary"),
                vendor("counter", 2, "statistics"),
                vendor("heatmap", 3, "statistics"),
                vendor("ads", 4, "marketing", sale_share=True),
                vendor("retarget", 5, "marketing", sale_share=True),
            ],
            "regions": [
                {"id": "uk", "policy": "opt-in", "codes": ["GB"], "exempt_vendors": ["counter"]},
                {"id": "us", "policy": "opt-out", "codes": ["US-CA"]},
                {"id": "jp", "policy": "notice", "codes": ["JP"]},
            ],
        }
    )


def act(
    reg: Registry,
    action: Action,
    previous: ConsentState | None = None,
    *,
    code: str | None = "DE",
    gpc: bool = False,
    categories: tuple[str, ...] = (),
    vendors: tuple[str, ...] = (),
) -> ConsentState:
    region = resolve_region(reg, code, gpc)
    before = previous if previous is not None else region.read(ConsentState(reg))
    return apply(reg, region, before, action, categories, vendors, now=NOW)


def decisions(state: ConsentState) -> dict[str, Decision]:
    return {v.id: state.vendor_decision(v.id) for v in state.registry.vendors}


def test_accept_all_grants_every_optional_vendor_and_purpose(reg: Registry) -> None:
    state = act(reg, Action.ACCEPT_ALL)
    assert state.method is Method.ACCEPT_ALL
    assert all(d is Decision.GRANTED for d in decisions(state).values())
    assert state.allows_category("statistics") and state.allows_category("marketing")
    assert not state.needs_prompt()
    assert state.decided_at == NOW and state.expires_at is not None and state.expires_at > NOW


def test_reject_all_denies_everything_optional_and_keeps_the_id(reg: Registry) -> None:
    first = act(reg, Action.ACCEPT_ALL)
    state = act(reg, Action.REJECT_ALL, first)
    assert state.consent_id == first.consent_id
    assert [v.id for v in state.granted_vendors()] == ["session"]
    assert state.category_decision("marketing") is Decision.DENIED


def test_a_custom_save_declines_what_is_not_ticked(reg: Registry) -> None:
    state = act(reg, Action.CUSTOM, categories=("statistics",))
    assert [v.id for v in state.granted_vendors()] == ["session", "counter", "heatmap"]
    assert state.category_decision("statistics") is Decision.GRANTED
    assert state.category_decision("marketing") is Decision.DENIED
    assert decisions(state)["ads"] is Decision.DENIED


def test_a_ticked_vendor_overrides_its_purpose_box(reg: Registry) -> None:
    # Without JavaScript ticking a purpose does not tick its vendors: once any vendor box of that
    # purpose is ticked, the vendor boxes decide.
    state = act(reg, Action.CUSTOM, categories=("statistics",), vendors=("counter",))
    assert state.allows("counter") and not state.allows("heatmap")
    assert state.category_decision("statistics") is Decision.DENIED  # not all of its vendors are on


@pytest.mark.parametrize(
    ("categories", "vendors", "granted"),
    [
        ((), (), set()),
        (("statistics",), (), {"counter", "heatmap"}),
        (("statistics",), ("heatmap",), {"heatmap"}),
        ((), ("ads",), {"ads"}),
        (("statistics", "marketing"), ("retarget",), {"counter", "heatmap", "retarget"}),
    ],
)
def test_custom_grants(
    reg: Registry, categories: tuple[str, ...], vendors: tuple[str, ...], granted: set[str]
) -> None:
    assert custom_grants(reg, categories, vendors) == granted


def test_withdraw_denies_everything_and_keeps_the_id(reg: Registry) -> None:
    first = act(reg, Action.ACCEPT_ALL)
    state = act(reg, Action.WITHDRAW, first)
    assert state.method is Method.WITHDRAW
    assert state.consent_id == first.consent_id
    assert not any(state.allows(v) for v in ("counter", "heatmap", "ads", "retarget"))


def test_a_grant_allows_exactly_one_vendor_and_answers_no_purpose(reg: Registry) -> None:
    state = act(reg, Action.GRANT, vendors=("heatmap",))
    assert [v.id for v in state.granted_vendors()] == ["session", "heatmap"]
    assert state.method is Method.EMBED
    assert state.needs_prompt()  # the banner still asks about the purposes
    assert state.new_vendors() == ()


@pytest.mark.parametrize(
    ("categories", "vendors"), [((), ()), ((), ("counter", "heatmap")), (("statistics",), ("counter",))]
)
def test_a_grant_must_name_exactly_one_vendor(
    reg: Registry, categories: tuple[str, ...], vendors: tuple[str, ...]
) -> None:
    with pytest.raises(InvalidChoice):
        act(reg, Action.GRANT, categories=categories, vendors=vendors)


@pytest.mark.parametrize(
    ("categories", "vendors", "kind"),
    [
        (("nope",), (), "category"),
        (("necessary",), (), "category"),
        ((), ("session",), "vendor"),
        ((), ("x",), "vendor"),
    ],
)
def test_unknown_or_required_ids_are_refused(
    reg: Registry, categories: tuple[str, ...], vendors: tuple[str, ...], kind: str
) -> None:
    with pytest.raises(UnknownIdError) as caught:
        act(reg, Action.CUSTOM, categories=categories, vendors=vendors)
    assert caught.value.kind == kind


def test_opt_out_stops_only_sale_and_share_vendors(reg: Registry) -> None:
    state = act(reg, Action.OPT_OUT, code="US-CA")
    assert state.method is Method.OPT_OUT and state.policy is Policy.OPT_OUT
    assert {v.id for v in state.granted_vendors()} == {"session", "counter", "heatmap"}


def test_acknowledging_a_notice_lets_everything_run_where_the_law_allows(reg: Registry) -> None:
    state = act(reg, Action.ACKNOWLEDGE, code="JP")
    assert state.method is Method.ACKNOWLEDGE
    assert {v.id for v in state.granted_vendors()} == {"session", "counter", "heatmap", "ads", "retarget"}
    assert not state.needs_prompt()


def test_a_decision_under_gpc_keeps_its_opt_out_without_the_signal(reg: Registry) -> None:
    state = act(reg, Action.ACKNOWLEDGE, code="US-CA", gpc=True)
    assert Signal.GPC in state.signals
    assert decisions(state)["ads"] is Decision.DENIED and decisions(state)["retarget"] is Decision.DENIED
    later = resolve_region(reg, "US-CA", gpc=False).read(state)  # a later visit without the signal
    assert not later.allows("ads") and later.allows("counter")


def test_an_explicit_opt_in_under_gpc_stands(reg: Registry) -> None:
    state = act(reg, Action.CUSTOM, code="US-CA", gpc=True, vendors=("ads",))
    assert state.allows("ads") and not state.allows("retarget")


def test_gpc_stops_an_earlier_opt_in_given_without_it(reg: Registry) -> None:
    accepted = act(reg, Action.ACCEPT_ALL, code="US-CA")
    with_signal = resolve_region(reg, "US-CA", gpc=True).read(accepted)
    assert not with_signal.allows("ads") and with_signal.allows("counter")


def test_gpc_grants_nothing_in_an_opt_in_region(reg: Registry) -> None:
    state = act(reg, Action.REJECT_ALL, code="DE", gpc=True)
    assert Signal.GPC in state.signals
    assert [v.id for v in state.granted_vendors()] == ["session"]


def test_a_region_exemption_runs_until_the_visitor_decides(reg: Registry) -> None:
    undecided = resolve_region(reg, "GB").read(ConsentState(reg))
    assert undecided.allows("counter") and not undecided.allows("heatmap")
    rejected = act(reg, Action.REJECT_ALL, code="GB")
    assert not rejected.allows("counter")


def test_the_lifetime_sets_the_reask_date(reg: Registry) -> None:
    region = resolve_region(reg, "DE")
    state = apply(reg, region, ConsentState(reg), Action.ACCEPT_ALL, lifetime=timedelta(days=30), now=NOW)
    assert state.expires_at == NOW + timedelta(days=30)


def test_transitions_do_not_change_the_previous_state(reg: Registry) -> None:
    first = act(reg, Action.ACCEPT_ALL)
    before = decisions(first)
    act(reg, Action.REJECT_ALL, first)
    assert decisions(first) == before


# -- rules the Flask tests used to check through HTTP (issue #11: the Flask tests test the wiring) -------

OPTIONAL_VENDORS = ("counter", "heatmap", "ads", "retarget")
SELLERS = {"ads", "retarget"}


def granted_optional(state: ConsentState) -> set[str]:
    return {v for v in OPTIONAL_VENDORS if state.allows(v)}


def categories_of(state: ConsentState) -> dict[str, Decision]:
    return {c: state.category_decision(c) for c in ("statistics", "marketing")}


@pytest.mark.parametrize("action", [Action.REJECT_ALL, Action.WITHDRAW])
def test_reject_all_and_withdraw_decide_every_optional_vendor_and_purpose(
    reg: Registry, action: Action
) -> None:
    state = act(reg, action, act(reg, Action.ACCEPT_ALL))
    assert {v: d for v, d in decisions(state).items() if v != "session"} == dict.fromkeys(
        OPTIONAL_VENDORS, Decision.DENIED
    )
    assert categories_of(state) == {"statistics": Decision.DENIED, "marketing": Decision.DENIED}
    assert state.allows("session")  # required vendors run whatever the visitor chose
    assert not state.needs_prompt()


@pytest.mark.parametrize(
    ("previous", "categories", "vendors", "granted", "purposes_on"),
    [
        (None, (), (), set(), set()),
        (None, ("statistics",), (), {"counter", "heatmap"}, {"statistics"}),
        (None, (), ("counter",), {"counter"}, set()),
        # Without JavaScript a ticked purpose stays ticked when one of its vendors is unticked: once any
        # of its vendor boxes is ticked, the vendor boxes decide.
        (None, ("statistics",), ("heatmap",), {"heatmap"}, set()),
        (None, ("marketing",), ("counter",), {"counter", "ads", "retarget"}, {"marketing"}),
        (None, ("statistics", "marketing"), (), set(OPTIONAL_VENDORS), {"statistics", "marketing"}),
        # Unticking revokes: after Accept all, a save of one purpose declines the other.
        (Action.ACCEPT_ALL, ("statistics",), (), {"counter", "heatmap"}, {"statistics"}),
    ],
)
def test_a_custom_save_decides_every_optional_vendor_and_purpose(
    reg: Registry,
    previous: Action | None,
    categories: tuple[str, ...],
    vendors: tuple[str, ...],
    granted: set[str],
    purposes_on: set[str],
) -> None:
    before = act(reg, previous) if previous is not None else None
    state = act(reg, Action.CUSTOM, before, categories=categories, vendors=vendors)
    assert state.method is Method.CUSTOM
    assert granted_optional(state) == granted
    assert {v: decisions(state)[v] for v in OPTIONAL_VENDORS} == {
        v: Decision.GRANTED if v in granted else Decision.DENIED for v in OPTIONAL_VENDORS
    }
    assert categories_of(state) == {
        c: Decision.GRANTED if c in purposes_on else Decision.DENIED for c in ("statistics", "marketing")
    }
    assert not state.needs_prompt()


def test_a_grant_from_undecided_leaves_every_other_vendor_and_purpose_unasked(reg: Registry) -> None:
    state = act(reg, Action.GRANT, vendors=("heatmap",))
    assert {v: decisions(state)[v] for v in OPTIONAL_VENDORS if v != "heatmap"} == dict.fromkeys(
        ("counter", "ads", "retarget"), Decision.UNASKED
    )
    assert categories_of(state) == {"statistics": Decision.UNASKED, "marketing": Decision.UNASKED}


def test_a_grant_after_reject_all_keeps_the_other_refusals(reg: Registry) -> None:
    state = act(reg, Action.GRANT, act(reg, Action.REJECT_ALL), vendors=("heatmap",))
    assert granted_optional(state) == {"heatmap"}
    assert decisions(state)["counter"] is Decision.DENIED
    assert not state.needs_prompt()  # the visitor had decided; no banner comes back


@pytest.mark.parametrize(
    ("categories", "vendors", "error"),
    [
        (("statistics",), (), InvalidChoice),  # a purpose is no click-to-load grant
        ((), ("session",), UnknownIdError),  # a required vendor needs no grant
        ((), ("nobody",), UnknownIdError),
    ],
)
def test_a_grant_refuses_a_purpose_and_unknown_or_required_vendors(
    reg: Registry, categories: tuple[str, ...], vendors: tuple[str, ...], error: type[Exception]
) -> None:
    with pytest.raises(error):
        act(reg, Action.GRANT, categories=categories, vendors=vendors)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("first", [Action.ACCEPT_ALL, Action.REJECT_ALL])
def test_every_later_decision_keeps_the_consent_id(reg: Registry, first: Action, action: Action) -> None:
    original = act(reg, first, code="US-CA")
    vendors = ("heatmap",) if action is Action.GRANT else ()
    assert act(reg, action, original, code="US-CA", vendors=vendors).consent_id == original.consent_id


def test_each_first_decision_gets_a_new_consent_id(reg: Registry) -> None:
    ids = {act(reg, Action.ACCEPT_ALL).consent_id for _ in range(2)}
    assert len(ids) == 2
    assert all(i is not None and re.fullmatch(r"[a-z2-7]{16}", i) for i in ids)


@pytest.mark.parametrize("gpc", [False, True])
@pytest.mark.parametrize(("code", "policy"), [("US-CA", Policy.OPT_OUT), ("DE", Policy.OPT_IN)])
@pytest.mark.parametrize(
    "action", [Action.ACKNOWLEDGE, Action.REJECT_ALL, Action.ACCEPT_ALL, Action.OPT_OUT, Action.CUSTOM]
)
def test_every_decision_records_the_signal_and_the_policy_where_it_was_taken(
    reg: Registry, action: Action, code: str, policy: Policy, gpc: bool
) -> None:
    state = act(reg, action, code=code, gpc=gpc)
    assert state.signals == ({Signal.GPC} if gpc else frozenset())
    assert state.policy is policy


@pytest.mark.parametrize("code", ["US-CA", "JP"])
def test_acknowledging_without_gpc_denies_nothing_and_everything_runs(reg: Registry, code: str) -> None:
    state = act(reg, Action.ACKNOWLEDGE, code=code)
    assert {v: decisions(state)[v] for v in OPTIONAL_VENDORS} == dict.fromkeys(
        OPTIONAL_VENDORS, Decision.UNASKED
    )
    assert granted_optional(state) == set(OPTIONAL_VENDORS)
    assert not state.needs_prompt()


def test_an_opt_out_denies_exactly_the_sellers_and_leaves_the_rest_unasked(reg: Registry) -> None:
    state = act(reg, Action.OPT_OUT, code="US-CA")
    assert {v: decisions(state)[v] for v in OPTIONAL_VENDORS} == {
        v: Decision.DENIED if v in SELLERS else Decision.UNASKED for v in OPTIONAL_VENDORS
    }
    assert not state.needs_prompt()
    later = resolve_region(reg, "US-CA").read(state)  # the next page
    assert granted_optional(later) == set(OPTIONAL_VENDORS) - SELLERS and not later.needs_prompt()


@pytest.mark.parametrize(
    ("action", "vendors", "method"),
    [(Action.ACKNOWLEDGE, (), Method.ACKNOWLEDGE), (Action.GRANT, ("heatmap",), Method.EMBED)],
)
def test_a_decision_under_gpc_denies_exactly_the_sellers_on_later_visits(
    reg: Registry, action: Action, vendors: tuple[str, ...], method: Method
) -> None:
    state = act(reg, action, code="US-CA", gpc=True, vendors=vendors)
    assert state.method is method
    assert {v for v in OPTIONAL_VENDORS if decisions(state)[v] is Decision.DENIED} == SELLERS
    later = resolve_region(reg, "US-CA", gpc=False).read(state)
    assert not later.needs_prompt()
    assert granted_optional(later) == set(OPTIONAL_VENDORS) - SELLERS


def test_accept_all_under_gpc_is_an_explicit_opt_in_that_stands(reg: Registry) -> None:
    state = act(reg, Action.ACCEPT_ALL, code="US-CA", gpc=True)
    assert (state.method, state.policy, state.signals) == (Method.ACCEPT_ALL, Policy.OPT_OUT, {Signal.GPC})
    assert all(decisions(state)[v] is Decision.GRANTED for v in SELLERS)
    for gpc in (True, False):  # later visits, with or without the signal
        later = resolve_region(reg, "US-CA", gpc=gpc).read(state)
        assert granted_optional(later) == set(OPTIONAL_VENDORS) and not later.needs_prompt()


def test_gpc_stops_an_earlier_opt_in_only_while_it_is_sent(reg: Registry) -> None:
    accepted = act(reg, Action.ACCEPT_ALL, code="US-CA")
    with_signal = resolve_region(reg, "US-CA", gpc=True).read(accepted)
    assert granted_optional(with_signal) == set(OPTIONAL_VENDORS) - SELLERS
    assert not with_signal.needs_prompt()
    # The signal, not a stored decision, stopped the sellers: without it the choice applies again.
    assert granted_optional(resolve_region(reg, "US-CA", gpc=False).read(accepted)) == set(OPTIONAL_VENDORS)


@pytest.mark.parametrize(
    ("code", "gpc"), [("DE", False), ("GB", False), ("US-CA", False), ("US-CA", True), ("JP", False)]
)
def test_saving_the_preferences_untouched_keeps_what_ran(reg: Registry, code: str, gpc: bool) -> None:
    # The panel ticks what runs before a decision (purposes whose vendors all run, and each vendor
    # that runs); saving it as it is must change nothing that runs.
    undecided = resolve_region(reg, code, gpc).read(ConsentState(reg))
    on = tuple(c.id for c in reg.optional_categories if undecided.allows_category(c.id))
    ticked = tuple(v for v in OPTIONAL_VENDORS if undecided.allows(v))
    state = act(reg, Action.CUSTOM, undecided, code=code, gpc=gpc, categories=on, vendors=ticked)
    assert granted_optional(state) == granted_optional(undecided)


@pytest.mark.parametrize("action", [Action.OPT_OUT, Action.ACKNOWLEDGE])
def test_an_opt_out_or_acknowledgement_in_an_opt_in_region_answers_nothing(
    reg: Registry, action: Action
) -> None:
    # A form can post them anywhere; where consent is needed they grant nothing and the banner still asks.
    state = resolve_region(reg, "DE").read(act(reg, action, code="DE"))
    assert granted_optional(state) == set()
    assert state.needs_prompt()


def test_declining_a_purpose_after_acknowledging_a_notice(reg: Registry) -> None:
    acknowledged = act(reg, Action.ACKNOWLEDGE, code="JP")
    assert acknowledged.policy is Policy.NOTICE
    state = act(reg, Action.CUSTOM, acknowledged, code="JP", categories=("statistics",))
    assert granted_optional(state) == {"counter", "heatmap"}
    assert decisions(state)["ads"] is Decision.DENIED
    # Read where opt-in applies, a decision taken under a notice is asked again.
    elsewhere = resolve_region(reg, "DE").read(state)
    assert elsewhere.needs_prompt() and elsewhere.stricter_policy_applies


# -- objections to legitimate interest ---------------------------------------------------------------


def object_to(
    reg: Registry, vendors: tuple[str, ...], purposes: tuple[int, ...], **kw: object
) -> ConsentState:
    region = resolve_region(reg, "DE", False)
    before = kw.pop("previous", None) or region.read(ConsentState(reg))
    assert isinstance(before, ConsentState)
    return apply(
        reg, region, before, Action.CUSTOM, ("marketing",), (), now=NOW,
        object_vendors=vendors, object_purposes=purposes,
    )  # fmt: skip


def test_a_custom_save_stores_objections_beside_the_consents(reg: Registry) -> None:
    state = object_to(reg, ("ads",), (2, 7))
    # Consent to ads stands; the objection to its legitimate interest is held apart.
    assert state.allows("ads")
    assert state.objections == reg.vendor_bits["ads"]
    assert state.objected_purposes == {2, 7}


def test_the_next_custom_save_replaces_the_objections(reg: Registry) -> None:
    first = object_to(reg, ("ads",), (2,))
    second = object_to(reg, ("retarget",), (), previous=first)
    assert second.objections == reg.vendor_bits["retarget"]
    assert second.objected_purposes == frozenset()


@pytest.mark.parametrize(
    ("action", "kept"),
    [(Action.ACCEPT_ALL, False), (Action.REJECT_ALL, False), (Action.WITHDRAW, True), (Action.OPT_OUT, True)],
)
def test_what_other_actions_do_to_objections(reg: Registry, action: Action, kept: bool) -> None:
    objected = object_to(reg, ("ads",), (2,))
    after = act(reg, action, objected, code="US-CA" if action is Action.OPT_OUT else "DE")
    assert (after.objections, after.objected_purposes) == (
        (objected.objections, objected.objected_purposes) if kept else (0, frozenset())
    )


def test_a_grant_keeps_the_objections(reg: Registry) -> None:
    objected = object_to(reg, ("ads",), (2,))
    after = act(reg, Action.GRANT, objected, vendors=("heatmap",))
    assert after.objections == objected.objections and after.objected_purposes == {2}


@pytest.mark.parametrize(
    ("vendors", "purposes"), [(("nobody",), ()), (("session",), ()), ((), (0,)), ((), (25,))]
)
def test_unknown_objections_are_refused(
    reg: Registry, vendors: tuple[str, ...], purposes: tuple[int, ...]
) -> None:
    with pytest.raises(UnknownIdError):
        object_to(reg, vendors, purposes)


def test_objections_come_with_a_custom_save_only(reg: Registry) -> None:
    region = resolve_region(reg, "DE", False)
    with pytest.raises(InvalidChoice):
        apply(reg, region, ConsentState(reg), Action.ACCEPT_ALL, now=NOW, object_vendors=("ads",))
